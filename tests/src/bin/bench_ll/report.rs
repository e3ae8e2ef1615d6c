//! The printed report: the live figures, the segment-GET comparison with nginx, and the targets
//! marked met or not.

use std::collections::BTreeMap;

use crate::feeder::Fed;
use crate::figures::{summarize, LiveFigures, Summary};
use crate::procfs::Usage;
use crate::segment_gets::{Copied, Gets};
use crate::{Args, MAX_CATCH_UP};

/// The targets.
pub const TARGET_VIEWERS: usize = 5000;
pub const TARGET_SECONDS: u64 = 60;
const TARGET_FANOUT_P99_MS: f64 = 50.0;
const TARGET_STATIC_RATIO: f64 = 0.8;
/// "Published LL-HLS origins manage about 135 viewers per core."
const PUBLISHED_VIEWERS_PER_CORE: f64 = 135.0;
const MB: f64 = 1e6;

pub struct Report<'a> {
    pub args: &'a Args,
    pub cores: usize,
    pub live: &'a LiveFigures,
    pub fed: &'a Fed,
    pub hold: Usage,
    pub rss_at_hold_end: u64,
    pub peak_rss: u64,
    pub copy: &'a Copied,
    pub origin_gets: &'a Gets,
    pub nginx_gets: &'a Gets,
    pub bench_peak_rss: u64,
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

/// Prints the report: live figures, segment GETs, the targets.
pub fn report(r: &Report) {
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
