//! Live thumbnails: the picture on a stream's card, in its OpenGraph tags and as its player's poster,
//! refreshed while it is live and kept with its recording.
//!
//! Where the pictures come from (the choice issue 14 asked for):
//! - **the broadcaster's snapshot**: the Go Live page draws a captured frame into a canvas and uploads
//!   it as a JPEG every few seconds (`PUT /api/streams/{id}/thumbnail.jpg`, the stream key). The page
//!   has the pixels already, whatever codec it encodes, and the origin spends nothing decoding;
//! - **a decoded keyframe** for a stream without recent snapshots (pushed by ffmpeg or OBS, or a
//!   broadcaster that sends none): after a new segment, at most every [`DECODE_INTERVAL`] per stream,
//!   ffmpeg decodes its first keyframe ([`decoder`], which says why ffmpeg). One decode runs at a time
//!   across all streams, so a hundred pushed streams cost one ffmpeg process at a time; a segment that
//!   finds it busy is skipped and the next one tries again.
//!
//! Either way the JPEG is decoded whole before it is kept ([`jpeg`]): nothing malformed reaches a viewer.
//! It is written atomically as `streams/{id}/thumbnail.jpg` beside the renditions (so a restart and the
//! recording keep it) and served from memory with validators. This module holds the pictures and the
//! rules of when to make one; the origin ([`crate::origin`]) calls it, and the routes serve it.

pub mod decoder;
pub mod jpeg;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

pub use decoder::{DecodeError, FrameDecoder};
pub use jpeg::{check_jpeg, JpegRefused, MAX_THUMBNAIL_BYTES};

use crate::digest::digest;
use crate::names::StreamId;

/// How often a stream's picture is decoded from its segments, at most.
pub const DECODE_INTERVAL: Duration = Duration::from_secs(10);
/// After a snapshot from the broadcaster, how long the origin decodes nothing for that stream (the
/// broadcaster sends one every few seconds; a few missed ones, and decoding takes over).
pub const SNAPSHOT_PRECEDENCE: Duration = Duration::from_secs(30);
/// How many decodes run at once, all streams together.
pub const CONCURRENT_DECODES: usize = 1;

/// A stream's current picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    /// The JPEG.
    pub bytes: Bytes,
    /// Their digest ([`crate::digest`]), for the `ETag`.
    pub digest: u64,
    /// When it was taken, for `Last-Modified`.
    pub modified: SystemTime,
}

impl Thumbnail {
    /// A checked JPEG taken at `modified`.
    pub fn new(bytes: Bytes, modified: SystemTime) -> Self {
        Self {
            digest: digest(&bytes),
            bytes,
            modified,
        }
    }

    /// A number that changes with the picture (its time in milliseconds), for the URL that names this
    /// one.
    pub fn version(&self) -> u128 {
        self.modified
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    }
}

/// Where a picture came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The broadcaster's snapshot.
    Snapshot,
    /// Decoded from a segment.
    Decoded,
    /// Read back from disk at start-up.
    Stored,
}

/// What is known of one stream's pictures.
#[derive(Debug, Default)]
struct Entry {
    picture: Option<Thumbnail>,
    snapshot_at: Option<Instant>,
    decode_at: Option<Instant>,
}

/// Whether a stream whose last snapshot came at `snapshot_at` and whose last decode started at
/// `decode_at` should have its picture decoded `now`.
pub fn decode_due(snapshot_at: Option<Instant>, decode_at: Option<Instant>, now: Instant) -> bool {
    let since = |at: Option<Instant>| at.map(|t| now.saturating_duration_since(t));
    since(snapshot_at).is_none_or(|d| d >= SNAPSHOT_PRECEDENCE)
        && since(decode_at).is_none_or(|d| d >= DECODE_INTERVAL)
}

/// Every stream's picture, and the decoder's turn.
#[derive(Debug)]
pub struct Thumbnails {
    entries: Mutex<HashMap<StreamId, Entry>>,
    decoder: Option<FrameDecoder>,
    turns: Arc<Semaphore>,
    snapshots: AtomicU64,
    decoded: AtomicU64,
    failed: AtomicU64,
}

/// How many pictures were kept, by where they came from, and how many decodes failed (`/metrics`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThumbnailCounts {
    /// Snapshots from broadcasters.
    pub snapshots: u64,
    /// Pictures decoded from segments.
    pub decoded: u64,
    /// Decodes that made no picture.
    pub failed: u64,
}

/// Leave to decode one stream's picture now: the decoder and one of the [`CONCURRENT_DECODES`] turns,
/// given back when it is dropped.
#[derive(Debug)]
pub struct DecodeTurn {
    /// The decoder.
    pub decoder: FrameDecoder,
    _turn: OwnedSemaphorePermit,
}

