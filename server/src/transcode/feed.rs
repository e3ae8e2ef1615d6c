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
        if cursor.parts == 0 && segment.parts.is_empty() {
            return Next::Segment { msn: cursor.msn };
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
            Next::NewPeriod { .. } | Next::Wait => self,
        }
    }
}
