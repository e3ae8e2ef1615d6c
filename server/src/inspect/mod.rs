//! `onair inspect FILE|URL`: a stream debugger for people and machines, in the server binary.
//!
//! Given an init segment it prints the tracks; given a segment or part, its fragments and per-track
//! samples (read against `--init`, or the init a playlist beside it names, or `init.mp4` beside it);
//! given a playlist (media or multivariant, told apart by content), its entries, and it walks the stream:
//! multivariant -> every media playlist -> init -> every segment -> the last parts, reporting every spec
//! violation found, the way Apple's `mediastreamvalidator` does. Text for people, `--json` for machines;
//! the exit code is 1 when any error was found, 2 when the input could not be inspected at all.
//!
//! Layout, pure first:
//! - [`rules`]: every rule checked, with its code, severity and the spec sentence quoted;
//! - [`lines`]: where tags, segments and parts are in a playlist's text;
//! - [`checks`]: the checks, functions from parsed and measured values to [`report::Violation`]s;
//! - [`report`]: the report, plain serializable data;
//! - [`render`]: the text form;
//! - [`fetch`]: files and http(s) URLs, bounded and with timeouts (the only I/O);
//! - [`walk`]: fetching, demuxing (with `onair-media`) and calling the checks.
//!
//! ```text
//! onair inspect out/init.mp4
//! onair inspect --init out/init.mp4 out/seg3.m4s
//! onair inspect --json http://127.0.0.1:8080/live/STREAM_ID/index.m3u8
//! ```

pub mod checks;
pub mod fetch;
pub mod lines;
pub mod render;
pub mod report;
pub mod rules;
pub mod walk;

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use thiserror::Error;

pub use report::{Report, Severity, Violation};

/// `onair inspect`: the command line.
#[derive(Debug, Clone, clap::Args)]
#[command(
    about = "Inspect an init segment, a segment or part, or an HLS playlist (file or URL) and report spec violations",
    after_help = "Exit status: 0 when no error was found (warnings allowed), 1 when errors were found, 2 when the input could not be inspected."
)]
pub struct InspectArgs {
    /// A file or an http(s) URL: an init segment, a media segment or part, or a media or multivariant
    /// playlist (told apart by content).
    #[arg(value_name = "FILE|URL")]
    pub input: String,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// The init segment to read a segment or part against [default: the EXT-X-MAP of a playlist beside it
    /// that lists it (for a URL: index.m3u8), else init.mp4 beside it].
    #[arg(long, value_name = "FILE|URL")]
    pub init: Option<String>,
    /// For a playlist: check its text only, fetch nothing it lists.
    #[arg(long)]
    pub no_walk: bool,
    /// Fetch only the last N segments of each media playlist [default: all].
    #[arg(long, value_name = "N")]
    pub max_segments: Option<usize>,
    /// Fetch the last N parts of each low-latency media playlist.
    #[arg(long, value_name = "N", default_value_t = 6)]
    pub parts: usize,
    /// Seconds a measured duration or timestamp may differ from the declared one before it is reported.
    #[arg(long, value_name = "SECS", default_value_t = 0.1)]
    pub tolerance: f64,
    /// Seconds to wait for each HTTP request (connecting included).
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub timeout: u64,
}

/// What the walk does, from [`InspectArgs`].
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// `--init`.
    pub init: Option<String>,
    /// Not `--no-walk`.
    pub walk: bool,
    /// `--max-segments`.
    pub max_segments: Option<usize>,
    /// `--parts`.
    pub parts: usize,
    /// `--tolerance`, seconds.
    pub tolerance_secs: f64,
    /// `--timeout`.
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            init: None,
            walk: true,
            max_segments: None,
            parts: 6,
            tolerance_secs: 0.1,
            timeout: Duration::from_secs(10),
        }
    }
}

impl From<&InspectArgs> for Options {
    fn from(a: &InspectArgs) -> Self {
        Options {
            init: a.init.clone(),
            walk: !a.no_walk,
            max_segments: a.max_segments,
            parts: a.parts,
            tolerance_secs: if a.tolerance.is_finite() && a.tolerance >= 0.0 {
                a.tolerance
            } else {
                0.1
            },
            timeout: Duration::from_secs(a.timeout.max(1)),
        }
    }
}

/// Why the input could not be inspected at all (problems inside it are [`Violation`]s instead).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum InspectError {
    /// The input (or `--init`) could not be read.
    #[error(transparent)]
    Fetch(fetch::FetchError),
    /// Neither a playlist nor ISOBMFF with a `moov` or `moof`.
    #[error(
        "{input} is not a playlist, an init segment or a media segment (it starts with {start:?})"
    )]
    NotRecognised {
        /// The input.
        input: String,
        /// Its first bytes, printable.
        start: String,
    },
    /// A segment with no init segment to read it against.
    #[error("no init segment found for {segment} (no playlist beside it lists it with an EXT-X-MAP, no init.mp4 beside it): pass --init FILE|URL")]
    NoInit {
        /// The segment.
        segment: String,
    },
}

/// Runs `onair inspect`: prints the report on stdout (errors that stop it on stderr, and as JSON on
/// stdout with `--json`) and answers the exit code.
pub async fn run(args: InspectArgs) -> ExitCode {
    let options = Options::from(&args);
    let result = walk::inspect(&args.input, &options).await;
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not worth a panic: output errors are ignored.
    match result {
        Ok(report) => {
            let text = if args.json {
                serde_json::to_string_pretty(&report).unwrap_or_default()
            } else {
                render::text(&report)
            };
            let _ = writeln!(stdout, "{}", text.trim_end());
            if report.errors > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            if args.json {
                let value = serde_json::json!({ "input": args.input, "error": e.to_string() });
                let _ = writeln!(stdout, "{value:#}");
            }
            let _ = writeln!(std::io::stderr(), "onair inspect: {e}");
            ExitCode::from(2)
        }
    }
}
