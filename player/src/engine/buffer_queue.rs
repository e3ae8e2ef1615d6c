//! The buffer controller's queue: every `SourceBuffer` operation of one track, in order, one at a time.
//!
//! A `SourceBuffer` takes one operation at a time (`appendBuffer` and `remove` throw while `updating`),
//! so work is queued here as slots: an init segment, a fragment (whose bytes may still be arriving:
//! a streamed part is appended piece by piece as its body comes in), a removal, a timestamp offset or a
//! codec change. [`BufferQueue::pump`] issues the next operation when the buffer is idle, and the glue's
//! `updateend` ([`BufferQueue::updated`]) wakes it again: nothing is polled.

use std::collections::VecDeque;

use super::types::{Command, TrackKind};
use crate::playlist::Position;

/// Most bytes [`BufferQueue::pump`] joins into one append from several slots (one slot's bytes
/// already queued always go whole).
pub const MAX_APPEND_BYTES: usize = 4 << 20;

/// Identifies a slot.
pub type SlotId = u64;

/// What a slot holds.
#[derive(Debug, Clone, PartialEq)]
pub enum SlotKind {
    /// An init segment from this URL.
    Init(String),
    /// A media fragment (segment or part) at this position, of this many seconds.
    Media {
        /// Where it sits in its playlist.
        position: Position,
        /// Seconds of media it holds.
        duration: f64,
    },
    /// `remove(start, end)`.
    Remove(f64, f64),
    /// `timestampOffset = x`.
    Offset(f64),
    /// `changeType(mime)`.
    ChangeType(String),
}

#[derive(Debug)]
struct Slot {
    id: SlotId,
    kind: SlotKind,
    chunks: VecDeque<Vec<u8>>,
    complete: bool,
    /// Some of its bytes were appended.
    started: bool,
    /// Cancelled after some bytes were appended: the parser must be reset once the buffer is idle.
    cancelled: bool,
}

/// A slot that finished: every byte appended (or the operation done).
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    /// The slot.
    pub id: SlotId,
    /// What it was.
    pub kind: SlotKind,
}

/// One track's queue of buffer operations.
#[derive(Debug, Default)]
pub struct BufferQueue {
    slots: VecDeque<Slot>,
    busy: bool,
    next_id: SlotId,
    /// The buffer exists (its `SourceBuffer` was created); nothing is issued before.
    pub ready: bool,
}

impl BufferQueue {
    /// Queues a slot; bytes come with [`BufferQueue::push`], the end with [`BufferQueue::complete`].
    /// Removals, offsets and codec changes are complete at once.
    pub fn open(&mut self, kind: SlotKind) -> SlotId {
        self.next_id += 1;
        let complete = matches!(
            kind,
            SlotKind::Remove(..) | SlotKind::Offset(_) | SlotKind::ChangeType(_)
        );
        self.slots.push_back(Slot {
            id: self.next_id,
            kind,
            chunks: VecDeque::new(),
            complete,
            started: false,
            cancelled: false,
        });
        self.next_id
    }

    /// Adds bytes to a slot.
    pub fn push(&mut self, id: SlotId, data: Vec<u8>) {
        if data.is_empty() {
            return;
        }
        if let Some(slot) = self.slot_mut(id) {
            slot.chunks.push_back(data);
        }
    }

    /// Marks a slot's bytes complete.
    pub fn complete(&mut self, id: SlotId) {
        if let Some(slot) = self.slot_mut(id) {
            slot.complete = true;
        }
    }

    /// Drops a slot whose request failed. Bytes already appended leave the parser mid-fragment, so it is
    /// reset ([`Command::ResetParser`]) before anything else is appended.
    pub fn cancel(&mut self, id: SlotId) {
        let Some(index) = self.slots.iter().position(|s| s.id == id) else {
            return;
        };
        let started = self.slots.get(index).is_some_and(|s| s.started);
        if started {
            if let Some(slot) = self.slots.get_mut(index) {
                slot.cancelled = true;
                slot.chunks.clear();
                slot.complete = true;
            }
        } else {
            self.slots.remove(index);
        }
    }

    /// Drops everything queued (a rebuilt media source, a seek out of the buffer): slots not yet started
    /// go, a started one is cancelled.
    pub fn clear(&mut self) {
        let ids: Vec<SlotId> = self.slots.iter().map(|s| s.id).collect();
        for id in ids {
            self.cancel(id);
        }
    }

