//! `bench-ll`: how many Low-Latency HLS viewers one origin serves on this machine, and how fast it fans a
//! new part out to them, next to nginx serving the same segment files statically.
//!
//! ```sh
//! cargo build --release -p onair-server
//! cargo run --release -p onair-tests --bin bench-ll [-- --viewers N --seconds S]
//! ```
//!
//! Everything runs on loopback, bounded in time:
//!
//! 1. **Source**: ffmpeg makes a 500 kbps stream (testsrc2 640x360 at 25 fps, libx264 ultrafast 450 kbit/s with a
//!    keyframe every 2 s, AAC 48 kbit/s) as a fragmented MP4, long enough for the run; OnAir's demuxer
//!    reads it back and its [`Segmenter`] cuts it into 2 s segments of parts of at most 0.334 s, as the
//!    broadcaster does.
//! 2. **Origin**: the release `onair` binary in its own process (ephemeral port, temporary data
//!    directory), so that its CPU time and memory can be read from `/proc`.
//! 3. **Feeder**: creates a stream, uploads the init segment, then each part at its media time (real time)
//!    with `PUT .../parts/{msn}.{index}.m4s`, on a thread and runtime of its own (a broadcaster does not
//!    queue behind the viewers); a part's *arrival* is the instant its PUT is answered.
//! 4. **Viewers**: N simulated LL-HLS clients in this process (tokio), each on its own HTTP/1.1 keep-alive
//!    connection, joining over a ramp: a blocking playlist reload for the next part
//!    (`?_HLS_msn=N&_HLS_part=M`), then a GET of every part it newly lists, then the next reload. For each
//!    (viewer, part) pair the benchmark records *playlist fan-out* (the reload that first lists the part
//!    is answered) and *part delivered* (the part's GET is complete), minus the part's arrival. Figures
//!    are over the hold after the ramp, with every viewer connected; after the hold each viewer goes on
//!    until it has every part that arrived during it (at most 10 s).
//! 5. **Segment GETs**: the same client code with a fixed number of connections GETs the completed
//!    segments in a loop, first from the origin (`/live/{id}/r0/{msn}.m4s`), then from nginx serving the
//!    very same bytes as static files from a temporary directory; throughput origin / nginx is the ratio.
//!
//! The load generator shares the machine with the server (and nginx), as the issue's targets say. It
//! prints figures; it asserts nothing, and it is not part of `scripts/test.sh`.

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use onair_media::{write_init, Chunk, Limits, Segmenter, SegmenterConfig};
use onair_tests::{
    create_stream_at, demux_fmp4_file, ffmpeg, fmp4_test_encode_args, free_port, terminate,
    wait_for_ok, CreatedStream, NginxCache,
};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The rendition every request names.
const RENDITION: &str = "r0";
/// What the segmenter is asked for: 2 s segments of parts of at most 0.334 s.
const CONFIG: SegmenterConfig = SegmenterConfig {
    target_duration_secs: 2.0,
    part_target_secs: Some(PART_TARGET),
};
const PART_TARGET: f64 = 0.334;
/// `OnAir-Part-Target`, the same on every part.
const PART_TARGET_HEADER: &str = "0.334";
/// The source: frames per second, keyframe interval in frames (2 s), bit rates.
const FPS: u32 = 25;
const GOP: u32 = 2 * FPS;
const VIDEO_KBPS: u32 = 450;
const AUDIO_KBPS: u32 = 48;
/// The feeder runs this long before the first viewer joins, so that the playlist has parts.
const WARMUP: Duration = Duration::from_secs(4);
/// After the hold, each viewer goes on until it has every part that arrived during the hold, for at most
/// this long; a (viewer, part) pair not seen by then is missing.
const MAX_CATCH_UP: Duration = Duration::from_secs(10);
/// A request that has no answer after this long counts as a timeout (the server answers a blocking
/// reload with 503 after three target durations, 6 s).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// A viewer waits this long after a failed request before its next one.
const ERROR_PAUSE: Duration = Duration::from_millis(500);
/// The issue's targets.
const TARGET_VIEWERS: usize = 5000;
const TARGET_SECONDS: u64 = 60;
const TARGET_FANOUT_P99_MS: f64 = 50.0;
const TARGET_STATIC_RATIO: f64 = 0.8;
/// "Published LL-HLS origins manage about 135 viewers per core."
const PUBLISHED_VIEWERS_PER_CORE: f64 = 135.0;
const MB: f64 = 1e6;

/// nginx as a static file server over `{dir}/www`, tuned as one would for segments: `sendfile`, no
/// access log (the origin logs no requests either), keep-alive connections that are never cut short
/// (nginx closes one after 1000 requests by default), one worker per core.
const NGINX_STATIC_CONF: &str = r#"worker_processes auto;
error_log {dir}/error.log warn;
pid {dir}/nginx.pid;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy_temp;
    fastcgi_temp_path {dir}/fastcgi_temp;
    uwsgi_temp_path {dir}/uwsgi_temp;
    scgi_temp_path {dir}/scgi_temp;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 120s;
    keepalive_requests 100000000;
    types { video/iso.segment m4s; video/mp4 mp4; }
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:{port} backlog=8192;
        root {dir}/www;
        location / { }
    }
}
"#;

/// The command line.
#[derive(Debug, Clone)]
struct Args {
    viewers: usize,
    seconds: u64,
    ramp: Duration,
    connections: usize,
    throughput: Duration,
}

const USAGE: &str = "usage: bench-ll [--viewers N] [--seconds S] [--ramp S] [--connections N] [--throughput-seconds S]
  --viewers N             simulated LL-HLS viewers (default 5000)
  --seconds S             how long all of them are held after the ramp (default 60)
  --ramp S                seconds over which they join (default 5)
  --connections N         connections for the segment-GET comparison with nginx (default 256)
  --throughput-seconds S  how long each side of that comparison runs (default 10)";

