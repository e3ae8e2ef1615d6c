//! Client for the OnAir JSON API (same origin), with the bodies and paths of the wire contract
//! (`onair-protocol`).

use gloo_net::http::{Request, Response};
use onair_protocol::{
    paths, CreateStreamRequest, StreamAnalytics, StreamList, StreamStatus, UpdateStreamRequest,
};

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

/// `GET url`, the answer checked and read as JSON.
async fn get_json<T: serde::de::DeserializeOwned>(url: &str) -> Result<T, AppError> {
    let response = Request::get(url).send().await.map_err(network)?;
    check(response).await?.json().await.map_err(decode)
}

/// `GET /api/streams`: live streams, newest first.
pub async fn list_streams() -> Result<Vec<StreamView>, AppError> {
    Ok(get_json::<StreamList>(paths::STREAMS).await?.streams)
}

/// `GET /api/blog`: the posts, newest first.
pub async fn blog() -> Result<Vec<onair_protocol::BlogPost>, AppError> {
    Ok(get_json::<onair_protocol::BlogList>(paths::BLOG)
        .await?
        .posts)
}

/// `GET /api/blog/{slug}`: one post, rendered.
pub async fn blog_post(slug: &str) -> Result<onair_protocol::BlogPost, AppError> {
    get_json(&paths::blog_post(slug)).await
}

/// `POST /api/contact`.
pub async fn send_contact(message: &onair_protocol::ContactMessage) -> Result<(), AppError> {
    let response = Request::post(paths::CONTACT)
        .json(message)
        .map_err(decode)?
        .send()
        .await
        .map_err(network)?;
    check(response).await.map(drop)
}

/// `GET /api/recordings`: ended streams that still have media, newest first.
pub async fn list_recordings() -> Result<Vec<StreamView>, AppError> {
    Ok(get_json::<StreamList>(paths::RECORDINGS).await?.streams)
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
    get_json(&paths::stream(id)).await
}

/// `POST /api/streams` with the stream's metadata.
pub async fn create_stream(body: &CreateStreamRequest) -> Result<CreatedStream, AppError> {
    let response = Request::post(paths::STREAMS)
        .json(body)
        .map_err(decode)?
        .send()
        .await
        .map_err(network)?;
    check(response).await?.json().await.map_err(decode)
}

/// The `Authorization` value for an owner token.
fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// `PATCH /api/streams/{id}` (owner).
pub async fn update_stream(
    id: &str,
    owner_token: &str,
    body: &UpdateStreamRequest,
) -> Result<StreamView, AppError> {
    let response = Request::patch(&paths::stream(id))
        .header("Authorization", &bearer(owner_token))
        .json(body)
        .map_err(decode)?
        .send()
        .await
        .map_err(network)?;
    check(response).await?.json().await.map_err(decode)
}

/// Sends a bodiless owner request: `Authorization: Bearer {owner_token}`, the answer checked.
async fn as_owner(
    request: gloo_net::http::RequestBuilder,
    owner_token: &str,
) -> Result<Response, AppError> {
    let response = request
        .header("Authorization", &bearer(owner_token))
        .send()
        .await
        .map_err(network)?;
    check(response).await
}

/// `POST /api/streams/{id}/end` (owner).
pub async fn end_stream(id: &str, owner_token: &str) -> Result<(), AppError> {
    as_owner(Request::post(&paths::end(id)), owner_token)
        .await
        .map(drop)
}

/// `POST /api/streams/{id}/key` (owner): a new stream key; the old one stops working.
pub async fn rotate_key(id: &str, owner_token: &str) -> Result<String, AppError> {
    let rotated: onair_protocol::RotatedKey = as_owner(Request::post(&paths::key(id)), owner_token)
        .await?
        .json()
        .await
        .map_err(decode)?;
    Ok(rotated.stream_key)
}

/// `DELETE /api/streams/{id}` (owner).
pub async fn delete_stream(id: &str, owner_token: &str) -> Result<(), AppError> {
    as_owner(Request::delete(&paths::stream(id)), owner_token)
        .await
        .map(drop)
}

/// `GET /api/streams/{id}/analytics` (owner).
pub async fn analytics(id: &str, owner_token: &str) -> Result<StreamAnalytics, AppError> {
    as_owner(Request::get(&paths::analytics(id)), owner_token)
        .await?
        .json()
        .await
        .map_err(decode)
}

/// Tags as a person types them (`music, live set`): split on commas; the server normalises them.
pub fn split_tags(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// How long ago `since` (unix seconds) was, for a card: `5 min`, `2 h 10 min`.
pub fn live_for(since: i64, now: i64) -> String {
    let minutes = (now - since).max(0) / 60;
    match minutes {
        0 => "under a minute".to_owned(),
        m if m < 60 => format!("{m} min"),
        m => format!("{} h {} min", m / 60, m % 60),
    }
}

/// Unix seconds now, from the page's clock.
pub fn now_unix() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}
