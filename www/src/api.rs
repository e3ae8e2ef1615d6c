//! Client for the OnAir JSON API (same origin), with the bodies and paths of the wire contract
//! (`onair-protocol`).

use gloo_net::http::{Request, Response};
use onair_protocol::{paths, CreateStreamRequest, StreamList, StreamStatus};

use crate::error::AppError;

pub use onair_protocol::{CreatedStream, ErrorBody, StreamView};

/// The title of `stream` for the page, or a placeholder when it has none.
pub fn display_title(stream: &StreamView) -> String {
    match stream.title.trim() {
        "" => format!("Untitled stream {}", stream.id),
        title => title.to_owned(),
    }
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
pub async fn list_streams() -> Result<Vec<StreamView>, AppError> {
    let response = Request::get(paths::STREAMS).send().await.map_err(network)?;
    let list: StreamList = check(response).await?.json().await.map_err(decode)?;
    Ok(list.streams)
}

/// What a viewer plays: the live playlist while the stream is live (or not yet known), the whole
/// recording (`recording.m3u8`, VOD) once it has ended.
pub fn playback_url(id: &str, stream: Option<&StreamView>) -> String {
    match stream {
        Some(s) if s.status == StreamStatus::Ended => paths::recording(id),
        _ => paths::playback(id),
    }
}

/// The stream behind a page's `id` (fetched once) and what its player should load, as a memo so that the
/// player starts once: the URL changes only if the stream turns out to be over.
pub fn stream_and_playback_url(
    id: leptos::prelude::Signal<String>,
) -> (
    leptos::prelude::LocalResource<Result<StreamView, AppError>>,
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
pub async fn get_stream(id: &str) -> Result<StreamView, AppError> {
    let response = Request::get(&paths::stream(id))
        .send()
        .await
        .map_err(network)?;
    check(response).await?.json().await.map_err(decode)
}

/// `POST /api/streams` with an optional title.
pub async fn create_stream(title: &str) -> Result<CreatedStream, AppError> {
    let title = title.trim();
    let body = CreateStreamRequest {
        title: (!title.is_empty()).then(|| title.to_owned()),
        ..CreateStreamRequest::default()
    };
    let response = Request::post(paths::STREAMS)
        .json(&body)
        .map_err(decode)?
        .send()
        .await
        .map_err(network)?;
    check(response).await?.json().await.map_err(decode)
}