impl Thumbnails {
    /// No pictures yet; `decoder` makes them for streams without snapshots (none: only snapshots).
    pub fn new(decoder: Option<FrameDecoder>) -> Self {
        Self {
            entries: Mutex::default(),
            decoder,
            turns: Arc::new(Semaphore::new(CONCURRENT_DECODES)),
            snapshots: AtomicU64::new(0),
            decoded: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<StreamId, Entry>) -> R) -> R {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut entries)
    }

    /// The stream's current picture.
    pub fn get(&self, id: &StreamId) -> Option<Thumbnail> {
        self.with(|entries| entries.get(id).and_then(|e| e.picture.clone()))
    }

    /// Keeps `picture` as the stream's (checked and stored by the caller), from where it came; a
    /// snapshot from the broadcaster holds decoding off for [`SNAPSHOT_PRECEDENCE`].
    pub fn set(&self, id: &StreamId, picture: Thumbnail, source: Source, now: Instant) {
        self.with(|entries| {
            let entry = entries.entry(id.clone()).or_default();
            entry.picture = Some(picture);
            if source == Source::Snapshot {
                entry.snapshot_at = Some(now);
            }
        });
        let counter = match source {
            Source::Snapshot => &self.snapshots,
            Source::Decoded => &self.decoded,
            Source::Stored => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a decode that made no picture.
    pub fn note_failure(&self) {
        self.failed.fetch_add(1, Ordering::Relaxed);
    }

    /// The counts so far.
    pub fn counts(&self) -> ThumbnailCounts {
        ThumbnailCounts {
            snapshots: self.snapshots.load(Ordering::Relaxed),
            decoded: self.decoded.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }

    /// A turn to decode the stream's picture now, if one is due ([`decode_due`]) and the decoder is
    /// free; it counts as the stream's decode from `now`.
    pub fn claim_decode(&self, id: &StreamId, now: Instant) -> Option<DecodeTurn> {
        let decoder = self.decoder.clone()?;
        self.with(|entries| {
            let entry = entries.entry(id.clone()).or_default();
            if !decode_due(entry.snapshot_at, entry.decode_at, now) {
                return None;
            }
            let turn = Arc::clone(&self.turns).try_acquire_owned().ok()?;
            entry.decode_at = Some(now);
            Some(DecodeTurn {
                decoder,
                _turn: turn,
            })
        })
    }

    /// Forgets a deleted stream's picture.
    pub fn forget(&self, id: &StreamId) {
        self.with(|entries| entries.remove(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> StreamId {
        StreamId::parse(s).expect("valid id")
    }

    #[test]
    fn decoding_waits_for_its_interval_and_yields_to_snapshots() {
        let t0 = Instant::now();
        let secs = |s: u64| t0 + Duration::from_secs(s);
        assert!(decode_due(None, None, t0));
        assert!(!decode_due(None, Some(t0), secs(9)));
        assert!(decode_due(None, Some(t0), secs(10)));
        assert!(!decode_due(Some(t0), None, secs(29)));
        assert!(decode_due(Some(t0), None, secs(30)));
        // A clock that went back is no reason to decode.
        assert!(!decode_due(None, Some(secs(5)), t0));
    }

    #[test]
    fn one_turn_at_a_time_and_none_without_a_decoder() {
        let none = Thumbnails::new(None);
        assert!(none
            .claim_decode(&id("aaaaaaaaaa"), Instant::now())
            .is_none());

        let thumbnails = Thumbnails::new(Some(FrameDecoder::for_tests()));
        let now = Instant::now();
        let turn = thumbnails.claim_decode(&id("aaaaaaaaaa"), now);
        assert!(turn.is_some());
        // Another stream waits for the turn, and is not marked as decoded.
        assert!(thumbnails.claim_decode(&id("bbbbbbbbbb"), now).is_none());
        drop(turn);
        assert!(thumbnails.claim_decode(&id("bbbbbbbbbb"), now).is_some());
        // The first stream's interval runs from its claim.
        assert!(thumbnails.claim_decode(&id("aaaaaaaaaa"), now).is_none());
        assert!(thumbnails
            .claim_decode(&id("aaaaaaaaaa"), now + DECODE_INTERVAL)
            .is_some());
    }

    #[test]
    fn a_snapshot_holds_decoding_off() {
        let thumbnails = Thumbnails::new(Some(FrameDecoder::for_tests()));
        let now = Instant::now();
        let stream = id("aaaaaaaaaa");
        let picture = Thumbnail::new(Bytes::from_static(b"jpeg"), UNIX_EPOCH);
        thumbnails.set(&stream, picture.clone(), Source::Snapshot, now);
        assert_eq!(thumbnails.get(&stream), Some(picture));
        assert_eq!(
            thumbnails.counts(),
            ThumbnailCounts {
                snapshots: 1,
                ..Default::default()
            }
        );
        assert!(thumbnails
            .claim_decode(&stream, now + DECODE_INTERVAL)
            .is_none());
        assert!(thumbnails
            .claim_decode(&stream, now + SNAPSHOT_PRECEDENCE)
            .is_some());
        thumbnails.forget(&stream);
        assert_eq!(thumbnails.get(&stream), None);
    }

    #[test]
    fn the_version_follows_the_time() {
        let at = UNIX_EPOCH + Duration::from_millis(1_234_567);
        assert_eq!(Thumbnail::new(Bytes::new(), at).version(), 1_234_567);
    }
}
