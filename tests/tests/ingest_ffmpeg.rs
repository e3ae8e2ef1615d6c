//! Standard-encoder ingest with real programs: ffmpeg pushes a live test source (libx264 + AAC, `-re`) as
//! fMP4 HLS over HTTP PUT to `/ingest/{stream_key}/...`, hls.js (from npm) plays the stream in headless
//! Chromium, ffprobe reads the origin's playlists as an independent client, and `onair inspect` walks
//! them. The origin decodes the pushed stream's live thumbnail itself.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use onair_media::MultivariantPlaylist;
use onair_tests::{
    create_stream, download_recording, end_stream, ffprobe_json, hlsjs_web_dir, onair_inspect,
    wait_for_ok, wait_for_segments, wait_for_thumbnail, Browser, FfmpegPush, TestServer,
    HLSJS_STATE, TEST_SOURCE_FPS,
};
use serde_json::Value;

/// (a) + (c): one rendition pushed by ffmpeg; hls.js plays it live; ffprobe reads it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_pushes_one_rendition_and_hlsjs_plays_it() -> Result<()> {
    let server = TestServer::start_serving(hlsjs_web_dir()?).await?;
    let stream = create_stream(&server, "ffmpeg single").await?;
    let push = FfmpegPush::single("single", &server.ingest_url(&stream), 12)?;

    let media_url = server.url(&format!("/live/{}/r0/index.m3u8", stream.id));
    let first = wait_for_segments(&media_url, 1, Duration::from_secs(15)).await?;
    ensure!(first.target_duration == 2, "target duration: {first:?}");

    // Its live thumbnail, decoded by the origin (an encoder sends no snapshot): the 640x360 test
    // pattern at card size, in colour.
    let base = server.url("");
    let picture = wait_for_thumbnail(
        &base,
        &stream.id,
        None,
        "ffmpeg-push",
        Duration::from_secs(15),
    )
    .await?;
    println!("thumbnail {picture:?}, spread {}", picture.spread());
    ensure!((picture.width, picture.height) == (480, 270), "{picture:?}");
    ensure!(picture.content_type == "image/jpeg", "{picture:?}");
    ensure!(picture.cache_control.contains("max-age=5"), "{picture:?}");
    ensure!(picture.spread() > 100, "a flat picture: {picture:?}");

    // hls.js plays it while it is live.
    let t = |state: &Value| state["t"].as_f64().unwrap_or(0.0);
    let (played, later) = Browser::run("hlsjs-single-failure", async |browser| {
        let played = browser
            .play_with_hlsjs(
                &server.url("/hls.html"),
                &server.url(&format!("/live/{}/index.m3u8", stream.id)),
                3.0,
                Duration::from_secs(30),
            )
            .await?;
        browser.screenshot("hlsjs-single-playing").await?;
        let later = browser
            .wait_for_state(
                &format!("hls.js's currentTime to pass {:.2} s", t(&played) + 1.0),
                HLSJS_STATE,
                Duration::from_secs(20),
                |s| !s["fatal"].is_null() || t(s) > t(&played) + 1.0,
            )
            .await?;
        Ok((played, later))
    })
    .await?;
    let t0 = t(&played);
    println!("hls.js {}: {played} then {later}", played["version"]);
    ensure!(
        later["t"].as_f64().unwrap_or(0.0) > t0 + 1.0,
        "currentTime did not advance: {played} then {later}"
    );
    ensure!(later["fatal"].is_null(), "{later}");
    ensure!(
        (later["width"].as_u64(), later["height"].as_u64()) == (Some(640), Some(360)),
        "{later}"
    );
    let levels = &later["levels"];
    ensure!(
        levels[0]["codecs"]
            .as_str()
            .is_some_and(|c| c.contains("avc1.") && c.contains("mp4a.40.2")),
        "{levels}"
    );

    push.finish(Duration::from_secs(30)).await?;

    // What the origin derived from the media, not from ffmpeg's playlists.
    let multivariant = wait_for_ok(
        &server.url(&format!("/live/{}/index.m3u8", stream.id)),
        Duration::from_secs(2),
    )
    .await?;
    println!("{multivariant}");
    ensure!(
        multivariant.contains("RESOLUTION=640x360"),
        "{multivariant}"
    );
    ensure!(
        multivariant.contains(&format!("FRAME-RATE={TEST_SOURCE_FPS}")),
        "{multivariant}"
    );
    ensure!(
        multivariant.contains("AVERAGE-BANDWIDTH="),
        "{multivariant}"
    );
    ensure!(multivariant.contains("CODECS=\"avc1.64"), "{multivariant}");
    let playlist = wait_for_segments(&media_url, 6, Duration::from_secs(5)).await?;
    let total: f64 = playlist.segments.iter().map(|s| s.duration_secs).sum();
    println!(
        "{} segments, {total:.2} s listed, media sequence {}",
        playlist.segments.len(),
        playlist.media_sequence
    );
    ensure!((total - 12.0).abs() < 0.5, "12 s pushed, {total} s listed");
    expect_clean_inspect(&server.url(&format!("/live/{}/index.m3u8", stream.id))).await?;

    // The broadcaster ends the stream; ffprobe, as an independent client, reads it whole through our
    // multivariant playlist (the live window still holds all six segments, now with EXT-X-ENDLIST).
    end_stream(&server, &stream).await?;
    let probe = ffprobe_json(&[
        "-count_packets",
        "-show_streams",
        &server.url(&format!("/live/{}/index.m3u8", stream.id)),
    ])?;
    let streams = probe["streams"].as_array().context("streams")?;
    let video = streams
        .iter()
        .find(|s| s["codec_type"] == "video")
        .context("video")?;
    ensure!(
        video["codec_name"] == "h264" && video["width"] == 640,
        "{video}"
    );
    ensure!(
        streams
            .iter()
            .any(|s| s["codec_type"] == "audio" && s["codec_name"] == "aac"),
        "{probe}"
    );
    let packets: u64 = video["nb_read_packets"]
        .as_str()
        .and_then(|n| n.parse().ok())
        .context("packet count")?;
    println!("ffprobe read {packets} video packets");
    ensure!(
        packets == 12 * u64::from(TEST_SOURCE_FPS),
        "{packets} video packets"
    );
    Ok(())
}

