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
//!    reads it back and its `Segmenter` cuts it into 2 s segments of parts of at most 0.334 s, as the
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
//! One module per part: [`source`] (1), [`feeder`] (3), [`mod@viewer`] and [`listing`] (4), [`conn`] (the
//! HTTP/1.1 client of both), [`mod@segment_gets`] (5), [`procfs`] (CPU and memory), [`figures`] and
//! [`mod@report`]; the origin is `onair_tests::ServerProcess` and nginx `onair_tests::NginxCache`.
//!
//! The load generator shares the machine with the server (and nginx), as the issue's targets say. It
//! prints figures; it asserts nothing, and it is not part of `scripts/test.sh`.

mod conn;
mod feeder;
mod figures;
mod listing;
mod procfs;
mod report;
mod segment_gets;
mod source;
mod viewer;

use anyhow::{bail, Context, Result};
use onair_protocol::{paths, DEFAULT_RENDITION};
use onair_tests::{create_stream_at, NginxCache, ServerProcess};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use feeder::Arrivals;
use figures::LiveFigures;
use procfs::{proc_status_kb, process_tree, Snapshot};
use report::{report, Report, TARGET_SECONDS, TARGET_VIEWERS};
use segment_gets::{copy_segments, segment_gets};
use source::{cut_source, make_source, print_media, AUDIO_KBPS, FPS, VIDEO_KBPS};
use viewer::{report_progress, viewer, Progress, ViewerContext};

/// The feeder runs this long before the first viewer joins, so that the playlist has parts.
const WARMUP: Duration = Duration::from_secs(4);
/// After the hold, each viewer goes on until it has every part that arrived during the hold, for at most
/// this long; a (viewer, part) pair not seen by then is missing.
const MAX_CATCH_UP: Duration = Duration::from_secs(10);

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
    let server_bin = ServerProcess::release_binary()?;
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
    println!("server: {}", ServerProcess::describe_binary(&server_bin));

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

    let origin = ServerProcess::start(&server_bin, work.path()).await?;
    let stream = create_stream_at(&origin.url(""), "bench-ll")
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
    let arrivals: Arrivals = Arc::default();
    let viewers_done = Arc::new(AtomicBool::new(false));
    let feeder = feeder::start(
        origin.addr,
        &stream,
        &media,
        epoch,
        &viewers_done,
        &arrivals,
    )
    .await?;

    let playlist = paths::media_playlist(&stream.id, DEFAULT_RENDITION);
    let ctx = Arc::new(ViewerContext {
        addr: origin.addr,
        playlist: playlist.clone(),
        base: playlist
            .rsplit_once('/')
            .map(|(folder, _)| format!("{folder}/"))
            .context("a folder in the playlist's path")?,
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
    let nginx = NginxCache::start_static()
        .await
        .context("starting nginx as a static server")?;
    let copy = copy_segments(origin.addr, &stream, &completed, &media, &nginx).await?;
    let paths: Arc<Vec<String>> = Arc::new(
        completed
            .iter()
            .map(|&msn| paths::segment(&stream.id, DEFAULT_RENDITION, msn))
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

#[cfg(test)]
mod tests {
    use super::*;

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
