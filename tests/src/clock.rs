//! A camera whose frames carry their own number, for measuring latency glass to glass from the pixels.
//!
//! [`clock_y4m`] makes (once, with ffmpeg) a 640x360, 30 fps Y4M file that Chromium's fake camera plays
//! in a loop (`--use-file-for-fake-video-capture`). The top half of every frame is a barcode of the
//! frame's number: row A (y 0–89) has 16 bars of 40 px, bar `i` white when bit `i` of the number is set;
//! row B (y 90–179) is row A inverted, so that a frame caught mid-change or smeared by the encoder is
//! rejected instead of read wrong. The bottom half is ffmpeg's `testsrc2`, moving, so a person looking at
//! a screenshot sees video.
//!
//! [`CLOCK_READER_JS`] reads the number back in a page: on every frame a `<video>` presents
//! (`requestVideoFrameCallback`), it draws the frame into a 64x36 canvas, reads the bars and records
//! `[wall-clock ms, number]` in `window.__clock`. [`read_barcode`] is the same reader in Rust, over a
//! luma plane, so the file and the reader are checked against each other without a browser.

use anyhow::{bail, Context, Result};
use std::path::PathBuf;

/// Frames per second of the clock file.
pub const CLOCK_FPS: u32 = 30;
/// Frames in the file before it loops (20 s): numbers repeat modulo this.
pub const CLOCK_FRAMES: u32 = 600;
/// Width of the clock file, in pixels.
pub const CLOCK_WIDTH: usize = 640;
/// Height of the clock file, in pixels.
pub const CLOCK_HEIGHT: usize = 360;
/// Bars per row: the bits of a frame number.
pub const CLOCK_BITS: usize = 16;

/// The clock file (made by ffmpeg on first use, then reused): `$TMPDIR/onair-clock-v1.y4m`, about
/// 207 MB.
pub fn clock_y4m() -> Result<PathBuf> {
    let path = std::env::temp_dir().join("onair-clock-v1.y4m");
    let frame_bytes = CLOCK_WIDTH * CLOCK_HEIGHT * 3 / 2 + "FRAME\n".len();
    let expected = (frame_bytes * CLOCK_FRAMES as usize) as u64;
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > expected) {
        return Ok(path);
    }
    let partial = path.with_extension("y4m.part");
    let bar = "mod(floor(N/pow(2,floor(X/40))),2)";
    let graph = format!(
        "[1:v]geq=lum='if(lt(Y,90),16+219*{bar},235-219*{bar})':cb=128:cr=128[bars];\
         [bars][0:v]vstack=inputs=2,format=yuv420p[out]"
    );
    let half = format!("{CLOCK_WIDTH}x{}", CLOCK_HEIGHT / 2);
    crate::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &format!("testsrc2=s={half}:r={CLOCK_FPS}"),
        "-f",
        "lavfi",
        "-i",
        &format!("color=c=black:s={half}:r={CLOCK_FPS}"),
        "-filter_complex",
        &graph,
        "-map",
        "[out]",
        "-frames:v",
        &CLOCK_FRAMES.to_string(),
        "-f",
        "yuv4mpegpipe",
        partial.to_str().context("a UTF-8 temporary directory")?,
    ])
    .context("making the clock file with ffmpeg")?;
    std::fs::rename(&partial, &path)?;
    Ok(path)
}

/// The luma planes of a Y4M file's frames (4:2:0, 8 bit), with the frame size.
pub fn y4m_luma_frames(data: &[u8]) -> Result<(usize, usize, Vec<&[u8]>)> {
    let header_end = data
        .iter()
        .position(|&b| b == b'\n')
        .context("a Y4M header line")?;
    let header = std::str::from_utf8(data.get(..header_end).context("header")?)?;
    if !header.starts_with("YUV4MPEG2 ") {
        bail!("not a Y4M file: {header}");
    }
    let field = |tag: char| -> Result<usize> {
        header
            .split(' ')
            .find_map(|f| f.strip_prefix(tag))
            .with_context(|| format!("{tag} in {header}"))?
            .parse()
            .with_context(|| format!("{tag} in {header}"))
    };
    let (width, height) = (field('W')?, field('H')?);
    let frame_len = width * height * 3 / 2;
    let mut frames = Vec::new();
    let mut at = header_end + 1;
    while at < data.len() {
        let rest = data.get(at..).context("frame")?;
        let line_end = rest
            .iter()
            .position(|&b| b == b'\n')
            .context("a FRAME line")?;
        let start = at + line_end + 1;
        let luma = data
            .get(start..start + width * height)
            .context("a whole frame")?;
        frames.push(luma);
        at = start + frame_len;
    }
    Ok((width, height, frames))
}

