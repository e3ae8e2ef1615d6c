//! Our own player with alternate audio: ffmpeg pushes a ladder whose audio is a rendition of its own
//! (`-var_stream_map "v:0,agroup:aud v:1,agroup:aud a:0,agroup:aud"`), so the origin's multivariant
//! playlist has an `EXT-X-MEDIA:TYPE=AUDIO` group with a URI and video variants whose init segments
//! hold video only. Headless Chromium opens /watch/{id}: the Wasm player must play the video from the
//! variant and the audio from the group's rendition (two SourceBuffers), live and then the recording.
//! Screenshots land in tests/artifacts/.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use onair_tests::{
    create_stream, end_stream, wait_for_ok, wait_for_segments, Browser, CreatedStream, FfmpegPush,
    TestServer,
};
use serde_json::Value;

/// What the `#player` element says about playback.
const PLAYER_STATE: &str = "const v = document.querySelector('#player');
    const q = v.getVideoPlaybackQuality();
    const ranges = r => Array.from({length: r.length}, (_, i) => [r.start(i), r.end(i)]);
    return { t: v.currentTime, w: v.videoWidth, h: v.videoHeight, error: v.error && v.error.message,
             paused: v.paused, muted: v.muted, audioBytes: v.webkitAudioDecodedByteCount,
             videoBytes: v.webkitVideoDecodedByteCount, dropped: q.droppedVideoFrames,
             frames: q.totalVideoFrames, buffered: ranges(v.buffered),
             status: (document.querySelector('#player-status') || {}).textContent || null };";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_page_plays_video_with_a_separate_audio_rendition() -> Result<()> {
    let server = TestServer::start().await?;
    let stream = create_stream(&server, "audio group on the watch page").await?;
    let push =
        FfmpegPush::ladder_separate_audio("watch-audio-group", &server.ingest_url(&stream), 24)?;
    for rendition in ["stream_0", "stream_1", "stream_2"] {
        let url = server.url(&format!("/live/{}/{rendition}/index.m3u8", stream.id));
        wait_for_segments(&url, 4, Duration::from_secs(20)).await?;
    }
    let multivariant = wait_for_ok(
        &server.url(&format!("/live/{}/index.m3u8", stream.id)),
        Duration::from_secs(2),
    )
    .await?;
    ensure!(
        multivariant.contains("#EXT-X-MEDIA:TYPE=AUDIO")
            && multivariant.contains("AUDIO=\"audio\""),
        "{multivariant}"
    );

    let browser = Browser::start().await?;
    let result = watch(&server, &browser, &stream, push).await;
    if result.is_err() {
        let _ = browser.screenshot("watch-audio-group-failure").await;
        if let Ok(state) = browser.js(PLAYER_STATE).await {
            println!("player at failure: {state}");
        }
    }
    browser.close().await?;
    result
}

async fn watch(
    server: &TestServer,
    browser: &Browser,
    stream: &CreatedStream,
    push: FfmpegPush,
) -> Result<()> {
    let c = &browser.client;
    let id = &stream.id;
    c.goto(&server.url(&format!("/watch/{id}"))).await?;
    browser
        .wait_for(
            "the player to play past 3 seconds",
            "const v = document.querySelector('#player');
             return !!(v && v.currentTime > 3 && v.webkitAudioDecodedByteCount > 0);",
            Duration::from_secs(40),
        )
        .await?;
    let num = |state: &Value, key: &str| state[key].as_f64().unwrap_or(0.0);
    let first = browser.js(PLAYER_STATE).await?;
    let later = browser
        .wait_for_state(
            "the playhead 2 s further, with more audio and video decoded",
            PLAYER_STATE,
            Duration::from_secs(20),
            |s| {
                !s["error"].is_null()
                    || (num(s, "t") > num(&first, "t") + 2.0
                        && num(s, "audioBytes") > num(&first, "audioBytes")
                        && num(s, "videoBytes") > num(&first, "videoBytes"))
            },
        )
        .await?;
    browser.screenshot("watch-audio-group").await?;
    println!("live: {first}\nthen {later}");
    ensure!(later["error"].is_null(), "{later}");
    ensure!(later["paused"] == false, "{later}");
    ensure!(
        num(&later, "t") > num(&first, "t") + 2.0,
        "currentTime advanced: {first} then {later}"
    );
    // The first variant (640x360) is the one played.
    ensure!(
        (later["w"].as_u64(), later["h"].as_u64()) == (Some(640), Some(360)),
        "{later}"
    );
    ensure!(
        num(&later, "audioBytes") > num(&first, "audioBytes"),
        "audio kept being decoded: {first} then {later}"
    );
    ensure!(
        num(&later, "videoBytes") > num(&first, "videoBytes"),
        "{later}"
    );
    // Where both buffers have data: one range around the playhead.
    let buffered = later["buffered"].as_array().context("buffered")?;
    ensure!(!buffered.is_empty(), "{later}");

    // The recording, once the stream has ended: both tracks from the start, then endOfStream.
    push.finish(Duration::from_secs(40)).await?;
    end_stream(server, stream).await?;
    c.goto(&server.url(&format!("/watch/{id}"))).await?;
    browser
        .wait_for(
            "the recording to play with sound",
            "const v = document.querySelector('#player');
             return !!(v && v.currentTime > 2 && !v.error && v.webkitAudioDecodedByteCount > 0)
               && performance.getEntriesByType('resource').some(e => e.name.endsWith('/recording.m3u8'));",
            Duration::from_secs(30),
        )
        .await?;
    let recording = browser.js(PLAYER_STATE).await?;
    browser.screenshot("watch-audio-group-recording").await?;
    println!("recording: {recording}");
    ensure!(recording["error"].is_null(), "{recording}");
    Ok(())
}
