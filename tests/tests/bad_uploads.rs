//! Bad uploads against the real server over HTTP: each gets a clear 4xx, and the stream's stored media and
//! playlists stay exactly as they were.

use anyhow::Result;
use onair_media::testing::{av_init_bytes, av_segment_with};
use onair_tests::{create_stream, TestServer};
use reqwest::StatusCode;

#[tokio::test]
async fn bad_uploads_get_clear_errors_and_change_nothing() -> Result<()> {
    let server = TestServer::start_with(std::env::temp_dir()).await?;
    let stream = create_stream(&server, "bad uploads").await?;
    let http = reqwest::Client::new();
    let base = server.url(&format!("/api/streams/{}/renditions/r0", stream.id));
    let put = |path: &str, key: Option<&str>, body: Vec<u8>| {
        let mut req = http.put(format!("{base}/{path}")).body(body);
        if let Some(key) = key {
            req = req.bearer_auth(key);
        }
        req.send()
    };
    let key = Some(stream.stream_key.as_str());
    let init_bytes = av_init_bytes();
    assert_eq!(
        put("init.mp4", key, init_bytes.clone()).await?.status(),
        StatusCode::NO_CONTENT
    );
    for n in 0..2 {
        let status = put(&format!("segments/{n}.m4s"), key, av_segment_with(n, true))
            .await?
            .status();
        assert_eq!(status, StatusCode::CREATED, "segment {n}");
    }
    let playlist_url = server.url(&format!("/live/{}/r0/index.m3u8", stream.id));
    let before = http.get(&playlist_url).send().await?.text().await?;
    assert!(before.contains("1.m4s"), "{before}");

    let good = av_segment_with(2, true);
    let cases: Vec<(&str, Option<&str>, Vec<u8>, StatusCode)> = vec![
        ("no key", None, good.clone(), StatusCode::UNAUTHORIZED),
        (
            "wrong key",
            Some("sk_wrong"),
            good.clone(),
            StatusCode::FORBIDDEN,
        ),
        (
            "truncated",
            key,
            good[..good.len() / 2].to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "not MP4",
            key,
            b"<html>hello</html>".repeat(10),
            StatusCode::BAD_REQUEST,
        ),
        (
            "no keyframe first",
            key,
            av_segment_with(2, false),
            StatusCode::BAD_REQUEST,
        ),
        (
            "time going backwards",
            key,
            av_segment_with(0, true),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (what, key, body, want) in cases {
        let response = put("segments/2.m4s", key, body).await?;
        let status = response.status();
        let text = response.text().await?;
        println!("{what}: {status} {text}");
        assert_eq!(status, want, "{what}: {text}");
        let json: serde_json::Value = serde_json::from_str(&text)?;
        assert!(
            json["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{what}: {text}"
        );
        let after = http.get(&playlist_url).send().await?.text().await?;
        assert_eq!(after, before, "{what} changed the playlist");
        let stored = http
            .get(server.url(&format!("/live/{}/r0/2.m4s", stream.id)))
            .send()
            .await?
            .status();
        assert_eq!(stored, StatusCode::NOT_FOUND, "{what} stored a segment");
    }
    // A wrong key cannot replace the init either.
    let status = put("init.mp4", Some("sk_wrong"), b"garbage".to_vec())
        .await?
        .status();
    assert_eq!(status, StatusCode::FORBIDDEN);
    // And the good segment still goes in afterwards.
    assert_eq!(
        put("segments/2.m4s", key, good).await?.status(),
        StatusCode::CREATED
    );
    Ok(())
}
