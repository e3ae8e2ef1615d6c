//! Rendered playlists, kept per version of their stream: a [`RenderedPlaylist`] is the text and what its
//! answer needs, and [`Renderings`] keeps one rendering per playlist for the stream's current version, so
//! the thousands of waiters one part wakes share one rendering ([`crate::live::LiveStream::cached`]).
//! The playlists themselves are rendered by [`crate::playlist`], as pure functions of the state.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use bytes::Bytes;

use crate::digest::digest;
use crate::names::RenditionName;

/// A rendered playlist and what its answer needs. Cheap to clone: the text is shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedPlaylist {
    /// The playlist text.
    pub text: Bytes,
    /// Digest of the text ([`crate::digest`]), for the `ETag`.
    pub digest: u64,
    /// True once the stream has ended (the playlist will not change again).
    pub ended: bool,
    /// Its `EXT-X-TARGETDURATION` (for a multivariant playlist, the largest of its renditions').
    pub target_duration: u64,
    /// When the stream last changed.
    pub modified: SystemTime,
}

impl RenderedPlaylist {
    /// Wraps a playlist's text.
    pub fn new(text: String, ended: bool, target_duration: u64, modified: SystemTime) -> Self {
        let text = Bytes::from(text);
        Self {
            digest: digest(&text),
            text,
            ended,
            target_duration,
            modified,
        }
    }
}

/// Which rendering of a stream's playlists: `(rendition, file, delta update)`; the multivariant
/// playlists have no rendition.
pub type PlaylistKey = (Option<RenditionName>, &'static str, bool);

/// One stream's renderings, each with the version of the stream it was rendered at.
#[derive(Debug, Default)]
pub struct Renderings {
    rendered: Mutex<HashMap<PlaylistKey, (u64, RenderedPlaylist)>>,
}

impl Renderings {
    /// The playlist `key` rendered at `version`, rendering it with `render` the first time.
    pub fn get_or_render<E>(
        &self,
        key: PlaylistKey,
        version: u64,
        render: impl FnOnce() -> Result<RenderedPlaylist, E>,
    ) -> Result<RenderedPlaylist, E> {
        // Rendering under the lock: the waiters one part wakes at once then render it once.
        let mut cache = self.rendered.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((v, playlist)) = cache.get(&key) {
            if *v == version {
                return Ok(playlist.clone());
            }
        }
        let playlist = render()?;
        // Renderings of older versions are of no use any more.
        cache.retain(|_, (v, _)| *v == version);
        cache.insert(key, (version, playlist.clone()));
        Ok(playlist)
    }
}
