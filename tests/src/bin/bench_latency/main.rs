//! `bench-latency`: glass-to-glass latency from the pixels, our player against hls.js on the same live
//! stream in the same run.
//!
//! ```sh
//! bash scripts/build-web.sh
//! ONAIR_WEB_DIR=$PWD/dist cargo run -p onair-tests --bin bench-latency [-- --seconds 30 --profile both --down-kbps 4000 --latency-ms 40]
//! ```
//!
//! Each profile is one session (`onair_tests::glass::run_session`): the origin, a broadcaster on
//! `/go-live` whose fake camera is the barcode clock (`onair_tests::clock`), and two viewers in
//! browsers of their own opened at the same moment, our `/watch/{id}` and hls.js 1.7.4
//! (`lowLatencyMode: true`). `loopback` leaves the network alone; `throttled` shapes both viewers'
//! download (never the broadcaster's) with Chromium's DevTools protocol. It prints, per profile,
//! latency p50/p95 (after a 5 s warm-up), time to first frame (from navigation start), rebuffer ratio
//! (gaps between presented frames over 0.3 s) and bits fetched per bit shown, with ours/hls.js ratios.
//! Everything shares this machine, so only the ratios within one run compare. It asserts nothing and is
//! not part of `scripts/test.sh`. With `ONAIR_TRACE_DIR` set, each viewer's trace (the element's state
//! every 100 ms, every `/live/` request's timing, the latency series) is written there as JSON.

use anyhow::{bail, Context, Result};
use onair_tests::glass::{run_session, table, Throttle};

struct Args {
    seconds: f64,
    profiles: Vec<&'static str>,
    throttle: Throttle,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        seconds: 30.0,
        profiles: vec!["loopback", "throttled"],
        throttle: Throttle {
            down_kbps: 4000,
            latency_ms: 40,
        },
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--seconds" => args.seconds = value()?.parse()?,
            "--profile" => {
                args.profiles = match value()?.as_str() {
                    "loopback" => vec!["loopback"],
                    "throttled" => vec!["throttled"],
                    "both" => vec!["loopback", "throttled"],
                    other => bail!("--profile loopback|throttled|both, not {other}"),
                }
            }
            "--down-kbps" => args.throttle.down_kbps = value()?.parse()?,
            "--latency-ms" => args.throttle.latency_ms = value()?.parse()?,
            other => bail!(
                "unknown argument {other}: --seconds S --profile loopback|throttled|both --down-kbps K --latency-ms M"
            ),
        }
    }
    Ok(args)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args = parse_args()?;
    for profile in &args.profiles {
        let throttle = (*profile == "throttled").then_some(args.throttle);
        let title = match throttle {
            Some(t) => format!(
                "bench-latency {profile}: viewers at {} kbit/s down, +{} ms per request; {} s",
                t.down_kbps, t.latency_ms, args.seconds
            ),
            None => format!("bench-latency {profile}: {} s", args.seconds),
        };
        let session = run_session(
            &format!("bench-latency-{profile}"),
            args.seconds,
            5.0,
            throttle,
        )
        .await?;
        println!("{}", table(&title, &session));
    }
    Ok(())
}
