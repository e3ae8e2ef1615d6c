//! A server restart in the middle of a browser broadcast: headless Chromium goes live on /go-live (the
//! broadcaster uploads Low-Latency HLS parts); the server stops mid-segment, stays unreachable for three
//! seconds, and starts again on the same address and data directory. The broadcaster's queue retries
//! what it could not upload, and the stream goes on where it was: the segment that was open at the
//! restart is whole (its parts from before the restart were kept on disk), the msns stay contiguous with
//! no discontinuity, every segment stored before the restart is served byte for byte, the page reports
//! no dropped media, and ffprobe decodes the whole recording once the stream ends.
//!
//! Screenshots: `tests/artifacts/llr-*.png`.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use onair_media::MediaPlaylist;
use onair_tests::{ffprobe_json, first_variant, wait_for_segments, Browser, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_segment_loses_no_part_of_a_browser_broadcast() -> Result<()> {
    let server = TestServer::start().await?;
    Browser::run("llr-failure", async move |browser| {
        run(server, browser).await
    })
    .await
}

async fn get(url: &str) -> Result<(u16, Vec<u8>)> {
    let response = reqwest::get(url).await?;
    Ok((response.status().as_u16(), response.bytes().await?.to_vec()))
}

async fn run(server: TestServer, browser: &Browser) -> Result<()> {
    let base = format!("http://{}", server.addr);
    let id = browser.go_live(&base, "Restart test", "llr").await?;
    let media_uri = first_variant(&base, &id).await?;
    let playlist_url = server.url(&format!("/live/{id}/{media_uri}"));
    let rendition_url = playlist_url
        .rsplit_once('/')
        .map(|(dir, _)| dir.to_owned())
        .context("a rendition folder")?;

    // Live for a while, then stop the server in the middle of a segment (its parts are arriving).
    let before = wait_for_segments(&playlist_url, 3, Duration::from_secs(60)).await?;
    let before = wait_for_open_parts(&playlist_url, before.segments.len(), 2).await?;
    let open_msn = before.media_sequence + before.segments.len() as u64;
    let mut stored = Vec::new();
    for segment in &before.segments {
        let (status, bytes) = get(&format!("{rendition_url}/{}", segment.uri)).await?;
        ensure!(
            status == 200,
            "segment {} before the restart: {status}",
            segment.uri
        );
        stored.push((segment.uri.clone(), bytes));
    }
    println!(
        "stopping the server with segments {}..{} complete and {} parts of segment {open_msn}",
        before.media_sequence,
        open_msn - 1,
        before.trailing_parts.len()
    );
    let server = server.restart_in_place(Duration::from_secs(3)).await?;

    // The broadcaster comes back by itself and the stream goes on.
    let after = wait_for_segments(
        &playlist_url,
        before.segments.len() + 3,
        Duration::from_secs(60),
    )
    .await
    .context("the stream goes on after the restart")?;
    let text = String::from_utf8(get(&playlist_url).await?.1)?;
    ensure!(
        !text.contains("#EXT-X-DISCONTINUITY"),
        "the broadcast continued without a new period:\n{text}"
    );
    let msns: Vec<u64> = (0..after.segments.len() as u64)
        .map(|i| after.media_sequence + i)
        .collect();
    for (segment, msn) in after.segments.iter().zip(&msns) {
        ensure!(
            segment.uri == format!("{msn}.m4s"),
            "contiguous msns: {} at {msn}",
            segment.uri
        );
    }
    let resumed = after
        .segments
        .iter()
        .zip(&msns)
        .find(|(_, msn)| **msn == open_msn)
        .map(|(s, _)| s.duration_secs)
        .context("the segment open at the restart is in the playlist")?;
    println!("segment {open_msn}, open at the restart: {resumed:.3} s");
    ensure!(
        resumed > 1.9,
        "the segment open at the restart is whole (2 s of parts), not {resumed} s"
    );
    for (uri, bytes) in &stored {
        let (status, again) = get(&format!("{rendition_url}/{uri}")).await?;
        ensure!(
            status == 200 && &again == bytes,
            "{uri} is served as before the restart"
        );
    }
    let dropped = browser
        .js("return document.querySelector('#stats .dropped')?.textContent || '';")
        .await?;
    let errors = browser
        .js("return document.querySelector('#stats .errors')?.textContent || '';")
        .await?;
    println!("broadcaster after the restart: dropped {dropped}, upload errors {errors}");
    ensure!(dropped.as_str() == Some("0"), "nothing dropped: {dropped}");
    browser.screenshot("llr-after-restart").await?;

    browser.end_stream_on_page("llr-ended").await?;
    let recording = server.url(&format!("/live/{id}/recording.m3u8"));
    let probe = ffprobe_json(&[
        "-count_frames",
        "-select_streams",
        "v:0",
        "-show_entries",
        "stream=nb_read_frames:format=duration",
        &recording,
    ])?;
    let frames: u64 = probe["streams"][0]["nb_read_frames"]
        .as_str()
        .and_then(|n| n.parse().ok())
        .context("ffprobe counted frames")?;
    let whole = String::from_utf8(get(&format!("{rendition_url}/recording.m3u8")).await?.1)?;
    let total: f64 = MediaPlaylist::parse(&whole)?
        .segments
        .iter()
        .map(|s| s.duration_secs)
        .sum();
    println!("recording: {total:.2} s, ffprobe decoded {frames} frames");
    ensure!(
        frames as f64 > total * 20.0 * 0.9,
        "ffprobe decodes the whole recording: {frames} frames over {total:.2} s at 20 fps"
    );
    Ok(())
}

/// GETs the playlist until the open segment (after `complete` segments, or more if segments complete
/// meanwhile) lists at least `parts` parts, for at most 10 s.
async fn wait_for_open_parts(url: &str, complete: usize, parts: usize) -> Result<MediaPlaylist> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut complete = complete;
    loop {
        let text = String::from_utf8(get(url).await?.1)?;
        let playlist = MediaPlaylist::parse(&text)?;
        if playlist.segments.len() > complete {
            // The segment closed meanwhile: wait for the parts of the next one.
            complete = playlist.segments.len();
        }
        if playlist.segments.len() == complete && playlist.trailing_parts.len() >= parts {
            return Ok(playlist);
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "{url}: no open segment with {parts} parts within 10 s; the last playlist:\n{text}"
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
