//! Live thumbnails: the broadcaster's snapshot (`PUT /api/streams/{id}/thumbnail.jpg`) checked, kept,
//! served with validators and short cache lifetimes while live, named with a version in the stream's
//! JSON, kept across a restart and after the end, gone with the stream. (Pictures decoded from pushed
//! segments by ffmpeg are tested with a real push in `tests/tests/ingest_ffmpeg.rs`.)

mod common;

use axum::http::{header, Method, StatusCode};
use common::{Stream, TestApp};
use onair_server::Settings;

const JPEG: &[u8] = include_bytes!("fixtures/thumbnail-64x36.jpg");

fn upload_uri(stream: &Stream) -> String {
    format!("/api/streams/{}/thumbnail.jpg", stream.id)
}

fn thumbnail_uri(stream: &Stream) -> String {
    format!("/live/{}/thumbnail.jpg", stream.id)
}

/// Uploads the fixture as the stream's snapshot, with its key.
async fn upload(t: &TestApp, stream: &Stream) -> common::Reply {
    t.send(
        Method::PUT,
        &upload_uri(stream),
        Some(&stream.key),
        JPEG.to_vec(),
    )
    .await
}

/// `/metrics` counts `n` snapshots.
async fn expect_snapshots(t: &TestApp, n: u64) {
    let metrics = t.get("/metrics").await.text();
    let line = format!("onair_thumbnails_total{{source=\"snapshot\"}} {n}");
    assert!(metrics.contains(&line), "{metrics}");
}

/// Without ffmpeg: only snapshots make pictures, so each test sees exactly what it uploaded.
async fn app() -> TestApp {
    TestApp::with_settings(Settings {
        ffmpeg: None,
        ..Settings::default()
    })
    .await
}

#[tokio::test]
async fn a_snapshot_is_served_and_named_in_the_directory() {
    let t = app().await;
    let stream = t.live_stream(2).await;
    assert_eq!(
        t.get(&thumbnail_uri(&stream)).await.status,
        StatusCode::NOT_FOUND
    );
    let view = t.get(&format!("/api/streams/{}", stream.id)).await.json();
    assert!(view["thumbnail_url"].is_null(), "{view}");

    let reply = upload(&t, &stream).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());

    let reply = t.get(&thumbnail_uri(&stream)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body.as_ref(), JPEG);
    assert_eq!(reply.header(header::CONTENT_TYPE), "image/jpeg");
    assert_eq!(
        reply.header(header::CACHE_CONTROL),
        "public, max-age=5, stale-while-revalidate=10"
    );
    // Open to any page, like the rest of playback.
    assert_eq!(reply.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
    let etag = reply.header(header::ETAG).to_owned();
    assert!(etag.starts_with('"'), "{etag}");
    let again = t
        .request(
            axum::http::Request::get(thumbnail_uri(&stream))
                .header(header::IF_NONE_MATCH, &etag)
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);

    // The directory names this picture: a new one gets a new URL.
    let list = t.get("/api/streams").await.json();
    let url = list["streams"][0]["thumbnail_url"]
        .as_str()
        .expect("a thumbnail URL")
        .to_owned();
    assert!(
        url.starts_with(&format!("/live/{}/thumbnail.jpg?v=", stream.id)),
        "{url}"
    );
    assert_eq!(t.get(&url).await.body.as_ref(), JPEG);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let reply = upload(&t, &stream).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let newer = t.get(&format!("/api/streams/{}", stream.id)).await.json();
    assert_ne!(newer["thumbnail_url"].as_str(), Some(url.as_str()));

    // /metrics counts it by source.
    expect_snapshots(&t, 2).await;
}

#[tokio::test]
async fn bad_snapshots_are_refused_and_change_nothing() {
    let t = app().await;
    let stream = t.live_stream(1).await;
    let uri = upload_uri(&stream);
    let reply = t.send(Method::PUT, &uri, None, JPEG.to_vec()).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let other = t.create_stream("other").await;
    let reply = t
        .send(Method::PUT, &uri, Some(&other.key), JPEG.to_vec())
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = t
        .send(Method::PUT, &uri, Some(&stream.owner), JPEG.to_vec())
        .await;
    assert_eq!(
        reply.status,
        StatusCode::FORBIDDEN,
        "the owner token does not upload"
    );

    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let reply = t.send(Method::PUT, &uri, Some(&stream.key), png).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.error().contains("not a JPEG"), "{}", reply.error());

    let cut = JPEG[..JPEG.len() / 2].to_vec();
    let reply = t.send(Method::PUT, &uri, Some(&stream.key), cut).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.error().contains("cut short"), "{}", reply.error());

    let mut huge = JPEG.to_vec();
    huge.resize(600 * 1024, 0);
    let reply = t.send(Method::PUT, &uri, Some(&stream.key), huge).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.text()
    );

    assert_eq!(
        t.get(&thumbnail_uri(&stream)).await.status,
        StatusCode::NOT_FOUND
    );
    expect_snapshots(&t, 0).await;
}

#[tokio::test]
async fn the_picture_outlives_a_restart_and_the_end_but_not_a_delete() {
    let t = app().await;
    let stream = t.live_stream(1).await;
    let reply = upload(&t, &stream).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let before = t.get(&thumbnail_uri(&stream)).await;

    let t = t.restart().await;
    let after = t.get(&thumbnail_uri(&stream)).await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(after.body.as_ref(), JPEG);
    assert_eq!(after.header(header::ETAG), before.header(header::ETAG));
    assert_eq!(
        after.header(header::LAST_MODIFIED),
        before.header(header::LAST_MODIFIED)
    );

    // Ended: the last picture stays (the recording's card), final, and no new one is taken.
    assert_eq!(t.end(&stream).await.status, StatusCode::NO_CONTENT);
    let ended = t.get(&thumbnail_uri(&stream)).await;
    assert_eq!(ended.status, StatusCode::OK);
    assert_eq!(ended.header(header::CACHE_CONTROL), "public, max-age=86400");
    let reply = upload(&t, &stream).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text());
    let recordings = t.get("/api/recordings").await.json();
    assert!(
        recordings["streams"][0]["thumbnail_url"].is_string(),
        "{recordings}"
    );

    let reply = t
        .send(
            Method::DELETE,
            &format!("/api/streams/{}", stream.id),
            Some(&stream.owner),
            Vec::new(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    assert_eq!(
        t.get(&thumbnail_uri(&stream)).await.status,
        StatusCode::NOT_FOUND
    );
}
