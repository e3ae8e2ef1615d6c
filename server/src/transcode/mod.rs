//! The transcoder: a stream whose ingest has one video rendition gets lower rungs made by the origin, so
//! viewers on slow links still watch (an encoder's single push, a browser that affords one rung).
//!
//! What it owns:
//! - **Which streams, which rungs** ([`plan`]): a stream with exactly one video rendition (of its own;
//!   a broadcaster's or encoder's ladder is never transcoded), from its first segment on, gets a rung
//!   per height of the ladder ([`TranscodeSettings::heights`]) below the source's height, at the bitrate
//!   of the heuristic both ends share ([`onair_media::ladder`]). Rungs are renditions named
//!   `auto-{height}p` ([`crate::names::RenditionName::transcoded`]), a name no upload may use. Audio in
//!   the source rendition is copied into each rung; separate audio stays the audio group.
//! - **One ffmpeg per stream** ([`supervisor`]): Debian's ffmpeg as a supervised subprocess fed the
//!   source's fragments on its standard input as the origin accepts them ([`feed`]), its output (one
//!   track per rung, [`command`]) cut into pieces (`onair_media::demux::stream`) and muxed into rung segments and parts
//!   on the source's own boundaries and msns ([`rungs`]), then uploaded through the origin's own checked
//!   upload path ([`crate::origin`]), like any broadcaster's. Restarted with backoff when it fails,
//!   ended with its stream, its standard error in the log with the stream's id.
//! - **Cost**: at most [`TranscodeSettings::max_running`] streams at once (by default half the CPU
//!   cores, at least one); a stream that starts over the limit keeps its source rung only. `/metrics`
//!   shows the transcodes running, restarts, refusals and each rung's added latency (a rung segment's
//!   acceptance after its source segment's).
//!
//! What it leaves to others: validation and storage (the origin), playlists (a rung is a rendition like
//! any other), the decision to encode a ladder in the browser (the broadcaster).

pub mod command;
pub mod feed;
#[cfg(test)]
mod fixtures;
pub mod rungs;
pub(crate) mod supervisor;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use onair_media::ladder::{self, Rung};
use onair_media::MediaParams;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use thiserror::Error;
use tokio::sync::mpsc;

use crate::live::StreamState;
use crate::names::{RenditionName, StreamId};
use rungs::SourceTracks;

/// How the origin transcodes (`Settings::transcode`; `None` turns it off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscodeSettings {
    /// Heights of the rungs made below a source's height. It defaults to 720, 480 and 240.
    pub heights: Vec<u16>,
    /// Streams transcoded at once. It defaults to half the CPU cores, at least one.
    pub max_running: usize,
}

impl Default for TranscodeSettings {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            heights: ladder::DEFAULT_LADDER_HEIGHTS.to_vec(),
            max_running: (cores / 2).max(1),
        }
    }
}

/// A transcoding run failed (it is restarted).
#[derive(Debug, Error)]
pub enum TranscodeError {
    /// The source fed did not make sense.
    #[error("source segment {msn}: {reason}")]
    Source {
        /// The segment.
        msn: u64,
        /// What was wrong.
        reason: String,
    },
    /// ffmpeg's output did not make sense.
    #[error("ffmpeg's output: {0}")]
    Output(String),
    /// ffmpeg could not be run, or failed.
    #[error("ffmpeg: {0}")]
    Process(String),
    /// The origin refused a rung's init segment: this run's encoder made another codec configuration
    /// than the stored one's (the transcoder gives up).
    #[error("rung {rung}: its init segment was refused: {reason}")]
    CodecChanged {
        /// The rung.
        rung: String,
        /// Why.
        reason: String,
    },
    /// The origin refused a rung's upload.
    #[error("rung {rung}: {reason}")]
    Refused {
        /// The rung.
        rung: String,
        /// Why.
        reason: String,
    },
}

/// What a stream's transcoding is made of.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The source rendition.
    pub source: RenditionName,
    /// Its tracks.
    pub tracks: SourceTracks,
    /// The rungs, highest first, with their renditions' names.
    pub rungs: Vec<(RenditionName, Rung)>,
}

