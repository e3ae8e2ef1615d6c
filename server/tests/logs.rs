//! Keys never reach a log line or a trace span, even at the most verbose level. Alone in its test
//! binary: a subscriber set for one thread sees every event only while no other test thread runs
//! (tracing caches which callsites are enabled across threads).

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::Method;
use common::{media, TestApp};

/// Everything the server logs, at the most verbose level, while `f` runs (on this thread).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn keys_never_reach_a_log_line() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

    let t = TestApp::new().await;
    let stream = t.create_stream("logged").await;
    let ingest = format!("/ingest/{}", stream.key);
    t.send(
        Method::PUT,
        &format!("{ingest}/init.mp4"),
        None,
        media::av_init_bytes(),
    )
    .await;
    t.send(
        Method::PUT,
        &format!("{ingest}/index0.m4s"),
        None,
        media::av_segment(0),
    )
    .await;
    t.send(
        Method::PUT,
        &format!("{ingest}/index.m3u8"),
        None,
        b"#EXTM3U\n".to_vec(),
    )
    .await;
    t.send(
        Method::PUT,
        "/ingest/sk_wrongwrongwrongwrongwrongwrongwrongwron/x.mp4",
        None,
        Vec::new(),
    )
    .await;
    t.send(
        Method::POST,
        &format!("/api/streams/{}/key", stream.id),
        Some(&stream.owner),
        Vec::new(),
    )
    .await;
    let log = String::from_utf8(captured.0.lock().expect("log").clone()).expect("utf-8");
    assert!(
        log.contains("/ingest/***/index0.m4s"),
        "the requests were traced:\n{log}"
    );
    for secret in [stream.key.as_str(), stream.owner.as_str(), "sk_wrongwrong"] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}
