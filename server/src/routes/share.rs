//! `GET /watch/{id}`: the web app's page with the stream's own `<title>` and OpenGraph tags
//! (`og:title`, `og:description`, `og:type`, `og:url`, `og:site_name`, and `og:image`, its live
//! thumbnail, once it has one), so a link shared in a chat or a
//! social site shows the stream, not "OnAir". Crawlers do not run the app's wasm; people's browsers then
//! run it as on every other page. An unknown stream gets the plain page (the app says it is not found).
//! The absolute URLs are `https` when a trusted proxy says the client used it
//! ([`crate::routes::credential::RequestScheme`]).

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::names::StreamId;
use crate::routes::credential::RequestScheme;
use crate::routes::web::INDEX_FILE_NAME;
use crate::AppState;

/// The share route.
pub fn router() -> Router<AppState> {
    Router::new().route("/watch/{id}", get(watch_page))
}

/// Text for an HTML attribute or element.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// What a shared link shows of a stream.
#[derive(Debug, Clone, Copy)]
pub struct ShareCard<'a> {
    /// The stream's title.
    pub title: &'a str,
    /// Its description (may be empty).
    pub description: &'a str,
    /// The watch page's absolute URL.
    pub url: &'a str,
    /// Its live thumbnail's absolute URL, once it has one.
    pub image: Option<&'a str>,
}

/// `index` with the tags of `card` added to its `<head>`, and its `<title>` replaced.
pub fn with_tags(index: &str, card: ShareCard<'_>) -> String {
    let ShareCard {
        title,
        description,
        url,
        image,
    } = card;
    let description = if description.trim().is_empty() {
        "Live on OnAir"
    } else {
        description
    };
    let description: String = description.chars().take(300).collect();
    let tags = format!(
        "<meta property=\"og:title\" content=\"{t}\" />\n\
         <meta property=\"og:description\" content=\"{d}\" />\n\
         <meta name=\"description\" content=\"{d}\" />\n\
         <meta property=\"og:type\" content=\"video.other\" />\n\
         <meta property=\"og:url\" content=\"{u}\" />\n\
         <meta property=\"og:site_name\" content=\"OnAir\" />\n{i}",
        t = escape(title),
        d = escape(&description),
        u = escape(url),
        i = image.map_or_else(String::new, |image| format!(
            "<meta property=\"og:image\" content=\"{}\" />\n\
             <meta name=\"twitter:card\" content=\"summary_large_image\" />\n",
            escape(image)
        )),
    );
    let titled = match (index.find("<title>"), index.find("</title>")) {
        (Some(start), Some(end)) if start < end => format!(
            "{}<title>{} · OnAir</title>{}",
            &index[..start],
            escape(title),
            &index[end + "</title>".len()..]
        ),
        _ => index.to_owned(),
    };
    match titled.find("</head>") {
        Some(at) => format!("{}{tags}{}", &titled[..at], &titled[at..]),
        None => titled,
    }
}

async fn watch_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RequestScheme(scheme): RequestScheme,
    headers: HeaderMap,
) -> Response {
    let index_path = state.web_dir().join(INDEX_FILE_NAME);
    let Ok(index) = tokio::fs::read_to_string(&index_path).await else {
        return crate::error::AppError::not_found("the web app (no index.html)").into_response();
    };
    let record = StreamId::parse(&id)
        .ok()
        .and_then(|id| state.origin().stream_record(&id).ok());
    let Some(record) = record else {
        return Html(index).into_response();
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let url = format!("{scheme}://{host}/watch/{}", record.id);
    let image = state.origin().thumbnail_version(&record.id).map(|v| {
        format!(
            "{scheme}://{host}{}?v={v}",
            onair_protocol::paths::thumbnail(record.id.as_str())
        )
    });
    let card = ShareCard {
        title: &record.title,
        description: &record.description,
        url: &url,
        image: image.as_deref(),
    };
    let mut response = Html(with_tags(&index, card)).into_response();
    // The title may change while live: caches keep it briefly.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=10"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_added_and_escaped() {
        let index = "<html><head><title>OnAir</title></head><body></body></html>";
        let card = ShareCard {
            title: "Jazz <night> & \"more\"",
            description: "",
            url: "http://x/watch/abc",
            image: None,
        };
        let page = with_tags(index, card);
        assert!(
            page.contains("<title>Jazz &lt;night&gt; &amp; &quot;more&quot; · OnAir</title>"),
            "{page}"
        );
        assert!(page.contains(
            "<meta property=\"og:title\" content=\"Jazz &lt;night&gt; &amp; &quot;more&quot;\" />"
        ));
        assert!(page.contains("content=\"Live on OnAir\""));
        assert!(page.find("og:url").unwrap() < page.find("</head>").unwrap());
        assert_eq!(page.matches("<title>").count(), 1);
        assert!(!page.contains("og:image"));
        let pictured = with_tags(
            index,
            ShareCard {
                image: Some("http://x/live/abc/thumbnail.jpg?v=1&a=2"),
                ..card
            },
        );
        assert!(pictured.contains(
            "<meta property=\"og:image\" content=\"http://x/live/abc/thumbnail.jpg?v=1&amp;a=2\" />"
        ));
    }
}
