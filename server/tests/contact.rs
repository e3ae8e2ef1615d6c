//! The contact form's endpoint: messages stored, bad ones refused with what to fix, the hidden field's
//! bots dropped, and a per-address limit (behind a trusted proxy, per forwarded address).

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::TestApp;
use serde_json::json;

fn post(body: serde_json::Value, forwarded_for: &str) -> Request<Body> {
    Request::post("/api/contact")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-forwarded-for", forwarded_for)
        .body(Body::from(body.to_string()))
        .expect("request")
}

fn message(text: &str) -> serde_json::Value {
    json!({"name": "Ann", "email": "ann@example.org", "message": text})
}

#[tokio::test]
async fn messages_are_stored_within_limits() {
    let app = TestApp::new().await;
    let db = app.state.origin().db().clone();
    let reply = app
        .request(post(message("Hello there"), "203.0.113.1"))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    assert_eq!(db.contacts_since(0).await.unwrap(), 1);

    // What to fix.
    for bad in [
        json!({"name": "", "email": "ann@example.org", "message": "x"}),
        json!({"name": "Ann", "email": "not an address", "message": "x"}),
        json!({"name": "Ann", "email": "ann@example.org", "message": ""}),
        json!({"name": "Ann", "email": "ann@example.org"}),
    ] {
        let reply = app.request(post(bad.clone(), "203.0.113.2")).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            reply.text()
        );
    }
    let huge = app
        .request(post(message(&"x".repeat(20_000)), "203.0.113.3"))
        .await;
    assert_eq!(
        huge.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        huge.text()
    );

    // A bot that fills the hidden field: answered as taken, not stored.
    let mut bot = message("Buy now");
    bot["website"] = json!("http://spam.example");
    let reply = app.request(post(bot, "203.0.113.4")).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(db.contacts_since(0).await.unwrap(), 1);

    // Three at once from one address, then 429 with Retry-After; another address is not held up.
    for n in 0..2 {
        let reply = app
            .request(post(message(&format!("more {n}")), "203.0.113.1"))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    }
    let held = app
        .request(post(message("one too many"), "203.0.113.1"))
        .await;
    assert_eq!(
        held.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        held.text()
    );
    let wait: u64 = held.header(header::RETRY_AFTER).parse().unwrap();
    assert!((1..=600).contains(&wait), "{wait}");
    let other = app.request(post(message("hi"), "198.51.100.9")).await;
    assert_eq!(other.status, StatusCode::CREATED);
    assert_eq!(db.contacts_since(0).await.unwrap(), 4);
}
