//! Glass-to-glass latency from the pixels: a broadcaster on `/go-live` whose fake camera is the clock
//! file ([`crate::clock`]), viewers in browsers of their own (our `/watch/{id}` and hls.js's test page,
//! on the same stream from the same origin), and the figures computed from what each page's reader saw.
//!
//! Every page records `[wall-clock ms, frame number]` for each frame it presents. The broadcaster's
//! preview shows the camera itself, so the moment it showed frame `n` is frame `n`'s capture, as a person
//! in front of the camera sees it; a viewer showing frame `n` at `t` is `t` minus that moment behind. All
//! browsers run on this machine, so their clocks are one clock.
//!
//! Figures per viewer ([`ViewerFigures`]): latency p50/p95 (after a warm-up from the first frame), time
//! to first frame (from the page's navigation start), rebuffering (gaps of more than
//! [`STALL_GAP_SECS`] between presented frames, from the pixels too), and bits fetched per bit shown
//! (Resource Timing bytes of `/live/` requests, over the seconds watched times the measured bitrate of
//! the level on screen).

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

use crate::browser::{Browser, BrowserOptions};
use crate::clock::{clock_y4m, CLOCK_FPS, CLOCK_FRAMES, CLOCK_READER_JS, CLOCK_REPORT_JS};
use crate::hlsjs::{hlsjs_script, HLSJS_PAGE};
use crate::paths::web_dir;
use crate::server::TestServer;
use crate::stats::{percentile, sorted};
use crate::waits::wait_for_segments;

/// A gap between two presented frames longer than this is a stall (normal gaps are 1/30 s; a loaded
/// machine drops a frame or two).
pub const STALL_GAP_SECS: f64 = 0.3;

/// Which player a viewer runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Player {
    /// Our watch page, `/watch/{id}` (its `<video id="player">`).
    Ours,
    /// hls.js from npm with `lowLatencyMode: true`, on its test page (`<video id="video">`).
    HlsJs,
}

impl Player {
    /// The name printed in figures.
    pub fn name(self) -> &'static str {
        match self {
            Player::Ours => "ours",
            Player::HlsJs => "hls.js",
        }
    }

    fn selector(self) -> &'static str {
        match self {
            Player::Ours => "#player",
            Player::HlsJs => "#video",
        }
    }
}

/// A network profile applied to the viewers (never to the broadcaster), by Chromium's DevTools protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Download rate, kilobits per second.
    pub down_kbps: u32,
    /// Added to every request, milliseconds.
    pub latency_ms: u32,
}

/// What one page's reader recorded.
#[derive(Debug, Clone, Default)]
pub struct PageClock {
    /// `(wall-clock seconds, frame number)` of every frame presented and read.
    pub samples: Vec<(f64, u32)>,
    /// Frames presented whose bars did not read.
    pub misses: u64,
    /// The page's navigation start, wall-clock seconds.
    pub origin: f64,
    /// Bytes of `/live/` responses (playlists and media).
    pub fetched_bytes: u64,
    /// `/live/` requests made.
    pub requests: u64,
    /// When the first `/live/` request started, seconds from navigation start: what loading the page
    /// and the player took before any playback work.
    pub first_live_secs: Option<f64>,
    /// `(wall-clock seconds, videoHeight)` seen while watching.
    pub heights: Vec<(f64, u32)>,
    /// The player's own latency report, the last one read (our `#player-stats`, hls.js's `latency`).
    pub own_report: String,
}

impl PageClock {
    fn from_report(report: &Value) -> PageClock {
        let samples = report["samples"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| {
                        let t = s.get(0)?.as_f64()? / 1000.0;
                        let n = u32::try_from(s.get(1)?.as_u64()?).ok()?;
                        Some((t, n))
                    })
                    .collect()
            })
            .unwrap_or_default();
        PageClock {
            samples,
            misses: report["misses"].as_u64().unwrap_or(0),
            origin: report["origin"].as_f64().unwrap_or(0.0) / 1000.0,
            fetched_bytes: report["fetched_bytes"].as_u64().unwrap_or(0),
            requests: report["requests"].as_u64().unwrap_or(0),
            first_live_secs: report["first_live_ms"].as_f64().map(|ms| ms / 1000.0),
            heights: Vec::new(),
            own_report: String::new(),
        }
    }

    /// Share of presented frames whose bars read.
    pub fn read_ratio(&self) -> f64 {
        let total = self.samples.len() as f64 + self.misses as f64;
        if total == 0.0 {
            0.0
        } else {
            self.samples.len() as f64 / total
        }
    }
}

