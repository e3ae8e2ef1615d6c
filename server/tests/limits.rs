//! Limits as tower layers, each refusal a JSON reason: the upload concurrency limit (503 with
//! `Retry-After`, viewers unaffected) and the request time limit (408). Through `app()` with `oneshot`.

mod common;

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, Request, StatusCode};
use common::media::av_init_bytes;
use common::TestApp;
use futures_util::StreamExt as _;
use onair_server::Settings;

#[tokio::test]
async fn uploads_over_the_concurrency_limit_are_shed_and_viewers_are_not() {
    let t = TestApp::new().await;
    let stream = t.live_stream(1).await;
    // The same data with no upload slot at all.
    let settings = Settings {
        max_concurrent_uploads: 0,
        ..Settings::default()
    };
    let t = t.restart_with(settings).await;
    let reply = t.put_init(&stream, "r1", av_init_bytes()).await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text()
    );
    assert_eq!(reply.header(header::RETRY_AFTER), "1");
    assert!(
        reply.error().contains("uploads in flight"),
        "{}",
        reply.error()
    );
    let pushed = t
        .send(
            axum::http::Method::PUT,
            &format!("/ingest/{}/init.mp4", stream.key),
            None,
            av_init_bytes(),
        )
        .await;
    assert_eq!(pushed.status, StatusCode::SERVICE_UNAVAILABLE);
    // Playback and the API have their own budget.
    assert_eq!(
        t.get(&format!("/live/{}/r0/index.m3u8", stream.id))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(t.get("/api/streams").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_body_that_never_ends_times_out_with_408() {
    let settings = Settings {
        request_timeout: Duration::from_millis(300),
        ..Settings::default()
    };
    let t = TestApp::with_settings(settings).await;
    let stream = t.create_stream("slow").await;
    // One chunk, then silence.
    let first: Result<Bytes, std::io::Error> = Ok(Bytes::from_static(b"\0\0\0\x10ftyp"));
    let body = futures_util::stream::iter([first]).chain(futures_util::stream::pending());
    let request = Request::put(format!("/ingest/{}/init.mp4", stream.key))
        .body(Body::from_stream(body))
        .expect("request");
    let started = std::time::Instant::now();
    let reply = t.request(request).await;
    assert_eq!(
        reply.status,
        StatusCode::REQUEST_TIMEOUT,
        "{}",
        reply.text()
    );
    assert!(reply.error().contains("time limit"), "{}", reply.error());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(t.stored_files(&stream, "r0").is_empty());
}
