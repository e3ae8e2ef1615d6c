//! Media Source Extensions glue: one `SourceBuffer` per track, the queue of operations on it, and the
//! executor that runs them one at a time.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use onair_browser::{log, JsError};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MediaSourceReadyState, SourceBuffer, TimeRanges};

use super::element::start_playback;
use super::js::handler_promise;
use super::state::Inner;
use crate::buffer::Range;
use crate::error::PlayerError;
use crate::ops::{BufferOp, OpQueue};

/// How often the executor looks for work when idle, in milliseconds.
const EXECUTOR_IDLE_MS: u32 = 20;

/// What a track carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// The variant's media playlist (video, with its audio when that is muxed in).
    Main,
    /// A separate audio rendition (`EXT-X-MEDIA:TYPE=AUDIO` with a `URI`).
    Audio,
}

/// One `SourceBuffer` and the queue of operations on it.
pub(super) struct Track {
    /// What it carries.
    pub kind: Kind,
    /// Its `SourceBuffer` (`video/mp4` or `audio/mp4`).
    pub source_buffer: SourceBuffer,
    /// The operations waiting for it, run by its executor.
    pub ops: RefCell<OpQueue>,
    /// Media segments appended.
    pub appended: Cell<u64>,
    /// Its `EndOfStream` was reached: every append is done.
    pub ended: Cell<bool>,
}

impl Track {
    /// `video` or `audio`, for logs and labels.
    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Main => "video",
            Kind::Audio => "audio",
        }
    }

    /// This buffer's own ranges (the element's `buffered` is the intersection of all of them).
    pub fn buffered(&self) -> Vec<Range> {
        self.source_buffer
            .buffered()
            .map(|r| ranges(&r))
            .unwrap_or_default()
    }
}

/// The ranges of `ranges`, as pairs.
pub(super) fn ranges(ranges: &TimeRanges) -> Vec<Range> {
    (0..ranges.length())
        .filter_map(|i| Some((ranges.start(i).ok()?, ranges.end(i).ok()?)))
        .collect()
}

/// Waits for the source buffer's current operation to finish. Err carries the error event.
async fn wait_update(sb: &SourceBuffer) -> Result<(), JsValue> {
    let done = handler_promise(|resolve, reject| {
        sb.set_onupdateend(Some(resolve));
        sb.set_onerror(Some(reject));
    });
    let result = JsFuture::from(done).await.map(|_| ());
    sb.set_onupdateend(None);
    sb.set_onerror(None);
    result
}

/// Runs one track's buffer operations one at a time.
pub(super) async fn executor(inner: Rc<Inner>, track: Rc<Track>) {
    let sb = &track.source_buffer;
    loop {
        if inner.destroyed.get() {
            return;
        }
        let op = track.ops.borrow_mut().pop();
        let Some(op) = op else {
            TimeoutFuture::new(EXECUTOR_IDLE_MS).await;
            continue;
        };
        if inner.media_source.ready_state() != MediaSourceReadyState::Open {
            if !inner.destroyed.get() {
                inner.fail(&PlayerError::Unsupported {
                    what: "the media source closed (decode error?)".to_owned(),
                });
            }
            return;
        }
        match op {
            BufferOp::Append {
                label,
                mut data,
                media,
            } => {
                let mut result = append(sb, &mut data).await;
                if let Err(e) = &result {
                    if JsError::from(e).is("QuotaExceededError") {
                        // Full: drop most of the back buffer and try once more.
                        let t = inner.media().current_time();
                        if let Some(&(start, _)) = track.buffered().first() {
                            if t - 5.0 > start && sb.remove(start, t - 5.0).is_ok() {
                                let _ = wait_update(sb).await;
                            }
                        }
                        result = append(sb, &mut data).await;
                    }
                }
                match result {
                    Ok(()) if media => {
                        track.appended.set(track.appended.get().saturating_add(1));
                        if track.kind == Kind::Main {
                            inner.update_status(|s| s.segments_appended += 1);
                        }
                        // Playback starts once every track has media where the others have it too
                        // (MSE plays only where all do): the first audio and video segments may not
                        // overlap yet (audio starts a segment earlier), so wait for an append that
                        // makes them overlap instead of starting at a point no track covers.
                        let all = inner.every_track(|t| t.appended.get() > 0);
                        if all && !inner.started_playback.get() && !inner.buffered().is_empty() {
                            inner.started_playback.set(true);
                            start_playback(&inner).await;
                        }
                    }
                    Ok(()) => {}
                    Err(e) => {
                        let error = PlayerError::js("appendBuffer", &e);
                        if media {
                            log(&format!("player: {label}: {error}"));
                        } else {
                            inner.fail(&error);
                            return;
                        }
                    }
                }
            }
            BufferOp::Remove { start, end } => {
                if sb.remove(start, end).is_ok() {
                    let _ = wait_update(sb).await;
                }
            }
            BufferOp::EndOfStream => {
                // The media source ends once every track has appended its last segment.
                track.ended.set(true);
                if inner.every_track(|t| t.ended.get()) {
                    if let Err(e) = inner.media_source.end_of_stream() {
                        log(&format!("player: endOfStream: {}", JsError::from(&e)));
                    }
                }
            }
        }
    }
}

/// Appends `data` and waits for the buffer to take it.
async fn append(sb: &SourceBuffer, data: &mut [u8]) -> Result<(), JsValue> {
    sb.append_buffer_with_u8_array(data)?;
    wait_update(sb).await
}