/// The plan for a stream, or `None` when it is not to be transcoded: not exactly one video rendition of
/// its own, a source without a whole segment yet, a source no rung is below, a source past its first
/// segment whose rungs do not exist (a rung's msns are the source's, from its first), or a stream the
/// transcoder gave up on.
pub fn plan(state: &StreamState, heights: &[u16]) -> Option<Plan> {
    let mut videos = state.renditions.iter().filter(|(name, r)| {
        !name.is_transcoded() && r.init().is_some_and(|i| i.parsed.video().is_some())
    });
    let (source, rendition) = videos.next()?;
    if videos.next().is_some() {
        return None;
    }
    let init = &rendition.init()?.parsed;
    let video = init.video()?.clone();
    let MediaParams::Video { width, height } = video.params else {
        return None;
    };
    let frame_rate = rendition
        .segments()
        .first()
        .and_then(|s| s.frame_rate)
        .unwrap_or(ladder::DEFAULT_FRAME_RATE);
    // Decided once the first segment is whole: its frame rate is measured, and a ladder's other
    // renditions have sent their init segments by then.
    if state.rungs_stopped || rendition.segments().is_empty() {
        return None;
    }
    let mut rungs: Vec<(RenditionName, Rung)> =
        ladder::lower_rungs(width, height, frame_rate, heights)
            .into_iter()
            .map(|rung| (RenditionName::transcoded(rung.height), rung))
            .collect();
    let resumed = rungs
        .iter()
        .any(|(name, _)| state.renditions.contains_key(name));
    if resumed {
        // After a restart, the rungs that exist go on; a rung new to the ladder would have to start
        // at the stream's first segment.
        rungs.retain(|(name, _)| state.renditions.contains_key(name));
    } else if rendition.next_msn() > 1 {
        return None;
    }
    if rungs.is_empty() {
        return None;
    }
    Some(Plan {
        source: source.clone(),
        tracks: SourceTracks {
            audio: init.audio().cloned(),
            video,
            part_target: rendition.part_target(),
        },
        rungs,
    })
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RungLabels {
    pub rung: String,
}

/// The transcoder's figures for `/metrics`.
#[derive(Debug)]
pub struct TranscodeFigures {
    /// Runs restarted after a failure.
    pub restarts: AtomicU64,
    /// Streams that would have been transcoded but for the limit.
    pub refused: AtomicU64,
    /// Seconds from a source segment's acceptance to its rung segment's, by rung (`480p`).
    pub(crate) added_latency: Family<RungLabels, Histogram, fn() -> Histogram>,
}

impl TranscodeFigures {
    fn new() -> Self {
        Self {
            restarts: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            added_latency: Family::new_with_constructor(latency_histogram),
        }
    }
}

/// What a stream's ffmpeg carries in its command line (`-metadata comment=`), so that a person (or a
/// test) can tell which stream a process transcodes.
pub fn process_label(id: &StreamId) -> String {
    format!("onair-transcode {id}")
}

fn latency_histogram() -> Histogram {
    Histogram::new([0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0])
}

/// The streams being transcoded, the limit, the requests to start one. Held by the origin.
#[derive(Debug)]
pub struct Transcoders {
    settings: Option<TranscodeSettings>,
    ffmpeg: Option<PathBuf>,
    running: Mutex<HashSet<StreamId>>,
    /// Streams refused for the limit: they are not asked about again.
    declined: Mutex<HashSet<StreamId>>,
    requests: mpsc::UnboundedSender<StreamId>,
    receiver: Mutex<Option<mpsc::UnboundedReceiver<StreamId>>>,
    figures: Arc<TranscodeFigures>,
}

impl Transcoders {
    /// Transcoders with these settings (`None`: off) and this ffmpeg (`None`: off).
    pub fn new(settings: Option<TranscodeSettings>, ffmpeg: Option<PathBuf>) -> Self {
        let (requests, receiver) = mpsc::unbounded_channel();
        let settings = settings.filter(|s| !s.heights.is_empty() && s.max_running > 0);
        match (&settings, &ffmpeg) {
            (Some(s), Some(f)) => tracing::info!(
                ffmpeg = %f.display(), heights = ?s.heights, max_running = s.max_running,
                "transcoding single-rendition streams"
            ),
            (Some(_), None) => {
                tracing::warn!(
                    "no ffmpeg that runs (--ffmpeg): streams with one rendition are not transcoded"
                )
            }
            (None, _) => tracing::info!("transcoding is off"),
        }
        Self {
            settings,
            ffmpeg,
            running: Mutex::new(HashSet::new()),
            requests,
            receiver: Mutex::new(Some(receiver)),
            declined: Mutex::new(HashSet::new()),
            figures: Arc::new(TranscodeFigures::new()),
        }
    }

    /// The settings in force, when transcoding is on.
    pub fn settings(&self) -> Option<&TranscodeSettings> {
        self.settings.as_ref().filter(|_| self.ffmpeg.is_some())
    }

    /// The ffmpeg to run.
    pub fn ffmpeg(&self) -> Option<&PathBuf> {
        self.ffmpeg.as_ref()
    }

    /// Asks for a stream to be looked at (after its source got media): cheap, and nothing when
    /// transcoding is off or the stream is transcoded already.
    pub fn request(&self, id: &StreamId) {
        if self.settings().is_none() || self.is_running(id) {
            return;
        }
        let _ = self.requests.send(id.clone());
    }

    /// True while the stream is being transcoded.
    pub fn is_running(&self, id: &StreamId) -> bool {
        self.running.lock().is_ok_and(|r| r.contains(id))
    }

    /// Streams transcoded now.
    pub fn running(&self) -> usize {
        self.running.lock().map_or(0, |r| r.len())
    }

    /// The figures.
    pub fn figures(&self) -> &Arc<TranscodeFigures> {
        &self.figures
    }

    /// The requests, once (for the loop that starts transcodes).
    pub(crate) fn take_requests(&self) -> Option<mpsc::UnboundedReceiver<StreamId>> {
        self.receiver.lock().ok()?.take()
    }

    /// Claims a place for a stream: `None` when it runs already or the limit is reached (counted).
    pub(crate) fn claim(self: &Arc<Self>, id: &StreamId) -> Option<Running> {
        let max = self.settings()?.max_running;
        let mut running = self.running.lock().ok()?;
        if running.contains(id) {
            return None;
        }
        if running.len() >= max {
            let first = self.declined.lock().is_ok_and(|mut d| d.insert(id.clone()));
            if !first {
                return None;
            }
            self.figures.refused.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(stream = %id, max, "transcode limit reached: the stream keeps its source rendition only");
            return None;
        }
        running.insert(id.clone());
        Some(Running {
            transcoders: Arc::clone(self),
            id: id.clone(),
        })
    }
}

#[cfg(test)]
mod tests;

/// A stream's place among the running transcodes, given back when dropped.
#[derive(Debug)]
pub(crate) struct Running {
    transcoders: Arc<Transcoders>,
    id: StreamId,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(mut running) = self.transcoders.running.lock() {
            running.remove(&self.id);
        }
    }
}