/// The broadcaster's frames on one continuous count (the file loops every [`CLOCK_FRAMES`]): `(seconds,
/// absolute frame)`, in time order.
fn unwrap_frames(samples: &[(f64, u32)]) -> Vec<(f64, i64)> {
    let mut sorted = samples.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let loop_len = i64::from(CLOCK_FRAMES);
    let mut out: Vec<(f64, i64)> = Vec::with_capacity(sorted.len());
    let mut base = 0i64;
    for (t, n) in sorted {
        let mut absolute = base + i64::from(n);
        if let Some(&(_, last)) = out.last() {
            // A number far below the last one is the file starting over.
            while absolute < last - loop_len / 2 {
                base += loop_len;
                absolute += loop_len;
            }
        }
        out.push((t, absolute));
    }
    out
}

/// When the broadcaster's preview showed absolute frame `frame`: its own sample, or interpolated
/// between the samples around it (a frame the preview skipped).
fn shown_at(timeline: &[(f64, i64)], frame: i64) -> Option<f64> {
    let after = timeline.partition_point(|&(_, f)| f < frame);
    let (t1, f1) = *timeline.get(after)?;
    if f1 == frame {
        return Some(t1);
    }
    let (t0, f0) = *timeline.get(after.checked_sub(1)?)?;
    let span = (f1 - f0) as f64;
    Some(t0 + (t1 - t0) * (frame - f0) as f64 / span)
}

/// Each viewer sample's latency: `(viewer seconds, latency seconds)`. The frame a viewer shows is the
/// latest frame with its number that the broadcaster had shown by then.
pub fn latencies(broadcaster: &PageClock, viewer: &PageClock) -> Vec<(f64, f64)> {
    let timeline = unwrap_frames(&broadcaster.samples);
    let loop_len = i64::from(CLOCK_FRAMES);
    let mut out = Vec::new();
    for &(t, n) in &viewer.samples {
        // The broadcaster's latest frame shown by `t`, then back to the last one numbered `n`.
        let upto = timeline.partition_point(|&(bt, _)| bt <= t);
        let Some(&(_, latest)) = upto.checked_sub(1).and_then(|i| timeline.get(i)) else {
            continue;
        };
        let back = (latest - i64::from(n)).rem_euclid(loop_len);
        let frame = latest - back;
        if let Some(shown) = shown_at(&timeline, frame) {
            out.push((t, t - shown));
        }
    }
    out
}

/// One viewer's figures over a session.
#[derive(Debug, Clone)]
pub struct ViewerFigures {
    /// Which player.
    pub player: Player,
    /// Median glass-to-glass latency after the warm-up, seconds.
    pub latency_p50: Option<f64>,
    /// 95th percentile of the same.
    pub latency_p95: Option<f64>,
    /// Frames the latency figures are over.
    pub latency_samples: usize,
    /// From navigation start to the first frame read, seconds.
    pub first_frame_secs: Option<f64>,
    /// From the first frame to the last, seconds.
    pub watched_secs: f64,
    /// Time in stalls (gaps over [`STALL_GAP_SECS`]), seconds, and how many.
    pub stalled_secs: f64,
    /// Number of stalls.
    pub stalls: usize,
    /// Each stall: (seconds from the first frame to its start, its length in seconds).
    pub stall_list: Vec<(f64, f64)>,
    /// Bits of `/live/` responses per bit of the level on screen.
    pub fetched_per_shown: Option<f64>,
    /// Share of presented frames whose bars read.
    pub read_ratio: f64,
    /// Bytes of `/live/` responses.
    pub fetched_bytes: u64,
    /// `/live/` requests.
    pub requests: u64,
    /// The player's own last latency report.
    pub own_report: String,
    /// When the first `/live/` request started, seconds from navigation start.
    pub first_live_secs: Option<f64>,
}

impl ViewerFigures {
    /// Stalled time over watched time.
    pub fn rebuffer_ratio(&self) -> f64 {
        if self.watched_secs > 0.0 {
            self.stalled_secs / self.watched_secs
        } else {
            0.0
        }
    }