/// (b): a two-rendition `-var_stream_map` ladder; ffprobe sees both renditions with their sizes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_pushes_a_two_rendition_ladder() -> Result<()> {
    let server = TestServer::start_with(std::env::temp_dir()).await?;
    let stream = create_stream(&server, "ffmpeg ladder").await?;
    let push = FfmpegPush::ladder("ladder", &server.ingest_url(&stream), 8)?;
    push.finish(Duration::from_secs(30)).await?;
    end_stream(&server, &stream).await?;

    let url = server.url(&format!("/live/{}/index.m3u8", stream.id));
    let multivariant = wait_for_ok(&url, Duration::from_secs(2)).await?;
    println!("{multivariant}");
    ensure!(
        multivariant.contains("\nstream_0/index.m3u8"),
        "{multivariant}"
    );
    ensure!(
        multivariant.contains("\nstream_1/index.m3u8"),
        "{multivariant}"
    );
    ensure!(
        multivariant.contains("RESOLUTION=640x360"),
        "{multivariant}"
    );
    ensure!(
        multivariant.contains("RESOLUTION=320x180"),
        "{multivariant}"
    );
    ensure!(
        multivariant.matches("FRAME-RATE=25").count() == 2,
        "{multivariant}"
    );
    let bandwidths: Vec<u64> = multivariant
        .lines()
        .filter_map(|l| l.strip_prefix("#EXT-X-STREAM-INF:BANDWIDTH="))
        .filter_map(|rest| rest.split(',').next()?.parse().ok())
        .collect();
    ensure!(bandwidths.len() == 2, "{multivariant}");
    ensure!(
        bandwidths.first() > bandwidths.get(1),
        "the 600 kbps rendition measures more than the 150 kbps one: {bandwidths:?}"
    );

    let probe = ffprobe_json(&["-show_programs", "-show_streams", &url])?;
    let sizes = video_sizes(probe["streams"].as_array().context("streams")?);
    println!(
        "ffprobe: {} programs, video sizes {sizes:?}",
        probe["programs"].as_array().map_or(0, Vec::len)
    );
    ensure!(sizes == [(320, 180), (640, 360)], "{probe}");
    ensure!(
        probe["programs"].as_array().map_or(0, Vec::len) == 2,
        "{probe}"
    );
    expect_clean_inspect(&url).await?;
    Ok(())
}

/// The sizes of ffprobe's video streams, `(width, height)`, each once, smallest first.
fn video_sizes(streams: &[Value]) -> Vec<(u64, u64)> {
    let mut sizes: Vec<(u64, u64)> = streams
        .iter()
        .filter(|s| s["codec_type"] == "video")
        .filter_map(|s| Some((s["width"].as_u64()?, s["height"].as_u64()?)))
        .collect();
    sizes.sort_unstable();
    sizes.dedup();
    sizes
}

