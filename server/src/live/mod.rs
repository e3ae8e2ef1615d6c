//! In-memory state of every stream: its metadata record and, per rendition, the parsed init segment and
//! the list of accepted segments. Playlists are rendered from this state ([`crate::playlist`]).
//!
//! Locking: each stream has an async `ingest` mutex that serialises its uploads and its end (validation,
//! disk write and state update happen as one step), and a synchronous `RwLock` around its state that is
//! only held for short, await-free reads and updates, so playback never waits for an upload's disk write.
//!
//! Changes: every change a viewer can see (a part, a segment, the end) bumps the state's `version` and
//! is announced on a `watch` channel ([`LiveStream::change`]); blocking playlist reloads and
//! preload-hinted part requests wait on it ([`LiveStream::subscribe`]). Rendered playlists are kept per
//! version ([`LiveStream::cached`], [`rendered`]), so thousands of waiters woken by one part share one
//! rendering.
//!
//! Parts on their way in: while the next part's upload arrives, its bytes are shared with the viewers
//! waiting for it ([`arrival`]); [`LiveStream::begin_arrival`] registers one, and its start is announced
//! on a channel of its own ([`LiveStream::subscribe_arrivals`]) so playlist waiters are not woken for it.

pub mod arrival;
pub mod rendered;
pub mod rendition;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::SystemTime;

use tokio::sync::watch;
use tokio::time::Instant;

pub use arrival::{Arrival, Outcome, PartNotDelivered};
pub use rendered::{PlaylistKey, RenderedPlaylist, Renderings};

pub use rendition::{
    AcceptedPart, AcceptedSegment, ClosedSegment, InitCheck, InitState, OpenSegment, PartCheck,
    PartInfo, Rendition, SegmentCheck, SegmentInfo, UploadRefused,
};

use crate::names::{RenditionName, StreamId};
use crate::owner_token::OwnerToken;
use crate::secret::SecretHash;
use crate::store::{StreamRecord, StreamSecrets};
use crate::stream_key::StreamKey;

/// Everything known about one stream.
#[derive(Debug)]
pub struct StreamState {
    /// Metadata, as stored in the database.
    pub record: StreamRecord,
    /// Renditions by name.
    pub renditions: BTreeMap<RenditionName, Rendition>,
    /// Last accepted upload (or creation / start-up), for the idle timeout.
    pub last_activity: Instant,
    /// When any of its playlists last changed (a segment, an end), for `Last-Modified`.
    pub changed_at: SystemTime,
    /// Bumped by every change viewers can see ([`LiveStream::change`]).
    pub version: u64,
    /// The transcoder is starting rungs that have no init segment yet: the first multivariant playlist
    /// waits for them as for a broadcaster's renditions ([`crate::transcode`]).
    pub rungs_pending: bool,
    /// The transcoder gave up on this stream (a ladder appeared, its codec changed, it kept failing):
    /// its rungs, which stopped, are no longer listed in the multivariant playlist.
    pub rungs_stopped: bool,
}

/// One stream's state, its key and its ingest lock.
#[derive(Debug)]
pub struct LiveStream {
    /// Compared with the key an upload presents ([`LiveStream::accepts`]) and the owner token an edit
    /// presents ([`LiveStream::owned_by`]): their hashes.
    secrets: RwLock<StreamSecrets>,
    ingest: tokio::sync::Mutex<()>,
    state: RwLock<StreamState>,
    changes: watch::Sender<u64>,
    rendered: Renderings,
    arrivals: Mutex<HashMap<PartKey, Arc<Arrival>>>,
    arrivals_started: watch::Sender<u64>,
}

/// A part of a rendition: `(rendition, msn, index)`.
pub type PartKey = (RenditionName, u64, u32);

impl LiveStream {
    /// Wraps a stream's state, with its secrets' hashes.
    pub fn new(state: StreamState, secrets: StreamSecrets) -> Self {
        let (changes, _) = watch::channel(state.version);
        Self {
            secrets: RwLock::new(secrets),
            ingest: tokio::sync::Mutex::new(()),
            state: RwLock::new(state),
            changes,
            rendered: Renderings::default(),
            arrivals: Mutex::new(HashMap::new()),
            arrivals_started: watch::channel(0).0,
        }
    }

