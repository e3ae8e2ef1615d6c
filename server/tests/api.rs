//! The HTTP contract of the origin (the README's HTTP API table), end to end through `app()` with `oneshot`.

mod common;

use std::time::Duration;

use axum::http::{header, Method, StatusCode};
use common::media::{av_init_bytes, av_segment, av_segment_with, SEGMENT_SECS};
use common::TestApp;
use onair_server::Settings;

const PLAYLIST_TYPE: &str = "application/vnd.apple.mpegurl";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

#[tokio::test]
async fn create_get_and_list_streams() {
    let t = TestApp::new().await;
    let reply = t
        .send(
            Method::POST,
            "/api/streams",
            None,
            br#"{"title":"  My show "}"#.to_vec(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let created = reply.json();
    let id = created["id"].as_str().unwrap().to_owned();
    let key = created["stream_key"].as_str().unwrap();
    assert_eq!(id.len(), 10);
    assert!(id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    assert!(key.starts_with("sk_") && key.len() == 35, "{key}");
    assert_eq!(created["title"], "My show");
    assert_eq!(created["watch_url"], format!("/watch/{id}"));
    assert_eq!(created["playback_url"], format!("/live/{id}/index.m3u8"));

    // No body at all: a default title.
    let untitled = t.send(Method::POST, "/api/streams", None, Vec::new()).await;
    assert_eq!(untitled.status, StatusCode::CREATED);
    assert_eq!(untitled.json()["title"], "Untitled stream");
    let bad = t
        .send(Method::POST, "/api/streams", None, b"{".to_vec())
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.error().contains("JSON"), "{}", bad.error());

    let one = t.get(&format!("/api/streams/{id}")).await;
    assert_eq!(one.status, StatusCode::OK);
    let one = one.json();
    assert_eq!(one["status"], "created");
    assert_eq!(one["started_at"], serde_json::Value::Null);
    assert!(
        one.get("stream_key").is_none(),
        "the key is never shown again"
    );

    // Created streams are not listed; live ones are, newest first.
    assert_eq!(
        t.get("/api/streams").await.json()["streams"],
        serde_json::json!([])
    );
    let first = t.live_stream(1).await;
    let second = t.live_stream(1).await;
    let list = t.get("/api/streams").await.json();
    let listed: Vec<&str> = list["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&first.id.as_str()) && listed.contains(&second.id.as_str()));
    let entry = &list["streams"][0];
    assert_eq!(entry["status"], "live");
    assert!(entry["started_at"].as_i64().unwrap() > 0);
    assert_eq!(
        entry["playback_url"],
        format!("/live/{}/index.m3u8", entry["id"].as_str().unwrap())
    );

    let missing = t.get("/api/streams/zzzzzzzzzz").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.error().contains("not found"));
    assert_eq!(
        t.get("/api/streams/NOT-AN-ID").await.status,
        StatusCode::NOT_FOUND
    );
    let unknown_route = t.get("/api/nothing/here").await;
    assert_eq!(unknown_route.status, StatusCode::NOT_FOUND);
    assert!(unknown_route.json()["error"].is_string());
}

#[tokio::test]
async fn uploads_need_the_stream_key() {
    let t = TestApp::new().await;
    let stream = t.create_stream("Keys").await;
    let init_uri = format!("/api/streams/{}/renditions/r0/init.mp4", stream.id);

    let none = t.send(Method::PUT, &init_uri, None, av_init_bytes()).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert!(none.error().contains("Bearer"), "{}", none.error());

    let wrong = t
        .send(Method::PUT, &init_uri, Some("sk_wrong"), av_init_bytes())
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(!wrong.error().is_empty());

    // Another stream's key is just as wrong.
    let other = t.create_stream("Other").await;
    let cross = t
        .send(Method::PUT, &init_uri, Some(&other.key), av_init_bytes())
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);

    // The key is checked before the names in the path and the size of the body.
    let bad_name = format!("/api/streams/{}/renditions/BAD!/init.mp4", stream.id);
    assert_eq!(
        t.send(Method::PUT, &bad_name, None, Vec::new())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let end_uri = format!("/api/streams/{}/end", stream.id);
    assert_eq!(
        t.send(Method::POST, &end_uri, None, Vec::new())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        t.send(Method::POST, &end_uri, Some("sk_x"), Vec::new())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let unknown = t
        .send(
            Method::PUT,
            "/api/streams/zzzzzzzzzz/renditions/r0/init.mp4",
            Some(&stream.key),
            av_init_bytes(),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // Nothing was stored.
    assert!(t.stored_files(&stream, "r0").is_empty());
    assert_eq!(
        t.get(&format!("/live/{}/r0/init.mp4", stream.id))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.get(&format!("/api/streams/{}", stream.id)).await.json()["status"],
        "created"
    );
}

#[tokio::test]
async fn playback_is_404_before_the_first_segment() {
    let t = TestApp::new().await;
    let stream = t.create_stream("Soon").await;
    let multivariant = format!("/live/{}/index.m3u8", stream.id);
    let media = format!("/live/{}/r0/index.m3u8", stream.id);

    let before = t.get(&multivariant).await;
    assert_eq!(before.status, StatusCode::NOT_FOUND);
    assert!(before.error().contains("not started"), "{}", before.error());
    // A crowd waiting for the stream reaches the origin once a second through a cache.
    assert_eq!(before.header(header::CACHE_CONTROL), "public, max-age=1");
    assert_eq!(before.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");

    // An init alone does not start the stream.
    assert_eq!(
        t.put_init(&stream, "r0", av_init_bytes()).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(t.get(&multivariant).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get(&media).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        t.get(&format!("/live/{}/r0/0.m4s", stream.id)).await.status,
        StatusCode::NOT_FOUND
    );
    // Nor is the init served before a segment: until then it may still be replaced, and its URL is
    // cached as immutable once served.
    assert_eq!(
        t.get(&format!("/live/{}/r0/init.mp4", stream.id))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    for uri in [
        "/live/zzzzzzzzzz/index.m3u8".to_owned(),
        "/live/NOPE/index.m3u8".to_owned(),
        format!("/live/{}/BAD/index.m3u8", stream.id),
        format!("/live/{}/r0/other.txt", stream.id),
        format!("/live/{}/r0/007.m4s", stream.id),
        format!("/live/{}/r0/a/b/c", stream.id),
    ] {
        let reply = t.get(&uri).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(reply.json()["error"].is_string(), "{uri}");
    }
}

#[tokio::test]
async fn init_then_segments_show_up_in_the_playlists() {
    let t = TestApp::new().await;
    let stream = t.live_stream(3).await;
    let id = &stream.id;

    let about = t.get(&format!("/api/streams/{id}")).await.json();
    assert_eq!(about["status"], "live");

    let multivariant = t.get(&format!("/live/{id}/index.m3u8")).await;
    assert_eq!(multivariant.status, StatusCode::OK);
    assert_eq!(multivariant.header(header::CONTENT_TYPE), PLAYLIST_TYPE);
    assert_eq!(
        multivariant.header(header::ACCESS_CONTROL_ALLOW_ORIGIN),
        "*"
    );
    assert_eq!(
        multivariant.header(header::CACHE_CONTROL),
        "public, max-age=1"
    );
    let text = multivariant.text();
    assert!(text.starts_with("#EXTM3U"), "{text}");
    assert!(text.contains("CODECS=\"avc1.42e01f,opus\""), "{text}");
    assert!(text.contains("RESOLUTION=1280x720"), "{text}");
    assert!(text.contains("r0/index.m3u8"), "{text}");
    // Equal segments: peak = average = bytes * 8 / 2 s, rounded up.
    let bits_per_sec = (av_segment(0).len() as f64 * 8.0 / SEGMENT_SECS).ceil() as u64;
    assert!(
        text.contains(&format!("BANDWIDTH={bits_per_sec}")),
        "{text}"
    );
    assert!(
        text.contains(&format!("AVERAGE-BANDWIDTH={bits_per_sec}")),
        "{text}"
    );

    let media = t.get(&format!("/live/{id}/r0/index.m3u8")).await;
    assert_eq!(media.status, StatusCode::OK);
    assert_eq!(media.header(header::CONTENT_TYPE), PLAYLIST_TYPE);
    let text = media.text();
    assert!(text.contains("#EXT-X-TARGETDURATION:2"), "{text}");
    // EXT-X-MEDIA-SEQUENCE 0 is the default, m3u8-rs leaves it out.
    assert!(
        !text.contains("#EXT-X-MEDIA-SEQUENCE:") || text.contains("#EXT-X-MEDIA-SEQUENCE:0\n"),
        "{text}"
    );
    assert!(text.contains("#EXT-X-MAP:URI=\"init.mp4\""), "{text}");
    assert!(text.contains("#EXT-X-PROGRAM-DATE-TIME:"), "{text}");
    for msn in 0..3 {
        assert!(text.contains(&format!("\n{msn}.m4s")), "{text}");
    }
    assert!(!text.contains("#EXT-X-ENDLIST"), "{text}");

    let init = t.get(&format!("/live/{id}/r0/init.mp4")).await;
    assert_eq!(init.status, StatusCode::OK);
    assert_eq!(init.header(header::CONTENT_TYPE), "video/mp4");
    assert_eq!(init.header(header::CACHE_CONTROL), IMMUTABLE);
    assert_eq!(init.body.as_ref(), av_init_bytes().as_slice());

    let segment = t.get(&format!("/live/{id}/r0/1.m4s")).await;
    assert_eq!(segment.status, StatusCode::OK);
    assert_eq!(segment.header(header::CONTENT_TYPE), "video/iso.segment");
    assert_eq!(segment.header(header::CACHE_CONTROL), IMMUTABLE);
    assert_eq!(segment.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
    assert_eq!(segment.body.as_ref(), av_segment(1).as_slice());
    assert_eq!(
        t.get(&format!("/live/{id}/r0/3.m4s")).await.status,
        StatusCode::NOT_FOUND
    );

    assert_eq!(
        t.stored_files(&stream, "r0"),
        ["0.m4s", "1.m4s", "2.m4s", "init.mp4"]
    );
}

#[tokio::test]
async fn rejected_segments_change_nothing() {
    let t = TestApp::new().await;
    let stream = t.live_stream(2).await;
    let playlist_uri = format!("/live/{}/r0/index.m3u8", stream.id);
    let before = t.get(&playlist_uri).await.text();
    let files_before = t.stored_files(&stream, "r0");

    let full = av_segment(2);
    let truncated = full[..full.len() - 7].to_vec();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated", truncated, "truncated"),
        (
            "garbage",
            b"this is not an mp4 file at all".to_vec(),
            "segment 2",
        ),
        ("empty", Vec::new(), "segment 2"),
        ("no keyframe", av_segment_with(2, false), "keyframe"),
        ("backwards", av_segment(1), "backwards"),
        ("an init", av_init_bytes(), "segment 2"),
    ];
    for (what, body, needle) in cases {
        let reply = t.put_segment(&stream, "r0", 2, body).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{what}: {}",
            reply.text()
        );
        let error = reply.error();
        assert!(error.contains(needle), "{what}: {error}");
    }
    assert_eq!(t.get(&playlist_uri).await.text(), before);
    assert_eq!(t.stored_files(&stream, "r0"), files_before);
    assert_eq!(
        t.get(&format!("/live/{}/r0/2.m4s", stream.id)).await.status,
        StatusCode::NOT_FOUND
    );

    // A garbage init is refused and the good one stays.
    let reply = t.put_init(&stream, "r0", b"garbage".to_vec()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.error().contains("init"), "{}", reply.error());
    assert_eq!(
        t.get(&format!("/live/{}/r0/init.mp4", stream.id))
            .await
            .body
            .as_ref(),
        av_init_bytes().as_slice()
    );

    // Bad names.
    let bad_rendition = t
        .send(
            Method::PUT,
            &format!("/api/streams/{}/renditions/R%200/init.mp4", stream.id),
            Some(&stream.key),
            av_init_bytes(),
        )
        .await;
    assert_eq!(bad_rendition.status, StatusCode::BAD_REQUEST);
    assert!(
        bad_rendition.error().contains("rendition"),
        "{}",
        bad_rendition.error()
    );
    let bad_segment_name = t
        .send(
            Method::PUT,
            &format!("/api/streams/{}/renditions/r0/segments/two.m4s", stream.id),
            Some(&stream.key),
            av_segment(2),
        )
        .await;
    assert_eq!(bad_segment_name.status, StatusCode::BAD_REQUEST);

    // And the stream goes on.
    assert_eq!(
        t.put_segment(&stream, "r0", 2, full).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn duplicate_msn_is_idempotent_and_gaps_conflict() {
    let t = TestApp::new().await;
    let stream = t.live_stream(2).await;
    let playlist_uri = format!("/live/{}/r0/index.m3u8", stream.id);
    let before = t.get(&playlist_uri).await.text();

    let retry = t.put_segment(&stream, "r0", 1, av_segment(1)).await;
    assert_eq!(retry.status, StatusCode::OK, "{}", retry.text());
    let again = t.put_segment(&stream, "r0", 0, av_segment(0)).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(t.get(&playlist_uri).await.text(), before, "stored once");

    // Same msn, other bytes.
    let other = t.put_segment(&stream, "r0", 1, av_segment(2)).await;
    assert_eq!(other.status, StatusCode::CONFLICT);
    assert!(
        other.error().contains("already exists"),
        "{}",
        other.error()
    );
    let gap = t.put_segment(&stream, "r0", 3, av_segment(3)).await;
    assert_eq!(gap.status, StatusCode::CONFLICT);
    assert!(
        gap.error().contains("expected segment 2"),
        "{}",
        gap.error()
    );
    assert_eq!(t.get(&playlist_uri).await.text(), before);

    // A segment before any init.
    let fresh = t.create_stream("No init").await;
    let early = t.put_segment(&fresh, "r0", 0, av_segment(0)).await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert!(early.error().contains("init"), "{}", early.error());

    // A different init once the rendition has segments is a codec change; the same one is fine.
    let video_only = common::media::init_bytes(&onair_media::InitSegment {
        tracks: vec![common::media::video_track()],
    });
    assert_eq!(
        t.put_init(&stream, "r0", video_only.clone()).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        t.put_init(&stream, "r0", av_init_bytes()).await.status,
        StatusCode::NO_CONTENT
    );
    // A new rendition can have its own.
    assert_eq!(
        t.put_init(&stream, "audio_1", video_only).await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn live_window_and_end() {
    let t = TestApp::new().await;
    let stream = t.live_stream(12).await;
    let playlist_uri = format!("/live/{}/r0/index.m3u8", stream.id);

    let live = t.get(&playlist_uri).await.text();
    assert!(live.contains("#EXT-X-MEDIA-SEQUENCE:2\n"), "{live}");
    assert_eq!(live.matches("#EXTINF").count(), 10, "{live}");
    assert!(!live.contains("\n1.m4s") && live.contains("\n2.m4s") && live.contains("\n11.m4s"));

    let end = t.end(&stream).await;
    assert_eq!(end.status, StatusCode::NO_CONTENT, "{}", end.text());
    assert_eq!(
        t.end(&stream).await.status,
        StatusCode::NO_CONTENT,
        "idempotent"
    );

    // The live playlist keeps its window (its media sequence never goes back) and ends.
    let ended = t.get(&playlist_uri).await;
    assert_eq!(ended.header(header::CACHE_CONTROL), "public, max-age=86400");
    let ended = ended.text();
    assert!(ended.contains("#EXT-X-ENDLIST"), "{ended}");
    assert!(ended.contains("#EXT-X-MEDIA-SEQUENCE:2\n"), "{ended}");
    assert_eq!(ended.matches("#EXTINF").count(), 10, "{ended}");
    assert!(!ended.contains("#EXT-X-PLAYLIST-TYPE"), "{ended}");

    // The whole recording is a VOD playlist of its own.
    let recording = t
        .get(&format!("/live/{}/r0/recording.m3u8", stream.id))
        .await;
    assert_eq!(recording.status, StatusCode::OK);
    assert_eq!(
        recording.header(header::CACHE_CONTROL),
        "public, max-age=86400"
    );
    let recording = recording.text();
    assert!(
        recording.contains("#EXT-X-PLAYLIST-TYPE:VOD"),
        "{recording}"
    );
    assert!(recording.contains("#EXT-X-ENDLIST"), "{recording}");
    assert!(recording.contains("\n0.m4s"), "{recording}");
    assert_eq!(recording.matches("#EXTINF").count(), 12, "{recording}");
    let multivariant = t
        .get(&format!("/live/{}/recording.m3u8", stream.id))
        .await
        .text();
    assert!(
        multivariant.contains("\nr0/recording.m3u8"),
        "{multivariant}"
    );

    let about = t.get(&format!("/api/streams/{}", stream.id)).await.json();
    assert_eq!(about["status"], "ended");
    assert!(about["ended_at"].as_i64().is_some());
    assert_eq!(
        t.get("/api/streams").await.json()["streams"],
        serde_json::json!([])
    );

    let late = t.put_segment(&stream, "r0", 12, av_segment(12)).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert!(late.error().contains("ended"), "{}", late.error());
    assert_eq!(
        t.put_init(&stream, "r1", av_init_bytes()).await.status,
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn recordings_survive_a_restart() {
    let t = TestApp::new().await;
    let live = t.live_stream(3).await;
    let created = t.create_stream("Never started").await;
    let ended = t.live_stream(2).await;
    assert_eq!(t.end(&ended).await.status, StatusCode::NO_CONTENT);
    // A corrupt file on disk past the valid run is ignored.
    let corrupt = t
        .dir
        .path()
        .join("data/streams")
        .join(&live.id)
        .join("r0/3.m4s");
    std::fs::write(&corrupt, b"corrupt").unwrap();

    let t = t.restart().await;
    let about = t.get(&format!("/api/streams/{}", live.id)).await.json();
    assert_eq!(about["status"], "live", "its encoder may come back");
    assert_eq!(about["title"], "Live test");
    assert_eq!(
        t.get(&format!("/api/streams/{}", created.id)).await.json()["status"],
        "created"
    );
    assert_eq!(
        t.get(&format!("/api/streams/{}", ended.id)).await.json()["status"],
        "ended"
    );
    assert!(t
        .get(&format!("/live/{}/r0/recording.m3u8", ended.id))
        .await
        .text()
        .contains("#EXT-X-ENDLIST"));

    let playlist = t
        .get(&format!("/live/{}/r0/index.m3u8", live.id))
        .await
        .text();
    assert_eq!(playlist.matches("#EXTINF").count(), 3, "{playlist}");
    assert!(!playlist.contains("#EXT-X-ENDLIST"), "{playlist}");
    assert!(!playlist.contains("3.m4s"), "{playlist}");
    let segment = t.get(&format!("/live/{}/r0/2.m4s", live.id)).await;
    assert_eq!(segment.body.as_ref(), av_segment(2).as_slice());
    assert_eq!(
        t.get(&format!("/live/{}/index.m3u8", live.id)).await.status,
        StatusCode::OK
    );

    // The stream key of a stream that never started still works.
    assert_eq!(
        t.put_init(&created, "r0", av_init_bytes()).await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn oversized_uploads_get_413_json() {
    let limit = av_init_bytes().len();
    let settings = Settings {
        max_upload_bytes: limit,
        ..Settings::default()
    };
    let t = TestApp::with_settings(settings).await;
    let stream = t.create_stream("Big").await;
    assert_eq!(
        t.put_init(&stream, "r0", av_init_bytes()).await.status,
        StatusCode::NO_CONTENT
    );
    let big = av_segment(0);
    assert!(big.len() > limit);
    let reply = t.put_segment(&stream, "r0", 0, big).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        reply.error().contains(&limit.to_string()),
        "{}",
        reply.error()
    );

    // The request above had no Content-Length (like ffmpeg's chunked PUTs): the limit held while reading.
    // A declared length over the limit is refused before reading.
    let request = axum::http::Request::put(format!(
        "/api/streams/{}/renditions/r0/segments/0.m4s",
        stream.id
    ))
    .header(header::AUTHORIZATION, format!("Bearer {}", stream.key))
    .header(header::CONTENT_LENGTH, "1000000")
    .body(axum::body::Body::from(vec![0u8; 10]))
    .unwrap();
    let reply = t.request(request).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.text()
    );
    assert!(reply.json()["error"].is_string());
    assert_eq!(t.stored_files(&stream, "r0"), ["init.mp4"]);
}

#[tokio::test]
async fn idle_streams_end() {
    let settings = Settings {
        idle_timeout: Duration::from_secs(60),
        ..Settings::default()
    };
    let t = TestApp::with_settings(settings).await;
    let stream = t.live_stream(1).await;
    let origin = t.state.origin();
    let now = tokio::time::Instant::now();
    assert_eq!(
        origin.end_idle_streams(now + Duration::from_secs(30)).await,
        0
    );
    assert_eq!(
        origin.end_idle_streams(now + Duration::from_secs(61)).await,
        1
    );
    assert_eq!(
        t.get(&format!("/api/streams/{}", stream.id)).await.json()["status"],
        "ended"
    );
    assert!(t
        .get(&format!("/live/{}/r0/index.m3u8", stream.id))
        .await
        .text()
        .contains("#EXT-X-ENDLIST"));
}

#[tokio::test]
async fn web_app_with_spa_fallback() {
    let t = TestApp::new().await;
    let dist = t.dir.path().join("dist");
    std::fs::create_dir_all(dist.join("assets")).unwrap();
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><title>OnAir</title>",
    )
    .unwrap();
    std::fs::write(dist.join("assets/app.js"), "console.log(1)").unwrap();

    for path in ["/", "/go-live", "/watch/abcdefghij", "/embed/abcdefghij"] {
        let reply = t.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert!(reply.text().contains("<title>OnAir</title>"), "{path}");
        assert!(
            reply.header(header::CONTENT_TYPE).starts_with("text/html"),
            "{path}"
        );
    }
    let js = t.get("/assets/app.js").await;
    assert_eq!(js.status, StatusCode::OK);
    assert_eq!(js.text(), "console.log(1)");
    // The API and playback never fall back to the page.
    assert_eq!(t.get("/api/streamz").await.status, StatusCode::NOT_FOUND);
    assert!(t.get("/live/x").await.json()["error"].is_string());
}