/// `onair inspect` walks the stream at `url` (multivariant -> media playlists -> inits -> segments) and
/// reports no violation.
async fn expect_clean_inspect(url: &str) -> Result<()> {
    let (code, report) = onair_inspect(url).await?;
    let violations = report["violations"].as_array().cloned().unwrap_or_default();
    println!(
        "onair inspect {url}: exit {code}, {} media playlists, violations {violations:?}",
        report["media_playlists"].as_array().map_or(0, Vec::len)
    );
    ensure!(code == 0 && violations.is_empty(), "{report:#}");
    Ok(())
}

/// What the hls.js test page says about audio: its audio tracks (from the EXT-X-MEDIA group), the one
/// selected, and how many audio and video bytes Chromium decoded.
const HLSJS_AUDIO_STATE: &str = "const h = window.hls; const v = document.getElementById('video');
    return { t: v.currentTime, paused: v.paused, width: v.videoWidth, height: v.videoHeight,
             fatal: window.onair.fatal, errors: window.onair.errors, levels: window.onair.levels,
             audioTracks: h.audioTracks.map(a => ({ name: a.name, groupId: a.groupId, default: a.default,
                                                   channels: a.channels || null, url: a.url })),
             audioTrack: h.audioTrack, audioBytes: v.webkitAudioDecodedByteCount,
             videoBytes: v.webkitVideoDecodedByteCount };";