/// Reads the frame number from a luma plane of `width` x `height` (any size: the bars scale), sampling
/// where [`CLOCK_READER_JS`] does; `None` when a bar is grey or row B is not row A inverted.
pub fn read_barcode(luma: &[u8], width: usize, height: usize) -> Option<u32> {
    let at = |x: usize, y: usize| luma.get(y * width + x).copied();
    let (mut a, mut b) = (0u32, 0u32);
    for bit in 0..CLOCK_BITS {
        // The centre of bar `bit`, in row A (y = 1/8 of the height) and row B (y = 3/8).
        let x = (2 * bit + 1) * width / (2 * CLOCK_BITS);
        let (ya, yb) = (at(x, height / 8)?, at(x, height * 3 / 8)?);
        if ya.abs_diff(128) < 40 || yb.abs_diff(128) < 40 {
            return None;
        }
        a |= u32::from(ya > 128) << bit;
        b |= u32::from(yb > 128) << bit;
    }
    (a ^ b == (1 << CLOCK_BITS) - 1).then_some(a)
}

/// The reader injected into every page of a latency session (before the page's own scripts, by CDP
/// `Page.addScriptToEvaluateOnNewDocument`); `%SELECTOR%` is replaced by the CSS selector of the
/// `<video>` to read. It raises the Resource Timing buffer (so every fetch is counted) and, once the
/// element exists, records on every presented frame `[performance.timeOrigin + expectedDisplayTime,
/// number]` in `window.__clock.samples` (`misses` counts frames whose bars did not read, e.g. before
/// the first frame or while a player shows nothing).
pub const CLOCK_READER_JS: &str = r#"(() => {
  try { performance.setResourceTimingBufferSize(1000000); } catch (e) {}
  const clock = { samples: [], misses: 0, origin: performance.timeOrigin, attached: null };
  window.__clock = clock;
  // Main-thread tasks over 50 ms, for traces: [start ms since navigation, duration ms].
  clock.longtasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) clock.longtasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch (e) {}
  const canvas = document.createElement('canvas');
  canvas.width = 64; canvas.height = 36;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const read = (video) => {
    ctx.drawImage(video, 0, 0, 64, 36);
    const d = ctx.getImageData(0, 0, 64, 36).data;
    let a = 0, b = 0;
    for (let bit = 0; bit < 16; bit++) {
      const x = Math.floor((2 * bit + 1) * 64 / 32);
      const ya = d[(Math.floor(36 / 8) * 64 + x) * 4], yb = d[(Math.floor(36 * 3 / 8) * 64 + x) * 4];
      if (Math.abs(ya - 128) < 40 || Math.abs(yb - 128) < 40) return null;
      if (ya > 128) a |= 1 << bit;
      if (yb > 128) b |= 1 << bit;
    }
    return (a ^ b) === 0xffff ? a : null;
  };
  const watch = (video) => {
    clock.attached = performance.timeOrigin + performance.now();
    // The element's state every 100 ms, for traces (`TRACE_JS`): [ms since navigation, currentTime,
    // end of the buffered range holding it, playbackRate, readyState].
    clock.states = [];
    setInterval(() => {
      if (clock.states.length > 20000) return;
      const t = video.currentTime, b = video.buffered;
      let end = null;
      for (let i = 0; i < b.length; i++) { if (b.start(i) <= t + 0.05 && t <= b.end(i)) end = b.end(i); }
      clock.states.push([performance.now(), t, end, video.playbackRate, video.readyState]);
    }, 100);
    const step = (now, meta) => {
      const n = video.videoWidth > 0 ? read(video) : null;
      const t = performance.timeOrigin + (meta && meta.expectedDisplayTime ? meta.expectedDisplayTime : now);
      if (n === null) { clock.misses += 1; } else { clock.samples.push([t, n]); }
      video.requestVideoFrameCallback(step);
    };
    video.requestVideoFrameCallback(step);
  };
  const find = () => {
    const video = document.querySelector('%SELECTOR%');
    if (video) { watch(video); return true; }
    return false;
  };
  const start = () => {
    if (find()) return;
    const observer = new MutationObserver(() => { if (find()) observer.disconnect(); });
    observer.observe(document.documentElement, { childList: true, subtree: true });
  };
  if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start);
})();"#;

/// A page's trace, for a person to read after a run (`ONAIR_TRACE_DIR`): the element's states every
/// 100 ms, every request's timing and the main thread's long tasks, all in ms since navigation.
pub const TRACE_JS: &str =
    "const c = window.__clock || {};
    const requests = performance.getEntriesByType('resource')
      .map(e => [e.name.replace(/^https?:\\/\\/[^/]*/, ''), e.startTime, e.responseStart, e.responseEnd, e.encodedBodySize]);
    return { states: c.states || [], requests, longtasks: c.longtasks || [], marks: performance.getEntriesByType('mark').map(m => [m.name, m.startTime]) };";

/// What a page's reader recorded and what it fetched from `/live/` (playlists and media, not the
/// page's own code): bytes, requests, and when the first one started (ms from navigation start).
pub const CLOCK_REPORT_JS: &str =
    "const c = window.__clock || { samples: [], misses: 0, origin: 0 };
    const entries = performance.getEntriesByType('resource').filter(e => e.name.includes('/live/'));
    let bytes = 0, first = null;
    for (const e of entries) {
      bytes += e.encodedBodySize || e.transferSize || 0;
      if (first === null || e.startTime < first) { first = e.startTime; }
    }
    return { samples: c.samples, misses: c.misses, origin: c.origin, attached: c.attached,
             fetched_bytes: bytes, requests: entries.length, first_live_ms: first };";
