//! Client for the OnAir JSON API (same origin).

use gloo_net::http::{Request, Response};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A stream as `GET /api/streams` and `GET /api/streams/{id}` describe it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StreamInfo {
    /// 10 lowercase alphanumerics.
    pub id: String,
    /// Title given at creation (may be empty).
    #[serde(default)]
    pub title: Option<String>,
    /// `created`, `live` or `ended`.
    #[serde(default)]
    pub status: String,
    /// Unix seconds, once live.
    #[serde(default)]
    pub started_at: Option<u64>,
    /// `/live/{id}/index.m3u8`.
    #[serde(default)]
    pub playback_url: String,
    /// `/watch/{id}`.
    #[serde(default)]
    pub watch_url: String,
}

impl StreamInfo {
    /// The title, or a placeholder when there is none.
    pub fn display_title(&self) -> String {
        match self.title.as_deref().map(str::trim) {
            Some(t) if !t.is_empty() => t.to_owned(),
            _ => format!("Untitled stream {}", self.id),
        }
    }
}

/// The answer to `POST /api/streams`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CreatedStream {
    /// Stream id.
    pub id: String,
    /// Secret for uploads.
    pub stream_key: String,
    /// Title.
    #[serde(default)]
    pub title: Option<String>,
    /// `/watch/{id}`.
    pub watch_url: String,
    /// `/live/{id}/index.m3u8`.
    pub playback_url: String,
}

#[derive(Deserialize)]
struct StreamList {
    streams: Vec<StreamInfo>,
}

#[derive(Serialize)]
struct CreateBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
}

async fn check(response: Response) -> Result<Response, AppError> {
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    if status == 404 {
        return Err(AppError::NotFound);
    }
    let message = match response.text().await {
        Ok(text) => serde_json::from_str::<ErrorBody>(&text)
            .map(|b| b.error)
            .unwrap_or(text),
        Err(e) => e.to_string(),
    };
    Err(AppError::Http { status, message })
}

fn network(e: gloo_net::Error) -> AppError {
    AppError::Network(e.to_string())
}

fn decode(e: gloo_net::Error) -> AppError {
    AppError::Decode(e.to_string())
}

/// `GET /api/streams`: live streams, newest first.
pub async fn list_streams() -> Result<Vec<StreamInfo>, AppError> {
    let response = Request::get("/api/streams").send().await.map_err(network)?;
    let list: StreamList = check(response).await?.json().await.map_err(decode)?;
    Ok(list.streams)
}

/// What a viewer plays: the live playlist while the stream is live (or not yet known), the whole
/// recording (`recording.m3u8`, VOD) once it has ended.
pub fn playback_url(id: &str, stream: Option<&StreamInfo>) -> String {
    match stream {
        Some(s) if s.status == "ended" => format!("/live/{id}/recording.m3u8"),
        _ => format!("/live/{id}/index.m3u8"),
    }
}

/// The stream behind a page's `id` (fetched once) and what its player should load, as a memo so that the
/// player starts once: the URL changes only if the stream turns out to be over.
pub fn stream_and_playback_url(
    id: leptos::prelude::Signal<String>,
) -> (
    leptos::prelude::LocalResource<Result<StreamInfo, AppError>>,
    leptos::prelude::Memo<String>,
) {
    use leptos::prelude::*;
    let info = LocalResource::new(move || {
        let id = id.get();
        async move { get_stream(&id).await }
    });
    let url = Memo::new(move |_| {
        let info = info.get();
        let stream = match &info {
            Some(Ok(s)) => Some(s),
            _ => None,
        };
        playback_url(&id.get(), stream)
    });
    (info, url)
}

/// `GET /api/streams/{id}`.
pub async fn get_stream(id: &str) -> Result<StreamInfo, AppError> {
    let response = Request::get(&format!("/api/streams/{id}"))
        .send()
        .await
        .map_err(network)?;
    check(response).await?.json().await.map_err(decode)
}

/// `POST /api/streams` with an optional title.
pub async fn create_stream(title: &str) -> Result<CreatedStream, AppError> {
    let title = title.trim();
    let body = CreateBody {
        title: (!title.is_empty()).then_some(title),
    };
    let response = Request::post("/api/streams")
        .json(&body)
        .map_err(decode)?
        .send()
        .await
        .map_err(network)?;
    check(response).await?.json().await.map_err(decode)
}
