//! The segments viewers asked for last, in memory: a least-recently-used cache of segment bytes shared
//! by every stream, bounded in bytes. A new segment goes in as it is stored (live viewers ask for it next);
//! a segment read from disk (a recording, an older part of the window) goes in when it is read, so a
//! crowd watching the same recording reads each file once.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;

use crate::names::{RenditionName, StreamId};

/// Which segment: `(stream, rendition, msn)`.
pub type SegmentKey = (StreamId, RenditionName, u64);

/// The default budget: 256 MiB of segments.
pub const DEFAULT_HOT_BYTES: usize = 256 * 1024 * 1024;

#[derive(Debug, Default)]
struct Inner {
    /// Bytes and last use of each cached segment.
    entries: HashMap<SegmentKey, (Bytes, u64)>,
    /// Cached segments by last use, oldest first.
    by_use: BTreeMap<u64, SegmentKey>,
    /// Sum of the cached segments' sizes.
    bytes: usize,
    /// The use counter.
    clock: u64,
}

/// A byte-bounded LRU cache of segment bytes. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct HotSegments {
    budget: usize,
    inner: Mutex<Inner>,
}

impl HotSegments {
    /// An empty cache holding at most `budget` bytes.
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The segment's bytes, if cached (it becomes the most recently used).
    pub fn get(&self, key: &SegmentKey) -> Option<Bytes> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.clock += 1;
        let now = inner.clock;
        let (bytes, used) = inner.entries.get_mut(key)?;
        let (bytes, before) = (bytes.clone(), std::mem::replace(used, now));
        inner.by_use.remove(&before);
        inner.by_use.insert(now, key.clone());
        Some(bytes)
    }

    /// Caches a segment's bytes (a segment larger than the whole budget is not cached), evicting the
    /// least recently used ones until the budget holds.
    pub fn insert(&self, key: SegmentKey, bytes: Bytes) {
        if bytes.len() > self.budget {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.clock += 1;
        let now = inner.clock;
        let size = bytes.len();
        if let Some((old, used)) = inner.entries.insert(key.clone(), (bytes, now)) {
            inner.by_use.remove(&used);
            inner.bytes = inner.bytes.saturating_sub(old.len());
        }
        inner.by_use.insert(now, key);
        inner.bytes += size;
        while inner.bytes > self.budget {
            let Some((_, oldest)) = inner.by_use.pop_first() else {
                break;
            };
            if let Some((old, _)) = inner.entries.remove(&oldest) {
                inner.bytes = inner.bytes.saturating_sub(old.len());
            }
        }
    }

    /// Drops every cached segment of a stream (deleted).
    pub fn forget_stream(&self, id: &StreamId) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let gone: Vec<(SegmentKey, u64)> = inner
            .entries
            .iter()
            .filter(|(key, _)| key.0 == *id)
            .map(|(key, (_, used))| (key.clone(), *used))
            .collect();
        for (key, used) in gone {
            inner.by_use.remove(&used);
            if let Some((old, _)) = inner.entries.remove(&key) {
                inner.bytes = inner.bytes.saturating_sub(old.len());
            }
        }
    }

    /// Bytes cached now, for the metrics.
    pub fn bytes(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(msn: u64) -> SegmentKey {
        (
            StreamId::parse("abcdefghij").expect("id"),
            RenditionName::parse("r0").expect("rendition"),
            msn,
        )
    }

    #[test]
    fn keeps_the_most_recently_used_within_its_budget() {
        let hot = HotSegments::new(30);
        for msn in 0..3 {
            hot.insert(key(msn), Bytes::from(vec![msn as u8; 10]));
        }
        assert_eq!(hot.bytes(), 30);
        // Using 0 makes 1 the oldest: the next insert evicts 1.
        assert!(hot.get(&key(0)).is_some());
        hot.insert(key(3), Bytes::from(vec![3; 10]));
        assert!(hot.get(&key(1)).is_none());
        assert_eq!(hot.get(&key(0)).as_deref(), Some(&[0u8; 10][..]));
        assert!(hot.get(&key(2)).is_some() && hot.get(&key(3)).is_some());
        assert_eq!(hot.bytes(), 30);
        // The same key again replaces its bytes; a segment over the budget is not kept.
        hot.insert(key(3), Bytes::from(vec![9; 5]));
        assert_eq!(hot.bytes(), 25);
        hot.insert(key(4), Bytes::from(vec![4; 31]));
        assert!(hot.get(&key(4)).is_none());
        // A big one evicts as many as it needs.
        hot.insert(key(5), Bytes::from(vec![5; 28]));
        assert_eq!(hot.bytes(), 28);
        assert!(hot.get(&key(5)).is_some());
    }
}