impl Args {
    fn parse(args: &[String]) -> Result<Args> {
        let mut parsed = Args {
            viewers: TARGET_VIEWERS,
            seconds: TARGET_SECONDS,
            ramp: Duration::from_secs(5),
            connections: 256,
            throughput: Duration::from_secs(10),
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let value = it
                .next()
                .with_context(|| format!("{flag} takes a value\n{USAGE}"))?;
            let number = |what: &str| -> Result<u64> {
                let n: u64 = value
                    .parse()
                    .with_context(|| format!("{what} takes a whole number, not {value:?}"))?;
                Ok(n)
            };
            match flag.as_str() {
                "--viewers" => parsed.viewers = usize::try_from(number(flag)?)?,
                "--seconds" => parsed.seconds = number(flag)?,
                "--ramp" => parsed.ramp = Duration::from_secs(number(flag)?),
                "--connections" => parsed.connections = usize::try_from(number(flag)?)?,
                "--throughput-seconds" => parsed.throughput = Duration::from_secs(number(flag)?),
                _ => bail!("unknown argument {flag:?}\n{USAGE}"),
            }
        }
        if parsed.viewers == 0 || parsed.seconds == 0 || parsed.connections == 0 {
            bail!("--viewers, --seconds and --connections must be at least 1\n{USAGE}");
        }
        if parsed.throughput.is_zero() {
            bail!("--throughput-seconds must be at least 1\n{USAGE}");
        }
        Ok(parsed)
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return Ok(());
    }
    let args = Args::parse(&argv)?;
    let server_bin = server_binary()?;
    let work = tempfile::tempdir().context("temporary directory")?;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);

    println!(
        "OnAir LL-HLS load benchmark: {} viewers held {} s (after a {} s ramp) on one ~{} kbps stream, loopback, {} cores shared with the load generator",
        args.viewers,
        args.seconds,
        args.ramp.as_secs(),
        VIDEO_KBPS + AUDIO_KBPS,
        cores
    );
    println!("server: {}", describe_binary(&server_bin));

    // The source, long enough for the warm-up, the ramp, the hold and the catch-up (and then some: the
    // feeder runs until the viewers' last requests are answered).
    let source_secs =
        (WARMUP + args.ramp + Duration::from_secs(args.seconds) + MAX_CATCH_UP).as_secs() + 4;
    let started = Instant::now();
    let source = make_source(work.path(), source_secs)?;
    println!(
        "source: {source_secs} s of testsrc2 640x360 {FPS} fps, libx264 ultrafast {VIDEO_KBPS}k (keyframe every 2 s) + AAC {AUDIO_KBPS}k, made by ffmpeg in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let origin = Origin::start(&server_bin, work.path()).await?;
    let stream = create_stream_at(&origin.base_url(), "bench-ll")
        .await
        .context("creating the stream")?;

    // The feeder cuts the source now, anchoring the producer clock (prft) at the start of the feed.
    let media = cut_source(&source, unix_micros())?;
    print_media(&media);
    let epoch = Instant::now();
    let ramp_start = epoch + WARMUP;
    let hold_start = ramp_start + args.ramp;
    let hold_end = hold_start + Duration::from_secs(args.seconds);

    // The feeder stands for a broadcaster elsewhere: its own thread and runtime, so that its timers and
    // the instants it records do not queue behind thousands of viewer tasks.
    let arrivals = Arc::new(Mutex::new(HashMap::new()));
    let viewers_done = Arc::new(AtomicBool::new(false));
    let feeder = {
        let (addr, stream, media_init, parts) = (
            origin.addr,
            stream.clone(),
            media.init.clone(),
            Arc::clone(&media.parts),
        );
        let (done, arrivals) = (Arc::clone(&viewers_done), Arc::clone(&arrivals));
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("feeder".into())
            .spawn(move || -> Result<Fed> {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context("the feeder's runtime")?;
                runtime.block_on(async move {
                    let mut conn = Conn::new(addr);
                    let init = upload_init(&mut conn, &stream, &media_init).await;
                    let failed = init.is_err();
                    let _ = ready_tx.send(init);
                    if failed {
                        return Ok(Fed::default());
                    }
                    feed(conn, stream, parts, epoch, done, arrivals).await
                })
            })
            .context("starting the feeder thread")?;
        ready_rx
            .await
            .context("the feeder stopped before uploading the init segment")??;
        thread
    };

    let ctx = Arc::new(ViewerContext {
        addr: origin.addr,
        playlist: format!("/live/{}/{RENDITION}/index.m3u8", stream.id),
        base: format!("/live/{}/{RENDITION}/", stream.id),
        epoch,
        hold_start,
        hold_end,
        give_up: hold_end + MAX_CATCH_UP,
        last_of_hold: OnceLock::new(),
        progress: Progress::default(),
    });
    let mut viewers = Vec::with_capacity(args.viewers);
    for i in 0..args.viewers {
        let join_at = ramp_start + args.ramp.mul_f64(i as f64 / args.viewers as f64);
        viewers.push(tokio::spawn(viewer(Arc::clone(&ctx), join_at)));
    }
    let reporter = tokio::spawn(report_progress(Arc::clone(&ctx), args.viewers));

    tokio::time::sleep_until(hold_start.into()).await;
    let hold_a = Snapshot::take(&[origin.pid()])?;
    tokio::time::sleep_until(hold_end.into()).await;
    let hold_b = Snapshot::take(&[origin.pid()])?;
    let rss_at_hold_end = proc_status_kb(origin.pid(), "VmRSS")?;
    let bench_rss_at_hold_end = proc_status_kb(std::process::id(), "VmHWM")?;
    // Viewers catch up to the last part that arrived during the hold, then stop.
    let last_of_hold = lock(&arrivals)
        .iter()
        .filter(|(_, &at)| at < hold_end)
        .map(|(&part, _)| part)
        .max();
    if let Some(last) = last_of_hold {
        let _ = ctx.last_of_hold.set(last);
    }

    let mut outcomes = Vec::with_capacity(viewers.len());
    for v in viewers {
        outcomes.push(v.await.context("a viewer task panicked")?);
    }
    reporter.abort();
    viewers_done.store(true, Ordering::Relaxed);
    let fed = tokio::task::spawn_blocking(move || feeder.join())
        .await
        .context("joining the feeder thread")?
        .map_err(|_| anyhow::anyhow!("the feeder thread panicked"))??;
    let live = LiveFigures::compute(
        &outcomes,
        &lock(&arrivals),
        epoch,
        hold_start,
        hold_end,
        args.viewers,
    );
    drop(outcomes);
    let peak_rss = proc_status_kb(origin.pid(), "VmHWM")?;

    // Segment GETs: every segment the feeder completed (the first part of the next one completes it).
    let completed: Vec<u64> = media
        .segments
        .iter()
        .map(|s| s.0)
        .filter(|&msn| fed.last.is_some_and(|last| msn < last.msn))
        .collect();
    if completed.is_empty() {
        bail!("the feeder completed no segment: nothing to GET");
    }
    let nginx = NginxCache::start_conf(NGINX_STATIC_CONF)
        .await
        .context("starting nginx as a static server")?;
    let copy = copy_segments(&origin, &stream, &completed, &media, nginx.dir()).await?;
    let paths: Arc<Vec<String>> = Arc::new(
        completed
            .iter()
            .map(|msn| format!("/live/{}/{RENDITION}/{msn}.m4s", stream.id))
            .collect(),
    );
    let nginx_addr: SocketAddr = ([127, 0, 0, 1], nginx.port).into();
    let origin_gets = segment_gets(
        origin.addr,
        &[origin.pid()],
        Arc::clone(&paths),
        args.connections,
        args.throughput,
    )
    .await?;
    let nginx_pids = process_tree(nginx.pid());
    let nginx_gets = segment_gets(
        nginx_addr,
        &nginx_pids,
        Arc::clone(&paths),
        args.connections,
        args.throughput,
    )
    .await?;

    report(&Report {
        args: &args,
        cores,
        live: &live,
        fed: &fed,
        hold: hold_a.usage(&hold_b),
        rss_at_hold_end,
        peak_rss,
        copy: &copy,
        origin_gets: &origin_gets,
        nginx_gets: &nginx_gets,
        bench_peak_rss: bench_rss_at_hold_end,
    });
    let log = origin.log_tail(20);
    if !log.trim().is_empty() {
        println!();
        println!("Last lines of the origin's log:");
        for line in log.lines() {
            println!("  {line}");
        }
    }
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

// ---------------------------------------------------------------------------------------------------
// The origin, in its own process.

/// The release `onair` binary: `ONAIR_BIN`, else beside this benchmark's own binary (both are built into
/// `$CARGO_TARGET_DIR/release`).
fn server_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("ONAIR_BIN") {
        let path = PathBuf::from(path);
        if !path.is_file() {
            bail!("ONAIR_BIN={} is not a file", path.display());
        }
        return Ok(path);
    }
    let exe = std::env::current_exe().context("where is this benchmark's binary")?;
    let path = exe
        .parent()
        .context("this benchmark's binary has no folder")?
        .join("onair");
    if !path.is_file() {
        bail!(
            "no server binary at {}: build it first with `cargo build --release -p onair-server` (same CARGO_TARGET_DIR), or set ONAIR_BIN",
            path.display()
        );
    }
    Ok(path)
}

/// The binary's path and how old it is (a stale build is easy to benchmark by mistake).
fn describe_binary(path: &Path) -> String {
    let age = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .map_or_else(String::new, |d| {
            format!(" (built {} min ago)", d.as_secs() / 60)
        });
    format!("{}{age}", path.display())
}

/// The real server binary on an ephemeral loopback port with a fresh data directory; SIGTERM when dropped.
struct Origin {
    addr: SocketAddr,
    child: Child,
    log: PathBuf,
}

