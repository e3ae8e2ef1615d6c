//! The security layer ([`onair_server::routes::security`]): the web app's pages carry a
//! Content-Security-Policy that lets run exactly the app's inline start-up script (by hash, following a
//! rebuild) and frames only `/embed/{id}`; every answer is `nosniff`; the API refuses cross-site writes
//! and JSON bodies that do not say they are JSON, which is all an HTML form on another site can send.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::TestApp;
use sha2::{Digest, Sha256};

const INDEX: &str = "<!doctype html><html><head><title>OnAir</title>\
    <script type=\"module\">import init from '/app.js'; await init();</script>\
    <script src=\"/other.js\"></script></head><body></body></html>";

fn hash_of(script: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script.as_bytes()))
}

async fn app_with_index(index: &str) -> TestApp {
    let t = TestApp::new().await;
    let dist = t.dir.path().join("dist");
    std::fs::create_dir_all(&dist).expect("dist");
    std::fs::write(dist.join("index.html"), index).expect("index.html");
    std::fs::write(dist.join("test.html"), "<html><script>x()</script></html>").expect("test.html");
    t
}

#[tokio::test]
async fn app_pages_run_only_their_own_scripts_and_only_the_embed_is_framed() {
    let t = app_with_index(INDEX).await;
    let script = "import init from '/app.js'; await init();";
    for path in ["/", "/go-live", "/dashboard"] {
        let reply = t.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        let csp = reply.header(header::CONTENT_SECURITY_POLICY).to_owned();
        assert!(
            csp.contains(&format!(
                "script-src 'self' 'wasm-unsafe-eval' 'sha256-{}'",
                hash_of(script)
            )),
            "{path}: {csp}"
        );
        assert!(
            csp.contains("object-src 'none'") && csp.contains("base-uri 'self'"),
            "{csp}"
        );
        assert!(csp.ends_with("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(reply.header(header::X_FRAME_OPTIONS), "DENY", "{path}");
        assert_eq!(reply.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert_eq!(
            reply.header(header::REFERRER_POLICY),
            "strict-origin-when-cross-origin"
        );
    }
    let embed = t.get("/embed/abcdefghij").await;
    assert!(
        embed
            .header(header::CONTENT_SECURITY_POLICY)
            .ends_with("frame-ancestors *"),
        "{:?}",
        embed.headers
    );
    assert_eq!(embed.header(header::X_FRAME_OPTIONS), "");

    // The shared watch page of a stream (the server's own HTML) too.
    let stream = t.create_stream("Show").await;
    let watch = t.get(&format!("/watch/{}", stream.id)).await;
    assert!(watch.text().contains("og:title"));
    assert!(watch
        .header(header::CONTENT_SECURITY_POLICY)
        .contains(&hash_of(script)));

    // Another HTML file of the web directory is not the app: no app policy.
    let other = t.get("/test.html").await;
    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(other.header(header::CONTENT_SECURITY_POLICY), "");
    assert_eq!(other.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");

    // A rebuilt app (another start-up script) gets the new hash without a restart.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let rebuilt = INDEX.replace("await init();", "await init({});");
    std::fs::write(t.dir.path().join("dist/index.html"), &rebuilt).expect("rewrite");
    let reply = t.get("/").await;
    let csp = reply.header(header::CONTENT_SECURITY_POLICY);
    assert!(
        csp.contains(&hash_of("import init from '/app.js'; await init({});")),
        "{csp}"
    );
}

#[tokio::test]
async fn every_answer_is_nosniff_and_playback_keeps_its_cors() {
    let t = app_with_index(INDEX).await;
    let stream = t.live_stream(1).await;
    let reply = t.get(&format!("/live/{}/index.m3u8", stream.id)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(reply.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
    assert_eq!(reply.header(header::CONTENT_SECURITY_POLICY), "");
    let api = t.get("/api/streams").await;
    assert_eq!(api.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(
        api.header(header::ACCESS_CONTROL_ALLOW_ORIGIN),
        "",
        "the API is not CORS-open"
    );
}

/// What a form on another site can send to the API.
async fn post(
    t: &TestApp,
    path: &str,
    content_type: Option<&str>,
    site: Option<&str>,
    body: &str,
) -> common::Reply {
    let mut request = Request::builder().method(Method::POST).uri(path);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    if let Some(site) = site {
        request = request.header("sec-fetch-site", site);
    }
    t.request(request.body(Body::from(body.to_owned())).expect("request"))
        .await
}

#[tokio::test]
async fn other_sites_cannot_write_through_a_form() {
    let t = TestApp::new().await;
    let json = r#"{"title":"from a form"}"#;
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let reply = post(&t, "/api/streams", Some(content_type), None, json).await;
        assert_eq!(
            reply.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
        assert!(
            reply.error().contains("application/json"),
            "{}",
            reply.error()
        );
        let reply = post(
            &t,
            "/api/contact",
            Some(content_type),
            None,
            r#"{"name":"a","email":"a@b.c","message":"hello there"}"#,
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "contact {content_type}"
        );
    }
    // Even as JSON, a page of another site is refused (the browser says so and pages cannot hide it).
    let reply = post(
        &t,
        "/api/streams",
        Some("application/json"),
        Some("cross-site"),
        json,
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.error().contains("cross-site"), "{}", reply.error());
    let listed = t.get("/api/streams").await.json();
    assert_eq!(listed["streams"].as_array().map(Vec::len), Some(0));
    // This site's pages and programs (no Sec-Fetch-Site) create streams.
    for site in [Some("same-origin"), None] {
        let reply = post(&t, "/api/streams", Some("application/json"), site, json).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{site:?}: {}",
            reply.text()
        );
    }
    let reply = post(&t, "/api/streams", None, None, "").await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "an empty body needs no type"
    );

    // Players on other sites still report their playback.
    let stream = t.live_stream(1).await;
    let beacon = r#"{"sid":"abcdefgh-1","played_ms":1000}"#;
    let reply = post(
        &t,
        &format!("/api/streams/{}/beacons", stream.id),
        Some("text/plain"),
        Some("cross-site"),
        beacon,
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
}

/// A shared watch page behind a TLS proxy (trusted: loopback here) names itself with `https`, so the
/// links a chat or a social site shows do not fall back to plain HTTP.
#[tokio::test]
async fn shared_links_use_the_scheme_the_client_used() {
    let t = app_with_index(INDEX).await;
    let stream = t.create_stream("Show").await;
    let page = |proto: Option<&'static str>| {
        let mut request =
            Request::get(format!("/watch/{}", stream.id)).header(header::HOST, "onair.example");
        if let Some(proto) = proto {
            request = request.header("x-forwarded-proto", proto);
        }
        request.body(Body::empty()).expect("request")
    };
    let plain = t.request(page(None)).await.text();
    let url = format!("onair.example/watch/{}", stream.id);
    assert!(
        plain.contains(&format!("content=\"http://{url}\"")),
        "{plain}"
    );
    let secure = t.request(page(Some("https"))).await.text();
    assert!(
        secure.contains(&format!("content=\"https://{url}\"")),
        "{secure}"
    );
}
