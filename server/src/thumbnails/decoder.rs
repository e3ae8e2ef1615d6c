//! The picture of a segment, for streams whose encoder sends no snapshot: ffmpeg decodes the first
//! keyframe of an init segment plus a media segment (given on its standard input, never a path) and
//! writes one JPEG of at most [`THUMBNAIL_WIDTH`] pixels wide.
//!
//! Why ffmpeg, a subprocess, rather than a decoder crate: the origin takes H.264, H.265, VP9 and AV1
//! (`onair_media::Codec`), and no well-kept Rust crate decodes all four; the one maintained H.264 crate
//! (`openh264`, Cisco's C++ built from source in every build) covers one. ffmpeg, which Debian ships and the
//! tests already use, decodes every one of them, and a process of its own keeps a decoder's crash or
//! memory out of the origin. It is optional: found at start-up, and without it only the broadcaster's
//! snapshots make thumbnails.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::AsyncWriteExt as _;
use tokio::process::Command;

/// Width of a decoded thumbnail (never upscaled), the size of a directory card on a wide screen.
pub const THUMBNAIL_WIDTH: u32 = 480;
/// How long a decode may take before it is killed.
pub const DECODE_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest output read back.
const MAX_OUTPUT_BYTES: usize = super::jpeg::MAX_THUMBNAIL_BYTES;

/// Why a decode made no picture.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// ffmpeg could not be started.
    #[error("cannot run {program}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// It ran past [`DECODE_TIMEOUT`] and was killed.
    #[error("ffmpeg took longer than {} s", DECODE_TIMEOUT.as_secs())]
    Timeout,
    /// It failed, with the end of what it said.
    #[error("ffmpeg failed ({status}): {stderr}")]
    Failed {
        /// Its exit status.
        status: std::process::ExitStatus,
        /// The last lines of its standard error.
        stderr: String,
    },
    /// Reading or writing its pipes failed.
    #[error("ffmpeg pipes: {0}")]
    Io(#[from] std::io::Error),
}

/// A way to decode a segment's first keyframe into a JPEG: ffmpeg at a known path.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    program: PathBuf,
}

impl FrameDecoder {
    /// The ffmpeg at `program` (a path, or a name looked up in `PATH`), if `program -version` runs.
    /// Blocking: called once at start-up.
    pub fn at(program: &Path) -> Option<Self> {
        let status = std::process::Command::new(program)
            .arg("-version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| Self {
            program: program.to_owned(),
        })
    }

    /// A decoder that is not checked to run, for unit tests of who gets a turn.
    #[cfg(test)]
    pub fn for_tests() -> Self {
        Self {
            program: PathBuf::from("ffmpeg"),
        }
    }

    /// The first keyframe of `segment` (read with `init`) as a JPEG.
    pub async fn decode(&self, init: &Bytes, segment: &Bytes) -> Result<Bytes, DecodeError> {
        let scale = format!("scale='min({THUMBNAIL_WIDTH},iw)':-2");
        let mut child = Command::new(&self.program)
            .args([
                "-nostdin",
                "-hide_banner",
                "-loglevel",
                "error",
                "-threads",
                "1",
            ])
            // Only keyframes are decoded: the picture is whole even if a segment did not start on one.
            .args(["-skip_frame", "nokey", "-f", "mp4", "-i", "pipe:0"])
            .args(["-map", "0:v:0", "-frames:v", "1", "-vf", &scale])
            .args(["-q:v", "5", "-f", "image2pipe", "-c:v", "mjpeg", "pipe:1"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| DecodeError::Spawn {
                program: self.program.display().to_string(),
                source,
            })?;
        let mut stdin = child.stdin.take().ok_or_else(no_pipe)?;
        let input = [init.clone(), segment.clone()];
        let feed = async move {
            for chunk in input {
                // ffmpeg may stop reading once it has its frame: a broken pipe then is no error.
                if stdin.write_all(&chunk).await.is_err() {
                    break;
                }
            }
            drop(stdin);
        };
        let run = async {
            let ((), output) = tokio::join!(feed, child.wait_with_output());
            output
        };
        let output = tokio::time::timeout(DECODE_TIMEOUT, run)
            .await
            .map_err(|_| DecodeError::Timeout)??;
        if !output.status.success() || output.stdout.is_empty() {
            return Err(DecodeError::Failed {
                status: output.status,
                stderr: tail(&output.stderr),
            });
        }
        if output.stdout.len() > MAX_OUTPUT_BYTES {
            return Err(DecodeError::Failed {
                status: output.status,
                stderr: format!("{} bytes of output", output.stdout.len()),
            });
        }
        Ok(Bytes::from(output.stdout))
    }
}

fn no_pipe() -> DecodeError {
    DecodeError::Io(std::io::Error::other("no stdin pipe"))
}

/// The last 400 bytes of `stderr`, as text on one line.
fn tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    let start = text
        .char_indices()
        .map(|(i, _)| i)
        .find(|&i| text.len() - i <= 400)
        .unwrap_or(0);
    text[start..].replace('\n', " | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_of_stderr_is_one_short_line() {
        assert_eq!(tail(b"  a\nb\n"), "a | b");
        let long = "x".repeat(1000);
        assert_eq!(tail(long.as_bytes()).len(), 400);
        assert_eq!(tail("é".repeat(300).as_bytes()).chars().count(), 200);
    }

    #[test]
    fn a_missing_program_is_no_decoder() {
        assert!(FrameDecoder::at(Path::new("/nonexistent/ffmpeg")).is_none());
    }
}