impl Origin {
    async fn start(bin: &Path, work: &Path) -> Result<Origin> {
        let data = work.join("origin-data");
        let web = work.join("origin-web");
        std::fs::create_dir_all(&data)?;
        std::fs::create_dir_all(&web)?;
        std::fs::write(
            web.join("index.html"),
            "<!doctype html><title>bench</title>",
        )?;
        let addr: SocketAddr = ([127, 0, 0, 1], free_port()?).into();
        let log = work.join("origin.log");
        let out = std::fs::File::create(&log)?;
        let err = out.try_clone()?;
        let child = Command::new(bin)
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--data-dir")
            .arg(&data)
            .arg("--web-dir")
            .arg(&web)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut origin = Origin { addr, child, log };
        let ready = wait_for_ok(
            &format!("{}/api/streams", origin.base_url()),
            Duration::from_secs(20),
        )
        .await;
        if let Err(e) = ready {
            let exited = origin.child.try_wait().ok().flatten();
            bail!(
                "the origin did not answer ({e:#}; exited: {exited:?}); its log:\n{}",
                origin.log_tail(40)
            );
        }
        Ok(origin)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The last lines of its log, without terminal colours.
    fn log_tail(&self, lines: usize) -> String {
        let text = strip_ansi(&std::fs::read_to_string(&self.log).unwrap_or_default());
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

/// Text without ANSI escape sequences (`ESC [ ... letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for e in chars.by_ref() {
                if e.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl Drop for Origin {
    fn drop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(10));
    }
}

// ---------------------------------------------------------------------------------------------------
// The source and the feeder.

/// Makes the source file with ffmpeg (not timed).
fn make_source(dir: &Path, seconds: u64) -> Result<Vec<u8>> {
    let path = dir.join("source.mp4");
    let video = format!("testsrc2=size=640x360:rate={FPS}:duration={seconds}");
    let audio = format!("sine=frequency=440:sample_rate=48000:duration={seconds}");
    let secs = seconds.to_string();
    let mut args: Vec<String> = [
        "-f", "lavfi", "-i", &video, "-f", "lavfi", "-i", &audio, "-map", "0:v", "-map", "1:a",
        "-t", &secs,
    ]
    .map(String::from)
    .to_vec();
    args.extend(fmp4_test_encode_args(VIDEO_KBPS, GOP, AUDIO_KBPS));
    args.push(
        path.to_str()
            .context("temporary path is not UTF-8")?
            .to_owned(),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ffmpeg(&args)?;
    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
}

/// A part: its place in the stream (the order of parts is the order of these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct PartId {
    msn: u64,
    index: u32,
}

/// One part to upload.
#[derive(Debug, Clone)]
struct FeedPart {
    id: PartId,
    /// When it is complete, in seconds from the start of the stream: its end.
    due_secs: f64,
    duration_secs: f64,
    data: Bytes,
}

/// The source, cut as the broadcaster cuts it.
struct Media {
    init: Bytes,
    parts: Arc<Vec<FeedPart>>,
    /// Every segment: `(msn, bytes)`, the bytes being its parts concatenated.
    segments: Vec<(u64, Bytes)>,
    media_bytes: u64,
    media_secs: f64,
}

/// Demuxes the source and runs it through the segmenter.
fn cut_source(source: &[u8], clock_micros: u64) -> Result<Media> {
    let limits = Limits {
        max_bytes: 1 << 30,
        max_samples: 10_000_000,
    };
    let (init, frames) = demux_fmp4_file(source, &limits).context("demuxing the source")?;
    let init_bytes = write_init(&init).context("writing the init segment")?;
    let media_bytes = frames.iter().map(|f| f.data.len() as u64).sum();
    let mut segmenter = Segmenter::new(&init, CONFIG);
    if let Some(first) = frames.iter().find(|f| f.keyframe) {
        segmenter.set_wall_clock(first.track_id, first.dts, clock_micros);
    }
    let mut chunks = Vec::new();
    for frame in frames {
        chunks.extend(
            segmenter
                .push_chunks(frame)
                .context("segmenting the source")?,
        );
    }
    chunks.extend(segmenter.finish_chunks().context("segmenting the source")?);
    let mut parts = Vec::new();
    let mut segments = Vec::new();
    let mut origin_secs = None;
    for chunk in chunks {
        match chunk {
            Chunk::Part(p) => {
                let start = *origin_secs.get_or_insert(p.start_secs);
                parts.push(FeedPart {
                    id: PartId {
                        msn: p.sequence,
                        index: p.index,
                    },
                    due_secs: p.start_secs + p.duration_secs - start,
                    duration_secs: p.duration_secs,
                    data: Bytes::from(p.data),
                });
            }
            Chunk::Segment(s) => segments.push((s.sequence, Bytes::from(s.data))),
        }
    }
    let media_secs = parts.last().map_or(0.0, |p| p.due_secs);
    if parts.is_empty() {
        bail!("the segmenter made no parts of the source");
    }
    Ok(Media {
        init: Bytes::from(init_bytes),
        parts: Arc::new(parts),
        segments,
        media_bytes,
        media_secs,
    })
}

fn print_media(media: &Media) {
    let durations: Vec<f64> = media.parts.iter().map(|p| p.duration_secs).collect();
    let min = durations.iter().copied().fold(f64::INFINITY, f64::min);
    let max = durations.iter().copied().fold(0.0, f64::max);
    let mean = durations.iter().sum::<f64>() / durations.len().max(1) as f64;
    println!(
        "cut by onair-media's Segmenter: {} parts ({:.3} s mean, {:.3}..{:.3} s, PART-TARGET {PART_TARGET}) in {} segments of 2 s, {:.0} kbit/s of samples",
        media.parts.len(),
        mean,
        min,
        max,
        media.segments.len(),
        media.media_bytes as f64 * 8.0 / 1e3 / media.media_secs.max(1e-9)
    );
}

async fn upload_init(conn: &mut Conn, stream: &CreatedStream, init: &Bytes) -> Result<()> {
    let path = format!("/api/streams/{}/renditions/{RENDITION}/init.mp4", stream.id);
    let auth = format!("Bearer {}", stream.stream_key);
    let reply = conn
        .send(
            Method::PUT,
            &path,
            &[("authorization", &auth)],
            init.clone(),
            true,
        )
        .await
        .map_err(|e| anyhow::anyhow!("PUT {path}: {e}"))?;
    if !reply.status.is_success() {
        bail!(
            "PUT {path}: {} {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
    }
    Ok(())
}

/// What the feeder did.
#[derive(Debug, Default)]
struct Fed {
    parts: u64,
    /// The last part uploaded.
    last: Option<PartId>,
    /// Time to answer each PUT, in ms.
    put_ms: Vec<f64>,
    /// How late the latest PUT started against its part's media time.
    max_late_ms: f64,
    errors: BTreeMap<String, u64>,
}

/// Uploads each part at its media time (from `epoch`) until the viewers are done (the last blocking
/// reloads they sent are answered by the next part), recording when each was answered.
async fn feed(
    mut conn: Conn,
    stream: CreatedStream,
    parts: Arc<Vec<FeedPart>>,
    epoch: Instant,
    viewers_done: Arc<AtomicBool>,
    arrivals: Arc<Mutex<HashMap<PartId, Instant>>>,
) -> Result<Fed> {
    let auth = format!("Bearer {}", stream.stream_key);
    let mut fed = Fed::default();
    for part in parts.iter() {
        let due = epoch + Duration::from_secs_f64(part.due_secs);
        tokio::time::sleep_until(due.into()).await;
        if viewers_done.load(Ordering::Relaxed) {
            break;
        }
        let sent = Instant::now();
        fed.max_late_ms = fed.max_late_ms.max(ms(sent - due));
        let path = format!(
            "/api/streams/{}/renditions/{RENDITION}/parts/{}.{}.m4s",
            stream.id, part.id.msn, part.id.index
        );
        let result = conn
            .send(
                Method::PUT,
                &path,
                &[
                    ("authorization", &auth),
                    ("onair-part-target", PART_TARGET_HEADER),
                ],
                part.data.clone(),
                true,
            )
            .await;
        let answered = Instant::now();
        match result {
            Ok(reply) if reply.status == StatusCode::CREATED || reply.status == StatusCode::OK => {
                lock(&arrivals).insert(part.id, answered);
                fed.put_ms.push(ms(answered - sent));
                fed.parts += 1;
                fed.last = Some(part.id);
            }
            Ok(reply) => {
                let body = String::from_utf8_lossy(&reply.body);
                let key = format!("upload: {} {}", reply.status.as_u16(), body.trim());
                *fed.errors.entry(key).or_default() += 1;
                if reply.status == StatusCode::NOT_FOUND && fed.parts == 0 {
                    bail!("PUT {path}: 404: this server has no LL-HLS part uploads");
                }
            }
            Err(e) => *fed.errors.entry(format!("upload: {e}")).or_default() += 1,
        }
    }
    Ok(fed)
}

// ---------------------------------------------------------------------------------------------------
// HTTP/1.1 client: one keep-alive connection.

/// Why a request failed (no answer at all).
#[derive(Debug)]
enum Fail {
    Connect(std::io::ErrorKind),
    Timeout,
    Http(String),
}

impl std::fmt::Display for Fail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fail::Connect(kind) => write!(f, "connect: {kind}"),
            Fail::Timeout => write!(f, "timeout ({} s)", REQUEST_TIMEOUT.as_secs()),
            Fail::Http(e) => write!(f, "{e}"),
        }
    }
}

