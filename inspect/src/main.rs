//! `onair-inspect`: the command line of the `onair_inspect` library (also run by `onair inspect`). It
//! parses the flags, runs [`onair_inspect::inspect`], prints the report and answers its exit status.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use onair_inspect::{exit_status, render, to_json, Options};

/// The command line.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "onair-inspect",
    version,
    about = "Inspect an init segment, a segment or part, a whole fragmented MP4 file, or an HLS playlist (file or URL) and report spec violations",
    after_help = "Exit status: 0 when no error was found (warnings allowed), 1 when errors were found, 2 when the input could not be inspected."
)]
struct InspectArgs {
    /// A file or an http(s) URL: an init segment, a media segment or part, a whole fragmented MP4 file,
    /// or a media or multivariant playlist (told apart by content).
    #[arg(value_name = "FILE|URL")]
    input: String,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    json: bool,
    /// The init segment to read a segment or part against [default: the EXT-X-MAP of a playlist beside it
    /// that lists it (for a URL: index.m3u8), else init.mp4 beside it].
    #[arg(long, value_name = "FILE|URL")]
    init: Option<String>,
    /// For a playlist: check its text only, fetch nothing it lists.
    #[arg(long)]
    no_walk: bool,
    /// Fetch only the last N segments of each media playlist [default: all].
    #[arg(long, value_name = "N")]
    max_segments: Option<usize>,
    /// Fetch the last N parts of each low-latency media playlist.
    #[arg(long, value_name = "N", default_value_t = 6)]
    parts: usize,
    /// Seconds a measured duration or timestamp may differ from the declared one before it is reported.
    #[arg(long, value_name = "SECS", default_value_t = 0.1)]
    tolerance: f64,
    /// Seconds to wait for each HTTP request (connecting included).
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    timeout: u64,
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
                Options::default().tolerance_secs
            },
            timeout: Duration::from_secs(a.timeout.max(1)),
        }
    }
}

/// Prints the report on stdout (an error that stops the run on stderr, and as JSON on stdout with
/// `--json`) and answers the exit status.
#[tokio::main]
async fn main() -> ExitCode {
    let args = InspectArgs::parse();
    let result = onair_inspect::inspect(&args.input, &Options::from(&args)).await;
    // A closed pipe (`| head`) is not worth a panic: output errors are ignored.
    let mut stdout = std::io::stdout().lock();
    if args.json {
        // The report as serde writes it (fields in their declared order), else `{"input", "error"}`.
        let json = match &result {
            Ok(report) => serde_json::to_string_pretty(report).unwrap_or_default(),
            Err(_) => format!("{:#}", to_json(&args.input, &result)),
        };
        let _ = writeln!(stdout, "{json}");
    } else if let Ok(report) = &result {
        let _ = writeln!(stdout, "{}", render::text(report).trim_end());
    }
    if let Err(e) = &result {
        let _ = writeln!(std::io::stderr(), "onair-inspect: {e}");
    }
    ExitCode::from(exit_status(&result))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flags_default_to_the_library_defaults() {
        let args = InspectArgs::try_parse_from(["onair-inspect", "index.m3u8"]).expect("parses");
        assert_eq!(Options::from(&args), Options::default());
        let odd = InspectArgs::try_parse_from([
            "onair-inspect",
            "--tolerance",
            "NaN",
            "--timeout",
            "0",
            "--no-walk",
            "x",
        ])
        .expect("parses");
        let options = Options::from(&odd);
        assert_eq!(options.tolerance_secs, Options::default().tolerance_secs);
        assert_eq!(options.timeout, Duration::from_secs(1));
        assert!(!options.walk);
    }
}
