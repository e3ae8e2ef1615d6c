//! The owner token and the audience, through the app: who may edit, end, delete and read analytics;
//! metadata rules; beacons counted as viewers; `/metrics`.

mod common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use serde_json::json;

fn body(value: serde_json::Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

#[tokio::test]
async fn only_the_owner_edits_and_deletes() {
    let app = TestApp::new().await;
    let stream = app.create_stream("Mine").await;
    let other = app.create_stream("Theirs").await;
    assert!(stream.owner.starts_with("ot_") && stream.owner != stream.key);
    let uri = format!("/api/streams/{}", stream.id);
    let edit = body(
        json!({"title": "Renamed", "description": "Live from the kitchen",
        "tags": ["Cooking", "live set"], "category": "Talk"}),
    );

    // No token, the stream key, another stream's owner: 401, 403, 403.
    let none = app.send(Method::PATCH, &uri, None, edit.clone()).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED, "{}", none.text());
    for wrong in [&stream.key, &other.owner] {
        let reply = app
            .send(Method::PATCH, &uri, Some(wrong), edit.clone())
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
        let delete = app
            .send(Method::DELETE, &uri, Some(wrong), Vec::new())
            .await;
        assert_eq!(delete.status, StatusCode::FORBIDDEN);
        let analytics = app
            .send(
                Method::GET,
                &format!("{uri}/analytics"),
                Some(wrong),
                Vec::new(),
            )
            .await;
        assert_eq!(analytics.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(app.get(&uri).await.json()["title"], "Mine");

    let reply = app
        .send(Method::PATCH, &uri, Some(&stream.owner), edit)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let view = app.get(&uri).await.json();
    assert_eq!(view["title"], "Renamed");
    assert_eq!(view["description"], "Live from the kitchen");
    assert_eq!(view["tags"], json!(["cooking", "live-set"]));
    assert_eq!(view["category"], "talk");
    assert_eq!(view["viewers"], 0);

    // Bad metadata: a clear 400, nothing changed.
    for bad in [
        json!({"category": "cooking"}),
        json!({"tags": ["a,b"]}),
        json!({"title": "x".repeat(201)}),
        json!({"colour": "red"}),
    ] {
        let reply = app
            .send(Method::PATCH, &uri, Some(&stream.owner), body(bad.clone()))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            reply.text()
        );
        assert!(!reply.error().is_empty());
    }
    assert_eq!(app.get(&uri).await.json()["title"], "Renamed");

    // The owner ends it (the key could too) and deletes it: gone, its key opens nothing.
    let end = app
        .send(
            Method::POST,
            &format!("{uri}/end"),
            Some(&stream.owner),
            Vec::new(),
        )
        .await;
    assert_eq!(end.status, StatusCode::NO_CONTENT, "{}", end.text());
    let delete = app
        .send(Method::DELETE, &uri, Some(&stream.owner), Vec::new())
        .await;
    assert_eq!(delete.status, StatusCode::NO_CONTENT, "{}", delete.text());
    assert_eq!(app.get(&uri).await.status, StatusCode::NOT_FOUND);
    let upload = app
        .put_init(&stream, "r0", common::media::av_init_bytes())
        .await;
    assert_eq!(upload.status, StatusCode::NOT_FOUND);
    // The other stream is untouched.
    let theirs = app.get(&format!("/api/streams/{}", other.id)).await;
    assert_eq!(theirs.json()["title"], "Theirs");
}

#[tokio::test]
async fn metadata_at_creation() {
    let app = TestApp::new().await;
    let reply = app
        .send(
            Method::POST,
            "/api/streams",
            None,
            body(json!({"title": "Gig", "tags": ["#Jazz"], "category": "music"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    let view = app.get(&format!("/api/streams/{id}")).await.json();
    assert_eq!(
        (view["tags"].clone(), view["category"].clone()),
        (json!(["jazz"]), json!("music"))
    );
    let refused = app
        .send(
            Method::POST,
            "/api/streams",
            None,
            body(json!({"category": "nope"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn beacons_count_viewers_and_feed_analytics() {
    let app = TestApp::new().await;
    let stream = app.live_stream(2).await;
    let beacons = format!("/api/streams/{}/beacons", stream.id);
    for (sid, first_frame) in [("viewer-one", 700), ("viewer-two", 1300)] {
        let beacon = json!({"sid": sid, "br": 2500, "bl": 4000, "first_frame_ms": first_frame,
            "played_ms": 5000, "latency_ms": 1800, "switches": 1});
        let reply = app.send(Method::POST, &beacons, None, body(beacon)).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
        assert_eq!(
            reply.header(axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN),
            "*"
        );
    }
    let view = app.get(&format!("/api/streams/{}", stream.id)).await.json();
    assert_eq!(view["viewers"], 2);
    let list = app.get("/api/streams").await.json();
    assert_eq!(list["streams"][0]["viewers"], 2);

    // Junk: 400, and the count is unchanged.
    for junk in [&b"not json"[..], br#"{"sid":"x"}"#, &[b'{'; 5000][..]] {
        let reply = app.send(Method::POST, &beacons, None, junk.to_vec()).await;
        assert!(
            matches!(
                reply.status,
                StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE
            ),
            "{}: {}",
            reply.status,
            reply.text()
        );
    }
    let unknown = app
        .send(
            Method::POST,
            "/api/streams/zzzzzzzzzz/beacons",
            None,
            body(json!({"sid": "viewer-one"})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // The owner looks (a sample of 2 is taken), then one viewer leaves.
    let uri = format!("/api/streams/{}/analytics", stream.id);
    let first = app
        .send(Method::GET, &uri, Some(&stream.owner), Vec::new())
        .await;
    assert_eq!(first.json()["viewers_now"], 2);
    // Samples are one a second at most.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let left = json!({"sid": "viewer-two", "played_ms": 6000, "ended": true});
    app.send(Method::POST, &beacons, None, body(left)).await;
    let stranger = app.send(Method::GET, &uri, None, Vec::new()).await;
    assert_eq!(stranger.status, StatusCode::UNAUTHORIZED);
    let report = app
        .send(Method::GET, &uri, Some(&stream.owner), Vec::new())
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text());
    let report = report.json();
    assert_eq!(report["viewers_now"], 1);
    assert_eq!(report["unique_viewers"], 2);
    assert_eq!(report["watch_secs"], 11);
    assert_eq!(report["peak_viewers"], 2, "{report}");
    assert_eq!(
        report["countries"],
        json!([{"country": "??", "viewers": 2}])
    );
    assert_eq!(report["qoe"]["first_frame_ms"]["count"], 2);
    assert_eq!(report["qoe"]["first_frame_ms"]["max"], 1300.0);
    assert_eq!(report["qoe"]["switches"], 2);
}

#[tokio::test]
async fn metrics_count_routes_and_viewers() {
    let app = TestApp::new().await;
    let stream = app.live_stream(3).await;
    app.get(&format!("/live/{}/index.m3u8", stream.id)).await;
    app.get("/api/streams/zzzzzzzzzz").await;
    let beacon = json!({"sid": "viewer-one"});
    app.send(
        Method::POST,
        &format!("/api/streams/{}/beacons", stream.id),
        None,
        body(beacon),
    )
    .await;
    let reply = app.get("/metrics").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply
        .header(axum::http::header::CONTENT_TYPE)
        .starts_with("application/openmetrics-text"));
    let text = reply.text();
    for line in [
        "onair_http_requests_total{route=\"/live/:id/:file\",method=\"GET\",status=\"200\"} 1"
            .to_owned(),
        "onair_http_errors_total{route=\"/api/streams/:id\",status=\"404\"} 1".to_owned(),
        format!("onair_viewers{{stream=\"{}\"}} 1", stream.id),
        "onair_live_streams 1".to_owned(),
    ] {
        assert!(text.contains(&line), "no {line} in\n{text}");
    }
    assert!(
        text.contains(&format!(
            "onair_ingest_bitrate_bits_per_second{{stream=\"{}\",rendition=\"r0\"}}",
            stream.id
        )),
        "{text}"
    );
    assert!(text.trim_end().ends_with("# EOF"));
}

#[tokio::test]
async fn recordings_list_download_and_retention() {
    let app = TestApp::with_settings(onair_server::Settings {
        recording_retention: Some(std::time::Duration::from_secs(3600)),
        ..onair_server::Settings::default()
    })
    .await;
    let stream = app.live_stream(3).await;
    let download = format!("/live/{}/recording.mp4", stream.id);
    assert_eq!(
        app.get(&download).await.status,
        StatusCode::NOT_FOUND,
        "live: no download yet"
    );
    assert_eq!(
        app.get("/api/recordings").await.json()["streams"],
        json!([])
    );
    app.end(&stream).await;
    let list = app.get("/api/recordings").await.json();
    assert_eq!(list["streams"][0]["id"], stream.id.as_str(), "{list}");

    let file = app.get(&download).await;
    assert_eq!(file.status, StatusCode::OK, "{}", file.text());
    assert_eq!(file.header(axum::http::header::CONTENT_TYPE), "video/mp4");
    assert!(file
        .header(axum::http::header::CONTENT_DISPOSITION)
        .starts_with("attachment; filename=\"live-test-"));
    let mut expected = common::media::av_init_bytes();
    for msn in 0..3 {
        expected.extend(common::media::av_segment(msn));
    }
    assert_eq!(
        file.body.as_ref(),
        expected.as_slice(),
        "init + every segment, in order"
    );
    assert_eq!(
        file.header(axum::http::header::CONTENT_LENGTH),
        expected.len().to_string()
    );
    // The whole file parses as fragmented MP4: the init, then each fragment.
    let init = onair_media::parse_init(&file.body).expect("an init segment first");
    assert!(init.video().is_some());

    // Retention: an hour after the end it is gone, with its media.
    let origin = app.state.origin();
    let now = onair_server::time::now_unix_secs();
    assert_eq!(origin.delete_expired_recordings(now + 60).await, 0);
    assert_eq!(origin.delete_expired_recordings(now + 3601).await, 1);
    assert_eq!(app.get(&download).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/recordings").await.json()["streams"],
        json!([])
    );
}