/// (d), issue 5: a ladder whose audio is its own rendition (`-var_stream_map "v:0,agroup:aud
/// v:1,agroup:aud a:0,agroup:aud"`). The origin lists the audio as an EXT-X-MEDIA audio group that both
/// video variants name; `onair inspect` walks it (audio media playlist included) without a violation;
/// hls.js plays it with its one audio track; ffprobe sees both video programs and the audio.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_pushes_a_ladder_with_separate_audio() -> Result<()> {
    let server = TestServer::start_serving(hlsjs_web_dir()?).await?;
    let stream = create_stream(&server, "ffmpeg audio group").await?;
    let push = FfmpegPush::ladder_separate_audio("audio-group", &server.ingest_url(&stream), 16)?;
    for rendition in ["stream_0", "stream_1", "stream_2"] {
        let url = server.url(&format!("/live/{}/{rendition}/index.m3u8", stream.id));
        wait_for_segments(&url, 1, Duration::from_secs(15)).await?;
    }

    // The multivariant playlist: one audio group, two video variants that name it.
    let url = server.url(&format!("/live/{}/index.m3u8", stream.id));
    let text = wait_for_ok(&url, Duration::from_secs(2)).await?;
    println!("{text}");
    ensure!(
        text.contains(
            "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"stream_2\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"2\",URI=\"stream_2/index.m3u8\"\n"
        ),
        "{text}"
    );
    let multivariant = MultivariantPlaylist::parse(&text)?;
    let uris: Vec<&str> = multivariant
        .variants
        .iter()
        .map(|v| v.uri.as_str())
        .collect();
    ensure!(
        uris == ["stream_0/index.m3u8", "stream_1/index.m3u8"],
        "the audio rendition is not a variant of its own: {text}"
    );
    for variant in &multivariant.variants {
        ensure!(variant.audio.as_deref() == Some("audio"), "{text}");
        let codecs: Vec<&str> = variant.codecs.split(',').collect();
        ensure!(
            codecs.len() == 2 && codecs[0].starts_with("avc1.64") && codecs[1] == "mp4a.40.2",
            "CODECS = the video's own plus the group's audio: {text}"
        );
    }
    ensure!(text.contains("RESOLUTION=640x360") && text.contains("RESOLUTION=320x180"));

    // The inspector walks multivariant -> both video playlists and the audio playlist -> inits ->
    // segments, and finds nothing wrong with our own output.
    let (code, report) = onair_inspect(&url).await?;
    let violations = report["violations"].as_array().cloned().unwrap_or_default();
    let walked: Vec<&str> = report["media_playlists"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["uri"].as_str())
        .collect();
    println!(
        "onair inspect {url}: exit {code}, walked {walked:?}, variants {}, violations {violations:?}",
        report["variants"]
    );
    ensure!(code == 0 && violations.is_empty(), "{report:#}");
    ensure!(
        walked.len() == 3 && walked.iter().any(|u| u.ends_with("/stream_2/index.m3u8")),
        "the audio media playlist was walked too: {walked:?}"
    );
    for variant in report["variants"].as_array().into_iter().flatten() {
        ensure!(variant["measured_codecs"] == variant["codecs"], "{variant}");
    }

    // hls.js plays the stream with the group's audio track.
    let t = |state: &Value| state["t"].as_f64().unwrap_or(0.0);
    let bytes = |state: &Value, key: &str| state[key].as_u64().unwrap_or(0);
    let (first, later) = Browser::run("hlsjs-audio-group-failure", async |browser| {
        browser
            .play_with_hlsjs(&server.url("/hls.html"), &url, 3.0, Duration::from_secs(30))
            .await?;
        let first = browser.js(HLSJS_AUDIO_STATE).await?;
        let later = browser
            .wait_for_state(
                "hls.js's playhead 1 s further, with more audio decoded",
                HLSJS_AUDIO_STATE,
                Duration::from_secs(20),
                |s| {
                    !s["fatal"].is_null()
                        || (t(s) > t(&first) + 1.0
                            && bytes(s, "audioBytes") > bytes(&first, "audioBytes"))
                },
            )
            .await?;
        browser.screenshot("hlsjs-audio-group-playing").await?;
        Ok((first, later))
    })
    .await?;
    println!("hls.js: {first}\nthen {later}");
    ensure!(later["fatal"].is_null(), "{later}");
    ensure!(
        t(&later) > t(&first) + 1.0,
        "currentTime did not advance: {first} then {later}"
    );
    let tracks = later["audioTracks"].as_array().context("audioTracks")?;
    ensure!(tracks.len() == 1, "{later}");
    ensure!(
        tracks[0]["name"] == "stream_2" && tracks[0]["default"] == true,
        "{later}"
    );
    ensure!(later["audioTrack"] == 0, "{later}");
    ensure!(
        bytes(&later, "audioBytes") > bytes(&first, "audioBytes"),
        "Chromium kept decoding audio: {first} then {later}"
    );
    ensure!(
        later["width"]
            .as_u64()
            .is_some_and(|w| w == 640 || w == 320),
        "{later}"
    );

    push.finish(Duration::from_secs(30)).await?;
    end_stream(&server, &stream).await?;

    // ffprobe, an independent client, reads the ended stream through the multivariant playlist.
    let probe = ffprobe_json(&["-show_programs", "-show_streams", &url])?;
    let streams = probe["streams"].as_array().context("streams")?;
    let sizes = video_sizes(streams);
    let audio: Vec<&Value> = streams
        .iter()
        .filter(|s| s["codec_type"] == "audio")
        .collect();
    let programs = probe["programs"].as_array().map_or(0, Vec::len);
    println!(
        "ffprobe: {programs} programs, video sizes {sizes:?}, audio {:?}",
        audio
            .iter()
            .map(|a| format!("{} {} ch", a["codec_name"], a["channels"]))
            .collect::<Vec<_>>()
    );
    ensure!(sizes == [(320, 180), (640, 360)], "{probe}");
    ensure!(programs == 2, "{probe}");
    ensure!(
        !audio.is_empty()
            && audio
                .iter()
                .all(|a| a["codec_name"] == "aac" && a["channels"] == 2),
        "{probe}"
    );

    // The recording has the same shape, and is clean for the inspector too (now every segment exists,
    // so BANDWIDTH is held to the peak).
    // Downloaded as one MP4 file: the best video and the group's audio joined, 16 s of both.
    let file = download_recording(&server.url(""), &stream.id, "audio-group").await?;
    println!(
        "recording.mp4: {:?}, {:.2} s, packets {:?}",
        file.kinds, file.duration, file.packets
    );
    ensure!(file.kinds == ["video", "audio"], "{:?}", file.probe);
    ensure!((file.duration - 16.0).abs() < 0.5, "{:?}", file.probe);
    ensure!(
        file.packets[0] == 16 * u64::from(TEST_SOURCE_FPS),
        "every video frame: {:?}",
        file.packets
    );
    ensure!(
        file.probe["streams"][0]["width"] == 640,
        "the best picture: {:?}",
        file.probe
    );

    let recording = server.url(&format!("/live/{}/recording.m3u8", stream.id));
    let text = wait_for_ok(&recording, Duration::from_secs(2)).await?;
    ensure!(
        text.contains("URI=\"stream_2/recording.m3u8\"")
            && text.matches("AUDIO=\"audio\"").count() == 2,
        "{text}"
    );
    let (code, report) = onair_inspect(&recording).await?;
    println!(
        "onair inspect {recording}: exit {code}, violations {}",
        report["violations"]
    );
    ensure!(code == 0, "{report:#}");
    Ok(())
}
