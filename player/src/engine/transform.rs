//! What a fragment's bytes go through between the network and the `SourceBuffer`: `EXT-X-KEY`
//! `METHOD=AES-128` decryption (the key loaded once per URL, the decryption done by WebCrypto through
//! [`Command::Decrypt`]) and MPEG-TS segments transmuxed to CMAF by the media crate's
//! [`TsTransmuxer`](onair_media::ts::TsTransmuxer), which runs apart from the player (a Web Worker
//! with its own wasm, `transmux-worker/`) through [`Command::Transmux`]. Such fragments are held
//! whole, since both steps need the whole body in order.
//!
//! A segment is TS when its playlist gives it no `EXT-X-MAP` (RFC 8216bis 3.2: fMP4 segments always
//! have one); the transmuxer's init segment goes into the queue ahead of the first fragment, and again
//! whenever the codec configuration changes (with a `changeType` when the codecs string does).
//! `SAMPLE-AES`, DRM key formats and packed audio (raw AAC/MP3 segments with ID3 timestamps) fail with
//! a clear error.

use onair_media::playlist::KeyMethod;
use onair_media::ts::wire::{self, WireChunk, WireResult};

use super::buffer_queue::SlotKind;
use super::stream::FragmentRequest;
use super::types::{Command, Notice, RequestId, TrackKind};
use super::{Engine, Request};
use crate::error::{ErrorKind, PlayerError};
use crate::playlist::{FragmentRef, KeyRef};

/// At most this many loaded keys are kept (a live stream that rotates its key adds one per period).
const MAX_KEYS: usize = 16;
/// The name the TS init segments go by in the track's queue and cache.
const TS_INIT: &str = "transmuxed TS init";

/// One `EXT-X-KEY` URI.
#[derive(Debug)]
pub(super) enum KeyState {
    /// Asked for; these tracks wait for it.
    Loading {
        id: RequestId,
        waiting: Vec<TrackKind>,
    },
    /// The 16 key bytes.
    Ready([u8; 16]),
}

impl Engine {
    /// Whether the key `key` needs is here; if not, it is asked for (once) and `kind` waits for it.
    /// Keys this player cannot use fail playback.
    pub(super) fn key_ready(&mut self, kind: TrackKind, key: &KeyRef) -> bool {
        if key.method != KeyMethod::Aes128 {
            self.fail(&PlayerError::Unsupported {
                what: format!("EXT-X-KEY METHOD={} (only AES-128 is)", key.method.as_str()),
            });
            return false;
        }
        if !key.identity {
            self.fail(&PlayerError::Unsupported {
                what: "EXT-X-KEY with a KEYFORMAT other than identity (DRM)".into(),
            });
            return false;
        }
        match self.keys.get_mut(&key.url) {
            Some(KeyState::Ready(_)) => true,
            Some(KeyState::Loading { waiting, .. }) => {
                if !waiting.contains(&kind) {
                    waiting.push(kind);
                }
                false
            }
            None => {
                let timeout = self.config.request_timeout_ms;
                let id = self.fetch(
                    &key.url,
                    timeout,
                    false,
                    false,
                    Request::Key {
                        url: key.url.clone(),
                        body: Vec::new(),
                    },
                );
                self.keys.insert(
                    key.url.clone(),
                    KeyState::Loading {
                        id,
                        waiting: vec![kind],
                    },
                );
                false
            }
        }
    }

    /// The tracks waiting for key `url` from request `id`, its entry removed; empty when `id` is not
    /// the request it waits for.
    fn take_waiting(&mut self, id: RequestId, url: &str) -> Vec<TrackKind> {
        match self.keys.get(url) {
            Some(KeyState::Loading { id: loading, .. }) if *loading == id => {}
            _ => return Vec::new(),
        }
        match self.keys.remove(url) {
            Some(KeyState::Loading { waiting, .. }) => waiting,
            _ => Vec::new(),
        }
    }

    pub(super) fn key_loaded(&mut self, id: RequestId, url: &str, body: &[u8]) {
        let Ok(key) = <[u8; 16]>::try_from(body) else {
            let error =
                PlayerError::Media(format!("the key at {url} is {} bytes, not 16", body.len()));
            self.take_waiting(id, url);
            self.fail(&error);
            return;
        };
        let waiting = self.take_waiting(id, url);
        if self.keys.len() >= MAX_KEYS {
            self.keys.retain(|_, k| !matches!(k, KeyState::Ready(_)));
        }
        self.keys.insert(url.to_owned(), KeyState::Ready(key));
        for kind in waiting {
            self.load_next(kind);
        }
    }

    pub(super) fn key_failed(&mut self, id: RequestId, url: &str, error: PlayerError) {
        let waiting = self.take_waiting(id, url);
        self.retry_or_fail(&waiting, &error);
    }

    /// Hands an encrypted fragment's body to WebCrypto; it stays in flight (the track loads nothing
    /// else) until [`Engine::decrypted`].
    pub(super) fn start_decrypt(&mut self, id: RequestId, mut pending: FragmentRequest) {
        let Some(key_ref) = pending.fragment.key.clone() else {
            return;
        };
        let Some(KeyState::Ready(key)) = self.keys.get(&key_ref.url) else {
            // The key was dropped meanwhile (more than MAX_KEYS in use): load the fragment again.
            let kind = pending.track;
            if let Some(t) = self.track_mut(kind) {
                t.fragment_requests.retain(|(r, _)| *r != id);
                t.next = Some(pending.fragment.position);
            }
            self.load_next(kind);
            return;
        };
        let key = *key;
        let data = std::mem::take(&mut pending.held);
        self.requests.insert(id, Request::Decrypt(pending));
        self.out.push(Command::Decrypt {
            id,
            key,
            iv: key_ref.iv,
            data,
        });
    }