/// An answer: the status, and the body (kept, or only counted).
struct Reply {
    status: StatusCode,
    body: Bytes,
    len: u64,
}

/// One HTTP/1.1 connection, opened on first use and again after the server closes it or a request fails.
struct Conn {
    addr: SocketAddr,
    host: String,
    sender: Option<SendRequest<Full<Bytes>>>,
    /// Connections opened.
    opened: u64,
}

impl Conn {
    fn new(addr: SocketAddr) -> Conn {
        Conn {
            addr,
            host: addr.to_string(),
            sender: None,
            opened: 0,
        }
    }

    async fn get(&mut self, path: &str, keep_body: bool) -> Result<Reply, Fail> {
        self.send(Method::GET, path, &[], Bytes::new(), keep_body)
            .await
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
        keep_body: bool,
    ) -> Result<Reply, Fail> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &self.host);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(body))
            .map_err(|e| Fail::Http(format!("building the request: {e}")))?;
        let result = tokio::time::timeout(REQUEST_TIMEOUT, self.exchange(request, keep_body)).await;
        match result {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(e)) => {
                self.sender = None;
                Err(e)
            }
            Err(_) => {
                self.sender = None;
                Err(Fail::Timeout)
            }
        }
    }

    async fn exchange(
        &mut self,
        request: Request<Full<Bytes>>,
        keep_body: bool,
    ) -> Result<Reply, Fail> {
        if self.sender.as_ref().is_none_or(SendRequest::is_closed) {
            self.sender = Some(self.connect().await?);
        }
        let sender = self
            .sender
            .as_mut()
            .ok_or_else(|| Fail::Http("no connection".into()))?;
        sender
            .ready()
            .await
            .map_err(|e| Fail::Http(e.to_string()))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| Fail::Http(e.to_string()))?;
        let status = response.status();
        let mut body = response.into_body();
        if keep_body {
            let bytes = body
                .collect()
                .await
                .map_err(|e| Fail::Http(format!("body: {e}")))?
                .to_bytes();
            let len = bytes.len() as u64;
            return Ok(Reply {
                status,
                body: bytes,
                len,
            });
        }
        let mut len = 0u64;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| Fail::Http(format!("body: {e}")))?;
            if let Some(data) = frame.data_ref() {
                len += data.len() as u64;
            }
        }
        Ok(Reply {
            status,
            body: Bytes::new(),
            len,
        })
    }

    async fn connect(&mut self) -> Result<SendRequest<Full<Bytes>>, Fail> {
        let stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .map_err(|e| Fail::Connect(e.kind()))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| Fail::Http(format!("handshake: {e}")))?;
        tokio::spawn(async move {
            // Ends when the connection closes; a failure shows up in the request that was on it.
            let _ = connection.await;
        });
        self.opened += 1;
        Ok(sender)
    }
}

// ---------------------------------------------------------------------------------------------------
// Viewers.

/// What every viewer shares.
struct ViewerContext {
    addr: SocketAddr,
    /// `/live/{id}/r0/index.m3u8`.
    playlist: String,
    /// `/live/{id}/r0/`: what part URIs are relative to.
    base: String,
    epoch: Instant,
    hold_start: Instant,
    hold_end: Instant,
    /// Viewers stop at this instant even if they have not caught up.
    give_up: Instant,
    /// The last part that arrived during the hold, set just after it: a viewer that has it stops.
    last_of_hold: OnceLock<PartId>,
    progress: Progress,
}

/// Live counters for the progress lines.
#[derive(Default)]
struct Progress {
    joined: AtomicU64,
    requests: AtomicU64,
    errors: AtomicU64,
}

/// What a viewer saw of a part: listed by a playlist reload, or its GET completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Listed,
    Delivered,
}

/// One observation: a part, how, and when (microseconds from the epoch).
#[derive(Debug, Clone, Copy)]
struct Observation {
    part: PartId,
    seen: Seen,
    at_us: u64,
}

/// What one viewer did.
#[derive(Debug)]
struct ViewerOutcome {
    observations: Vec<Observation>,
    /// Requests answered during the hold: playlist reloads, part GETs; their bytes.
    reloads: u64,
    part_gets: u64,
    bytes: u64,
    connections: u64,
    errors: BTreeMap<String, u64>,
    /// When it stopped.
    finished: Instant,
    /// Segments it GET whole because their parts were no longer listed.
    fallbacks: Vec<u64>,
    /// The first part after its join: the parts it is expected to see start here.
    joined_before: Option<PartId>,
}

impl ViewerOutcome {
    fn error(&mut self, ctx: &ViewerContext, what: &str, kind: String) {
        *self.errors.entry(format!("{what}: {kind}")).or_default() += 1;
        ctx.progress.errors.fetch_add(1, Ordering::Relaxed);
    }
}

fn micros_since(epoch: Instant, at: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(epoch).as_micros()).unwrap_or(u64::MAX)
}

/// One simulated LL-HLS client: joins at `join_at` with a plain playlist GET, then blocking reloads for
/// the next part and GETs of each part they newly list, until it has every part that arrived during the
/// hold (or the context's `give_up`).
async fn viewer(ctx: Arc<ViewerContext>, join_at: Instant) -> ViewerOutcome {
    tokio::time::sleep_until(join_at.into()).await;
    ctx.progress.joined.fetch_add(1, Ordering::Relaxed);
    let mut out = ViewerOutcome {
        observations: Vec::new(),
        reloads: 0,
        part_gets: 0,
        bytes: 0,
        connections: 0,
        errors: BTreeMap::new(),
        finished: join_at,
        fallbacks: Vec::new(),
        joined_before: None,
    };
    let mut conn = Conn::new(ctx.addr);
    // The next part this viewer wants; None until it has joined.
    let mut next: Option<PartId> = None;
    loop {
        let now = Instant::now();
        let caught_up = ctx
            .last_of_hold
            .get()
            .is_some_and(|last| next.is_some_and(|n| n > *last));
        if now >= ctx.give_up || (now >= ctx.hold_end && caught_up) {
            break;
        }
        let (what, path) = match next {
            None => ("join", ctx.playlist.clone()),
            Some(p) => (
                "reload",
                format!("{}?_HLS_msn={}&_HLS_part={}", ctx.playlist, p.msn, p.index),
            ),
        };
        let result = conn.get(&path, true).await;
        let answered = Instant::now();
        ctx.progress.requests.fetch_add(1, Ordering::Relaxed);
        let in_hold = answered >= ctx.hold_start && answered < ctx.hold_end;
        let reply = match result {
            Ok(reply) if reply.status == StatusCode::OK => reply,
            Ok(reply) => {
                out.error(&ctx, what, reply.status.as_u16().to_string());
                tokio::time::sleep(ERROR_PAUSE).await;
                continue;
            }
            Err(e) => {
                out.error(&ctx, what, e.to_string());
                tokio::time::sleep(ERROR_PAUSE).await;
                continue;
            }
        };
        if in_hold {
            out.reloads += 1;
            out.bytes += reply.len;
        }
        let text = String::from_utf8_lossy(&reply.body);
        let from = next.unwrap_or(PartId {
            msn: u64::MAX,
            index: u32::MAX,
        });
        let listing = match list_parts(&text, from) {
            Ok(listing) => listing,
            Err(e) => {
                out.error(&ctx, what, format!("unreadable playlist: {e}"));
                tokio::time::sleep(ERROR_PAUSE).await;
                continue;
            }
        };
        if listing.ended {
            break;
        }
        if next.is_some() && listing.parts.is_empty() {
            out.error(&ctx, what, "answered without the requested part".into());
            tokio::time::sleep(ERROR_PAUSE).await;
        }
        let at_us = micros_since(ctx.epoch, answered);
        for (part, _) in &listing.parts {
            out.observations.push(Observation {
                part: *part,
                seen: Seen::Listed,
                at_us,
            });
        }
        for (msn, uri) in &listing.partless {
            // Fallen behind the parts window: the whole segment, as a client would.
            let result = conn.get(&resolve(&ctx.base, uri), false).await;
            ctx.progress.requests.fetch_add(1, Ordering::Relaxed);
            match result {
                Ok(reply) if reply.status == StatusCode::OK => out.fallbacks.push(*msn),
                Ok(reply) => out.error(&ctx, "segment", reply.status.as_u16().to_string()),
                Err(e) => out.error(&ctx, "segment", e.to_string()),
            }
        }
        for (part, uri) in &listing.parts {
            if Instant::now() >= ctx.give_up {
                break;
            }
            let result = conn.get(&resolve(&ctx.base, uri), false).await;
            let done = Instant::now();
            ctx.progress.requests.fetch_add(1, Ordering::Relaxed);
            match result {
                Ok(reply) if reply.status == StatusCode::OK => {
                    out.observations.push(Observation {
                        part: *part,
                        seen: Seen::Delivered,
                        at_us: micros_since(ctx.epoch, done),
                    });
                    if done >= ctx.hold_start && done < ctx.hold_end {
                        out.part_gets += 1;
                        out.bytes += reply.len;
                    }
                }
                Ok(reply) => out.error(&ctx, "part", reply.status.as_u16().to_string()),
                Err(e) => out.error(&ctx, "part", e.to_string()),
            }
        }
        if next.is_none() {
            out.joined_before = Some(listing.next);
        }
        next = Some(listing.next);
    }
    out.connections = conn.opened;
    out.finished = Instant::now();
    out
}

