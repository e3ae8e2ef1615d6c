//! Glass-to-glass latency from the pixels: the clock file's frames carry their numbers (read back by
//! OnAir's reader from the file itself and after a low-bitrate H.264 encode at a quarter of the size),
//! and a live session from `/go-live` with the clock camera is read on the broadcaster's preview and on
//! two viewers, our watch page and hls.js, at once. The figures (`latency-pixels-figures.txt`) are
//! printed, not asserted: what is asserted is that the measurement works (the bars read, both players
//! show the stream, every latency is a real delay). `bench-latency` is the benchmark.

use anyhow::{ensure, Result};
use onair_tests::clock::{clock_y4m, read_barcode, y4m_luma_frames, CLOCK_FRAMES};
use onair_tests::glass::{run_session, table};
use onair_tests::{artifacts_dir, ffmpeg};

#[test]
fn every_clock_frame_reads_as_its_number_before_and_after_an_encode() -> Result<()> {
    let path = clock_y4m()?;
    let data = std::fs::read(&path)?;
    let (width, height, frames) = y4m_luma_frames(&data)?;
    ensure!(
        frames.len() == CLOCK_FRAMES as usize,
        "{} frames",
        frames.len()
    );
    for (n, luma) in frames.iter().enumerate() {
        let read = read_barcode(luma, width, height);
        ensure!(read == u32::try_from(n).ok(), "frame {n} read as {read:?}");
    }
    // The lowest rung a player may show: 320x180 at 150 kbit/s, decoded back to grey pixels.
    let dir = tempfile::tempdir()?;
    let encoded = dir.path().join("small.mp4");
    let raw = dir.path().join("small.gray");
    let (input, encoded_s, raw_s) = (
        path.display().to_string(),
        encoded.display().to_string(),
        raw.display().to_string(),
    );
    ffmpeg(&[
        "-i",
        &input,
        "-frames:v",
        "90",
        "-vf",
        "scale=320:180",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-b:v",
        "150k",
        &encoded_s,
    ])?;
    ffmpeg(&[
        "-i", &encoded_s, "-f", "rawvideo", "-pix_fmt", "gray", &raw_s,
    ])?;
    let pixels = std::fs::read(&raw)?;
    let decoded: Vec<Option<u32>> = pixels
        .chunks_exact(320 * 180)
        .map(|frame| read_barcode(frame, 320, 180))
        .collect();
    ensure!(decoded.len() == 90, "{} decoded frames", decoded.len());
    let right = decoded
        .iter()
        .enumerate()
        .filter(|(n, read)| **read == u32::try_from(*n).ok())
        .count();
    let wrong = decoded
        .iter()
        .enumerate()
        .filter(|(n, read)| read.is_some_and(|r| Some(r) != u32::try_from(*n).ok()))
        .count();
    ensure!(wrong == 0, "{wrong} frames read as another number");
    ensure!(right >= 85, "only {right} of 90 encoded frames read");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pixels_give_both_players_latency_on_one_live_stream() -> Result<()> {
    let session = run_session("latency-pixels", 15.0, 3.0, None).await?;
    let (ours, theirs, broadcaster) = (&session.ours, &session.theirs, &session.broadcaster);
    let text = table(
        "latency_pixels: loopback, 15 s, latency after 3 s",
        &session,
    );
    std::fs::write(artifacts_dir().join("latency-pixels-figures.txt"), &text)?;
    println!("{text}");
    ensure!(
        broadcaster.read_ratio() > 0.9 && broadcaster.samples.len() > 300,
        "the broadcaster's preview bars read: {} of {} frames",
        broadcaster.samples.len(),
        broadcaster.samples.len() as u64 + broadcaster.misses
    );
    for viewer in [ours, theirs] {
        let name = viewer.player.name();
        ensure!(viewer.latency_samples > 150, "{name}: {viewer:?}");
        ensure!(viewer.read_ratio > 0.8, "{name} bars read: {viewer:?}");
        let (p50, p95) = (
            viewer.latency_p50.unwrap_or(-1.0),
            viewer.latency_p95.unwrap_or(-1.0),
        );
        // A delay, not a frame from the future, and not a frozen picture.
        ensure!(p50 > 0.0 && p95 < 15.0, "{name}: p50 {p50} p95 {p95}");
        ensure!(
            viewer.fetched_bytes > 0,
            "{name} fetched nothing: {viewer:?}"
        );
    }
    Ok(())
}
