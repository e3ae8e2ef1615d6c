//! `POST /api/contact`: the contact form's messages, stored for the people who run this OnAir, behind
//! abuse limits:
//!
//! - a body of at most [`MAX_CONTACT_BYTES`], fields within their lengths and an address that looks like
//!   one (400 with what to fix; such a refusal does not count against the sender);
//! - [`PER_ADDRESS_BURST`] well-formed messages at once per client address, then one per
//!   [`PER_ADDRESS_PERIOD`] (429 with `Retry-After`; [`crate::routes::per_address`]);
//! - at most [`MAX_PER_DAY`] messages stored a day, all senders together (503), so a flood from many
//!   addresses cannot fill the disk;
//! - a hidden `website` field that people leave empty: a message that fills it is answered as taken and
//!   dropped.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Extension, Json, Router};
use onair_protocol::{paths, ContactMessage};

use crate::error::{AppError, AppResult};
use crate::routes::api::parse_json;
use crate::routes::credential::ClientAddress;
use crate::routes::per_address::AddressLimit;
use crate::routes::security::require_json;
use crate::time::now_unix_secs;
use crate::AppState;

/// Largest contact body.
pub const MAX_CONTACT_BYTES: usize = 16 * 1024;
/// Messages one address may send at once.
pub const PER_ADDRESS_BURST: u32 = 3;
/// Then one per this long.
pub const PER_ADDRESS_PERIOD: Duration = Duration::from_secs(10 * 60);
/// Most messages stored a day.
pub const MAX_PER_DAY: u64 = 500;

/// The per-address limit of the contact form, shared by the route's requests.
#[derive(Debug, Clone)]
pub struct ContactLimits(AddressLimit);

impl Default for ContactLimits {
    fn default() -> Self {
        Self(AddressLimit::new(
            PER_ADDRESS_BURST,
            PER_ADDRESS_PERIOD,
            "messages from this address",
        ))
    }
}

/// The contact route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            paths::CONTACT,
            post(contact).layer(DefaultBodyLimit::max(MAX_CONTACT_BYTES)),
        )
        .layer(Extension(ContactLimits::default()))
}

/// Checks a message's fields; trims them.
fn clean(mut message: ContactMessage) -> AppResult<ContactMessage> {
    message.name = message.name.trim().to_owned();
    message.email = message.email.trim().to_owned();
    message.message = message.message.trim().to_owned();
    let chars = |s: &str| s.chars().count();
    if !(1..=100).contains(&chars(&message.name)) {
        return Err(AppError::bad_request("name: 1 to 100 characters"));
    }
    let looks_like_email =
        message.email.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !host.ends_with('.')
        }) && chars(&message.email) <= 200
            && !message.email.chars().any(char::is_whitespace);
    if !looks_like_email {
        return Err(AppError::bad_request(
            "email: an address to answer to, like you@example.org",
        ));
    }
    if !(1..=5000).contains(&chars(&message.message)) {
        return Err(AppError::bad_request("message: 1 to 5000 characters"));
    }
    if [&message.name, &message.email]
        .iter()
        .any(|field| field.chars().any(char::is_control))
    {
        return Err(AppError::bad_request(
            "name and email may not hold control characters",
        ));
    }
    Ok(message)
}

async fn contact(
    State(state): State<AppState>,
    Extension(limits): Extension<ContactLimits>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<(StatusCode, Json<serde_json::Value>)> {
    require_json(&headers, &body)?;
    // A message that needs fixing costs nothing: a person correcting a typo is not held up.
    let message = clean(parse_json::<ContactMessage>(&body, "JSON body")?)?;
    limits.0.check(client)?;
    let taken = (
        StatusCode::CREATED,
        Json(serde_json::json!({ "received": true })),
    );
    if !message.website.is_empty() {
        tracing::info!("contact message with the hidden field filled: dropped");
        return Ok(taken);
    }
    let now = now_unix_secs();
    let db = state.origin().db();
    if db.contacts_since(now - 24 * 3600).await? >= MAX_PER_DAY {
        return Err(AppError::Overloaded {
            reason: format!(
                "{MAX_PER_DAY} contact messages today, the most this server stores a day"
            ),
        });
    }
    db.insert_contact(message, now).await?;
    Ok(taken)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(name: &str, email: &str, text: &str) -> ContactMessage {
        ContactMessage {
            name: name.into(),
            email: email.into(),
            message: text.into(),
            website: String::new(),
        }
    }

    #[test]
    fn fields() {
        assert!(clean(message(" Ann ", "ann@example.org", " Hi ")).is_ok());
        for bad in [
            message("", "ann@example.org", "Hi"),
            message("Ann", "ann", "Hi"),
            message("Ann", "ann@example", "Hi"),
            message("Ann", "a nn@example.org", "Hi"),
            message("Ann", "ann@example.org", ""),
            message("Ann", "ann@example.org", &"x".repeat(5001)),
            message("A\u{7}", "ann@example.org", "Hi"),
        ] {
            assert!(clean(bad.clone()).is_err(), "{bad:?}");
        }
    }
}
