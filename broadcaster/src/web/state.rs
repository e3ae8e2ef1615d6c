//! The state of a running broadcast, shared by the reader loops, the encoder callbacks and the upload
//! loop: the packager, the upload queue, the counters, and how they reach the page.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use onair_browser::{log, now_ms};

use crate::audio_clock::AudioClock;
use crate::codec::AudioCodec;
use crate::keyframe::KeyframeSchedule;
use crate::packager::{live_config, Output, Packager};
use crate::snapshot::SnapshotSchedule;
use crate::stats::{BroadcastState, BroadcastStats};
use crate::upload::{UploadItem, UploadQueue, UploadTarget};
use crate::BroadcastError;

/// Minimum time between two stats callbacks that carry no state change, in milliseconds.
const STATS_INTERVAL_MS: f64 = 500.0;

type StatsCallback = Rc<dyn Fn(BroadcastStats)>;

/// State shared by the reader loops, the encoder callbacks and the upload loop.
pub(super) struct Core {
    /// Where the uploads go (its part target set once the camera's frame rate is known).
    pub target: RefCell<UploadTarget>,
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
    /// Encoded chunks to init segment and parts.
    pub packager: Packager,
    /// The uploads waiting, in order.
    pub queue: UploadQueue,
    /// What the page is shown.
    pub stats: BroadcastStats,
    /// When the video encoder is asked for a keyframe.
    pub schedule: KeyframeSchedule,
    /// When a snapshot is taken for the live thumbnail.
    pub snapshots: SnapshotSchedule,
    /// The video encoder's frame size, once configured.
    pub video_size: (u16, u16),
    /// The codec the audio encoder was configured with.
    pub audio_codec: Option<AudioCodec>,
    /// Capture timestamps for the audio encoder's output, from its inputs'.
    pub audio_clock: Option<AudioClock>,
    last_emit_ms: f64,
}

impl Core {
    /// The state of a broadcast to `target` that has not started; with `audio` it packages a microphone
    /// too.
    pub fn new(
        target: UploadTarget,
        on_stats: impl Fn(BroadcastStats) + 'static,
        audio: bool,
    ) -> Rc<Core> {
        Rc::new(Core {
            target: RefCell::new(target),
            on_stats: Rc::new(on_stats),
            shared: RefCell::new(Shared {
                packager: Packager::new(audio, live_config()),
                queue: UploadQueue::default(),
                stats: BroadcastStats::default(),
                schedule: KeyframeSchedule::default(),
                snapshots: SnapshotSchedule::default(),
                video_size: (0, 0),
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
            let counters = shared.queue.counters().clone();
            shared.stats.record_uploads(&counters);
            shared.stats.queue_depth = shared.queue.depth();
            shared.stats.backlog_secs = shared.queue.backlog_secs();
            shared.stats.backpressured = shared.queue.is_backpressured();
            shared.stats.dropped_chunks = shared.packager.dropped();
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

    /// Runs `f` on the shared state (it hands the packager a chunk or a configuration) and queues what
    /// it produced; an error fails the broadcast.
    pub fn package(&self, f: impl FnOnce(&mut Shared) -> Result<Vec<Output>, BroadcastError>) {
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
            shared.packager.give_up_audio()
        });
    }

    /// Queues what the packager produced: the init segment and the parts. A segment's end is only
    /// counted; the server builds it from its parts.
    pub fn enqueue(&self, outputs: Result<Vec<Output>, BroadcastError>) {
        match outputs {
            Ok(outputs) => {
                if let Ok(mut shared) = self.shared.try_borrow_mut() {
                    for output in outputs {
                        let item = match output {
                            Output::Init(body) => UploadItem::init(body),
                            Output::Part(part) => UploadItem::part(part),
                            Output::Segment(_) => {
                                shared.stats.segments_packaged += 1;
                                continue;
                            }
                        };
                        let dropped = shared.queue.push(item);
                        if !dropped.is_empty() {
                            log(&format!(
                                "upload falling behind: dropped segments {dropped:?} unsent"
                            ));
                        }
                    }
                }
            }
            Err(e) => self.fail(&e),
        }
    }
}