    pub(super) fn decrypted(&mut self, id: RequestId, data: Vec<u8>) {
        if let Some(Request::Decrypt(pending)) = self.requests.remove(&id) {
            self.fragment_complete(id, pending, data);
        }
    }

    pub(super) fn decrypt_failed(&mut self, id: RequestId, error: PlayerError) {
        if let Some(Request::Decrypt(pending)) = self.requests.remove(&id) {
            let error = PlayerError::Media(format!(
                "{} did not decrypt with its key: {error}",
                pending.fragment.url
            ));
            self.fragment_failed(
                pending.track,
                id,
                pending.fragment,
                pending.level,
                None,
                error,
            );
        }
    }

    /// Queues a fragment that was held whole; a TS segment goes to the transmuxer first
    /// ([`Command::Transmux`]) and is queued when its CMAF comes back ([`Engine::transmuxed`]).
    pub(super) fn queue_held(
        &mut self,
        id: RequestId,
        kind: TrackKind,
        fragment: &FragmentRef,
        new_timeline: bool,
        body: Vec<u8>,
    ) {
        if !fragment.is_ts() {
            self.queue_fragment(kind, fragment, new_timeline, body);
            return;
        }
        if body.starts_with(b"ID3") {
            self.fail(&PlayerError::Unsupported {
                what: "packed audio segments (AAC or MP3 with ID3 timestamps)".into(),
            });
            return;
        }
        let Some(track) = self.track_mut(kind) else {
            return;
        };
        let reset = std::mem::take(&mut track.transmux_reset);
        self.requests.insert(
            id,
            Request::Transmux {
                track: kind,
                fragment: fragment.clone(),
                new_timeline,
            },
        );
        self.out.push(Command::Transmux {
            id,
            track: kind,
            reset,
            discontinuity: new_timeline,
            data: body,
        });
    }

    /// Queues a fragment's media, and for a new timeline a `timestampOffset` that continues the
    /// buffer's.
    fn queue_fragment(
        &mut self,
        kind: TrackKind,
        fragment: &FragmentRef,
        new_timeline: bool,
        body: Vec<u8>,
    ) {
        let max_gap = self.config.max_gap_secs;
        let Some(track) = self.track_mut(kind) else {
            return;
        };
        let start = (new_timeline || fragment.position.part == 0)
            .then(|| track.media_start_secs(&body))
            .flatten();
        if new_timeline {
            // A discontinuity: continue the buffer's timeline when the new one jumps.
            if let (Some(start), Some(end)) = (start, track.buffered_end()) {
                let shown = start + track.offset;
                if (shown - end).abs() > max_gap {
                    track.offset = end - start;
                    let offset = track.offset;
                    track.queue.open(SlotKind::Offset(offset));
                }
            }
        }
        track.note_start(fragment.position, start);
        let slot = track.queue.open(SlotKind::Media {
            position: fragment.position,
            duration: fragment.duration,
        });
        track.queue.push(slot, body);
        track.queue.complete(slot);
    }

    /// The transmuxer's answer for TS segment `id`: its init queued ahead of its fragments when it
    /// is new, then its media; a segment that gave nothing is reported (the gap controller jumps
    /// the hole) and one that is not TS at all, first of its track, fails playback.
    pub(super) fn transmuxed(&mut self, id: RequestId, data: &[u8]) {
        let Some(Request::Transmux {
            track: kind,
            fragment,
            new_timeline,
        }) = self.requests.remove(&id)
        else {
            return;
        };
        let chunks = match wire::decode(data) {
            Ok(WireResult::Chunks(chunks)) => chunks,
            Ok(WireResult::Failed { not_ts, message }) => {
                let first = self.track(kind).is_some_and(|t| !t.appended_media);
                let error = PlayerError::Media(format!("{}: {message}", fragment.url));
                if not_ts && first {
                    // The first segment is not TS either: this is not a stream we can play.
                    self.fail(&error);
                } else {
                    self.notify(Notice::Error {
                        kind: error.kind(),
                        message: format!("{error}; skipped"),
                        fatal: false,
                    });
                    self.after_transmux(kind);
                }
                return;
            }
            Err(e) => {
                self.fail(&PlayerError::Media(e.to_string()));
                return;
            }
        };
        let mut media = Vec::new();
        for chunk in chunks {
            match chunk {
                WireChunk::Init { codecs, bytes } => {
                    let Some(track) = self.track_mut(kind) else {
                        return;
                    };
                    // What the data says wins over the playlist's CODECS.
                    track.set_codecs(codecs);
                    let slot = track.queue.open(SlotKind::Init(TS_INIT.into()));
                    track.queue.push(slot, bytes.clone());
                    track.queue.complete(slot);
                    track.init = Some((TS_INIT.into(), bytes));
                    self.maybe_create_buffers();
                }
                WireChunk::Fragment(bytes) => media.extend_from_slice(&bytes),
            }
        }
        if media.is_empty() {
            self.notify(Notice::Error {
                kind: ErrorKind::Media,
                message: format!("{}: no media in the segment; skipped", fragment.url),
                fatal: false,
            });
        } else {
            self.queue_fragment(kind, &fragment, new_timeline, media);
        }
        self.after_transmux(kind);
    }

    /// The transmuxer could not run at all: TS cannot play here.
    pub(super) fn transmux_failed(&mut self, id: RequestId, error: &PlayerError) {
        if self.requests.remove(&id).is_some() {
            self.fail(&PlayerError::Unsupported {
                what: format!("MPEG-TS segments: the transmuxer did not start ({error})"),
            });
        }
    }

    fn after_transmux(&mut self, kind: TrackKind) {
        self.pump(kind);
        self.maybe_end_of_stream();
        self.load_next(kind);
    }
}
