//! Helpers shared by the integration tests: an app on a fresh data directory, called with `oneshot`.

#![allow(dead_code)]

pub use onair_media::testing as media;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use onair_server::{app, AppState, Config, Settings};
use tempfile::TempDir;
use tower::ServiceExt;

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as our media playlist, after checking that the answer is 200.
    pub fn media_playlist(&self) -> onair_media::MediaPlaylist {
        assert_eq!(self.status, axum::http::StatusCode::OK, "{}", self.text());
        onair_media::MediaPlaylist::parse(&self.text()).expect("our playlist parses")
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// A header as text ("" when absent).
    pub fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The `error` of a JSON error body.
    pub fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error field: {}", self.text()))
            .to_owned()
    }
}

/// A stream created through the API.
#[derive(Debug, Clone)]
pub struct Stream {
    pub id: String,
    pub key: String,
    pub owner: String,
}

/// The app on a temporary data directory (and web directory).
pub struct TestApp {
    pub dir: TempDir,
    pub state: AppState,
    pub router: Router,
    settings: Settings,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_settings(Settings::default()).await
    }

    pub async fn with_settings(settings: Settings) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        Self::open(dir, settings).await
    }

    async fn open(dir: TempDir, settings: Settings) -> Self {
        let config = Config {
            listen: "127.0.0.1:0".parse().expect("addr"),
            data_dir: dir.path().join("data"),
            web_dir: dir.path().join("dist"),
            ..Default::default()
        };
        let state = AppState::open_with(&config, settings.clone())
            .await
            .expect("open state");
        let router = app(state.clone());
        Self {
            dir,
            state,
            router,
            settings,
        }
    }

    /// Simulates a restart on the same directories.
    pub async fn restart(self) -> Self {
        let Self { dir, settings, .. } = self;
        Self::open(dir, settings).await
    }

    /// Simulates a restart on the same directories with other settings.
    pub async fn restart_with(self, settings: Settings) -> Self {
        Self::open(self.dir, settings).await
    }

    pub async fn request(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.request(
            Request::get(uri)
                .header(header::ORIGIN, "https://example.com")
                .body(Body::empty())
                .expect("request"),
        )
        .await
    }

    pub async fn send(&self, method: Method, uri: &str, key: Option<&str>, body: Vec<u8>) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(key) = key {
            request = request.header(header::AUTHORIZATION, format!("Bearer {key}"));
        }
        // JSON says it is JSON, as the API requires; media goes without a type.
        if body.first() == Some(&b'{') {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        self.request(request.body(Body::from(body)).expect("request"))
            .await
    }

    pub async fn create_stream(&self, title: &str) -> Stream {
        let body = serde_json::json!({ "title": title })
            .to_string()
            .into_bytes();
        let reply = self
            .request(
                Request::post("/api/streams")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(body))
                    .expect("request"),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        let json = reply.json();
        Stream {
            id: json["id"].as_str().expect("id").to_owned(),
            key: json["stream_key"].as_str().expect("key").to_owned(),
            owner: json["owner_token"]
                .as_str()
                .expect("owner token")
                .to_owned(),
        }
    }

    pub async fn put_init(&self, stream: &Stream, rendition: &str, body: Vec<u8>) -> Reply {
        let uri = format!("/api/streams/{}/renditions/{rendition}/init.mp4", stream.id);
        self.send(Method::PUT, &uri, Some(&stream.key), body).await
    }

    pub async fn put_segment(
        &self,
        stream: &Stream,
        rendition: &str,
        msn: u64,
        body: Vec<u8>,
    ) -> Reply {
        let uri = format!(
            "/api/streams/{}/renditions/{rendition}/segments/{msn}.m4s",
            stream.id
        );
        self.send(Method::PUT, &uri, Some(&stream.key), body).await
    }

    pub async fn end(&self, stream: &Stream) -> Reply {
        let uri = format!("/api/streams/{}/end", stream.id);
        self.send(Method::POST, &uri, Some(&stream.key), Vec::new())
            .await
    }

    /// Creates a stream, uploads the A/V init to `r0` and `segments` segments.
    pub async fn live_stream(&self, segments: u64) -> Stream {
        let stream = self.create_stream("Live test").await;
        let reply = self.put_init(&stream, "r0", media::av_init_bytes()).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
        for msn in 0..segments {
            let reply = self
                .put_segment(&stream, "r0", msn, media::av_segment(msn))
                .await;
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        }
        stream
    }

    /// Waits until the origin says `parked` (e.g. `|o| o.waiting_requests() == 1`): a request sent in a
    /// task of its own is then known to be parked in the server, not merely not answered yet. Panics after
    /// 10 s.
    pub async fn until_parked(&self, what: &str, parked: impl Fn(&onair_server::Origin) -> bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !parked(self.state.origin()) {
            assert!(
                std::time::Instant::now() < deadline,
                "{what} is not parked after 10 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }

    /// The media files stored for a rendition (sorted names; not the `parts/` folder).
    pub fn stored_files(&self, stream: &Stream, rendition: &str) -> Vec<String> {
        let dir = self
            .dir
            .path()
            .join("data/streams")
            .join(&stream.id)
            .join(rendition);
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}