/// A URI from the playlist as a request path.
fn resolve(base: &str, uri: &str) -> String {
    if uri.starts_with('/') {
        uri.to_string()
    } else {
        format!("{base}{uri}")
    }
}

/// Prints a line to stderr every 10 s while the viewers run.
async fn report_progress(ctx: Arc<ViewerContext>, viewers: usize) {
    let start = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let phase = if Instant::now() < ctx.hold_start {
            "ramp"
        } else if Instant::now() < ctx.hold_end {
            "hold"
        } else {
            "catching up"
        };
        eprintln!(
            "  [{:>3} s, {phase}] {}/{viewers} viewers joined, {} requests, {} errors",
            start.elapsed().as_secs(),
            ctx.progress.joined.load(Ordering::Relaxed),
            ctx.progress.requests.load(Ordering::Relaxed),
            ctx.progress.errors.load(Ordering::Relaxed),
        );
    }
}

/// What a media playlist lists from a given part on.
#[derive(Debug, PartialEq)]
struct Listing<'a> {
    /// Every part at or after the one asked for, in order, with its URI.
    parts: Vec<(PartId, &'a str)>,
    /// Complete segments at or after the part asked for that are listed without their parts (the server
    /// lists parts only near the live edge): a client that far behind GETs the segment instead.
    partless: Vec<(u64, &'a str)>,
    /// The part after the last one listed (the next to ask for).
    next: PartId,
    ended: bool,
}

/// Reads the parts out of a media playlist text, the way a client walks it: `EXT-X-MEDIA-SEQUENCE` (plus
/// `EXT-X-SKIP`'s skipped segments) numbers the first segment, every `EXT-X-PART` belongs to the segment
/// whose URI line follows it, and the parts after the last URI belong to the segment being produced. A
/// line scan, not a full parse: a viewer does this thousands of times a second on the same cores as the
/// server.
fn list_parts(text: &str, from: PartId) -> Result<Listing<'_>> {
    let mut msn = 0u64;
    let mut index = 0u32;
    let mut parts = Vec::new();
    let mut partless = Vec::new();
    let mut ended = false;
    let mut header = true;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("#EXT-X-MEDIA-SEQUENCE:") {
            msn = rest.parse().context("EXT-X-MEDIA-SEQUENCE")?;
        } else if let Some(rest) = line.strip_prefix("#EXT-X-SKIP:") {
            let skipped = attribute(rest, "SKIPPED-SEGMENTS").context("EXT-X-SKIP")?;
            msn += skipped
                .parse::<u64>()
                .context("EXT-X-SKIP:SKIPPED-SEGMENTS")?;
        } else if let Some(rest) = line.strip_prefix("#EXT-X-PART:") {
            header = false;
            let uri = attribute(rest, "URI").context("EXT-X-PART without URI")?;
            let id = PartId { msn, index };
            if id >= from {
                parts.push((id, uri));
            }
            index += 1;
        } else if line == "#EXT-X-ENDLIST" {
            ended = true;
        } else if !line.starts_with('#') {
            header = false;
            if index == 0 && msn >= from.msn {
                partless.push((msn, line));
            }
            msn += 1;
            index = 0;
        }
    }
    if header {
        bail!("no segment and no part");
    }
    Ok(Listing {
        parts,
        partless,
        next: PartId { msn, index },
        ended,
    })
}

