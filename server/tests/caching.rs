//! What a cache in front of the origin relies on, through `app()` with `oneshot`: lifetimes per kind of
//! resource, validators and 304s, byte ranges, gzip for playlists only, CORS that exposes `Age`.

mod common;

use axum::body::Body;
use axum::http::{header, HeaderName, Request, StatusCode};
use common::media::{av_init_bytes, av_segment};
use common::{Reply, TestApp};

async fn get_with(t: &TestApp, uri: &str, headers: &[(HeaderName, &str)]) -> Reply {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    t.request(request.body(Body::empty()).expect("request"))
        .await
}

#[tokio::test]
async fn media_is_immutable_with_validators_and_ranges() {
    let t = TestApp::new().await;
    let stream = t.live_stream(2).await;
    let uri = format!("/live/{}/r0/1.m4s", stream.id);
    let bytes = av_segment(1);
    let len = bytes.len();

    let full = t.get(&uri).await;
    assert_eq!(full.status, StatusCode::OK);
    assert_eq!(
        full.header(header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(full.header(header::ACCEPT_RANGES), "bytes");
    assert_eq!(full.header(header::CONTENT_LENGTH), len.to_string());
    assert!(
        full.header(header::CONTENT_ENCODING).is_empty(),
        "media is never gzipped"
    );
    let etag = full.header(header::ETAG).to_owned();
    assert!(etag.starts_with('"') && etag.len() == 18, "{etag}");
    let last_modified = full.header(header::LAST_MODIFIED).to_owned();
    assert!(last_modified.ends_with(" GMT"), "{last_modified}");

    // Revalidation.
    let same = get_with(&t, &uri, &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(same.status, StatusCode::NOT_MODIFIED);
    assert!(same.body.is_empty());
    assert_eq!(same.header(header::ETAG), etag);
    assert_eq!(
        same.header(header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    let other = get_with(&t, &uri, &[(header::IF_NONE_MATCH, "\"x\"")]).await;
    assert_eq!(other.status, StatusCode::OK);
    let later = get_with(
        &t,
        &uri,
        &[(header::IF_MODIFIED_SINCE, "Fri, 01 Jan 2100 00:00:00 GMT")],
    )
    .await;
    assert_eq!(later.status, StatusCode::NOT_MODIFIED);
    let earlier = get_with(
        &t,
        &uri,
        &[(header::IF_MODIFIED_SINCE, "Thu, 01 Jan 1970 00:00:00 GMT")],
    )
    .await;
    assert_eq!(earlier.status, StatusCode::OK);

    // Ranges.
    let head = get_with(&t, &uri, &[(header::RANGE, "bytes=0-7")]).await;
    assert_eq!(head.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(head.body.as_ref(), &bytes[..8]);
    assert_eq!(
        head.header(header::CONTENT_RANGE),
        format!("bytes 0-7/{len}")
    );
    let tail = get_with(&t, &uri, &[(header::RANGE, "bytes=-10")]).await;
    assert_eq!(tail.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.body.as_ref(), &bytes[len - 10..]);
    let beyond = get_with(&t, &uri, &[(header::RANGE, &format!("bytes={len}-"))]).await;
    assert_eq!(beyond.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        beyond.header(header::CONTENT_RANGE),
        format!("bytes */{len}")
    );
    assert!(beyond.error().contains("range"), "{}", beyond.error());
    // If-Range with the current tag applies the range; with another it gets everything.
    let current = get_with(
        &t,
        &uri,
        &[(header::RANGE, "bytes=0-7"), (header::IF_RANGE, &etag)],
    )
    .await;
    assert_eq!(current.status, StatusCode::PARTIAL_CONTENT);
    let stale = get_with(
        &t,
        &uri,
        &[(header::RANGE, "bytes=0-7"), (header::IF_RANGE, "\"old\"")],
    )
    .await;
    assert_eq!(stale.status, StatusCode::OK);
    assert_eq!(stale.body.len(), len);

    // The init has the same treatment.
    let init = t.get(&format!("/live/{}/r0/init.mp4", stream.id)).await;
    assert_eq!(init.body.as_ref(), av_init_bytes().as_slice());
    let init_etag = init.header(header::ETAG).to_owned();
    assert_ne!(init_etag, etag);
    let init_again = get_with(
        &t,
        &format!("/live/{}/r0/init.mp4", stream.id),
        &[(header::IF_NONE_MATCH, &init_etag)],
    )
    .await;
    assert_eq!(init_again.status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn playlists_live_for_half_a_target_duration_and_are_gzipped() {
    let t = TestApp::new().await;
    let stream = t.live_stream(2).await;
    let media = format!("/live/{}/r0/index.m3u8", stream.id);

    let plain = t.get(&media).await;
    assert_eq!(plain.status, StatusCode::OK);
    // Target duration 2 s: half of it.
    assert_eq!(plain.header(header::CACHE_CONTROL), "public, max-age=1");
    assert!(plain.header(header::VARY).contains("accept-encoding"));
    let etag = plain.header(header::ETAG).to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert!(!plain.header(header::LAST_MODIFIED).is_empty());

    let gzipped = get_with(&t, &media, &[(header::ACCEPT_ENCODING, "gzip")]).await;
    assert_eq!(gzipped.status, StatusCode::OK);
    assert_eq!(gzipped.header(header::CONTENT_ENCODING), "gzip");
    assert_eq!(gzipped.header(header::ETAG), etag);
    assert_eq!(&gzipped.body[..2], &[0x1f, 0x8b], "gzip magic");

    let same = get_with(
        &t,
        &media,
        &[
            (header::IF_NONE_MATCH, &etag),
            (header::ACCEPT_ENCODING, "gzip"),
        ],
    )
    .await;
    assert_eq!(same.status, StatusCode::NOT_MODIFIED);
    assert!(same.header(header::VARY).contains("accept-encoding"));

    // A new segment changes the tag.
    let reply = t.put_segment(&stream, "r0", 2, av_segment(2)).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let changed = get_with(&t, &media, &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_ne!(changed.header(header::ETAG), etag);

    // The multivariant playlist too.
    let multivariant = get_with(
        &t,
        &format!("/live/{}/index.m3u8", stream.id),
        &[(header::ACCEPT_ENCODING, "gzip")],
    )
    .await;
    assert_eq!(multivariant.header(header::CONTENT_ENCODING), "gzip");
    assert_eq!(
        multivariant.header(header::CACHE_CONTROL),
        "public, max-age=1"
    );

    // Ended: long-lived.
    assert_eq!(t.end(&stream).await.status, StatusCode::NO_CONTENT);
    let ended = t.get(&media).await;
    assert_eq!(ended.header(header::CACHE_CONTROL), "public, max-age=86400");
}

#[tokio::test]
async fn cors_lets_any_page_read_the_cache_headers() {
    let t = TestApp::new().await;
    let stream = t.live_stream(1).await;
    let reply = t.get(&format!("/live/{}/r0/0.m4s", stream.id)).await;
    assert_eq!(reply.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
    let exposed = reply
        .header(header::ACCESS_CONTROL_EXPOSE_HEADERS)
        .to_ascii_lowercase();
    for name in ["age", "etag", "last-modified", "content-range", "date"] {
        assert!(exposed.contains(name), "{name} in {exposed}");
    }
    // The answer is the same for every origin, so a shared cache keeps one copy.
    assert!(
        !reply
            .header(header::VARY)
            .to_ascii_lowercase()
            .contains("origin"),
        "{}",
        reply.header(header::VARY)
    );

    let preflight = t
        .request(
            Request::builder()
                .method("OPTIONS")
                .uri(format!("/live/{}/r0/0.m4s", stream.id))
                .header(header::ORIGIN, "https://example.com")
                .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
                .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "range")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert!(preflight.status.is_success(), "{}", preflight.status);
    assert_eq!(preflight.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
}

#[tokio::test]
async fn errors_are_briefly_cacheable_on_playback_only() {
    let t = TestApp::new().await;
    let stream = t.live_stream(1).await;
    let missing = t.get(&format!("/live/{}/r0/9.m4s", stream.id)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.header(header::CACHE_CONTROL), "public, max-age=1");
    let early = t
        .get(&format!("/live/{}/r0/recording.m3u8", stream.id))
        .await;
    assert_eq!(early.status, StatusCode::NOT_FOUND);
    assert!(early.error().contains("ended"), "{}", early.error());
    let api = t.get("/api/streams/zzzzzzzzzz").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert_eq!(api.header(header::CACHE_CONTROL), "no-store");
}

#[tokio::test]
async fn the_web_app_is_gzipped_for_clients_that_accept_it() {
    let t = TestApp::new().await;
    let dist = t.dir.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><title>OnAir</title>",
    )
    .unwrap();
    // Stands in for the app's wasm: compressible, over the compression threshold.
    let wasm = vec![0u8; 64 * 1024];
    std::fs::write(dist.join("app_bg.wasm"), &wasm).unwrap();

    let plain = t.get("/app_bg.wasm").await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(plain.body.len(), wasm.len());
    assert!(plain.header(header::CONTENT_ENCODING).is_empty());

    let gzipped = get_with(&t, "/app_bg.wasm", &[(header::ACCEPT_ENCODING, "gzip")]).await;
    assert_eq!(gzipped.status, StatusCode::OK);
    assert_eq!(gzipped.header(header::CONTENT_ENCODING), "gzip");
    assert_eq!(&gzipped.body[..2], &[0x1f, 0x8b], "gzip magic");
    assert!(
        gzipped.body.len() < wasm.len() / 10,
        "{} bytes",
        gzipped.body.len()
    );
    assert!(gzipped.header(header::VARY).contains("accept-encoding"));
    let page = get_with(
        &t,
        "/watch/abcdefghij",
        &[(header::ACCEPT_ENCODING, "gzip")],
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
}

#[tokio::test]
async fn a_gzip_sibling_written_at_build_time_is_sent_as_it_is() {
    let t = TestApp::new().await;
    let dist = t.dir.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<!doctype html>").unwrap();
    let wasm = vec![7u8; 64 * 1024];
    std::fs::write(dist.join("app_bg.wasm"), &wasm).unwrap();
    // Not the gzip of the file: proves the sibling was sent rather than a fresh compression.
    let sibling = b"\x1f\x8b precompressed sibling".to_vec();
    std::fs::write(dist.join("app_bg.wasm.gz"), &sibling).unwrap();

    let gzipped = get_with(&t, "/app_bg.wasm", &[(header::ACCEPT_ENCODING, "gzip")]).await;
    assert_eq!(gzipped.status, StatusCode::OK);
    assert_eq!(gzipped.header(header::CONTENT_ENCODING), "gzip");
    assert_eq!(gzipped.body, sibling);
    assert_eq!(gzipped.header(header::CONTENT_TYPE), "application/wasm");

    let plain = t.get("/app_bg.wasm").await;
    assert_eq!(plain.body, wasm, "a client without gzip gets the file");
}

#[tokio::test]
async fn the_embeddable_player_is_open_to_every_site_and_cached_by_name() {
    let t = TestApp::new().await;
    let player = t.dir.path().join("dist").join("player");
    std::fs::create_dir_all(&player).unwrap();
    std::fs::write(
        t.dir.path().join("dist").join("index.html"),
        "<!doctype html>",
    )
    .unwrap();
    std::fs::write(player.join("onair-player.js"), "(function(){})();").unwrap();
    std::fs::write(player.join("onair-player-0123456789abcdef.wasm"), b"\0asm").unwrap();
    let sibling = b"\x1f\x8b sibling".to_vec();
    std::fs::write(player.join("onair-player.js.gz"), &sibling).unwrap();

    let origin = (header::ORIGIN, "https://blog.example");
    let script = get_with(&t, "/player/onair-player.js", std::slice::from_ref(&origin)).await;
    assert_eq!(script.status, StatusCode::OK);
    assert_eq!(script.header(header::CACHE_CONTROL), "public, max-age=300");
    assert_eq!(script.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
    assert!(script.header(header::CONTENT_TYPE).contains("javascript"));
    assert!(!script.header(header::LAST_MODIFIED).is_empty());
    let gzipped = get_with(
        &t,
        "/player/onair-player.js",
        &[origin.clone(), (header::ACCEPT_ENCODING, "gzip")],
    )
    .await;
    assert_eq!(gzipped.body, sibling);
    // The transmuxer worker's script keeps a stable name too.
    std::fs::write(player.join("onair-transmux.js"), "(function(){})();").unwrap();
    let worker = get_with(
        &t,
        "/player/onair-transmux.js",
        std::slice::from_ref(&origin),
    )
    .await;
    assert_eq!(worker.status, StatusCode::OK);
    assert_eq!(worker.header(header::CACHE_CONTROL), "public, max-age=300");

    let wasm = get_with(
        &t,
        "/player/onair-player-0123456789abcdef.wasm",
        std::slice::from_ref(&origin),
    )
    .await;
    assert_eq!(wasm.status, StatusCode::OK);
    assert_eq!(wasm.header(header::CONTENT_TYPE), "application/wasm");
    assert_eq!(
        wasm.header(header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(wasm.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
    assert_eq!(
        wasm.header(HeaderName::from_static("cross-origin-resource-policy")),
        "cross-origin"
    );

    // A file that is not there is a 404, not the web app's page, and is not cached for a year.
    let missing = get_with(&t, "/player/onair-player-ffffffffffffffff.wasm", &[origin]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.header(header::CACHE_CONTROL).is_empty());
}