    /// The figures computed from the broadcaster's and this viewer's readings; `bitrate_at(height)` is
    /// the measured bits per second of the level whose frames are `height` pixels high.
    pub fn compute(
        player: Player,
        broadcaster: &PageClock,
        viewer: &PageClock,
        warmup_secs: f64,
        bitrate_at: impl Fn(u32) -> Option<f64>,
    ) -> ViewerFigures {
        let mut frames = viewer.samples.clone();
        frames.sort_by(|a, b| a.0.total_cmp(&b.0));
        let first = frames.first().map(|&(t, _)| t);
        let last = frames.last().map(|&(t, _)| t);
        let steady = sorted(
            latencies(broadcaster, viewer)
                .into_iter()
                .filter(|&(t, _)| first.is_some_and(|f| t >= f + warmup_secs))
                .map(|(_, l)| l)
                .collect(),
        );
        let (mut stalled_secs, mut stalls) = (0.0, 0);
        let mut stall_list = Vec::new();
        for pair in frames.windows(2) {
            if let [(t0, _), (t1, _)] = pair {
                let gap = t1 - t0;
                if gap > STALL_GAP_SECS {
                    let length = gap - 1.0 / f64::from(CLOCK_FPS);
                    stalled_secs += length;
                    stalls += 1;
                    stall_list.push((t0 - first.unwrap_or(*t0), length));
                }
            }
        }
        let watched_secs = match (first, last) {
            (Some(f), Some(l)) => l - f,
            _ => 0.0,
        };
        // Bits shown: each stretch between two height readings at the bitrate of the level shown.
        let mut shown_bits = 0.0;
        let mut known = true;
        for pair in viewer.heights.windows(2) {
            if let [(t0, h), (t1, _)] = pair {
                match bitrate_at(*h) {
                    Some(bps) => shown_bits += bps * (t1 - t0),
                    None => known = false,
                }
            }
        }
        let fetched_per_shown = (known && shown_bits > 0.0).then(|| {
            let shown_span = match (viewer.heights.first(), viewer.heights.last()) {
                (Some(a), Some(b)) => b.0 - a.0,
                _ => 0.0,
            };
            // Scale the shown bits to the whole watch (the readings start and end inside it).
            let scale = if shown_span > 0.0 {
                watched_secs.max(shown_span) / shown_span
            } else {
                1.0
            };
            viewer.fetched_bytes as f64 * 8.0 / (shown_bits * scale)
        });
        ViewerFigures {
            player,
            latency_p50: percentile(&steady, 50.0),
            latency_p95: percentile(&steady, 95.0),
            latency_samples: steady.len(),
            first_frame_secs: first.map(|f| f - viewer.origin),
            watched_secs,
            stalled_secs,
            stalls,
            stall_list,
            fetched_per_shown,
            read_ratio: viewer.read_ratio(),
            fetched_bytes: viewer.fetched_bytes,
            requests: viewer.requests,
            own_report: viewer.own_report.clone(),
            first_live_secs: viewer.first_live_secs,
        }
    }
}

/// Copies the directory tree `from` into `to`.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// A live stream from `/go-live` with the clock camera, on a server that serves the web app and the
/// hls.js test page side by side.
pub struct ClockSession {
    /// The origin.
    pub server: TestServer,
    /// The broadcaster's browser, live on `/go-live`.
    pub broadcaster: Browser,
    /// The stream's id.
    pub stream_id: String,
}

/// One viewer's browser, playing.
pub struct Viewer {
    /// Which player.
    pub player: Player,
    /// Its browser.
    pub browser: Browser,
    heights: Vec<(f64, u32)>,
    /// What the player itself said about its latency, the last time it was read.
    own_report: String,
}

/// Starts a browser whose pages run the clock reader on the `<video>` matched by `selector`.
async fn browser_reading(selector: &str, options: BrowserOptions) -> Result<Browser> {
    let browser = Browser::start_with(options).await?;
    let source = CLOCK_READER_JS.replace("%SELECTOR%", selector);
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": source }),
        )
        .await?;
    Ok(browser)
}