    /// True when `key` is this stream's key (their hashes compared in constant time).
    pub fn accepts(&self, key: &StreamKey) -> bool {
        self.secrets().key == key.hash()
    }

    /// The hashes of its secrets now.
    fn secrets(&self) -> StreamSecrets {
        *self.secrets.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// True when `token` is this stream's owner token; never for a stream without one.
    pub fn owned_by(&self, token: &OwnerToken) -> bool {
        self.secrets()
            .owner
            .is_some_and(|owner| owner == token.hash())
    }

    /// Registers the upload of part `key` as arriving, unless another upload of it already is, and wakes
    /// the requests waiting for a part to start arriving. The guard unregisters it when dropped (and
    /// marks it refused if nothing else was said).
    pub fn begin_arrival(self: &Arc<Self>, key: PartKey) -> Option<ArrivalGuard> {
        let arrival = {
            let mut arrivals = self.arrivals.lock().unwrap_or_else(PoisonError::into_inner);
            if arrivals.contains_key(&key) {
                return None;
            }
            let arrival = Arrival::new();
            arrivals.insert(key.clone(), Arc::clone(&arrival));
            arrival
        };
        self.arrivals_started
            .send_modify(|n| *n = n.wrapping_add(1));
        Some(ArrivalGuard {
            stream: Arc::clone(self),
            key,
            arrival,
        })
    }

    /// The upload of part `key`, while it is arriving.
    pub fn arrival(&self, key: &PartKey) -> Option<Arc<Arrival>> {
        self.arrivals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    /// A receiver that wakes whenever a part upload starts arriving.
    pub fn subscribe_arrivals(&self) -> watch::Receiver<u64> {
        self.arrivals_started.subscribe()
    }

    /// Makes a change viewers can see: runs `f` on the state and bumps its version under one write lock,
    /// then wakes every waiter. One lock matters: renderings are cached by version
    /// ([`LiveStream::cached`]), so a reader that saw the change under the old version would be served
    /// the old rendering (a blocking reload answered without the part it waited for).
    pub fn change<R>(&self, f: impl FnOnce(&mut StreamState) -> R) -> R {
        let (result, version) = {
            let mut state = self.write();
            let result = f(&mut state);
            state.version = state.version.wrapping_add(1);
            (result, state.version)
        };
        self.changes.send_replace(version);
        result
    }

    /// A receiver that wakes on every [`LiveStream::change`].
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// The playlist `key` rendered at `version`, rendering it with `render` the first time
    /// ([`Renderings`]).
    pub fn cached<E>(
        &self,
        key: PlaylistKey,
        version: u64,
        render: impl FnOnce() -> Result<RenderedPlaylist, E>,
    ) -> Result<RenderedPlaylist, E> {
        self.rendered.get_or_render(key, version, render)
    }

    /// Serialises changes to this stream; hold it from validation to the state update.
    pub async fn lock_ingest(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.ingest.lock().await
    }

    /// Takes the ingest lock only if nobody holds it.
    pub fn try_lock_ingest(
        &self,
    ) -> Result<tokio::sync::MutexGuard<'_, ()>, tokio::sync::TryLockError> {
        self.ingest.try_lock()
    }

    /// Reads the state. Never hold the guard across an `.await`.
    pub fn read(&self) -> RwLockReadGuard<'_, StreamState> {
        // Updates are single assignments, so a panicking writer cannot leave the state half-changed.
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the state. Never hold the guard across an `.await`.
    pub fn write(&self) -> RwLockWriteGuard<'_, StreamState> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A part upload registered as arriving ([`LiveStream::begin_arrival`]). Dropping it unregisters the
/// upload; one dropped before [`ArrivalGuard::finish`] (a failed read, a cancelled request) counts as
/// refused, so its readers never take what they got for a part.
#[derive(Debug)]
pub struct ArrivalGuard {
    stream: Arc<LiveStream>,
    key: PartKey,
    arrival: Arc<Arrival>,
}

impl ArrivalGuard {
    /// Hands a received chunk to the readers.
    pub fn push(&self, chunk: &bytes::Bytes) {
        self.arrival.push(chunk.clone());
    }

    /// Records the outcome and unregisters the upload.
    pub fn finish(self, outcome: Outcome) {
        self.arrival.finish(outcome);
    }
}

impl Drop for ArrivalGuard {
    fn drop(&mut self) {
        self.arrival.finish(Outcome::Refused);
        let mut arrivals = self
            .stream
            .arrivals
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if arrivals
            .get(&self.key)
            .is_some_and(|a| Arc::ptr_eq(a, &self.arrival))
        {
            arrivals.remove(&self.key);
        }
    }
}

/// All streams by id, and their ids by the hash of their stream key (for `/ingest/{stream_key}/...`).
#[derive(Debug, Default)]
pub struct Registry {
    streams: RwLock<HashMap<StreamId, Arc<LiveStream>>>,
    by_key: RwLock<HashMap<SecretHash, StreamId>>,
}

impl Registry {
    /// Looks a stream up.
    pub fn get(&self, id: &StreamId) -> Option<Arc<LiveStream>> {
        self.streams
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    /// The stream whose key this is, looked up by the key's SHA-256: timing tells a caller nothing
    /// about the keys there are (the map's hashing is keyed per process, and its keys compare in
    /// constant time).
    pub fn get_by_key(&self, stream_key: &StreamKey) -> Option<Arc<LiveStream>> {
        let id = self
            .by_key
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&stream_key.hash())
            .cloned()?;
        self.get(&id)
    }

    /// Forgets a stream (deleted).
    pub fn remove(&self, id: &StreamId) {
        let removed = self
            .streams
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
        if let Some(stream) = removed {
            self.by_key
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&stream.secrets().key);
        }
    }

    /// Adds (or replaces) a stream.
    pub fn insert(&self, id: StreamId, stream: Arc<LiveStream>) {
        let key = stream.secrets().key;
        self.by_key
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, id.clone());
        self.streams
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, stream);
    }

    /// Gives a stream a new key: the old one opens nothing from now on.
    pub fn rekey(&self, stream: &LiveStream, id: &StreamId, key: SecretHash) {
        let mut by_key = self.by_key.write().unwrap_or_else(PoisonError::into_inner);
        let mut secrets = stream
            .secrets
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        by_key.remove(&secrets.key);
        secrets.key = key;
        by_key.insert(key, id.clone());
    }

    /// Every stream, in no particular order.
    pub fn all(&self) -> Vec<Arc<LiveStream>> {
        self.streams
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StreamStatus;

    fn stream() -> Arc<LiveStream> {
        Arc::new(LiveStream::new(
            StreamState {
                record: StreamRecord {
                    id: StreamId::parse("abcdefghij").expect("id"),
                    title: "0".into(),
                    description: String::new(),
                    tags: Vec::new(),
                    category: None,
                    status: StreamStatus::Live,
                    created_at: 0,
                    started_at: None,
                    ended_at: None,
                },
                renditions: BTreeMap::new(),
                last_activity: Instant::now(),
                changed_at: SystemTime::UNIX_EPOCH,
                version: 0,
                rungs_pending: false,
                rungs_stopped: false,
            },
            StreamSecrets {
                key: StreamKey::new("key").hash(),
                owner: None,
            },
        ))
    }

    /// What a blocking reload does: sees a change, then takes the rendering of the version it reads.
    /// The rendering must hold what it saw, however the reads and the writes interleave.
    #[test]
    fn a_change_is_never_seen_under_the_old_version() {
        let stream = stream();
        let writer = {
            let stream = Arc::clone(&stream);
            std::thread::spawn(move || {
                for n in 1..=20_000u32 {
                    stream.change(|state| state.record.title = n.to_string());
                }
            })
        };
        let key: PlaylistKey = (None, "index.m3u8", false);
        let mut stale = 0;
        while !writer.is_finished() {
            let state = stream.read();
            let seen = state.record.title.clone();
            let rendered = stream
                .cached(key.clone(), state.version, || {
                    Ok::<_, ()>(RenderedPlaylist::new(
                        state.record.title.clone(),
                        false,
                        1,
                        SystemTime::UNIX_EPOCH,
                    ))
                })
                .expect("renders");
            drop(state);
            if rendered.text != seen.as_bytes() {
                stale += 1;
            }
        }
        writer.join().expect("writer");
        assert_eq!(
            stale, 0,
            "renderings older than the state they were asked for"
        );
    }
}
