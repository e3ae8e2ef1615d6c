//! The whole path, as people use it: one headless Chromium window opens /go-live with the fake camera and
//! microphone and goes live; a second window watches /watch/{id}; ffprobe reads the stream as an
//! independent client. Screenshots of every page land in tests/artifacts/.

use anyhow::{Context, Result};
use fantoccini::Locator;
use onair_tests::{ffprobe_json, wait_for_ok, Browser, TestServer};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_live_in_one_window_and_watch_in_another() -> Result<()> {
    let server = TestServer::start().await?;
    Browser::run("failure", async |browser| run(&server, browser).await).await
}

async fn run(server: &TestServer, browser: &Browser) -> Result<()> {
    let c = &browser.client;

    // The directory before anyone is live.
    c.goto(&server.url("/")).await?;
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#no-streams"))
        .await
        .context("home page shows that no one is live")?;
    browser.screenshot("home-empty").await?;

    // Go live.
    let id = browser
        .go_live(&server.url(""), "End-to-end test stream", "go-live")
        .await?;
    let broadcaster_window = c.window().await?;

    // The server publishes the stream once a segment is in.
    let multivariant = wait_for_ok(
        &server.url(&format!("/live/{id}/index.m3u8")),
        Duration::from_secs(40),
    )
    .await?;
    assert!(multivariant.contains("avc1."), "{multivariant}");
    browser
        .wait_for(
            "the broadcaster's stats to count an uploaded segment",
            "return Number(document.querySelector('#stats .segments')?.textContent) >= 1;",
            Duration::from_secs(20),
        )
        .await?;
    browser.screenshot("go-live-on-air").await?;
    let stats = c.find(Locator::Css("#stats")).await?.text().await?;
    println!("broadcaster stats: {stats}");

    // Watch in a second window.
    let viewer = c.new_window(false).await?;
    let viewer_window = viewer.handle.clone();
    c.switch_to_window(viewer.handle).await?;
    c.goto(&server.url(&format!("/watch/{id}"))).await?;
    browser
        .wait_for(
            "the player to play past 6 seconds",
            "const v = document.querySelector('#player'); return !!(v && v.currentTime > 6);",
            Duration::from_secs(60),
        )
        .await?;
    let state = browser
        .js(
            "const v = document.querySelector('#player');
             return { t: v.currentTime, w: v.videoWidth, h: v.videoHeight, error: v.error && v.error.message,
                      paused: v.paused, audioBytes: v.webkitAudioDecodedByteCount,
                      videoBytes: v.webkitVideoDecodedByteCount,
                      dropped: v.getVideoPlaybackQuality().droppedVideoFrames,
                      frames: v.getVideoPlaybackQuality().totalVideoFrames };",
        )
        .await?;
    println!("viewer: {state}");
    assert_eq!(state["w"], 1280, "{state}");
    assert_eq!(state["h"], 720, "{state}");
    assert!(state["error"].is_null(), "{state}");
    assert_eq!(state["paused"], false, "{state}");
    assert!(
        state["audioBytes"].as_u64().unwrap_or(0) > 0,
        "no audio decoded: {state}"
    );
    browser.screenshot("watch-playing").await?;

    // The directory lists the live stream.
    c.goto(&server.url("/")).await?;
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(&format!("a.stream-link[href='/watch/{id}']")))
        .await
        .context("home page lists the live stream")?;
    browser.screenshot("home-live").await?;

    // ffprobe as an independent client.
    let probe = ffprobe_json(&[
        "-show_streams",
        &server.url(&format!("/live/{id}/index.m3u8")),
    ])?;
    let streams = probe["streams"].as_array().context("streams")?;
    let video = streams
        .iter()
        .find(|s| s["codec_type"] == "video")
        .context("ffprobe sees a video stream")?;
    assert_eq!(video["codec_name"], "h264", "{video}");
    assert_eq!(
        (video["width"].as_u64(), video["height"].as_u64()),
        (Some(1280), Some(720))
    );
    assert!(
        streams.iter().any(|s| s["codec_type"] == "audio"),
        "ffprobe sees an audio stream: {probe}"
    );

    // End the stream.
    c.switch_to_window(broadcaster_window).await?;
    browser.end_stream_on_page("go-live-ended").await?;
    let media = wait_for_ok(
        &server.url(&format!("/live/{id}/r0/index.m3u8")),
        Duration::from_secs(5),
    )
    .await?;
    assert!(media.contains("#EXT-X-ENDLIST"), "{media}");
    // The watch page of an ended stream plays the whole recording.
    c.switch_to_window(viewer_window).await?;
    c.goto(&server.url(&format!("/watch/{id}"))).await?;
    browser
        .wait_for(
            "the recording to play",
            "const v = document.querySelector('#player'); return !!(v && v.currentTime > 1 && !v.error)
             && performance.getEntriesByType('resource').some(e => e.name.endsWith('/recording.m3u8'));",
            Duration::from_secs(30),
        )
        .await?;
    browser.screenshot("watch-recording").await?;
    let list: serde_json::Value = reqwest::get(server.url("/api/streams"))
        .await?
        .json()
        .await?;
    assert!(
        !list["streams"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["id"] == id.as_str())),
        "ended stream still listed: {list}"
    );
    Ok(())
}