/// The value of `NAME=value` or `NAME="value"` in an attribute list.
fn attribute<'a>(list: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = list;
    loop {
        let (key, after) = rest.split_once('=')?;
        if let Some(quoted) = after.strip_prefix('"') {
            let (value, tail) = quoted.split_once('"')?;
            if key.trim() == name {
                return Some(value);
            }
            rest = tail.strip_prefix(',').unwrap_or(tail);
        } else {
            let (value, tail) = after.split_once(',').unwrap_or((after, ""));
            if key.trim() == name {
                return Some(value);
            }
            if tail.is_empty() {
                return None;
            }
            rest = tail;
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Live figures.

/// Percentiles of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Summary {
    count: usize,
    p50: f64,
    p99: f64,
    max: f64,
}

/// The `p`-th percentile (0 < p <= 100) of sorted values, nearest rank: the smallest value with at least
/// p % of the values at or below it.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() || !(p > 0.0 && p <= 100.0) {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

fn summarize(mut values: Vec<f64>) -> Option<Summary> {
    values.sort_by(f64::total_cmp);
    Some(Summary {
        count: values.len(),
        p50: percentile(&values, 50.0)?,
        p99: percentile(&values, 99.0)?,
        max: *values.last()?,
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Signed milliseconds from `from_us` to `to_us` (negative when a viewer saw a part before the feeder had
/// its PUT answered).
fn delta_ms(from_us: u64, to_us: u64) -> f64 {
    (to_us as f64 - from_us as f64) / 1e3
}

/// The viewers' figures over the hold.
struct LiveFigures {
    viewers: usize,
    hold_secs: f64,
    /// Parts that arrived during the hold.
    parts_in_hold: usize,
    listed: Option<Summary>,
    delivered: Option<Summary>,
    /// Per part, the time until its last viewer had it listed / delivered.
    listed_all: Option<Summary>,
    delivered_all: Option<Summary>,
    missing_listed: u64,
    missing_delivered: u64,
    /// How long after the hold the last viewer stopped (caught up, or gave up).
    catch_up_secs: f64,
    /// Segments GET whole by viewers that fell behind the parts window, and how many viewers did.
    fallback_segments: u64,
    fallback_viewers: u64,
    reloads: u64,
    part_gets: u64,
    bytes: u64,
    connections: u64,
    errors: BTreeMap<String, u64>,
}

impl LiveFigures {
    fn compute(
        outcomes: &[ViewerOutcome],
        arrivals: &HashMap<PartId, Instant>,
        epoch: Instant,
        hold_start: Instant,
        hold_end: Instant,
        viewers: usize,
    ) -> LiveFigures {
        let in_hold: HashMap<PartId, u64> = arrivals
            .iter()
            .filter(|(_, &at)| at >= hold_start && at < hold_end)
            .map(|(&part, &at)| (part, micros_since(epoch, at)))
            .collect();
        let mut listed = Vec::new();
        let mut delivered = Vec::new();
        let mut last_listed: HashMap<PartId, f64> = HashMap::new();
        let mut last_delivered: HashMap<PartId, f64> = HashMap::new();
        let mut errors = BTreeMap::new();
        let (mut reloads, mut part_gets, mut bytes, mut connections) = (0, 0, 0, 0);
        for outcome in outcomes {
            for o in &outcome.observations {
                let Some(&arrived) = in_hold.get(&o.part) else {
                    continue;
                };
                let d = delta_ms(arrived, o.at_us);
                let (all, last) = match o.seen {
                    Seen::Listed => (&mut listed, &mut last_listed),
                    Seen::Delivered => (&mut delivered, &mut last_delivered),
                };
                all.push(d);
                let worst = last.entry(o.part).or_insert(f64::NEG_INFINITY);
                *worst = worst.max(d);
            }
            reloads += outcome.reloads;
            part_gets += outcome.part_gets;
            bytes += outcome.bytes;
            connections += outcome.connections;
            for (k, n) in &outcome.errors {
                *errors.entry(k.clone()).or_default() += n;
            }
        }
        // Each viewer is expected to see every part of the hold from the first one after its join (the
        // last joins can be answered just after the hold starts); one that never joined, all of them.
        let expected: u64 = outcomes
            .iter()
            .map(|o| {
                let from = o.joined_before.unwrap_or(PartId { msn: 0, index: 0 });
                in_hold.keys().filter(|&&p| p >= from).count() as u64
            })
            .sum::<u64>()
            + (viewers.saturating_sub(outcomes.len()) * in_hold.len()) as u64;
        let last_finish = outcomes
            .iter()
            .map(|o| o.finished)
            .max()
            .unwrap_or(hold_end);
        LiveFigures {
            viewers,
            hold_secs: (hold_end - hold_start).as_secs_f64(),
            parts_in_hold: in_hold.len(),
            missing_listed: expected.saturating_sub(listed.len() as u64),
            missing_delivered: expected.saturating_sub(delivered.len() as u64),
            catch_up_secs: last_finish
                .saturating_duration_since(hold_end)
                .as_secs_f64(),
            fallback_segments: outcomes.iter().map(|o| o.fallbacks.len() as u64).sum(),
            fallback_viewers: outcomes.iter().filter(|o| !o.fallbacks.is_empty()).count() as u64,
            listed: summarize(listed),
            delivered: summarize(delivered),
            listed_all: summarize(last_listed.into_values().collect()),
            delivered_all: summarize(last_delivered.into_values().collect()),
            reloads,
            part_gets,
            bytes,
            connections,
            errors,
        }
    }

    fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

// ---------------------------------------------------------------------------------------------------
// Segment GETs against the origin and nginx.

/// How the nginx copy of the segments was made.
struct Copied {
    segments: usize,
    bytes: u64,
    /// Segments whose origin bytes differ from the segmenter's (parts concatenated).
    differing: Vec<u64>,
}

/// GETs every completed segment from the origin once and writes it under nginx's root at the same path,
/// so that both serve the very same bytes.
async fn copy_segments(
    origin: &Origin,
    stream: &CreatedStream,
    completed: &[u64],
    media: &Media,
    nginx_dir: &Path,
) -> Result<Copied> {
    let folder = nginx_dir.join("www/live").join(&stream.id).join(RENDITION);
    std::fs::create_dir_all(&folder).with_context(|| format!("creating {}", folder.display()))?;
    let expected: HashMap<u64, &Bytes> = media.segments.iter().map(|(m, b)| (*m, b)).collect();
    let mut conn = Conn::new(origin.addr);
    let mut copied = Copied {
        segments: 0,
        bytes: 0,
        differing: Vec::new(),
    };
    for &msn in completed {
        let path = format!("/live/{}/{RENDITION}/{msn}.m4s", stream.id);
        let reply = conn
            .get(&path, true)
            .await
            .map_err(|e| anyhow::anyhow!("GET {path} from the origin: {e}"))?;
        if reply.status != StatusCode::OK {
            bail!("GET {path} from the origin: {}", reply.status);
        }
        if expected.get(&msn).is_none_or(|b| **b != reply.body) {
            copied.differing.push(msn);
        }
        let file = folder.join(format!("{msn}.m4s"));
        std::fs::write(&file, &reply.body)
            .with_context(|| format!("writing {}", file.display()))?;
        copied.segments += 1;
        copied.bytes += reply.len;
    }
    Ok(copied)
}

/// Throughput of one side.
struct Gets {
    requests: u64,
    bytes: u64,
    secs: f64,
    latency: Option<Summary>,
    errors: BTreeMap<String, u64>,
    usage: Usage,
    connections: u64,
    /// The servers' resident memory at the end (all of `pids`).
    rss_kb: u64,
}

/// `connections` clients each GET the segments in turn (each starting at a different one) for `run`;
/// `pids` are the server's processes, whose CPU time is measured over the run.
async fn segment_gets(
    addr: SocketAddr,
    pids: &[u32],
    paths: Arc<Vec<String>>,
    connections: usize,
    run: Duration,
) -> Result<Gets> {
    let before = Snapshot::take(pids)?;
    let start = Instant::now();
    let deadline = start + run;
    let mut tasks = Vec::with_capacity(connections);
    for k in 0..connections {
        let paths = Arc::clone(&paths);
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(addr);
            let (mut requests, mut bytes) = (0u64, 0u64);
            let mut latencies = Vec::new();
            let mut errors: BTreeMap<String, u64> = BTreeMap::new();
            let mut i = k;
            while Instant::now() < deadline {
                let path = &paths[i % paths.len()];
                i += 1;
                let sent = Instant::now();
                match conn.get(path, false).await {
                    Ok(reply) if reply.status == StatusCode::OK => {
                        requests += 1;
                        bytes += reply.len;
                        latencies.push(ms(sent.elapsed()));
                    }
                    Ok(reply) => {
                        *errors
                            .entry(format!("segment: {}", reply.status.as_u16()))
                            .or_default() += 1
                    }
                    Err(e) => *errors.entry(format!("segment: {e}")).or_default() += 1,
                }
            }
            (requests, bytes, latencies, errors, conn.opened)
        }));
    }
    let mut gets = Gets {
        requests: 0,
        bytes: 0,
        secs: 0.0,
        latency: None,
        errors: BTreeMap::new(),
        usage: Usage::default(),
        connections: 0,
        rss_kb: 0,
    };
    let mut latencies = Vec::new();
    for task in tasks {
        let (requests, bytes, l, errors, opened) = task.await.context("a client task panicked")?;
        gets.requests += requests;
        gets.bytes += bytes;
        gets.connections += opened;
        latencies.extend(l);
        for (k, n) in errors {
            *gets.errors.entry(k).or_default() += n;
        }
    }
    gets.secs = start.elapsed().as_secs_f64();
    gets.usage = before.usage(&Snapshot::take(pids)?);
    gets.latency = summarize(latencies);
    gets.rss_kb = pids
        .iter()
        .filter_map(|&p| proc_status_kb(p, "VmRSS").ok())
        .sum();
    Ok(gets)
}

// ---------------------------------------------------------------------------------------------------
// CPU and memory from /proc.

/// CPU time (user + system, clock ticks) from a `/proc/{pid}/stat` line: fields 14 and 15, counted after
/// the command name in parentheses (which may itself hold spaces and parentheses).
fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let after = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3 (state): utime is field 14, stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// The parent pid (field 4) from a `/proc/{pid}/stat` line.
fn parse_stat_ppid(stat: &str) -> Option<u32> {
    let after = stat.get(stat.rfind(')')? + 1..)?;
    after.split_whitespace().nth(1)?.parse().ok()
}

/// A `kB` field (`VmRSS`, `VmHWM`) of a `/proc/{pid}/status` text.
fn parse_status_kb(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// Busy and total jiffies of the whole machine from `/proc/stat`'s `cpu` line (idle and iowait are not
/// busy).
fn parse_machine_jiffies(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    let total: u64 = v.iter().sum();
    let idle = v.get(3)? + v.get(4)?;
    Some((total - idle, total))
}

fn proc_cpu_ticks(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_stat_ticks(&text).with_context(|| format!("unexpected {path}: {text}"))
}

fn proc_status_kb(pid: u32, field: &str) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_status_kb(&text, field).with_context(|| format!("no {field} in {path}"))
}

/// `pid` and its children (nginx's master and its workers).
fn process_tree(pid: u32) -> Vec<u32> {
    let mut pids = vec![pid];
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(child) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            if parse_stat_ppid(&stat) == Some(pid) {
                pids.push(child);
            }
        }
    }
    pids
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux).
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|&t| t > 0.0)
        .unwrap_or(100.0)
}

/// CPU counters at one instant: the measured processes, this benchmark, the machine.
struct Snapshot {
    at: Instant,
    target: u64,
    bench: u64,
    machine: (u64, u64),
}

/// CPU use over an interval, in % of one core (the machine: % of all cores).
#[derive(Debug, Clone, Copy, Default)]
struct Usage {
    target: f64,
    bench: f64,
    machine: f64,
}

