//! The live figures: percentiles of the time from a part's arrival to each viewer's reload listing it
//! and to its GET completing, over the hold.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use onair_tests::stats::percentile;

use crate::source::PartId;
use crate::viewer::{micros_since, Seen, ViewerOutcome};

/// Percentiles of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

/// The count, p50, p99 and max of `values`; `None` when there are none.
pub fn summarize(mut values: Vec<f64>) -> Option<Summary> {
    values.sort_by(f64::total_cmp);
    Some(Summary {
        count: values.len(),
        p50: percentile(&values, 50.0)?,
        p99: percentile(&values, 99.0)?,
        max: *values.last()?,
    })
}

/// A duration in milliseconds.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Signed milliseconds from `from_us` to `to_us` (negative when a viewer saw a part before the feeder had
/// its PUT answered).
fn delta_ms(from_us: u64, to_us: u64) -> f64 {
    (to_us as f64 - from_us as f64) / 1e3
}

/// The viewers' figures over the hold.
pub struct LiveFigures {
    pub viewers: usize,
    pub hold_secs: f64,
    /// Parts that arrived during the hold.
    pub parts_in_hold: usize,
    pub listed: Option<Summary>,
    pub delivered: Option<Summary>,
    /// Per part, the time until its last viewer had it listed / delivered.
    pub listed_all: Option<Summary>,
    pub delivered_all: Option<Summary>,
    pub missing_listed: u64,
    pub missing_delivered: u64,
    /// How long after the hold the last viewer stopped (caught up, or gave up).
    pub catch_up_secs: f64,
    /// Segments GET whole by viewers that fell behind the parts window, and how many viewers did.
    pub fallback_segments: u64,
    pub fallback_viewers: u64,
    pub reloads: u64,
    pub part_gets: u64,
    pub bytes: u64,
    pub connections: u64,
    pub errors: BTreeMap<String, u64>,
}

impl LiveFigures {
    /// The figures over the hold: observations of parts that arrived in it, against their arrival.
    pub fn compute(
        outcomes: &[ViewerOutcome],
        arrivals: &HashMap<PartId, Instant>,
        epoch: Instant,
        hold_start: Instant,
        hold_end: Instant,
        viewers: usize,
    ) -> LiveFigures {
        let in_hold: HashMap<PartId, u64> = arrivals
            .iter()
            .filter(|(_, &at)| at >= hold_start && at < hold_end)
            .map(|(&part, &at)| (part, micros_since(epoch, at)))
            .collect();
        let mut listed = Vec::new();
        let mut delivered = Vec::new();
        let mut last_listed: HashMap<PartId, f64> = HashMap::new();
        let mut last_delivered: HashMap<PartId, f64> = HashMap::new();
        let mut errors = BTreeMap::new();
        let (mut reloads, mut part_gets, mut bytes, mut connections) = (0, 0, 0, 0);
        for outcome in outcomes {
            for o in &outcome.observations {
                let Some(&arrived) = in_hold.get(&o.part) else {
                    continue;
                };
                let d = delta_ms(arrived, o.at_us);
                let (all, last) = match o.seen {
                    Seen::Listed => (&mut listed, &mut last_listed),
                    Seen::Delivered => (&mut delivered, &mut last_delivered),
                };
                all.push(d);
                let worst = last.entry(o.part).or_insert(f64::NEG_INFINITY);
                *worst = worst.max(d);
            }
            reloads += outcome.reloads;
            part_gets += outcome.part_gets;
            bytes += outcome.bytes;
            connections += outcome.connections;
            for (k, n) in &outcome.errors {
                *errors.entry(k.clone()).or_default() += n;
            }
        }
        // Each viewer is expected to see every part of the hold from the first one after its join (the
        // last joins can be answered just after the hold starts); one that never joined, all of them.
        let expected: u64 = outcomes
            .iter()
            .map(|o| {
                let from = o.joined_before.unwrap_or(PartId { msn: 0, index: 0 });
                in_hold.keys().filter(|&&p| p >= from).count() as u64
            })
            .sum::<u64>()
            + (viewers.saturating_sub(outcomes.len()) * in_hold.len()) as u64;
        let last_finish = outcomes
            .iter()
            .map(|o| o.finished)
            .max()
            .unwrap_or(hold_end);
        LiveFigures {
            viewers,
            hold_secs: (hold_end - hold_start).as_secs_f64(),
            parts_in_hold: in_hold.len(),
            missing_listed: expected.saturating_sub(listed.len() as u64),
            missing_delivered: expected.saturating_sub(delivered.len() as u64),
            catch_up_secs: last_finish
                .saturating_duration_since(hold_end)
                .as_secs_f64(),
            fallback_segments: outcomes.iter().map(|o| o.fallbacks.len() as u64).sum(),
            fallback_viewers: outcomes.iter().filter(|o| !o.fallbacks.is_empty()).count() as u64,
            listed: summarize(listed),
            delivered: summarize(delivered),
            listed_all: summarize(last_listed.into_values().collect()),
            delivered_all: summarize(last_delivered.into_values().collect()),
            reloads,
            part_gets,
            bytes,
            connections,
            errors,
        }
    }

    /// Viewer errors of every kind.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_sort_first() {
        let s = summarize(vec![3.0, -1.0, 2.0, 10.0]).expect("values");
        assert_eq!(s.count, 4);
        assert_eq!(s.p50, 2.0);
        assert_eq!(s.p99, 10.0);
        assert_eq!(s.max, 10.0);
        assert_eq!(summarize(Vec::new()), None);
    }
}