/// Wall-clock seconds now.
fn wall_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl ClockSession {
    /// Starts the origin, a broadcaster browser whose camera is the clock, and goes live from
    /// `/go-live`; returns once the stream's playlist lists a segment. Screenshots are named after
    /// `name`.
    pub async fn start(name: &str) -> Result<ClockSession> {
        let web = tempfile::tempdir()?;
        copy_tree(&web_dir()?, web.path())?;
        std::fs::write(web.path().join("hls.html"), HLSJS_PAGE)?;
        std::fs::copy(hlsjs_script()?, web.path().join("hls.min.js"))?;
        let server = TestServer::start_serving(web).await?;
        let clock = clock_y4m()?;
        let options = BrowserOptions {
            extra_args: vec![format!(
                "--use-file-for-fake-video-capture={}",
                clock.display()
            )],
        };
        let broadcaster = browser_reading("#preview", options).await?;
        let stream_id = match broadcaster
            .go_live(&server.url(""), "clock", &format!("{name}-broadcaster"))
            .await
        {
            Ok(id) => id,
            Err(e) => {
                let _ = broadcaster
                    .screenshot(&format!("{name}-go-live-failed"))
                    .await;
                broadcaster.close().await?;
                return Err(e);
            }
        };
        let playlist = server.url(&format!("/live/{stream_id}/index.m3u8"));
        crate::waits::wait_for_ok(&playlist, Duration::from_secs(30)).await?;
        Ok(ClockSession {
            server,
            broadcaster,
            stream_id,
        })
    }

    /// The stream's multivariant playlist.
    pub fn multivariant_url(&self) -> String {
        self.server
            .url(&format!("/live/{}/index.m3u8", self.stream_id))
    }

    /// Opens a viewer of `player` in a browser of its own, its network shaped by `throttle`.
    pub async fn open_viewer(&self, player: Player, throttle: Option<Throttle>) -> Result<Viewer> {
        let browser = browser_reading(player.selector(), BrowserOptions::default()).await?;
        if let Some(t) = throttle {
            browser.throttle(Some((t.down_kbps, t.latency_ms))).await?;
        }
        let url = match player {
            Player::Ours => self.server.url(&format!("/watch/{}", self.stream_id)),
            Player::HlsJs => reqwest::Url::parse_with_params(
                &self.server.url("/hls.html"),
                [
                    ("src", self.multivariant_url().as_str()),
                    ("config", r#"{"lowLatencyMode":true}"#),
                ],
            )?
            .to_string(),
        };
        browser.client.goto(&url).await?;
        Ok(Viewer {
            player,
            browser,
            heights: Vec::new(),
            own_report: String::new(),
        })
    }

    /// Watches for `seconds` with every viewer, noting each one's frame height once a second, and
    /// answers how old the live edge was at each of those moments: now minus the capture time (the
    /// `EXT-X-PROGRAM-DATE-TIME` the origin takes from the broadcaster's `prft`) of the end of the last
    /// part the first variant's playlist lists. That is what capture, encoding, packaging, upload and
    /// the origin take before any player can load a frame.
    pub async fn watch(&self, viewers: &mut [Viewer], seconds: f64) -> Result<Vec<f64>> {
        let variant = reqwest::Url::parse(&self.multivariant_url())?
            .join(&crate::waits::first_variant(&self.server.url(""), &self.stream_id).await?)?;
        let mut edge_ages = Vec::new();
        let until = std::time::Instant::now() + Duration::from_secs_f64(seconds);
        while std::time::Instant::now() < until {
            for viewer in viewers.iter_mut() {
                let script = format!(
                    "const v = document.querySelector('{}');
                     const s = document.querySelector('#player-stats');
                     const own = window.hls ? 'hls.latency ' + (window.hls.latency || 0).toFixed(2) + ' s, target '
                         + (window.hls.targetLatency || 0).toFixed(2) + ' s' : (s ? s.textContent : '');
                     return [v ? v.videoHeight : 0, own];",
                    viewer.player.selector()
                );
                let answer = viewer.browser.js(&script).await?;
                let height = answer[0].as_u64().unwrap_or(0);
                viewer.own_report = answer[1].as_str().unwrap_or("").to_owned();
                if height > 0 {
                    viewer
                        .heights
                        .push((wall_secs(), u32::try_from(height).unwrap_or(0)));
                }
            }
            let text = reqwest::get(variant.clone()).await?.text().await?;
            if let Some(edge) = onair_media::MediaPlaylist::parse(&text)
                .ok()
                .and_then(|p| edge_capture_secs(&p))
            {
                edge_ages.push(wall_secs() - edge);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        Ok(edge_ages)
    }

    /// What the broadcaster's preview reader recorded.
    pub async fn broadcaster_clock(&self) -> Result<PageClock> {
        Ok(PageClock::from_report(
            &self.broadcaster.js(CLOCK_REPORT_JS).await?,
        ))
    }

    /// The measured bits per second of each level, by frame height: bytes of the segments its playlist
    /// lists over their duration.
    pub async fn bitrates(&self) -> Result<Vec<(u32, f64)>> {
        let multivariant = reqwest::get(self.multivariant_url()).await?.text().await?;
        let parsed = onair_media::MultivariantPlaylist::parse(&multivariant)
            .with_context(|| format!("parsing {multivariant}"))?;
        let base = reqwest::Url::parse(&self.multivariant_url())?;
        let mut out = Vec::new();
        for variant in &parsed.variants {
            let height = variant.resolution.map(|(_, h)| u32::from(h)).unwrap_or(0);
            let media_url = base.join(&variant.uri)?;
            let playlist =
                wait_for_segments(media_url.as_str(), 1, Duration::from_secs(10)).await?;
            let (mut bytes, mut secs) = (0u64, 0.0);
            for segment in &playlist.segments {
                let url = media_url.join(&segment.uri)?;
                let body = reqwest::get(url).await?.bytes().await?;
                bytes += body.len() as u64;
                secs += segment.duration_secs;
            }
            if secs <= 0.0 {
                bail!("{media_url} lists no media time");
            }
            out.push((height, bytes as f64 * 8.0 / secs));
        }
        Ok(out)
    }

    /// Closes the broadcaster's browser (the stream stops receiving media; it is not ended through the
    /// API).
    pub async fn close(self) -> Result<()> {
        self.broadcaster.close().await
    }
}

impl Viewer {
    /// What this viewer's reader recorded, with the heights noted while watching.
    pub async fn clock(&self) -> Result<PageClock> {
        let mut clock = PageClock::from_report(&self.browser.js(CLOCK_REPORT_JS).await?);
        clock.heights = self.heights.clone();
        clock.own_report = self.own_report.clone();
        Ok(clock)
    }
}

/// The capture time (Unix seconds) of the end of the last part `playlist` lists: its last segment's
/// `EXT-X-PROGRAM-DATE-TIME` plus that segment's duration and the trailing parts'.
pub fn edge_capture_secs(playlist: &onair_media::MediaPlaylist) -> Option<f64> {
    let last = playlist.segments.last()?;
    let start = chrono::DateTime::parse_from_rfc3339(last.program_date_time.as_deref()?).ok()?;
    let start = start.timestamp_micros() as f64 / 1e6;
    let trailing: f64 = playlist
        .trailing_parts
        .iter()
        .map(|p| p.duration_secs)
        .sum();
    Some(start + last.duration_secs + trailing)
}

/// The bitrate of the level `height` pixels high in `bitrates`, or of the only level.
pub fn bitrate_for(bitrates: &[(u32, f64)], height: u32) -> Option<f64> {
    bitrates
        .iter()
        .find(|(h, _)| *h == height)
        .or(match bitrates {
            [only] => Some(only),
            _ => None,
        })
        .map(|(_, bps)| *bps)
}

/// `a / b`, printed; `-` when either is missing or `b` is zero.
fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "-".into(),
    }
}

fn cell(value: Option<f64>, digits: usize) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{v:.digits$}"))
}

