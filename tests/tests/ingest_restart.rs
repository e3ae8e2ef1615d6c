//! Kill and restart: the server stops (as on SIGTERM) while ffmpeg pushes; a new server on the same data
//! directory serves every segment stored before, byte for byte; the encoder comes back with the same key
//! and the stream continues after an EXT-X-DISCONTINUITY with higher media sequence numbers; the ended
//! recording plays to the end (ffprobe reads it whole).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use onair_media::MediaPlaylist;
use onair_tests::{
    create_stream, download_recording, end_stream, ffprobe_json, wait_for_segments, FfmpegPush,
    TestServer, TEST_SOURCE_FPS,
};

async fn get_bytes(http: &reqwest::Client, url: &str) -> Result<(reqwest::StatusCode, Vec<u8>)> {
    let response = http.get(url).send().await?;
    Ok((response.status(), response.bytes().await?.to_vec()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_loses_nothing_and_the_stream_continues() -> Result<()> {
    let web = tempfile::tempdir()?;
    let server = TestServer::start_with(web.path().to_path_buf()).await?;
    let stream = create_stream(&server, "restart").await?;
    let http = reqwest::Client::new();

    // ffmpeg pushes for longer than we let the server live.
    let push = FfmpegPush::single("restart-1", &server.ingest_url(&stream), 30)?;
    let media_path = format!("/live/{}/r0/index.m3u8", stream.id);
    wait_for_segments(&server.url(&media_path), 3, Duration::from_secs(20)).await?;

    // Stop it mid-stream, then the encoder gives up.
    let data_dir = Arc::clone(&server.data_dir);
    let mut server = server;
    server.stop().await?;
    push.kill();

    // Everything the first server stored, as files: the truth a restart must keep.
    let rendition_dir = data_dir.path().join("streams").join(&stream.id).join("r0");
    let mut stored: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    for entry in std::fs::read_dir(&rendition_dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(msn) = name.strip_suffix(".m4s").and_then(|n| n.parse().ok()) {
            stored.insert(msn, std::fs::read(entry.path())?);
        }
    }
    let init = std::fs::read(rendition_dir.join("init.mp4"))?;
    let before = stored.len() as u64;
    println!("stored before the restart: {before} segments");
    ensure!(before >= 3, "{before} segments");

    let server = TestServer::start_on(data_dir, web.path().to_path_buf()).await?;
    for (msn, bytes) in &stored {
        let (status, served) = get_bytes(
            &http,
            &server.url(&format!("/live/{}/r0/{msn}.m4s", stream.id)),
        )
        .await?;
        ensure!(status.is_success(), "segment {msn}: {status}");
        ensure!(&served == bytes, "segment {msn} differs after the restart");
    }
    let (_, served_init) = get_bytes(
        &http,
        &server.url(&format!("/live/{}/r0/init.mp4", stream.id)),
    )
    .await?;
    ensure!(served_init == init, "init differs after the restart");
    let about: serde_json::Value = http
        .get(server.url(&format!("/api/streams/{}", stream.id)))
        .send()
        .await?
        .json()
        .await?;
    ensure!(about["status"] == "live", "{about}");

    // The encoder comes back with the same key: the msns continue after a discontinuity.
    let push = FfmpegPush::single("restart-2", &server.ingest_url(&stream), 6)?;
    push.finish(Duration::from_secs(30)).await?;
    let text = http
        .get(server.url(&media_path))
        .send()
        .await?
        .text()
        .await?;
    let live = MediaPlaylist::parse(&text)?;
    let last = live.media_sequence + live.segments.len() as u64 - 1;
    println!(
        "after the encoder came back: msn {} to {last}",
        live.media_sequence
    );
    ensure!(
        last == before + 2,
        "three more segments after {before}: {text}"
    );
    ensure!(
        text.matches("#EXT-X-DISCONTINUITY\n").count() == 1,
        "{text}"
    );

    // A second restart rebuilds the same playlist.
    let server = server.restart().await?;
    let again = http
        .get(server.url(&media_path))
        .send()
        .await?
        .text()
        .await?;
    ensure!(
        again == text,
        "the playlist changed across a restart:\n{text}\n---\n{again}"
    );

    // The recording plays to the end.
    end_stream(&server, &stream).await?;
    let recording_url = server.url(&format!("/live/{}/r0/recording.m3u8", stream.id));
    let recording_text = http.get(&recording_url).send().await?.text().await?;
    let recording = MediaPlaylist::parse(&recording_text)?;
    ensure!(recording.media_sequence == 0, "{recording_text}");
    ensure!(
        recording.segments.len() as u64 == before + 3,
        "{recording_text}"
    );
    ensure!(
        recording_text.contains("#EXT-X-PLAYLIST-TYPE:VOD")
            && recording_text.contains("#EXT-X-ENDLIST"),
        "{recording_text}"
    );
    let frames: f64 = recording
        .segments
        .iter()
        .map(|s| (s.duration_secs * f64::from(TEST_SOURCE_FPS)).round())
        .sum();
    let probe = ffprobe_json(&[
        "-count_packets",
        "-show_streams",
        "-select_streams",
        "v",
        &recording_url,
    ])?;
    let packets: f64 = probe["streams"][0]["nb_read_packets"]
        .as_str()
        .and_then(|n| n.parse().ok())
        .context("packets")?;
    println!(
        "recording: {} segments, ffprobe read {packets} of {frames} video frames",
        recording.segments.len()
    );
    ensure!(packets == frames, "{probe}");

    // Downloaded as one MP4 file: the two encoder runs end to end (the second one's clock restarted at
    // zero), every frame, time never going back.
    let file = download_recording(&server.url(""), &stream.id, "restart").await?;
    println!(
        "recording.mp4: {:?}, {:.2} s, packets {:?}",
        file.kinds, file.duration, file.packets
    );
    ensure!(
        file.packets.first() == Some(&(frames as u64)),
        "{:?}",
        file.probe
    );
    let listed: f64 = recording.segments.iter().map(|s| s.duration_secs).sum();
    ensure!(
        (file.duration - listed).abs() < 1.0,
        "{listed} s listed: {:?}",
        file.probe
    );
    Ok(())
}
