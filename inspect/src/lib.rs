//! # onair-inspect
//!
//! OnAir's stream validator, `onair-inspect FILE|URL` (also reached as `onair inspect`): a stream debugger
//! for people and machines, for any HLS fMP4 stream, not only OnAir's.
//!
//! What it owns:
//! - telling an input apart by its content: an init segment, a segment or part, a whole fragmented MP4
//!   file (`ftyp` + `moov`, then `moof` + `mdat` pairs, maybe an `mfra`), a media or a multivariant
//!   playlist;
//! - given an init segment, its tracks; given a segment or part, its fragments and per-track samples (read
//!   against `--init`, or the init a playlist beside it names, or `init.mp4` beside it); given a whole
//!   file, its tracks and every fragment, each demuxed and measured as a segment is, checked against the
//!   one before it, and its `mfra` against the fragments;
//! - given a playlist, its entries, and the walk: multivariant -> every media playlist -> init -> every
//!   segment -> the last parts, reporting every spec violation found, the way Apple's
//!   `mediastreamvalidator` does;
//! - the report ([`Report`]): text for people ([`render`]), JSON for machines ([`to_json`]), and the exit
//!   status ([`exit_status`]): 1 when any error was found, 2 when the input could not be inspected at all.
//!
//! What it leaves to others: every byte of MP4 and playlist syntax is read by `onair-media` (its demuxer
//! names box and byte offset in its errors); the origin (`onair-server`) does not depend on this crate:
//! its `onair inspect` runs this crate's binary.
//!
//! Layout, pure first:
//! - [`rules`]: every rule checked, with its code, severity and the spec sentence quoted;
//! - [`lines`]: where tags, segments and parts are in a playlist's text;
//! - [`checks`]: the checks, functions from parsed and measured values to [`report::Violation`]s;
//! - [`report`]: the report, plain serializable data;
//! - [`render`]: the text form;
//! - [`file`]: the top-level boxes of ISOBMFF bytes, a whole file cut into its fragments, its `mfra`;
//! - [`fetch`]: files and http(s) URLs, bounded and with timeouts (the only I/O);
//! - [`walk`]: fetching, demuxing (with `onair-media`) and calling the checks; [`inspect`] runs it.
//!
//! ```text
//! onair-inspect out/init.mp4
//! onair-inspect --init out/init.mp4 out/seg3.m4s
//! onair-inspect --json recording.mp4
//! onair-inspect --json http://127.0.0.1:8080/live/STREAM_ID/index.m3u8
//! ```
#![warn(missing_docs)]

pub mod checks;
pub mod fetch;
pub mod file;
pub mod lines;
pub mod render;
pub mod report;
pub mod rules;
pub mod walk;

use std::time::Duration;

use thiserror::Error;

pub use report::{Report, Severity, Violation};
pub use walk::inspect;

/// What the walk does: the command line's options ([`Options::default`] is what it does without any).
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

/// The exit status of a run: 0 when no error was found (warnings allowed), 1 when errors were found, 2
/// when the input could not be inspected at all.
pub fn exit_status(result: &Result<Report, InspectError>) -> u8 {
    match result {
        Ok(report) if report.errors > 0 => 1,
        Ok(_) => 0,
        Err(_) => 2,
    }
}

/// The JSON a run prints with `--json`: the report, or `{"input", "error"}` when there is none.
pub fn to_json(input: &str, result: &Result<Report, InspectError>) -> serde_json::Value {
    match result {
        Ok(report) => serde_json::to_value(report).unwrap_or_else(|e| {
            serde_json::json!({ "input": input, "error": format!("cannot write the report: {e}") })
        }),
        Err(e) => serde_json::json!({ "input": input, "error": e.to_string() }),
    }
}
