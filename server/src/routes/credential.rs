//! Who a request comes from: the stream key an upload presents ([`PresentedKey`]), read one way for the
//! upload rate limiter ([`super::rate`]) and the handlers, and the stream that key opens
//! ([`AuthorizedStream`]); the owner token an edit presents, and the stream it owns ([`OwnedStream`]);
//! either of the two, for ending a stream ([`KeyOrOwner`]); and where a request comes from, for the
//! audience's countries and the contact form's limits ([`ClientAddress`]).
//!
//! The key is the `/ingest/{stream_key}/...` path segment on encoder ingest (the path is the credential
//! there), else the token of `Authorization: Bearer {stream_key}` (the broadcaster's API). The owner
//! token is always `Authorization: Bearer {owner_token}`. Missing: 401; wrong: 403; unknown stream: 404.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

use crate::error::AppError;
use crate::live::LiveStream;
use crate::names::StreamId;
use crate::owner_token::OwnerToken;
use crate::stream_key::StreamKey;
use crate::AppState;

/// The path parameter that carries the key on encoder ingest ([`onair_protocol::paths::ROUTE_INGEST`]).
const KEY_PARAM: &str = "stream_key";

/// The stream key a request presents: 401 without one.
#[derive(Debug, Clone)]
pub struct PresentedKey(pub StreamKey);

impl PresentedKey {
    /// The key in the path (encoder ingest), else the bearer token, if any.
    async fn read<S: Send + Sync>(parts: &mut Parts, state: &S) -> Option<Self> {
        if let Ok(params) = RawPathParams::from_request_parts(parts, state).await {
            if let Some(key) = params
                .iter()
                .find_map(|(name, value)| (name == KEY_PARAM).then_some(value))
            {
                return Some(Self(StreamKey::new(key)));
            }
        }
        bearer_token(&parts.headers).map(|token| Self(StreamKey::new(token)))
    }

    /// The key the request presents; 401 without one.
    pub async fn required<S: Send + Sync>(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        Self::read(parts, state).await.ok_or(AppError::Unauthorized)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PresentedKey {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        Self::required(parts, state).await
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for PresentedKey {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Self>, Infallible> {
        Ok(Self::read(parts, state).await)
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The stream of `/api/streams/{id}/...` whose key the request presents: 401 without a key, 404 for an
/// unknown stream, 403 for a wrong key. Reads nothing but the header and the path.
#[derive(Debug)]
pub struct AuthorizedStream {
    /// The stream's id.
    pub id: StreamId,
    /// The stream.
    pub stream: Arc<LiveStream>,
}

impl FromRequestParts<AppState> for AuthorizedStream {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let PresentedKey(key) = PresentedKey::required(parts, state).await?;
        let id = path_stream_id(parts, state).await?;
        let stream = state.origin().authorize(&id, &key)?;
        Ok(Self { id, stream })
    }
}

/// The `{id}` of the path: 404 without one or for a malformed one.
async fn path_stream_id(parts: &mut Parts, state: &AppState) -> Result<StreamId, AppError> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| AppError::not_found("stream"))?;
    let raw_id = params
        .iter()
        .find_map(|(name, value)| (name == "id").then_some(value))
        .ok_or_else(|| AppError::not_found("stream"))?;
    StreamId::parse(raw_id)
}

/// The stream of `/api/streams/{id}/...` whose owner token the request presents
/// (`Authorization: Bearer ot_...`): 401 without a token, 404 for an unknown stream, 403 for a wrong
/// token (a stream key included: it uploads, it does not own).
#[derive(Debug)]
pub struct OwnedStream {
    /// The stream's id.
    pub id: StreamId,
    /// The stream.
    pub stream: Arc<LiveStream>,
}

impl FromRequestParts<AppState> for OwnedStream {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer_token(&parts.headers)
            .map(OwnerToken::new)
            .ok_or(AppError::Unauthorized)?;
        let id = path_stream_id(parts, state).await?;
        let stream = state.origin().authorize_owner(&id, &token)?;
        Ok(Self { id, stream })
    }
}

/// The stream of `/api/streams/{id}/...` whose key or owner token the request presents as its bearer
/// token (ending a stream: its broadcaster or its owner may).
#[derive(Debug)]
pub struct KeyOrOwner {
    /// The stream's id.
    pub id: StreamId,
    /// The stream.
    pub stream: Arc<LiveStream>,
}

impl FromRequestParts<AppState> for KeyOrOwner {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer_token(&parts.headers)
            .map(str::to_owned)
            .ok_or(AppError::Unauthorized)?;
        let id = path_stream_id(parts, state).await?;
        let stream = state
            .origin()
            .authorize(&id, &StreamKey::new(token.as_str()))
            .or_else(|_| state.origin().authorize_owner(&id, &OwnerToken::new(token)))?;
        Ok(Self { id, stream })
    }
}

/// Where a request comes from: the socket's address, or behind a trusted proxy the client its
/// `X-Forwarded-For` names ([`crate::audience::TrustedProxies::client_address`]). A request without a
/// socket address (the tests' `oneshot` calls) counts as from loopback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub std::net::IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(Self(
            state
                .trusted_proxies()
                .client_address(peer(parts), &parts.headers),
        ))
    }
}

/// The socket's address; loopback for a request without one (the tests' `oneshot` calls).
fn peer(parts: &Parts) -> std::net::IpAddr {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or(
            std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            |info| info.0.ip(),
        )
}

/// The scheme the client used: `https` when a trusted proxy (a CDN, a TLS terminator in front) says so
/// in `X-Forwarded-Proto`, else `http` (the origin itself speaks plain HTTP). For the absolute URLs of
/// a shared page's OpenGraph tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestScheme(pub &'static str);

impl RequestScheme {
    /// The scheme of a request from `peer` with `headers`, behind `proxies`.
    pub fn of(
        proxies: &crate::audience::TrustedProxies,
        peer: std::net::IpAddr,
        headers: &axum::http::HeaderMap,
    ) -> Self {
        let https = proxies.trusts(peer)
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
        Self(if https { "https" } else { "http" })
    }
}

impl FromRequestParts<AppState> for RequestScheme {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(Self::of(
            state.trusted_proxies(),
            peer(parts),
            &parts.headers,
        ))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn the_scheme_is_https_only_when_a_trusted_proxy_says_so() {
        let proxies = crate::audience::TrustedProxies::default();
        let mut headers = axum::http::HeaderMap::new();
        let lan: std::net::IpAddr = "10.0.0.2".parse().unwrap();
        let stranger: std::net::IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(
            RequestScheme::of(&proxies, lan, &headers),
            RequestScheme("http")
        );
        headers.insert("x-forwarded-proto", HeaderValue::from_static("HTTPS, http"));
        assert_eq!(
            RequestScheme::of(&proxies, lan, &headers),
            RequestScheme("https")
        );
        assert_eq!(
            RequestScheme::of(&proxies, stranger, &headers),
            RequestScheme("http"),
            "anyone else's header is not believed"
        );
        headers.insert("x-forwarded-proto", HeaderValue::from_static("gopher"));
        assert_eq!(
            RequestScheme::of(&proxies, lan, &headers),
            RequestScheme("http")
        );
    }

    #[test]
    fn bearer_tokens() {
        let cases = [
            ("Bearer sk_abc", Some("sk_abc")),
            ("bearer  sk_abc ", Some("sk_abc")),
            ("Basic sk_abc", None),
            ("Bearer", None),
            ("Bearer ", None),
            ("sk_abc", None),
        ];
        for (value, expected) in cases {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
            assert_eq!(bearer_token(&headers), expected, "{value:?}");
        }
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
