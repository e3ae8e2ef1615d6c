//! Response headers and request checks against the usual attacks on a web app, as one layer on every
//! route ([`protect`]):
//!
//! - every answer: `X-Content-Type-Options: nosniff` (no answer is read as another type than it says)
//!   and `Referrer-Policy: strict-origin-when-cross-origin`;
//! - the web app's pages (the HTML of `index.html`, whatever page of the app it serves): a
//!   `Content-Security-Policy` ([`content_security_policy`]) that lets run only the app's own files and
//!   its inline start-up script (by its hash, read from `index.html` and read again when the file
//!   changes), with `frame-ancestors 'none'` (and `X-Frame-Options: DENY`) on every page but
//!   `/embed/{id}`, which any site may frame;
//! - a state-changing request to `/api/` sent by a page of another site (`Sec-Fetch-Site: cross-site`,
//!   which browsers send and pages cannot forge) is refused with 403, except the players' beacons, which
//!   embedding sites send by design. Owner actions need an `Authorization` header, which a form cannot
//!   send; the JSON bodies must say they are JSON ([`require_json`]), which a form cannot either.
//!
//! CORS stays where a player needs it: playback (`/live`) and the player's files (`/player`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::routes::web::INDEX_FILE_NAME;

/// The policy's directives but the scripts' and the framing ones, which [`content_security_policy`]
/// adds. The app fetches playlists and media of any HLS server (`/play`), plays them through Media
/// Source blobs, and starts the transmuxer worker from its own origin.
const POLICY_BASE: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: blob:; media-src 'self' blob: data: http: https:; \
     connect-src 'self' http: https:; worker-src 'self' blob:; font-src 'self'; object-src 'none'; \
     base-uri 'self'; form-action 'self'";

/// The `Content-Security-Policy` of an app page: [`POLICY_BASE`], scripts from this origin plus the
/// inline ones whose SHA-256 is in `inline_hashes` (base64), WebAssembly, and who may frame it.
pub fn content_security_policy(inline_hashes: &[String], frameable: bool) -> String {
    let hashes: String = inline_hashes
        .iter()
        .map(|h| format!(" 'sha256-{h}'"))
        .collect();
    let ancestors = if frameable { "*" } else { "'none'" };
    format!(
        "{POLICY_BASE}; script-src 'self' 'wasm-unsafe-eval'{hashes}; frame-ancestors {ancestors}"
    )
}

/// The base64 SHA-256 of each inline `<script>` (one without `src`) in `html`.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        let tag = &after[..open_end];
        let body = &after[open_end + 1..];
        let Some(close) = body.find("</script>") else {
            break;
        };
        if !tag.contains("src=") {
            hashes.push(base64(&Sha256::digest(&body.as_bytes()[..close])));
        }
        rest = &body[close..];
    }
    hashes
}

/// Standard base64 with padding (what CSP hashes are written in).
fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The inline script hashes of the web directory's `index.html`, read again when its modification time
/// changes (a rebuild while the server runs).
#[derive(Debug, Clone)]
pub struct AppPolicy {
    index: PathBuf,
    cached: Arc<Mutex<Option<ReadHashes>>>,
}

/// The hashes read from `index.html`, and its modification time then.
type ReadHashes = (SystemTime, Vec<String>);

impl AppPolicy {
    /// The policy of the app in `web_dir`.
    pub fn new(web_dir: &Path) -> Self {
        Self {
            index: web_dir.join(INDEX_FILE_NAME),
            cached: Arc::default(),
        }
    }

    /// The current hashes (none when there is no `index.html`).
    fn hashes(&self) -> Vec<String> {
        let Ok(modified) = std::fs::metadata(&self.index).and_then(|m| m.modified()) else {
            return Vec::new();
        };
        let mut cached = self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((at, hashes)) = cached.as_ref() {
            if *at == modified {
                return hashes.clone();
            }
        }
        let hashes = std::fs::read_to_string(&self.index)
            .map(|html| inline_script_hashes(&html))
            .unwrap_or_default();
        *cached = Some((modified, hashes.clone()));
        hashes
    }
}

