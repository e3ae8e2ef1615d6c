//! The single queue all `SourceBuffer` work goes through.
//!
//! A `SourceBuffer` accepts one operation at a time (`appendBuffer` and `remove` throw while
//! `updating`), so the loader never touches it: it queues operations here, and one executor runs them
//! in order, waiting for `updateend` after each.

use std::collections::VecDeque;

/// One operation on the `SourceBuffer` / `MediaSource`.
#[derive(Debug, Clone, PartialEq)]
pub enum BufferOp {
    /// `appendBuffer(data)`.
    Append {
        /// What is appended, for messages (`init`, `segment 12`).
        label: String,
        /// The bytes.
        data: Vec<u8>,
        /// Whether this is a media segment (counted in the status) rather than an init segment.
        media: bool,
    },
    /// `remove(start, end)`, seconds.
    Remove {
        /// Start, seconds.
        start: f64,
        /// End, seconds.
        end: f64,
    },
    /// `MediaSource.endOfStream()`, after everything else.
    EndOfStream,
}

/// FIFO of [`BufferOp`]s; nothing may follow [`BufferOp::EndOfStream`].
#[derive(Debug, Clone, Default)]
pub struct OpQueue {
    ops: VecDeque<BufferOp>,
    ended: bool,
}

impl OpQueue {
    /// Adds an operation at the tail. Returns false (and drops it) after `EndOfStream` was queued.
    pub fn push(&mut self, op: BufferOp) -> bool {
        if self.ended {
            return false;
        }
        if op == BufferOp::EndOfStream {
            self.ended = true;
        }
        self.ops.push_back(op);
        true
    }

    /// Queues a removal ahead of pending appends (trimming frees space the appends may need), but never
    /// ahead of an init segment or another removal already at the head.
    pub fn push_remove(&mut self, start: f64, end: f64) -> bool {
        if self.ended || end <= start {
            return false;
        }
        let op = BufferOp::Remove { start, end };
        if self
            .ops
            .iter()
            .any(|o| matches!(o, BufferOp::Remove { .. }))
        {
            return false;
        }
        let at = self
            .ops
            .iter()
            .position(|o| matches!(o, BufferOp::Append { media: true, .. }))
            .unwrap_or(self.ops.len());
        self.ops.insert(at, op);
        true
    }

    /// Takes the next operation.
    pub fn pop(&mut self) -> Option<BufferOp> {
        self.ops.pop_front()
    }

    /// Puts an operation back at the head (to retry it after freeing space).
    pub fn push_front(&mut self, op: BufferOp) {
        self.ops.push_front(op);
    }

    /// Number of appends waiting.
    pub fn appends_waiting(&self) -> usize {
        self.ops
            .iter()
            .filter(|o| matches!(o, BufferOp::Append { .. }))
            .count()
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Whether `EndOfStream` has been queued.
    pub fn is_ended(&self) -> bool {
        self.ended
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn append(label: &str, media: bool) -> BufferOp {
        BufferOp::Append {
            label: label.into(),
            data: vec![1],
            media,
        }
    }

    #[test]
    fn fifo_and_nothing_after_end() {
        let mut q = OpQueue::default();
        assert!(q.push(append("init", false)));
        assert!(q.push(append("segment 0", true)));
        assert!(q.push(BufferOp::EndOfStream));
        assert!(!q.push(append("segment 1", true)));
        assert!(q.is_ended());
        assert_eq!(q.appends_waiting(), 2);
        assert_eq!(q.pop(), Some(append("init", false)));
        assert_eq!(q.pop(), Some(append("segment 0", true)));
        assert_eq!(q.pop(), Some(BufferOp::EndOfStream));
        assert!(q.is_empty());
    }

    #[test]
    fn removals_go_before_media_appends_but_after_init() {
        let mut q = OpQueue::default();
        q.push(append("init", false));
        q.push(append("segment 5", true));
        assert!(q.push_remove(0.0, 10.0));
        // Only one removal pending at a time.
        assert!(!q.push_remove(0.0, 12.0));
        assert!(!q.push_remove(5.0, 5.0));
        assert_eq!(q.pop(), Some(append("init", false)));
        assert_eq!(
            q.pop(),
            Some(BufferOp::Remove {
                start: 0.0,
                end: 10.0
            })
        );
        assert_eq!(q.pop(), Some(append("segment 5", true)));
        // Re-queue at the head.
        q.push_front(append("segment 6", true));
        assert_eq!(q.pop(), Some(append("segment 6", true)));
    }
}
