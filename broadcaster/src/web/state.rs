//! The state of a running broadcast, shared by the reader loops, the encoder callbacks and the upload
//! loops: the renditions' packagers, an upload queue per rendition, the counters, and how they reach
//! the page.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use onair_browser::{log, now_ms};

use crate::audio_clock::AudioClock;
use crate::codec::AudioCodec;
use crate::keyframe::KeyframeSchedule;
use crate::ladder::RungSpec;
use crate::packager::Output;
use crate::renditions::{Renditions, Tagged};
use crate::snapshot::SnapshotSchedule;
use crate::stats::{BroadcastState, BroadcastStats, RenditionStats};
use crate::upload::{UploadCounters, UploadItem, UploadQueue, UploadTarget};
use crate::BroadcastError;

/// Minimum time between two stats callbacks that carry no state change, in milliseconds.
const STATS_INTERVAL_MS: f64 = 500.0;

type StatsCallback = Rc<dyn Fn(BroadcastStats)>;

/// State shared by the reader loops, the encoder callbacks and the upload loop.
pub(super) struct Core {
    /// Where each rendition's uploads go, by rendition index (their part target set once the camera's
    /// frame rate is known); the first also takes the end of the stream and the snapshots.
    pub targets: RefCell<Vec<UploadTarget>>,
    on_stats: StatsCallback,
    /// What the tasks change.
    pub shared: RefCell<Shared>,
    /// Set by `stop`, a fatal error or dropping the handle: the reader loops end.
    pub stopping: Cell<bool>,
    /// Number of reader loops still running.
    pub readers_running: Cell<u32>,
    /// The person turned the camera off: black frames go out.
    pub camera_off: Cell<bool>,
    /// The person muted the microphone: silence goes out.
    pub muted: Cell<bool>,
}

/// What the tasks change, behind one `RefCell`.
pub(super) struct Shared {
    /// Encoded chunks to init segments and parts, per rendition.
    pub renditions: Renditions,
    /// Per rendition, the uploads waiting, in order.
    pub queues: Vec<UploadQueue>,
    /// The video renditions: their names, sizes and bitrates (sizes fixed when configured).
    pub rungs: Vec<RungSpec>,
    /// What the page is shown.
    pub stats: BroadcastStats,
    /// When the video encoder is asked for a keyframe.
    pub schedule: KeyframeSchedule,
    /// When a snapshot is taken for the live thumbnail.
    pub snapshots: SnapshotSchedule,
    /// The codec the audio encoder was configured with.
    pub audio_codec: Option<AudioCodec>,
    /// Capture timestamps for the audio encoder's output, from its inputs'.
    pub audio_clock: Option<AudioClock>,
    last_emit_ms: f64,
}

impl Core {
    /// The state of a broadcast that has not started, uploading `renditions` (for the `rungs`) to
    /// `targets`, one per rendition.
    pub fn new(
        targets: Vec<UploadTarget>,
        on_stats: impl Fn(BroadcastStats) + 'static,
        renditions: Renditions,
        rungs: Vec<RungSpec>,
    ) -> Rc<Core> {
        let queues = targets.iter().map(|_| UploadQueue::default()).collect();
        Rc::new(Core {
            targets: RefCell::new(targets),
            on_stats: Rc::new(on_stats),
            shared: RefCell::new(Shared {
                renditions,
                queues,
                rungs,
                stats: BroadcastStats::default(),
                schedule: KeyframeSchedule::default(),
                snapshots: SnapshotSchedule::default(),
                audio_codec: None,
                audio_clock: None,
                last_emit_ms: 0.0,
            }),
            stopping: Cell::new(false),
            readers_running: Cell::new(0),
            camera_off: Cell::new(false),
            muted: Cell::new(false),
        })
    }

    /// Calls `on_stats` with a snapshot, at most every [`STATS_INTERVAL_MS`] unless `force`.
    pub fn emit(&self, force: bool) {
        let snapshot = {
            let Ok(mut shared) = self.shared.try_borrow_mut() else {
                return;
            };
            let now = now_ms();
            if !force && now - shared.last_emit_ms < STATS_INTERVAL_MS {
                return;
            }
            shared.last_emit_ms = now;
            let mut counters = UploadCounters::default();
            for queue in &shared.queues {
                counters.add(queue.counters());
            }
            // A segment is complete once every rendition has it: count the top rung's.
            counters.segments_uploaded = shared
                .queues
                .first()
                .map_or(0, |q| q.counters().segments_uploaded);
            shared.stats.record_uploads(&counters);
            shared.stats.queue_depth = shared.queues.iter().map(UploadQueue::depth).sum();
            shared.stats.backlog_secs = shared
                .queues
                .iter()
                .map(UploadQueue::backlog_secs)
                .fold(0.0, f64::max);
            shared.stats.backpressured = shared.queues.iter().any(UploadQueue::is_backpressured);
            shared.stats.dropped_chunks = shared.renditions.dropped();
            let per_rendition = rendition_stats(&shared, &self.targets.borrow());
            shared.stats.renditions = per_rendition;
            shared.stats.clone()
        };
        (self.on_stats)(snapshot);
    }

