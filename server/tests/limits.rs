//! Limits as tower layers, each refusal a JSON reason: the upload concurrency limit (503 with
//! `Retry-After`, viewers unaffected) and the request time limit (408). Through `app()` with `oneshot`.

mod common;

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, Request, StatusCode};
use common::media::av_init_bytes;
use common::TestApp;
use futures_util::StreamExt as _;
use onair_server::{Settings, UploadRate};

/// An encoder's init segment pushed with `key`.
async fn push_init(t: &TestApp, key: &str) -> common::Reply {
    t.send(
        axum::http::Method::PUT,
        &format!("/ingest/{key}/init.mp4"),
        None,
        av_init_bytes(),
    )
    .await
}

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
    let pushed = push_init(&t, &stream.key).await;
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

/// A body over the upload limit (but within the drain allowance) is read to its end before the 413, so
/// that a client writing its whole body first hears the answer; one far over it is cut short.
#[tokio::test]
async fn oversized_bodies_are_drained_then_refused() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    let limit = 100_000;
    let settings = Settings {
        max_upload_bytes: limit,
        ..Settings::default()
    };
    let t = TestApp::with_settings(settings).await;
    let stream = t.create_stream("big").await;
    let drain = usize::try_from(onair_server::routes::body::DRAIN_BYTES).unwrap();
    for (total, declare, drained) in [
        (limit + 1, true, true),
        (limit + 1, false, true),
        (limit + drain / 2, false, true),
        (limit + drain + 70_000, false, false),
    ] {
        let read = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&read);
        let chunks: Vec<Result<Bytes, std::io::Error>> = (0..total)
            .step_by(65_536)
            .map(|start| Ok(Bytes::from(vec![0u8; (total - start).min(65_536)])))
            .collect();
        let body = futures_util::stream::iter(chunks).map(move |chunk| {
            if let Ok(bytes) = &chunk {
                counter.fetch_add(bytes.len(), Ordering::SeqCst);
            }
            chunk
        });
        let mut request = Request::put(format!("/ingest/{}/index0.m4s", stream.key));
        if declare {
            request = request.header(header::CONTENT_LENGTH, total.to_string());
        }
        let reply = t
            .request(request.body(Body::from_stream(body)).expect("request"))
            .await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{total}");
        assert!(
            reply.error().contains(&limit.to_string()),
            "{}",
            reply.error()
        );
        let read = read.load(Ordering::SeqCst);
        if drained {
            assert_eq!(
                read, total,
                "read to the end ({total}, declared: {declare})"
            );
        } else {
            assert!(read < total, "cut short at {read} of {total}");
        }
    }
    assert!(t.stored_files(&stream, "r0").is_empty());
}

#[tokio::test]
async fn a_key_over_its_upload_rate_gets_429_and_other_keys_do_not() {
    let settings = Settings {
        upload_rate: UploadRate {
            per_second: 0.5,
            burst: 3.0,
        },
        ..Settings::default()
    };
    let t = TestApp::with_settings(settings).await;
    let busy = t.create_stream("busy").await;
    let calm = t.create_stream("calm").await;
    for _ in 0..3 {
        let reply = t.put_init(&busy, "r0", av_init_bytes()).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    }
    let refused = t.put_init(&busy, "r0", av_init_bytes()).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.header(header::RETRY_AFTER), "2");
    assert!(
        refused.error().contains("uploads a second"),
        "{}",
        refused.error()
    );
    // The standard-encoder path counts against the same key.
    let ingest = push_init(&t, &busy.key).await;
    assert_eq!(ingest.status, StatusCode::TOO_MANY_REQUESTS);
    // Another stream's uploads and every viewer are unaffected.
    let reply = t.put_init(&calm, "r0", av_init_bytes()).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(t.get("/api/streams").await.status, StatusCode::OK);
}

/// Upload slots are shared fairly: one key sending slow bodies holds at most its own share
/// ([`Settings::max_uploads_per_key`]), so the other streams' broadcasters keep uploading; the slow
/// key's next upload is refused at once (429), and its places come back as its uploads end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_key_with_slow_bodies_does_not_starve_the_others() {
    let settings = Settings {
        max_concurrent_uploads: 10,
        max_uploads_per_key: 4,
        request_timeout: Duration::from_secs(30),
        ..Settings::default()
    };
    let t = std::sync::Arc::new(TestApp::with_settings(settings).await);
    let slow = t.create_stream("slow").await;
    let other = t.live_stream(0).await;
    // Ten uploads whose bodies never end: as many as the server takes at once.
    let mut held = Vec::new();
    for n in 0..10 {
        let first: Result<Bytes, std::io::Error> = Ok(Bytes::from_static(b"\0\0\0\x10ftyp"));
        let body = futures_util::stream::iter([first]).chain(futures_util::stream::pending());
        let request = Request::put(format!("/ingest/{}/stream_{n}/init.mp4", slow.key))
            .body(Body::from_stream(body))
            .expect("request");
        let app = std::sync::Arc::clone(&t);
        held.push(tokio::spawn(async move { app.request(request).await }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Six were refused at once; four hold their places.
    let mut refused = 0;
    let mut waiting = Vec::new();
    for task in held {
        if task.is_finished() {
            let reply = task.await.expect("task");
            assert_eq!(
                reply.status,
                StatusCode::TOO_MANY_REQUESTS,
                "{}",
                reply.text()
            );
            refused += 1;
        } else {
            waiting.push(task);
        }
    }
    assert_eq!((refused, waiting.len()), (6, 4));
    let held = waiting;
    let reply = push_init(&t, &slow.key).await;
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.text()
    );
    assert!(
        reply.error().contains("at once for this stream key"),
        "{}",
        reply.error()
    );
    // The other broadcaster is not held up.
    for msn in 0..3 {
        let reply = t
            .put_segment(&other, "r0", msn, common::media::av_segment(msn))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    }
    // The slow uploads end (here: abandoned), and the key has its places back.
    for task in held {
        task.abort();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let reply = push_init(&t, &slow.key).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
}
