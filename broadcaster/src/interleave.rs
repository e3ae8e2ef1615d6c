//! Merging the audio and video encoder outputs into one time-ordered stream.
//!
//! The two encoders call back independently, so an audio chunk for 1.99 s may arrive after the video
//! keyframe for 2.00 s. The segmenter cuts at video keyframes, so it must see every track in time
//! order: an item is released only once every lane has something queued (so nothing earlier can still
//! arrive), or when a lane has waited too long because another one went quiet.

use std::collections::VecDeque;

/// Default number of items a lane may hold before it is released regardless of the other lanes: one.
/// The packager's segmenter keeps a queue per track and waits (at most one part target) for audio at
/// every cut itself, so holding video here only adds latency: with an audio encoder lagging by
/// seconds (Chromium's fake microphone under load), a bound of 300 items put seconds between the
/// camera and the first viewer. Order across lanes is kept while both lanes are fed.
pub const DEFAULT_MAX_PENDING: usize = 1;

/// Merges several lanes of timestamped items into one stream ordered by timestamp.
#[derive(Debug, Clone)]
pub struct Interleaver<T> {
    lanes: Vec<VecDeque<(i64, T)>>,
    closed: Vec<bool>,
    max_pending: usize,
}

impl<T> Interleaver<T> {
    /// An interleaver for `lanes` inputs, each holding at most `max_pending` items (at least 1).
    pub fn new(lanes: usize, max_pending: usize) -> Self {
        Self {
            lanes: (0..lanes).map(|_| VecDeque::new()).collect(),
            closed: vec![false; lanes],
            max_pending: max_pending.max(1),
        }
    }

    /// Queues an item with its timestamp on a lane and returns everything that is now ready, in order.
    /// Items within a lane must arrive in timestamp order (encoders guarantee that). An unknown lane
    /// is treated as the last one.
    pub fn push(&mut self, lane: usize, timestamp: i64, item: T) -> Vec<T> {
        let last = self.lanes.len().saturating_sub(1);
        if let Some(q) = self.lanes.get_mut(lane.min(last)) {
            q.push_back((timestamp, item));
        }
        self.pop_ready()
    }

    /// Releases items while every lane has one queued, or while some lane is over its limit.
    fn pop_ready(&mut self) -> Vec<T> {
        let mut out = Vec::new();
        loop {
            let all_ready = self
                .lanes
                .iter()
                .zip(&self.closed)
                .all(|(q, closed)| *closed || !q.is_empty())
                && self.lanes.iter().any(|q| !q.is_empty());
            let overfull = self.lanes.iter().any(|q| q.len() > self.max_pending);
            if !(all_ready || overfull) {
                break;
            }
            match self.pop_earliest() {
                Some(item) => out.push(item),
                None => break,
            }
        }
        out
    }

    /// Removes the earliest queued item across lanes (ties go to the lower lane).
    fn pop_earliest(&mut self) -> Option<T> {
        let lane = self
            .lanes
            .iter()
            .enumerate()
            .filter_map(|(i, q)| q.front().map(|(ts, _)| (*ts, i)))
            .min()
            .map(|(_, i)| i)?;
        self.lanes.get_mut(lane)?.pop_front().map(|(_, item)| item)
    }

    /// Marks a lane as finished (its encoder stopped): the other lanes no longer wait for it. Returns
    /// what became ready.
    pub fn close_lane(&mut self, lane: usize) -> Vec<T> {
        if let Some(c) = self.closed.get_mut(lane) {
            *c = true;
        }
        self.pop_ready()
    }

    /// Releases everything still queued, in timestamp order (at the end of the broadcast).
    pub fn drain(&mut self) -> Vec<T> {
        let mut out = Vec::new();
        while let Some(item) = self.pop_earliest() {
            out.push(item);
        }
        out
    }

    /// Number of items waiting.
    pub fn pending(&self) -> usize {
        self.lanes.iter().map(VecDeque::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_for_every_lane_then_orders() {
        let mut il = Interleaver::new(2, 100);
        assert!(il.push(0, 0, "v0").is_empty());
        assert!(il.push(0, 50, "v50").is_empty());
        // Audio arrives late but is earlier than v50.
        assert_eq!(il.push(1, 20, "a20"), vec!["v0", "a20"]);
        assert_eq!(il.push(1, 40, "a40"), vec!["a40"]);
        assert_eq!(il.push(1, 60, "a60"), vec!["v50"]);
        assert_eq!(il.pending(), 1);
        assert_eq!(il.drain(), vec!["a60"]);
        assert_eq!(il.pending(), 0);
    }

    #[test]
    fn ties_prefer_lower_lane() {
        let mut il = Interleaver::new(2, 100);
        il.push(1, 10, "a");
        assert_eq!(il.push(0, 10, "v"), vec!["v"]);
        assert_eq!(il.drain(), vec!["a"]);
    }

    #[test]
    fn a_quiet_lane_does_not_block_forever() {
        let mut il = Interleaver::new(2, 3);
        for ts in 0..3 {
            assert!(il.push(0, ts, ts).is_empty());
        }
        assert_eq!(il.push(0, 3, 3), vec![0]);
        assert_eq!(il.push(0, 4, 4), vec![1]);
        assert_eq!(il.pending(), 3);
    }

    #[test]
    fn closed_lane_is_not_waited_for() {
        let mut il = Interleaver::new(2, 100);
        assert!(il.push(0, 0, 0).is_empty());
        assert!(il.push(0, 1, 1).is_empty());
        assert_eq!(il.close_lane(1), vec![0, 1]);
        assert_eq!(il.push(0, 2, 2), vec![2]);
    }

    #[test]
    fn single_lane_passes_through() {
        let mut il = Interleaver::new(1, 10);
        assert_eq!(il.push(0, 5, 'x'), vec!['x']);
        assert_eq!(il.push(7, 6, 'y'), vec!['y']);
    }

    #[test]
    fn output_is_sorted_for_any_arrival_interleaving() {
        // Two lanes each in order; any interleaving of arrivals yields a globally sorted output.
        let v: Vec<i64> = (0..50).map(|i| i * 50).collect();
        let a: Vec<i64> = (0..120).map(|i| i * 20 + 3).collect();
        for pattern in 1..8_usize {
            let mut il = Interleaver::new(2, 1000);
            let (mut vi, mut ai) = (0, 0);
            let mut out = Vec::new();
            let mut step = 0;
            while vi < v.len() || ai < a.len() {
                step += 1;
                let take_video = (step % pattern == 0 && vi < v.len()) || ai >= a.len();
                if take_video {
                    out.extend(il.push(0, v[vi], v[vi]));
                    vi += 1;
                } else {
                    out.extend(il.push(1, a[ai], a[ai]));
                    ai += 1;
                }
            }
            out.extend(il.drain());
            let mut sorted = out.clone();
            sorted.sort();
            assert_eq!(out, sorted, "pattern {pattern}");
            assert_eq!(out.len(), v.len() + a.len());
        }
    }
}