    /// Records a fatal error: the broadcast stops and says why.
    pub fn fail(&self, error: &BroadcastError) {
        log(&format!("broadcast failed: {error}"));
        if let Ok(mut shared) = self.shared.try_borrow_mut() {
            shared.stats.last_error = Some(error.to_string());
            shared.stats.state = BroadcastState::Failed(error.to_string());
        }
        self.stopping.set(true);
        self.emit(true);
    }

    /// Whether a fatal error stopped the broadcast.
    pub fn is_failed(&self) -> bool {
        self.shared
            .try_borrow()
            .map(|s| matches!(s.stats.state, BroadcastState::Failed(_)))
            .unwrap_or(false)
    }

    /// The broadcast's state now.
    pub fn state(&self) -> BroadcastState {
        self.shared
            .try_borrow()
            .map(|s| s.stats.state.clone())
            .unwrap_or_default()
    }

    /// Where rendition `index` uploads (the first rendition's target for an index out of range).
    pub fn target(&self, index: usize) -> Option<UploadTarget> {
        let targets = self.targets.borrow();
        targets.get(index).or(targets.first()).cloned()
    }

    /// Whether every rendition but the first has nothing left to upload (or the broadcast failed):
    /// the end of the stream, which goes with the first, may then be posted.
    pub fn others_drained(&self) -> bool {
        self.shared
            .try_borrow()
            .map(|s| s.queues.iter().skip(1).all(UploadQueue::is_empty))
            .unwrap_or(false)
            || self.is_failed()
    }

    /// Runs `f` on the shared state (it hands the packagers a chunk or a configuration) and queues
    /// what it produced; an error fails the broadcast.
    pub fn package(&self, f: impl FnOnce(&mut Shared) -> Result<Vec<Tagged>, BroadcastError>) {
        let outputs = {
            let Ok(mut shared) = self.shared.try_borrow_mut() else {
                return;
            };
            f(&mut shared)
        };
        self.enqueue(outputs);
    }

    /// Goes on without audio (its encoder failed or could not be configured), showing `reason`.
    pub fn give_up_audio(&self, reason: String) {
        self.package(|shared| {
            shared.stats.last_error = Some(reason);
            shared.renditions.give_up_audio()
        });
    }

    /// Queues what the packagers produced, each in its rendition's queue: the init segments and the
    /// parts. A segment's end is only counted (the top rung's); the server builds it from its parts.
    pub fn enqueue(&self, outputs: Result<Vec<Tagged>, BroadcastError>) {
        match outputs {
            Ok(outputs) => {
                if let Ok(mut shared) = self.shared.try_borrow_mut() {
                    for (index, output) in outputs {
                        let item = match output {
                            Output::Init(body) => UploadItem::init(body),
                            Output::Part(part) => UploadItem::part(part),
                            Output::Segment(_) => {
                                if index == 0 {
                                    shared.stats.segments_packaged += 1;
                                }
                                continue;
                            }
                        };
                        let Some(queue) = shared.queues.get_mut(index) else {
                            continue;
                        };
                        let dropped = queue.push(item);
                        if !dropped.is_empty() {
                            log(&format!(
                                "upload of rendition {index} falling behind: dropped segments \
                                 {dropped:?} unsent"
                            ));
                        }
                    }
                }
            }
            Err(e) => self.fail(&e),
        }
    }
}

/// Each rendition's figures: the video rungs' sizes and bitrates, every queue's counters.
fn rendition_stats(shared: &Shared, targets: &[UploadTarget]) -> Vec<RenditionStats> {
    targets
        .iter()
        .zip(&shared.queues)
        .enumerate()
        .map(|(i, (target, queue))| {
            let rung = shared.rungs.get(i);
            let counters = queue.counters();
            RenditionStats {
                name: target.rendition.clone(),
                size: rung.map(|r| (r.width, r.height)),
                bitrate_bps: rung.map(|r| r.bitrate_bps),
                audio_codec: match rung {
                    Some(_) => None,
                    None => shared.stats.audio_codec.clone(),
                },
                bytes_uploaded: counters.bytes_uploaded,
                parts_uploaded: counters.parts_uploaded,
                backlog_secs: queue.backlog_secs(),
                last_part_latency_ms: counters.last_part_latency_ms,
            }
        })
        .collect()
}
