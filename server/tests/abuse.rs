//! What a public service meets, and how the origin holds: floods of creations from one address, streams
//! created and never used, a leaked stream key (the owner rotates it). Keys in logs: `logs.rs`.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{media, TestApp};
use onair_server::Settings;

fn create_from(address: &str) -> Request<Body> {
    Request::post("/api/streams")
        .header(header::CONTENT_TYPE, "application/json")
        // The tests' requests come from loopback, a trusted proxy: this is the client.
        .header("x-forwarded-for", address)
        .body(Body::from(r#"{"title":"flood"}"#))
        .expect("request")
}

#[tokio::test]
async fn three_hundred_creations_from_one_address_are_limited() {
    let t = TestApp::new().await;
    let mut created = 0;
    let mut refused = None;
    for _ in 0..300 {
        let reply = t.request(create_from("203.0.113.7")).await;
        match reply.status {
            StatusCode::CREATED => created += 1,
            StatusCode::TOO_MANY_REQUESTS => refused = Some(reply),
            other => panic!("{other}: {}", reply.text()),
        }
    }
    assert_eq!(
        created,
        Settings::default().creation_burst,
        "the burst, then nothing"
    );
    let refused = refused.expect("refusals");
    assert!(
        refused
            .error()
            .contains("streams created from this address"),
        "{}",
        refused.error()
    );
    let wait: u64 = refused
        .header(header::RETRY_AFTER)
        .parse()
        .expect("Retry-After");
    assert!((1..=30).contains(&wait), "{wait}");
    // Another address, and another IPv6 /64, are not held back.
    assert_eq!(
        t.request(create_from("198.51.100.1")).await.status,
        StatusCode::CREATED
    );
    for _ in 0..20 {
        t.request(create_from("2001:db8:1:2::1")).await;
    }
    assert_eq!(
        t.request(create_from("2001:db8:1:2:ffff::9")).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the same /64"
    );
    assert_eq!(
        t.request(create_from("2001:db8:1:3::1")).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn streams_never_started_are_deleted_and_others_kept() {
    let t = TestApp::with_settings(Settings {
        unstarted_timeout: std::time::Duration::ZERO,
        ..Settings::default()
    })
    .await;
    let unused = t.create_stream("never used").await;
    let live = t.live_stream(1).await;
    let ended = t.live_stream(1).await;
    assert_eq!(t.end(&ended).await.status, StatusCode::NO_CONTENT);
    let now = onair_server::time::now_unix_secs();
    assert_eq!(t.state.origin().delete_unstarted_streams(now).await, 1);
    assert_eq!(
        t.get(&format!("/api/streams/{}", unused.id)).await.status,
        StatusCode::NOT_FOUND
    );
    for kept in [&live, &ended] {
        assert_eq!(
            t.get(&format!("/api/streams/{}", kept.id)).await.status,
            StatusCode::OK
        );
    }
    // Its key opens nothing any more.
    let reply = t.put_init(&unused, "r0", media::av_init_bytes()).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text());
}

#[tokio::test]
async fn the_owner_rotates_a_leaked_key() {
    let t = TestApp::new().await;
    let stream = t.live_stream(1).await;
    let uri = format!("/api/streams/{}/key", stream.id);
    // Only the owner.
    assert_eq!(
        t.send(Method::POST, &uri, None, Vec::new()).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        t.send(Method::POST, &uri, Some(&stream.key), Vec::new())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let reply = t
        .send(Method::POST, &uri, Some(&stream.owner), Vec::new())
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let new_key = reply.json()["stream_key"].as_str().expect("key").to_owned();
    assert!(
        new_key.starts_with("sk_") && new_key != stream.key,
        "{new_key}"
    );

    // The old key opens nothing, on either way in; the new one uploads.
    let old = stream.clone();
    let reply = t.put_segment(&old, "r0", 1, media::av_segment(1)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
    let pushed = t
        .send(
            Method::PUT,
            &format!("/ingest/{}/init.mp4", stream.key),
            None,
            media::av_init_bytes(),
        )
        .await;
    assert_eq!(pushed.status, StatusCode::FORBIDDEN, "{}", pushed.text());
    let renewed = common::Stream {
        key: new_key.clone(),
        ..stream.clone()
    };
    let reply = t.put_segment(&renewed, "r0", 1, media::av_segment(1)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());

    // Across a restart, the new key is the one kept.
    let t = t.restart().await;
    let reply = t.put_segment(&renewed, "r0", 2, media::av_segment(2)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    assert_eq!(
        t.put_segment(&old, "r0", 3, media::av_segment(3))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Once ended there is nothing to rotate.
    assert_eq!(t.end(&renewed).await.status, StatusCode::NO_CONTENT);
    let reply = t
        .send(Method::POST, &uri, Some(&stream.owner), Vec::new())
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text());
}
