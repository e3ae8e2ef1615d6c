//! When and how large the broadcaster's snapshots are: the picture it uploads as the stream's live
//! thumbnail (the origin's `PUT /api/streams/{id}/thumbnail.jpg`), so the directory shows what is on
//! camera without the origin decoding anything.
//!
//! A snapshot is taken [`FIRST_SNAPSHOT_US`] after the first frame (a camera's exposure settles first),
//! then every [`SNAPSHOT_INTERVAL_US`]; never while the last one is still uploading, and never while the
//! media uploads are behind (media first: a thumbnail can wait, a part cannot).

/// Capture time from the first frame to the first snapshot, in microseconds.
pub const FIRST_SNAPSHOT_US: i64 = 1_000_000;
/// Capture time between snapshots, in microseconds (the origin decodes pictures itself after 30 s
/// without one).
pub const SNAPSHOT_INTERVAL_US: i64 = 5_000_000;
/// Width of a snapshot: a directory card's, never more than the capture's.
pub const SNAPSHOT_WIDTH: u32 = 480;
/// JPEG quality of a snapshot (0–1).
pub const SNAPSHOT_QUALITY: f64 = 0.75;

/// When the next snapshot is due.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotSchedule {
    next_us: Option<i64>,
    in_flight: bool,
}

impl SnapshotSchedule {
    /// Whether to take a snapshot of the frame captured at `timestamp_us`; `behind`: the media uploads
    /// are backed up. A `true` counts as taken: the next one is due an interval later, and none until
    /// [`SnapshotSchedule::finished`].
    pub fn take(&mut self, timestamp_us: i64, behind: bool) -> bool {
        let next = *self
            .next_us
            .get_or_insert(timestamp_us.saturating_add(FIRST_SNAPSHOT_US));
        if self.in_flight || behind || timestamp_us < next {
            return false;
        }
        self.next_us = Some(timestamp_us.saturating_add(SNAPSHOT_INTERVAL_US));
        self.in_flight = true;
        true
    }

    /// The last snapshot's upload is over (sent or failed).
    pub fn finished(&mut self) {
        self.in_flight = false;
    }
}

/// The size of a snapshot of a `width` x `height` frame: [`SNAPSHOT_WIDTH`] wide or the frame's width if
/// smaller, the height in proportion, both even and at least 16 (what the origin takes).
pub fn snapshot_size(width: u32, height: u32) -> (u32, u32) {
    let w = width.clamp(16, SNAPSHOT_WIDTH);
    let h = if width == 0 {
        16
    } else {
        let scaled = u64::from(height) * u64::from(w) / u64::from(width);
        u32::try_from(scaled).unwrap_or(u32::MAX)
    };
    let even = |v: u32| (v & !1).max(16);
    (even(w), even(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_after_a_second_then_every_interval() {
        let mut s = SnapshotSchedule::default();
        assert!(!s.take(10_000_000, false), "not on the first frame");
        assert!(!s.take(10_900_000, false));
        assert!(s.take(11_000_000, false));
        // In flight: nothing more until it is over, even when due.
        assert!(!s.take(17_000_000, false));
        s.finished();
        assert!(!s.take(15_900_000, false));
        assert!(s.take(16_000_000, false));
    }

    #[test]
    fn media_backlog_puts_snapshots_off() {
        let mut s = SnapshotSchedule::default();
        assert!(!s.take(0, true));
        assert!(!s.take(2_000_000, true));
        assert!(s.take(2_100_000, false), "taken once the uploads caught up");
    }

    #[test]
    fn sizes_fit_a_card_and_the_origin() {
        assert_eq!(snapshot_size(1280, 720), (480, 270));
        assert_eq!(snapshot_size(1920, 1080), (480, 270));
        assert_eq!(snapshot_size(640, 480), (480, 360));
        assert_eq!(snapshot_size(320, 180), (320, 180));
        assert_eq!(snapshot_size(721, 405), (480, 268));
        assert_eq!(snapshot_size(0, 0), (16, 16));
        assert_eq!(snapshot_size(4000, 10), (480, 16));
    }
}
