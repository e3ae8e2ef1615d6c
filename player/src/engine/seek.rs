//! Seeking: a seek to media that is not buffered moves each track's loading there (VOD, `EVENT` and a
//! live window), and a seek back in a live stream holds the latency controller (DVR) until the viewer
//! is back at live (the LIVE badge, [`Engine::seek_to_live`], or a seek near the edge).
//!
//! The element's time of a segment is counted from an anchor per track: the decode time of the last
//! segment start queued (its `tfdt`, plus the `timestampOffset` in force), with the playlist's
//! durations summed from there, as hls.js aligns fragments by their start PTS.

use super::types::TrackKind;
use super::{Engine, Request};
use crate::playlist::{MediaView, Position};

/// How far loading may be from where a seek needs it, seconds, before it moves there: a segment's
/// worth of slack for durations that differ from the media's.
const SLACK_SECS: f64 = 1.0;

/// The element time where segment `msn` starts, counted from `anchor` (a segment start and its
/// time) over the playlist's durations. `None` when neither is listed.
pub(super) fn segment_time(view: &MediaView, anchor: (u64, f64), msn: u64) -> Option<f64> {
    let (from, time) = anchor;
    let listed = |m: u64| {
        view.segments
            .iter()
            .find(|s| s.msn == m)
            .map(|s| s.duration)
    };
    let known = |m: u64| listed(m).is_some() || m == view.next_msn();
    if !known(from) || !known(msn) {
        return None;
    }
    let between = |a: u64, b: u64| (a..b).filter_map(listed).sum::<f64>();
    Some(if msn >= from {
        time + between(from, msn)
    } else {
        time - between(msn, from)
    })
}

/// Segment `msn`'s length: its duration when listed, else (the segment being made) its parts so far
/// and one more.
fn segment_span(view: &MediaView, msn: u64) -> f64 {
    match view.segments.iter().find(|s| s.msn == msn) {
        Some(s) => s.duration,
        None => {
            view.trailing_parts.iter().map(|p| p.duration).sum::<f64>()
                + view.part_target.unwrap_or(0.0)
        }
    }
}

/// The segment holding element time `time`: the first listed for a time before the window, the
/// segment being made (or, ended, the last) for one past it. `None` without the anchor's segment.
pub(super) fn segment_at(view: &MediaView, anchor: (u64, f64), time: f64) -> Option<u64> {
    let first = view.segments.first()?;
    let mut start = segment_time(view, anchor, first.msn)?;
    if time < start {
        return Some(first.msn);
    }
    for s in &view.segments {
        if time < start + s.duration {
            return Some(s.msn);
        }
        start += s.duration;
    }
    let last = view.segments.last().map_or(first.msn, |s| s.msn);
    Some(if view.ended { last } else { view.next_msn() })
}

impl Engine {
    /// The element is seeking: loading moves to the seek's time if it is not buffered (or not where
    /// loading continues), and a live stream enters or leaves DVR by how far behind the edge it is.
    /// Seeks the engine makes itself land in the buffer, so this leaves them alone.
    pub(super) fn follow_seek(&mut self) {
        if !self.started || !self.media.seeking || self.failed {
            return;
        }
        let t = self.media.current_time;
        if !t.is_finite() || self.seek_followed == Some(t) {
            return;
        }
        self.seek_followed = Some(t);
        if self.live() {
            let target = self.latency_target().unwrap_or(3.0);
            let behind = self.edge_time().map(|edge| edge - t);
            // DVR: the latency controller and the watchdog see a stream that is not live (rate 1,
            // no seeks), and loading does not jump to the edge.
            self.dvr = behind.is_some_and(|b| b > target + self.config.resync_behind_secs);
        }
        let kinds: Vec<TrackKind> = self.tracks.iter().map(|t| t.kind).collect();
        for kind in kinds {
            self.load_from(kind, t);
        }
    }

    /// The element time of the main track's live edge (the end of what its playlist lists).
    pub(super) fn edge_time(&self) -> Option<f64> {
        let track = self.main()?;
        let view = track.view.as_ref()?;
        let trailing: f64 = view.trailing_parts.iter().map(|p| p.duration).sum();
        Some(segment_time(view, track.anchor?, view.next_msn())? + trailing)
    }

    /// Points track `kind`'s loading at time `t`: the end of the buffered range holding `t`, else `t`.
    /// What was in flight for elsewhere is dropped.
    fn load_from(&mut self, kind: TrackKind, t: f64) {
        let Some(track) = self.track_mut(kind) else {
            return;
        };
        let (Some(view), Some(anchor)) = (track.view.as_ref(), track.anchor) else {
            return;
        };
        let from = track
            .buffered
            .iter()
            .find(|(s, e)| *s <= t + 0.1 && t < *e)
            .map_or(t, |r| r.1);
        let Some(wanted) = segment_at(view, anchor, from) else {
            return;
        };
        let loading = track.loading_from();
        let loading_at = loading.and_then(|p| segment_time(view, anchor, p.msn));
        let span = loading.map_or(0.0, |p| segment_span(view, p.msn));
        if loading_at.is_some_and(|at| at - SLACK_SECS <= from && from <= at + span + SLACK_SECS) {
            return;
        }
        let stale: Vec<_> = track
            .fragment_requests
            .drain(..)
            .map(|(id, _)| id)
            .collect();
        track.next = Some(Position::segment(wanted));
        track.complete = false;
        track.resynced = false;
        track.fragment_failures = 0;
        track.refused_hint = None;
        for id in stale {
            self.abort_fragment(kind, id);
        }
        // Segments with the decrypter or the transmuxer are for where loading was: dropped (the
        // transmuxer starts afresh, its input no longer follows on).
        let pending: Vec<_> = self
            .requests
            .iter()
            .filter(|(_, r)| match r {
                Request::Decrypt(f) => f.track == kind,
                Request::Transmux { track, .. } => *track == kind,
                _ => false,
            })
            .map(|(id, _)| *id)
            .collect();
        for id in pending {
            self.requests.remove(&id);
        }
        if let Some(track) = self.track_mut(kind) {
            track.transmux_reset = true;
        }
        self.ended = false;
        self.load_next(kind);
    }

    /// Whether the viewer seeked back in a live stream and stays there.
    pub fn dvr(&self) -> bool {
        self.dvr
    }

    /// The live window in the element's time: from the first segment listed to the live edge, while
    /// the stream is live and its times are known (a seek bar's span for DVR).
    pub fn live_window(&self) -> Option<(f64, f64)> {
        if !self.live() {
            return None;
        }
        let track = self.main()?;
        let view = track.view.as_ref()?;
        let start = segment_time(view, track.anchor?, view.segments.first()?.msn)?;
        Some((start, self.edge_time()?))
    }
}