/// The figures of two viewers of one session side by side, with `ours / theirs` ratios.
pub fn table(title: &str, session: &Session) -> String {
    let (ours, theirs) = (&session.ours, &session.theirs);
    let rows: [(&str, Option<f64>, Option<f64>, usize); 7] = [
        (
            "glass-to-glass p50 (s)",
            ours.latency_p50,
            theirs.latency_p50,
            2,
        ),
        (
            "glass-to-glass p95 (s)",
            ours.latency_p95,
            theirs.latency_p95,
            2,
        ),
        (
            "time to first frame (s)",
            ours.first_frame_secs,
            theirs.first_frame_secs,
            2,
        ),
        (
            "  of which before 1st /live/",
            ours.first_live_secs,
            theirs.first_live_secs,
            2,
        ),
        (
            "rebuffer ratio (%)",
            Some(ours.rebuffer_ratio() * 100.0),
            Some(theirs.rebuffer_ratio() * 100.0),
            2,
        ),
        (
            "bits fetched / bits shown",
            ours.fetched_per_shown,
            theirs.fetched_per_shown,
            2,
        ),
        (
            "barcodes read (%)",
            Some(ours.read_ratio * 100.0),
            Some(theirs.read_ratio * 100.0),
            1,
        ),
    ];
    let mut out = format!(
        "{title}\n  {:<28}{:>10}{:>10}{:>14}\n",
        "",
        ours.player.name(),
        theirs.player.name(),
        format!("{}/{}", ours.player.name(), theirs.player.name())
    );
    for (name, a, b, digits) in rows {
        out.push_str(&format!(
            "  {name:<28}{:>10}{:>10}{:>14}\n",
            cell(a, digits),
            cell(b, digits),
            ratio(a, b)
        ));
    }
    out.push_str(&format!(
        "  live edge age p50 (capture to listed, before any player): {} s\n",
        cell(session.edge_age_p50, 2)
    ));
    for f in [ours, theirs] {
        out.push_str(&format!(
            "  {}: {} latency samples, watched {:.1} s, {} stalls ({:.2} s), {} /live/ requests, {} bytes\n",
            f.player.name(),
            f.latency_samples,
            f.watched_secs,
            f.stalls,
            f.stalled_secs,
            f.requests,
            f.fetched_bytes
        ));
        out.push_str(&format!(
            "    its own report at the end: {}\n",
            f.own_report
        ));
        if !f.stall_list.is_empty() {
            let list: Vec<String> = f
                .stall_list
                .iter()
                .map(|(at, length)| format!("{length:.2} s at {at:.1} s"))
                .collect();
            out.push_str(&format!("    stalls: {}\n", list.join(", ")));
        }
    }
    out
}