    /// Forgets everything, for a new `SourceBuffer` (the old one is gone with its media source).
    pub fn reset(&mut self) {
        self.slots.clear();
        self.busy = false;
        self.ready = false;
    }

    /// Whether a removal is queued.
    pub fn removing(&self) -> bool {
        self.slots
            .iter()
            .any(|s| matches!(s.kind, SlotKind::Remove(..)))
    }

    /// Media fragments queued or being appended.
    pub fn media_pending(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| matches!(s.kind, SlotKind::Media { .. }))
            .count()
    }

    /// Seconds of media loaded whole and still waiting to be appended.
    pub fn loaded_media_secs(&self) -> f64 {
        self.slots
            .iter()
            .filter(|s| s.complete && !s.started && !s.cancelled)
            .map(|s| match s.kind {
                SlotKind::Media { duration, .. } if duration.is_finite() => duration.max(0.0),
                _ => 0.0,
            })
            .sum()
    }

    /// Whether nothing is queued or running.
    pub fn idle(&self) -> bool {
        self.slots.is_empty() && !self.busy
    }

    /// The buffer finished its operation (`updateend`).
    pub fn updated(&mut self) {
        self.busy = false;
    }

    /// Issues what can run now into `out`, returning the slots that finished.
    pub fn pump(&mut self, track: TrackKind, out: &mut Vec<Command>) -> Vec<Finished> {
        let mut finished = Vec::new();
        while self.ready && !self.busy {
            let Some(head) = self.slots.front_mut() else {
                break;
            };
            if head.cancelled {
                out.push(Command::ResetParser { track });
                self.slots.pop_front();
                continue;
            }
            match &head.kind {
                SlotKind::Offset(offset) => {
                    out.push(Command::SetTimestampOffset {
                        track,
                        offset: *offset,
                    });
                }
                SlotKind::ChangeType(mime) => out.push(Command::ChangeType {
                    track,
                    mime: mime.clone(),
                }),
                SlotKind::Remove(start, end) => {
                    out.push(Command::Remove {
                        track,
                        start: *start,
                        end: *end,
                    });
                    self.busy = true;
                }
                SlotKind::Init(_) | SlotKind::Media { .. } => {
                    if !head.chunks.is_empty() {
                        let data = self.take_appendable();
                        out.push(Command::Append { track, data });
                        self.busy = true;
                        // Finished once its last bytes are in: checked again on `updateend`.
                        continue;
                    }
                    if !head.complete {
                        break;
                    }
                }
            }
            if let Some(slot) = self.slots.pop_front() {
                finished.push(Finished {
                    id: slot.id,
                    kind: slot.kind,
                });
            }
        }
        finished
    }

    /// The bytes of one `appendBuffer`: what the head slot has so far and, while each slot is
    /// complete, the next init and media slots' bytes too (up to [`MAX_APPEND_BYTES`]). Parts that
    /// arrived while the buffer was busy go in one operation, not one `updateend` round trip each
    /// (ten parts before the start took ten).
    fn take_appendable(&mut self) -> Vec<u8> {
        let mut data = Vec::new();
        for slot in self.slots.iter_mut() {
            let joinable = matches!(slot.kind, SlotKind::Init(_) | SlotKind::Media { .. });
            if slot.cancelled || !joinable || data.len() >= MAX_APPEND_BYTES {
                break;
            }
            while let Some(chunk) = slot.chunks.pop_front() {
                slot.started = true;
                data.extend_from_slice(&chunk);
            }
            if !slot.complete {
                break;
            }
        }
        data
    }

    fn slot_mut(&mut self, id: SlotId) -> Option<&mut Slot> {
        self.slots.iter_mut().find(|s| s.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn appends(out: &[Command]) -> Vec<Vec<u8>> {
        out.iter()
            .filter_map(|c| match c {
                Command::Append { data, .. } => Some(data.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn appends_in_order_one_at_a_time_as_bytes_arrive_joining_what_waited() {
        let mut q = BufferQueue {
            ready: true,
            ..Default::default()
        };
        let t = TrackKind::Main;
        let init = q.open(SlotKind::Init("i".into()));
        let part = q.open(SlotKind::Media {
            position: Position::segment(1),
            duration: 0.3,
        });
        // The part's bytes arrive before the init's: nothing of it goes first.
        q.push(part, vec![2]);
        let mut out = Vec::new();
        assert!(q.pump(t, &mut out).is_empty());
        assert!(out.is_empty());
        q.push(init, vec![1]);
        q.complete(init);
        q.pump(t, &mut out);
        // The init, complete, and what the part has so far: one append.
        assert_eq!(appends(&out), [vec![1, 2]]);
        // Busy until updateend; what arrives meanwhile waits, joined.
        q.push(part, vec![3]);
        q.push(part, vec![4]);
        out.clear();
        assert!(q.pump(t, &mut out).is_empty());
        assert!(out.is_empty());
        q.updated();
        let done = q.pump(t, &mut out);
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].id, init);
        assert_eq!(appends(&out), [vec![3, 4]]);
        q.updated();
        q.complete(part);
        out.clear();
        let done = q.pump(t, &mut out);
        assert_eq!(done.len(), 1);
        assert!(q.idle());
    }

    #[test]
    fn complete_fragments_go_in_one_append_and_a_removal_is_not_joined() {
        let mut q = BufferQueue::default();
        let t = TrackKind::Main;
        let media = |q: &mut BufferQueue, msn: u64, byte: u8| {
            let id = q.open(SlotKind::Media {
                position: Position::segment(msn),
                duration: 0.2,
            });
            q.push(id, vec![byte]);
            q.complete(id);
        };
        media(&mut q, 1, 1);
        media(&mut q, 2, 2);
        q.open(SlotKind::Remove(0.0, 1.0));
        media(&mut q, 3, 3);
        // Queued before the buffer existed.
        q.ready = true;
        let mut out = Vec::new();
        q.pump(t, &mut out);
        assert_eq!(appends(&out), [vec![1, 2]]);
        q.updated();
        out.clear();
        let done = q.pump(t, &mut out);
        assert_eq!(done.len(), 3, "both fragments finished, the removal issued");
        assert!(
            matches!(out.as_slice(), [Command::Remove { .. }]),
            "{out:?}"
        );
        q.updated();
        out.clear();
        assert_eq!(
            q.loaded_media_secs(),
            0.2,
            "the last fragment waits behind the removal"
        );
        q.pump(t, &mut out);
        assert_eq!(appends(&out), [vec![3]]);
        assert_eq!(q.loaded_media_secs(), 0.0);
    }

    #[test]
    fn a_cancelled_half_append_resets_the_parser() {
        let mut q = BufferQueue {
            ready: true,
            ..Default::default()
        };
        let t = TrackKind::Audio;
        let a = q.open(SlotKind::Media {
            position: Position::segment(1),
            duration: 1.0,
        });
        let b = q.open(SlotKind::Media {
            position: Position::segment(2),
            duration: 1.0,
        });
        q.push(a, vec![1]);
        let mut out = Vec::new();
        q.pump(t, &mut out);
        q.cancel(a);
        q.push(b, vec![2]);
        q.complete(b);
        out.clear();
        q.pump(t, &mut out);
        assert!(out.is_empty(), "waits for updateend: {out:?}");
        q.updated();
        q.pump(t, &mut out);
        assert_eq!(out[0], Command::ResetParser { track: t });
        assert_eq!(appends(&out), [vec![2]]);
        // A slot never started just goes.
        let c = q.open(SlotKind::Init("x".into()));
        q.cancel(c);
        assert_eq!(q.media_pending(), 1);
    }

    #[test]
    fn removals_and_offsets() {
        let mut q = BufferQueue::default();
        let t = TrackKind::Main;
        q.open(SlotKind::Offset(-3.0));
        q.open(SlotKind::Remove(0.0, 10.0));
        let mut out = Vec::new();
        // Not ready: nothing.
        q.pump(t, &mut out);
        assert!(out.is_empty());
        q.ready = true;
        q.pump(t, &mut out);
        assert_eq!(
            out,
            [
                Command::SetTimestampOffset {
                    track: t,
                    offset: -3.0
                },
                Command::Remove {
                    track: t,
                    start: 0.0,
                    end: 10.0
                }
            ]
        );
        assert!(q.removing() || !q.idle());
    }
}
