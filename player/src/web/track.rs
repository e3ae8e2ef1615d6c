//! The track loop: a media playlist refreshed on its schedule, the segments it lists fetched in order
//! (and a new init segment where `EXT-X-MAP` changes) and queued for the track's `SourceBuffer`, with
//! backpressure, until the end of the stream.

use std::rc::Rc;

use onair_browser::{log, now_ms};

use super::source_buffer::{Kind, Track};
use super::state::Inner;
use crate::buffer::buffered_ahead;
use crate::error::PlayerError;
use crate::live::reload_delay_ms;
use crate::ops::BufferOp;
use crate::playlist::{parse_media, MediaView, SegmentRef, SegmentTracker};

/// A track's playlist once it lists segments to load, and its first init segment.
pub(super) struct Started {
    pub media_url: String,
    pub view: MediaView,
    pub tracker: SegmentTracker,
    /// The segments to load first.
    pub segments: Vec<SegmentRef>,
    pub map_url: String,
    pub init: Vec<u8>,
}

/// Loads the media playlist at `media_url` (unless `view` is its first copy already) until it lists a
/// segment to start with, then that segment's init segment. `None`: the playlist ended without segments.
pub(super) async fn start_track(
    inner: &Rc<Inner>,
    media_url: String,
    view: Option<MediaView>,
    mut tracker: SegmentTracker,
) -> Result<Option<Started>, PlayerError> {
    let mut view = match view {
        Some(view) => view,
        None => {
            let bytes = inner.fetch_with_retry(&media_url, true).await?;
            parse_media(&bytes, &media_url)?
        }
    };
    let mut update = tracker.update(&view, &inner.config);
    // Wait for a first segment (a live stream may list none yet).
    let mut started_at = now_ms();
    while update.new_segments.is_empty() && !view.ended {
        let delay = reload_delay_ms(
            view.target_duration,
            update.changed,
            now_ms() - started_at,
            &inner.config,
        );
        if !inner.sleep(delay).await {
            return Err(PlayerError::Destroyed);
        }
        started_at = now_ms();
        let bytes = inner.fetch_with_retry(&media_url, true).await?;
        view = parse_media(&bytes, &media_url)?;
        update = tracker.update(&view, &inner.config);
    }
    let Some(map_url) = update.new_segments.first().and_then(|s| s.map_url.clone()) else {
        if update.new_segments.is_empty() {
            return Ok(None);
        }
        return Err(PlayerError::Unsupported {
            what: "segments without EXT-X-MAP (MPEG-TS); only fMP4 HLS is supported".to_owned(),
        });
    };
    let init = inner.fetch_with_retry(&map_url, false).await?;
    Ok(Some(Started {
        media_url,
        view,
        tracker,
        segments: update.new_segments,
        map_url,
        init,
    }))
}

/// Loads a track's segments into its queue, refreshing its playlist, until the end of the stream.
pub(super) async fn run_track(
    inner: &Rc<Inner>,
    track: &Track,
    started: Started,
) -> Result<(), PlayerError> {
    let Started {
        media_url,
        mut view,
        mut tracker,
        segments,
        map_url,
        ..
    } = started;
    let main = track.kind == Kind::Main;
    let mut current_map = map_url;
    let mut pending = std::collections::VecDeque::from(segments);
    let mut last_reload = now_ms();
    let mut changed = true;
    loop {
        while let Some(segment) = pending.pop_front() {
            // Backpressure: wait while the executor has enough queued or enough of this track is
            // buffered ahead.
            loop {
                let queued = track.ops.borrow().appends_waiting();
                let ahead = buffered_ahead(inner.media().current_time(), &track.buffered());
                if queued < inner.config.max_queued_appends
                    && ahead < inner.config.max_buffer_ahead_secs
                {
                    break;
                }
                if !inner.sleep(100.0).await {
                    return Err(PlayerError::Destroyed);
                }
            }
            if let Some(map) = &segment.map_url {
                if *map != current_map {
                    let init = inner.fetch_with_retry(map, false).await?;
                    track.ops.borrow_mut().push(BufferOp::Append {
                        label: format!("{} init segment", track.name()),
                        data: init,
                        media: false,
                    });
                    current_map = map.clone();
                }
            }
            match inner.fetch_with_retry(&segment.url, false).await {
                Ok(data) => {
                    track.ops.borrow_mut().push(BufferOp::Append {
                        label: format!("{} segment {}", track.name(), segment.msn),
                        data,
                        media: true,
                    });
                }
                Err(PlayerError::Destroyed) => return Err(PlayerError::Destroyed),
                // A segment that cannot be loaded is skipped; the watchdog jumps the gap.
                Err(e) => log(&format!(
                    "player: skipping {} segment {}: {e}",
                    track.name(),
                    segment.msn
                )),
            }
        }
        if view.ended {
            track.ops.borrow_mut().push(BufferOp::EndOfStream);
            if main {
                inner.live.set(false);
            }
            return Ok(());
        }
        let delay = reload_delay_ms(
            view.target_duration,
            changed,
            now_ms() - last_reload,
            &inner.config,
        );
        if !inner.sleep(delay).await {
            return Err(PlayerError::Destroyed);
        }
        last_reload = now_ms();
        let bytes = inner.fetch_with_retry(&media_url, true).await?;
        view = match parse_media(&bytes, &media_url) {
            Ok(v) => v,
            Err(e) => {
                // A torn or odd reload: keep the previous copy and try again.
                log(&format!("player: {e}"));
                changed = false;
                continue;
            }
        };
        if main {
            inner.target_duration.set(view.target_duration);
        }
        let update = tracker.update(&view, &inner.config);
        if update.skipped {
            log(&format!(
                "player: {} fell out of the live window; skipping ahead",
                track.name()
            ));
        }
        changed = update.changed;
        pending.extend(update.new_segments);
    }
}