/// What [`run_session`] measured.
#[derive(Debug, Clone)]
pub struct Session {
    /// Our player's figures.
    pub ours: ViewerFigures,
    /// hls.js's figures.
    pub theirs: ViewerFigures,
    /// The broadcaster preview's reading.
    pub broadcaster: PageClock,
    /// Median age of the live edge (see [`ClockSession::watch`]), seconds: the part of the latency
    /// that is before any player.
    pub edge_age_p50: Option<f64>,
}

/// Runs one session: goes live with the clock camera, opens our player and hls.js at the same time
/// (both under `throttle`), watches `seconds`, and returns both viewers' figures (latency after
/// `warmup_secs`) and the broadcaster's reading. Screenshots `{name}-ours.png`, `{name}-hlsjs.png` and
/// `{name}-broadcaster.png` show what each page showed at the end.
pub async fn run_session(
    name: &str,
    seconds: f64,
    warmup_secs: f64,
    throttle: Option<Throttle>,
) -> Result<Session> {
    let session = ClockSession::start(name).await?;
    let result = async {
        let (ours, theirs) = tokio::join!(
            session.open_viewer(Player::Ours, throttle),
            session.open_viewer(Player::HlsJs, throttle)
        );
        let mut viewers = vec![ours?, theirs?];
        let watched = session.watch(&mut viewers, seconds).await;
        let mut clocks = Vec::new();
        for viewer in &viewers {
            let shot = format!("{name}-{}", viewer.player.name().replace('.', ""));
            viewer.browser.screenshot(&shot).await?;
            clocks.push(viewer.clock().await?);
        }
        session
            .broadcaster
            .screenshot(&format!("{name}-broadcaster"))
            .await?;
        let broadcaster = session.broadcaster_clock().await?;
        if let Some(dir) = std::env::var_os("ONAIR_TRACE_DIR") {
            for (viewer, clock) in viewers.iter().zip(&clocks) {
                let trace = viewer.browser.js(crate::clock::TRACE_JS).await?;
                let latency: Vec<(f64, f64)> = latencies(&broadcaster, clock)
                    .into_iter()
                    .map(|(t, l)| ((t - clock.origin) * 1000.0, l))
                    .collect();
                let file = std::path::Path::new(&dir)
                    .join(format!("{name}-{}-trace.json", viewer.player.name()));
                let body = serde_json::json!({
                    "states": trace["states"],
                    "requests": trace["requests"],
                    "longtasks": trace["longtasks"],
                    "marks": trace["marks"],
                    "latency_ms_since_navigation": latency,
                });
                std::fs::write(&file, serde_json::to_vec(&body)?)?;
            }
        }
        for viewer in viewers {
            viewer.browser.close().await?;
        }
        let edge_ages = watched?;
        let bitrates = session.bitrates().await?;
        let figures: Vec<ViewerFigures> = [Player::Ours, Player::HlsJs]
            .into_iter()
            .zip(&clocks)
            .map(|(player, clock)| {
                ViewerFigures::compute(player, &broadcaster, clock, warmup_secs, |h| {
                    bitrate_for(&bitrates, h)
                })
            })
            .collect();
        match figures.as_slice() {
            [ours, theirs] => Ok(Session {
                ours: ours.clone(),
                theirs: theirs.clone(),
                broadcaster,
                edge_age_p50: percentile(&sorted(edge_ages), 50.0),
            }),
            _ => bail!("two viewers"),
        }
    }
    .await;
    session.close().await?;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(samples: &[(f64, u32)]) -> PageClock {
        PageClock {
            samples: samples.to_vec(),
            ..PageClock::default()
        }
    }

    #[test]
    fn latency_is_the_time_since_the_broadcaster_showed_the_same_frame() {
        // The broadcaster shows frame n at n/30 s; the viewer shows it 0.5 s later.
        let b: Vec<(f64, u32)> = (0..300).map(|n| (f64::from(n) / 30.0, n)).collect();
        let v: Vec<(f64, u32)> = (0..100).map(|n| (f64::from(n) / 30.0 + 0.5, n)).collect();
        let l = latencies(&clock(&b), &clock(&v));
        assert_eq!(l.len(), 100);
        assert!(l.iter().all(|&(_, x)| (x - 0.5).abs() < 1e-9), "{l:?}");
    }

    #[test]
    fn the_loop_of_the_file_and_skipped_preview_frames_are_followed() {
        // 1.5 loops of the file, with every third frame missing from the preview.
        let total = CLOCK_FRAMES * 3 / 2;
        let b: Vec<(f64, u32)> = (0..total)
            .filter(|n| n % 3 != 1)
            .map(|n| (f64::from(n) / 30.0, n % CLOCK_FRAMES))
            .collect();
        let v: Vec<(f64, u32)> = (CLOCK_FRAMES - 10..CLOCK_FRAMES + 20)
            .map(|n| (f64::from(n) / 30.0 + 2.0, n % CLOCK_FRAMES))
            .collect();
        let l = latencies(&clock(&b), &clock(&v));
        assert_eq!(l.len(), 30);
        assert!(l.iter().all(|&(_, x)| (x - 2.0).abs() < 1e-6), "{l:?}");
    }

    #[test]
    fn the_edge_is_the_last_segment_s_date_plus_what_follows_it() {
        let playlist = onair_media::MediaPlaylist::parse(
            "#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:2\n#EXT-X-PART-INF:PART-TARGET=0.21\n\
             #EXT-X-MAP:URI=\"init.mp4\"\n\
             #EXT-X-PROGRAM-DATE-TIME:2026-12-02T14:30:00.500Z\n#EXTINF:2.0,\n0.m4s\n\
             #EXT-X-PART:DURATION=0.2,URI=\"1.0.m4s\",INDEPENDENT=YES\n\
             #EXT-X-PART:DURATION=0.2,URI=\"1.1.m4s\"\n",
        )
        .unwrap();
        let edge = edge_capture_secs(&playlist).unwrap();
        assert!((edge - 1_796_221_802.9).abs() < 1e-3, "{edge}");
    }

    #[test]
    fn gaps_between_frames_are_stalls_and_a_dropped_frame_is_not() {
        let b: Vec<(f64, u32)> = (0..600).map(|n| (f64::from(n) / 30.0, n)).collect();
        let mut v: Vec<(f64, u32)> = (0..60)
            .filter(|n| *n != 10)
            .map(|n| (f64::from(n) / 30.0 + 1.0, n))
            .collect();
        // One second frozen after frame 59.
        v.extend((60..120).map(|n| (f64::from(n) / 30.0 + 2.0, n)));
        let f = ViewerFigures::compute(Player::Ours, &clock(&b), &clock(&v), 0.0, |_| None);
        assert_eq!(f.stalls, 1);
        assert!((f.stalled_secs - 1.0).abs() < 1e-6, "{f:?}");
    }
}
