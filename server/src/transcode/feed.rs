//! What to feed ffmpeg next, pure: the source rendition's fragments in order, each part as soon as it is
//! accepted (a source uploaded in Low-Latency parts), or each segment whole (an encoder's push), from a
//! cursor that says how far the run has fed.

use bytes::Bytes;

use crate::live::Rendition;

/// How far a run has fed the source: `parts` fragments of segment `msn` (0: none of it yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The segment being fed.
    pub msn: u64,
    /// Its parts fed so far.
    pub parts: u32,
}

/// The next thing to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Feed part `index` of segment `msn`.
    Part {
        /// Its segment.
        msn: u64,
        /// Its index.
        index: u32,
        /// Its bytes.
        bytes: Bytes,
    },
    /// Feed segment `msn` whole (it has no parts); its bytes are in storage.
    Segment {
        /// The segment.
        msn: u64,
    },
    /// Every part of segment `msn` has been fed and it is complete.
    Closed {
        /// The segment.
        msn: u64,
    },
    /// Segment `msn` starts a new period (its timeline may start anywhere): this run ends before it.
    NewPeriod {
        /// The segment.
        msn: u64,
    },
    /// The parts of segment `msn` this run has not fed are no longer kept (it fell that far behind):
    /// the run must end, and the next feeds the segment whole.
    Lost {
        /// The segment.
        msn: u64,
    },
    /// Nothing new yet.
    Wait,
}

/// The next step for a run that started at `first_msn` and has fed up to `cursor`.
pub fn next(source: &Rendition, cursor: Cursor, first_msn: u64) -> Next {
    let starts_period = |discontinuity: bool| discontinuity && cursor.msn != first_msn;
    if let Some(segment) = source.segment(cursor.msn) {
        if cursor.parts == 0 && starts_period(segment.discontinuity) {
            return Next::NewPeriod { msn: cursor.msn };
        }
        if segment.parts.is_empty() {
            return if cursor.parts == 0 {
                Next::Segment { msn: cursor.msn }
            } else {
                Next::Lost { msn: cursor.msn }
            };
        }
        return match segment.parts.get(cursor.parts as usize) {
            Some(part) => Next::Part {
                msn: cursor.msn,
                index: part.index,
                bytes: part.data.clone(),
            },
            None => Next::Closed { msn: cursor.msn },
        };
    }
    let Some(open) = source.open_segment().filter(|o| o.msn == cursor.msn) else {
        return Next::Wait;
    };
    if cursor.parts == 0 && starts_period(open.discontinuity) {
        return Next::NewPeriod { msn: cursor.msn };
    }
    match open.parts.get(cursor.parts as usize) {
        Some(part) => Next::Part {
            msn: cursor.msn,
            index: part.index,
            bytes: part.data.clone(),
        },
        None => Next::Wait,
    }
}

impl Cursor {
    /// The cursor after `step` was done.
    pub fn after(self, step: &Next) -> Cursor {
        match step {
            Next::Part { .. } => Cursor {
                parts: self.parts + 1,
                ..self
            },
            Next::Segment { msn } | Next::Closed { msn } => Cursor {
                msn: msn + 1,
                parts: 0,
            },
            Next::NewPeriod { .. } | Next::Lost { .. } | Next::Wait => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcode::fixtures::{part, segment, with_init};

    /// Every step from `cursor` until there is nothing to do.
    fn steps(r: &Rendition, mut cursor: Cursor, first: u64) -> (Vec<Next>, Cursor) {
        let mut all = Vec::new();
        loop {
            let step = next(r, cursor, first);
            if matches!(
                step,
                Next::Wait | Next::NewPeriod { .. } | Next::Lost { .. }
            ) {
                all.push(step);
                return (all, cursor);
            }
            cursor = cursor.after(&step);
            all.push(step);
        }
    }

    #[test]
    fn whole_segments_are_fed_whole_and_a_new_period_ends_the_run() {
        let mut r = with_init();
        segment(&mut r, 0);
        segment(&mut r, 1);
        let start = Cursor { msn: 0, parts: 0 };
        let (all, cursor) = steps(&r, start, 0);
        assert_eq!(
            all,
            [
                Next::Segment { msn: 0 },
                Next::Segment { msn: 1 },
                Next::Wait
            ]
        );
        assert_eq!(cursor, Cursor { msn: 2, parts: 0 });
        r.start_period();
        segment(&mut r, 2);
        assert_eq!(next(&r, cursor, 0), Next::NewPeriod { msn: 2 });
        // The next run starts there, so for it the period is no news.
        assert_eq!(next(&r, cursor, 2), Next::Segment { msn: 2 });
    }

    #[test]
    fn parts_are_fed_as_they_come_and_a_segment_closes_after_its_last() {
        let mut r = with_init();
        let first = part(&mut r, 0, 0);
        let second = part(&mut r, 0, 1);
        let (all, cursor) = steps(&r, Cursor { msn: 0, parts: 0 }, 0);
        assert_eq!(
            all,
            [
                Next::Part {
                    msn: 0,
                    index: 0,
                    bytes: first
                },
                Next::Part {
                    msn: 0,
                    index: 1,
                    bytes: second
                },
                Next::Wait
            ]
        );
        for index in 2..5 {
            part(&mut r, 0, index);
        }
        let next_segment = part(&mut r, 1, 0);
        let (all, _) = steps(&r, cursor, 0);
        let kinds: Vec<(u64, Option<u32>)> = all
            .iter()
            .filter_map(|s| match s {
                Next::Part { msn, index, .. } => Some((*msn, Some(*index))),
                Next::Closed { msn } => Some((*msn, None)),
                _ => None,
            })
            .collect();
        assert_eq!(
            kinds,
            [
                (0, Some(2)),
                (0, Some(3)),
                (0, Some(4)),
                (0, None),
                (1, Some(0))
            ]
        );
        assert!(all.contains(&Next::Part {
            msn: 1,
            index: 0,
            bytes: next_segment
        }));
    }
}