impl Usage {
    /// CPU used by neither the measured processes nor this benchmark, in % of one core: other work on a
    /// shared machine, which the figures then share it with.
    fn others(&self, cores: usize) -> f64 {
        (self.machine * cores as f64 - self.target - self.bench).max(0.0)
    }
}

impl Snapshot {
    fn take(pids: &[u32]) -> Result<Snapshot> {
        let mut target = 0;
        for &pid in pids {
            target += proc_cpu_ticks(pid)?;
        }
        let stat = std::fs::read_to_string("/proc/stat").context("reading /proc/stat")?;
        Ok(Snapshot {
            at: Instant::now(),
            target,
            bench: proc_cpu_ticks(std::process::id())?,
            machine: parse_machine_jiffies(&stat).context("unexpected /proc/stat")?,
        })
    }

    fn usage(&self, later: &Snapshot) -> Usage {
        let secs = (later.at - self.at).as_secs_f64().max(1e-9);
        let tick = clock_ticks();
        let pct = |a: u64, b: u64| (b.saturating_sub(a)) as f64 / tick / secs * 100.0;
        let busy = later.machine.0.saturating_sub(self.machine.0) as f64;
        let total = later.machine.1.saturating_sub(self.machine.1) as f64;
        Usage {
            target: pct(self.target, later.target),
            bench: pct(self.bench, later.bench),
            machine: if total > 0.0 {
                busy / total * 100.0
            } else {
                0.0
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// The report.

struct Report<'a> {
    args: &'a Args,
    cores: usize,
    live: &'a LiveFigures,
    fed: &'a Fed,
    hold: Usage,
    rss_at_hold_end: u64,
    peak_rss: u64,
    copy: &'a Copied,
    origin_gets: &'a Gets,
    nginx_gets: &'a Gets,
    bench_peak_rss: u64,
}

fn met(ok: bool) -> &'static str {
    if ok {
        "MET"
    } else {
        "NOT MET"
    }
}

fn summary_row(name: &str, s: Option<Summary>, missing: u64) {
    match s {
        Some(s) => println!(
            "  {:<44} {:>9} {:>9.1} {:>9.1} {:>9.1} {:>9}",
            name, s.count, s.p50, s.p99, s.max, missing
        ),
        None => println!("  {name:<44} {:>9}", "none"),
    }
}

fn print_errors(who: &str, errors: &BTreeMap<String, u64>) {
    if errors.is_empty() {
        println!("  {who} errors: none");
    }
    for (kind, n) in errors {
        println!("  {who} error, {kind}: {n}");
    }
}

fn report(r: &Report) {
    let live = r.live;
    let hold = live.hold_secs;
    println!();
    println!(
        "Live: {} viewers, figures over the {:.0} s hold (all joined), {} parts arrived in it",
        live.viewers, hold, live.parts_in_hold
    );
    let requests = live.reloads + live.part_gets;
    println!(
        "  requests/s {:>10.0}   (blocking reloads {:.0}/s, part GETs {:.0}/s; {:.1} MB/s of bodies)",
        requests as f64 / hold,
        live.reloads as f64 / hold,
        live.part_gets as f64 / hold,
        live.bytes as f64 / MB / hold
    );
    println!(
        "  connections opened by viewers: {} (one each when keep-alive holds)",
        live.connections
    );
    println!(
        "  feeder: {} parts uploaded, PUT answered in {} ms, started at most {:.1} ms late",
        r.fed.parts,
        summarize(r.fed.put_ms.clone()).map_or_else(
            || "-".into(),
            |s| format!("p50 {:.1} / p99 {:.1} / max {:.1}", s.p50, s.p99, s.max)
        ),
        r.fed.max_late_ms
    );
    println!();
    println!(
        "  {:<44} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "ms from a part's arrival (PUT answered) to", "pairs", "p50", "p99", "max", "missing"
    );
    summary_row(
        "playlist fan-out (reload listing it answered)",
        live.listed,
        live.missing_listed,
    );
    summary_row(
        "part delivered (its GET complete)",
        live.delivered,
        live.missing_delivered,
    );
    summary_row("  per part: the last viewer's reload", live.listed_all, 0);
    summary_row("  per part: the last viewer's GET", live.delivered_all, 0);
    println!(
        "  (pairs = viewer x part; missing = not seen as a part within {} s after the hold; negative = listed before the feeder had its PUT answer)",
        MAX_CATCH_UP.as_secs()
    );
    println!(
        "  viewers stopped once they had every part of the hold: the last {:.1} s after it ended (they give up after {} s)",
        live.catch_up_secs,
        MAX_CATCH_UP.as_secs()
    );
    println!(
        "  fell behind the parts window (parts no longer listed, whole segment GET instead): {} viewers, {} segments",
        live.fallback_viewers, live.fallback_segments
    );
    println!();
    println!(
        "  origin CPU {:>6.1} % of one core   peak RSS {:>7.1} MB (at the end of the hold {:.1} MB)",
        r.hold.target,
        r.peak_rss as f64 / 1e3,
        r.rss_at_hold_end as f64 / 1e3
    );
    println!(
        "  load generator CPU {:.1} % of one core (peak RSS {:.1} MB); machine {:.1} % busy of {} cores, so {:.1} % of one core went to other work",
        r.hold.bench,
        r.bench_peak_rss as f64 / 1e3,
        r.hold.machine,
        r.cores,
        r.hold.others(r.cores)
    );
    let per_core = if r.hold.target > 0.0 {
        live.viewers as f64 / (r.hold.target / 100.0)
    } else {
        f64::INFINITY
    };
    println!(
        "  viewers per core of origin CPU: {:.0} (published LL-HLS origins: about {PUBLISHED_VIEWERS_PER_CORE:.0})",
        per_core
    );
    print_errors("viewer", &live.errors);
    print_errors("feeder", &r.fed.errors);

    println!();
    println!(
        "Segment GETs: {} connections x {} s per side, {} completed segments ({:.2} MB) GET in turn; nginx serves the origin's bytes as files",
        r.args.connections,
        r.args.throughput.as_secs(),
        r.copy.segments,
        r.copy.bytes as f64 / MB
    );
    if !r.copy.differing.is_empty() {
        println!(
            "  NOTE: the origin's bytes differ from the uploaded parts for segments {:?}",
            r.copy.differing
        );
    }
    println!(
        "  {:<8} {:>10} {:>9} {:>9} {:>9} {:>11} {:>12} {:>10} {:>8} {:>7}",
        "server",
        "requests/s",
        "MB/s",
        "p50 ms",
        "p99 ms",
        "server CPU%",
        "loadgen CPU%",
        "other CPU%",
        "RSS MB",
        "errors"
    );
    for (name, g) in [("origin", r.origin_gets), ("nginx", r.nginx_gets)] {
        let (p50, p99) = g.latency.map_or((f64::NAN, f64::NAN), |s| (s.p50, s.p99));
        println!(
            "  {:<8} {:>10.0} {:>9.1} {:>9.2} {:>9.2} {:>11.1} {:>12.1} {:>10.1} {:>8.1} {:>7}",
            name,
            g.requests as f64 / g.secs,
            g.bytes as f64 / MB / g.secs,
            p50,
            p99,
            g.usage.target,
            g.usage.bench,
            g.usage.others(r.cores),
            g.rss_kb as f64 / 1e3,
            g.errors.values().sum::<u64>()
        );
    }
    for g in [r.origin_gets, r.nginx_gets] {
        for (kind, n) in &g.errors {
            println!("  error {kind}: {n}");
        }
        if g.connections > r.args.connections as u64 {
            println!(
                "  note: {} connections opened for {} clients",
                g.connections, r.args.connections
            );
        }
    }
    let throughput = |g: &Gets| g.requests as f64 / g.secs;
    let ratio = throughput(r.origin_gets) / throughput(r.nginx_gets);
    let per_cpu = |g: &Gets| throughput(g) / (g.usage.target / 100.0).max(1e-9);
    println!(
        "  origin / nginx: {:.2}x throughput, {:.2}x requests per CPU-second of the server",
        ratio,
        per_cpu(r.origin_gets) / per_cpu(r.nginx_gets)
    );

    println!();
    let full = r.args.viewers >= TARGET_VIEWERS && r.args.seconds >= TARGET_SECONDS;
    println!(
        "Targets (issue: {TARGET_VIEWERS} viewers, {TARGET_SECONDS} s, this machine, load generator included){}:",
        if full {
            ""
        } else {
            " -- this run is smaller than the target"
        }
    );
    println!(
        "  {} viewers held {} s with no error: {} errors, {} (viewer, part) pairs never delivered -> {}",
        live.viewers,
        r.args.seconds,
        live.error_count(),
        live.missing_delivered,
        met(full && live.error_count() == 0 && live.missing_delivered == 0)
    );
    let p99 = live.listed.map_or(f64::INFINITY, |s| s.p99);
    let p99_all = live.listed_all.map_or(f64::INFINITY, |s| s.p99);
    println!(
        "  p99 part fan-out < {TARGET_FANOUT_P99_MS} ms: {:.1} ms over (viewer, part) pairs -> {}; {:.1} ms until the last viewer, per part -> {}",
        p99,
        met(p99 < TARGET_FANOUT_P99_MS),
        p99_all,
        met(p99_all < TARGET_FANOUT_P99_MS)
    );
    println!(
        "  segment GETs >= {:.0} % of nginx's static throughput: {:.0} % -> {}",
        TARGET_STATIC_RATIO * 100.0,
        ratio * 100.0,
        met(ratio >= TARGET_STATIC_RATIO)
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use onair_media::{MediaPlaylist, Part, PlaylistSegment, PreloadHint, ServerControl};

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&v, 100.0), Some(100.0));
        assert_eq!(percentile(&v, 0.5), Some(1.0));
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&[1.0, 2.0, 3.0], 50.0), Some(2.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&v, 0.0), None);
        assert_eq!(percentile(&v, 101.0), None);
    }

    #[test]
    fn summaries_sort_first() {
        let s = summarize(vec![3.0, -1.0, 2.0, 10.0]).expect("values");
        assert_eq!(s.count, 4);
        assert_eq!(s.p50, 2.0);
        assert_eq!(s.p99, 10.0);
        assert_eq!(s.max, 10.0);
        assert_eq!(summarize(Vec::new()), None);
    }

    fn part(uri: &str, independent: bool) -> Part {
        Part {
            uri: uri.into(),
            duration_secs: 0.32,
            independent,
            gap: false,
        }
    }

    /// A live playlist as onair-media renders it: segments 5 and 6 with their parts, two parts of 7.
    fn live_playlist() -> MediaPlaylist {
        let segment = |msn: u64| PlaylistSegment {
            uri: format!("{msn}.m4s"),
            duration_secs: 1.92,
            parts: (0..6)
                .map(|i| part(&format!("{msn}.{i}.m4s"), i == 0))
                .collect(),
            ..PlaylistSegment::default()
        };
        MediaPlaylist {
            target_duration: 2,
            media_sequence: 5,
            map_uri: "init.mp4".into(),
            segments: vec![segment(5), segment(6)],
            part_target: Some(0.334),
            server_control: Some(ServerControl {
                can_block_reload: true,
                part_hold_back: Some(1.002),
                ..ServerControl::default()
            }),
            trailing_parts: vec![part("7.0.m4s", true), part("7.1.m4s", false)],
            preload_hint: Some(PreloadHint {
                uri: "7.2.m4s".into(),
                ..PreloadHint::default()
            }),
            ..MediaPlaylist::default()
        }
    }

    #[test]
    fn lists_parts_from_the_one_asked_for() {
        let text = live_playlist().render();
        let listing = list_parts(&text, PartId { msn: 6, index: 4 }).expect("listing");
        let ids: Vec<(u64, u32, &str)> = listing
            .parts
            .iter()
            .map(|(p, uri)| (p.msn, p.index, *uri))
            .collect();
        assert_eq!(
            ids,
            [
                (6, 4, "6.4.m4s"),
                (6, 5, "6.5.m4s"),
                (7, 0, "7.0.m4s"),
                (7, 1, "7.1.m4s")
            ]
        );
        assert_eq!(listing.next, PartId { msn: 7, index: 2 });
        assert!(!listing.ended);
        // Joining: nothing listed from "infinity", but the next part is known.
        let join = list_parts(
            &text,
            PartId {
                msn: u64::MAX,
                index: u32::MAX,
            },
        )
        .expect("listing");
        assert!(join.parts.is_empty());
        assert_eq!(join.next, PartId { msn: 7, index: 2 });
    }

    #[test]
    fn a_segment_just_completed_moves_to_the_next_msn() {
        let mut playlist = live_playlist();
        playlist.trailing_parts.clear();
        playlist.preload_hint = None;
        playlist.ended = true;
        let text = playlist.render();
        let listing = list_parts(&text, PartId { msn: 6, index: 6 }).expect("listing");
        assert!(listing.parts.is_empty());
        assert_eq!(listing.next, PartId { msn: 7, index: 0 });
        assert!(listing.ended);
    }

    #[test]
    fn segments_listed_without_their_parts_are_reported() {
        let mut playlist = live_playlist();
        playlist.segments[0].parts.clear();
        let text = playlist.render();
        let behind = list_parts(&text, PartId { msn: 5, index: 2 }).expect("listing");
        assert_eq!(behind.partless, [(5, "5.m4s")]);
        assert_eq!(
            behind.parts.first().map(|p| p.0),
            Some(PartId { msn: 6, index: 0 })
        );
        let live = list_parts(&text, PartId { msn: 6, index: 3 }).expect("listing");
        assert!(live.partless.is_empty());
    }

    #[test]
    fn skipped_segments_count_in_delta_updates() {
        let mut playlist = live_playlist();
        playlist.skipped_segments = 1;
        playlist.segments.remove(0);
        let text = playlist.render();
        let listing = list_parts(&text, PartId { msn: 7, index: 1 }).expect("listing");
        assert_eq!(listing.parts, [(PartId { msn: 7, index: 1 }, "7.1.m4s")]);
    }

    #[test]
    fn a_playlist_without_media_is_refused() {
        assert!(list_parts(
            "#EXTM3U\n#EXT-X-TARGETDURATION:2\n",
            PartId { msn: 0, index: 0 }
        )
        .is_err());
        assert!(list_parts(
            "#EXTM3U\n#EXT-X-PART:DURATION=0.3\n",
            PartId { msn: 0, index: 0 }
        )
        .is_err());
    }

    #[test]
    fn attributes_quoted_or_not() {
        let list = r#"DURATION=0.32,URI="a,b=c.m4s",INDEPENDENT=YES"#;
        assert_eq!(attribute(list, "URI"), Some("a,b=c.m4s"));
        assert_eq!(attribute(list, "DURATION"), Some("0.32"));
        assert_eq!(attribute(list, "INDEPENDENT"), Some("YES"));
        assert_eq!(attribute(list, "GAP"), None);
        assert_eq!(
            attribute("SKIPPED-SEGMENTS=3", "SKIPPED-SEGMENTS"),
            Some("3")
        );
    }

    #[test]
    fn proc_files() {
        let stat =
            "4242 (tokio (rt) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 9 0 100 1 2";
        assert_eq!(parse_stat_ticks(stat), Some(325));
        assert_eq!(parse_stat_ppid(stat), Some(1));
        assert_eq!(parse_stat_ticks("garbage"), None);
        let status = "Name:\tonair\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\n";
        assert_eq!(parse_status_kb(status, "VmRSS"), Some(40960));
        assert_eq!(parse_status_kb(status, "VmHWM"), Some(51200));
        assert_eq!(parse_status_kb(status, "VmSwap"), None);
        let machine = "cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0\n";
        assert_eq!(parse_machine_jiffies(machine), Some((160, 980)));
    }

    #[test]
    fn colours_are_stripped() {
        assert_eq!(
            strip_ansi("\u{1b}[2mtime\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m x"),
            "time  INFO x"
        );
    }

    #[test]
    fn arguments() {
        let args = |s: &str| -> Vec<String> { s.split_whitespace().map(String::from).collect() };
        let a = Args::parse(&args("--viewers 500 --seconds 10")).expect("valid");
        assert_eq!((a.viewers, a.seconds, a.connections), (500, 10, 256));
        assert!(Args::parse(&args("--viewers")).is_err());
        assert!(Args::parse(&args("--viewers 0")).is_err());
        assert!(Args::parse(&args("--frobnicate 1")).is_err());
    }
}