/// Whether `path` is answered with the app's `index.html` when it is HTML: any path of the app's
/// pages, not a static `.html` file of the web directory.
fn is_app_page(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or_default();
    !last.contains('.') || last == INDEX_FILE_NAME
}

/// A request that changes state, sent from another site's page, to a route that is not open to them.
fn is_cross_site_write(method: &Method, path: &str, headers: &HeaderMap) -> bool {
    let writes = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let cross_site = headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site");
    let open = path.ends_with("/beacons");
    writes && cross_site && path.starts_with("/api/") && !open
}

/// The layer: refuses cross-site writes to the API and adds the headers above.
pub async fn protect(State(policy): State<AppPolicy>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if is_cross_site_write(request.method(), &path, request.headers()) {
        return AppError::ForbiddenOrigin.into_response();
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    let html = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if html && is_app_page(&path) {
        let frameable = path.starts_with("/embed/");
        let policy = content_security_policy(&policy.hashes(), frameable);
        if let Ok(value) = HeaderValue::from_str(&policy) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
        if !frameable {
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        }
    }
    response
}

/// A JSON body must say so: 415 for a `Content-Type` other than `application/json` (an HTML form can
/// only send `application/x-www-form-urlencoded`, `multipart/form-data` or `text/plain`). A request
/// without a body may leave it out.
pub fn require_json(headers: &HeaderMap, body: &[u8]) -> Result<(), AppError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    match content_type.as_deref() {
        Some("application/json") => Ok(()),
        None if body.iter().all(u8::is_ascii_whitespace) => Ok(()),
        other => Err(AppError::UnsupportedMedia {
            reason: format!(
                "the body must be JSON with Content-Type: application/json, not {}",
                other.unwrap_or("no Content-Type")
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        // SHA-256 of "" as CSP writes it.
        assert_eq!(
            base64(&Sha256::digest(b"")),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let html = "<head><script type=\"module\">init();</script>\
                    <script src=\"/a.js\"></script><script>\n</script></head>";
        assert_eq!(
            inline_script_hashes(html),
            [
                base64(&Sha256::digest(b"init();")),
                base64(&Sha256::digest(b"\n"))
            ]
        );
        assert!(inline_script_hashes("<script>unclosed").is_empty());
    }

    #[test]
    fn the_policy_allows_the_app_and_frames_only_the_embed() {
        let page = content_security_policy(&["abc=".to_owned()], false);
        assert!(
            page.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-abc='"),
            "{page}"
        );
        assert!(page.ends_with("frame-ancestors 'none'"), "{page}");
        assert!(content_security_policy(&[], true).ends_with("frame-ancestors *"));
    }

    #[test]
    fn app_pages_and_cross_site_writes() {
        assert!(is_app_page("/"));
        assert!(is_app_page("/watch/abc"));
        assert!(is_app_page("/index.html"));
        assert!(!is_app_page("/hls.html"));
        let mut headers = HeaderMap::new();
        assert!(!is_cross_site_write(
            &Method::POST,
            "/api/streams",
            &headers
        ));
        headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(is_cross_site_write(&Method::POST, "/api/streams", &headers));
        assert!(is_cross_site_write(
            &Method::DELETE,
            "/api/streams/abc",
            &headers
        ));
        assert!(!is_cross_site_write(&Method::GET, "/api/streams", &headers));
        assert!(!is_cross_site_write(
            &Method::POST,
            "/api/streams/abc/beacons",
            &headers
        ));
        assert!(!is_cross_site_write(
            &Method::PUT,
            "/ingest/key/x.m4s",
            &headers
        ));
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(!is_cross_site_write(
            &Method::POST,
            "/api/streams",
            &headers
        ));
    }

    #[test]
    fn json_bodies_say_they_are_json() {
        let mut headers = HeaderMap::new();
        assert!(require_json(&headers, b"").is_ok());
        assert!(require_json(&headers, b"{}").is_err());
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        assert!(require_json(&headers, b"{}").is_ok());
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(require_json(&headers, b"{}").is_err());
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        assert!(require_json(&headers, b"").is_err());
    }
}
