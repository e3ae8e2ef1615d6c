//! Playback: the playlists (multivariant and media, live and recording, blocking reloads), init
//! segments, segments and parts, as the handlers of [`crate::routes::playback`] serve them.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use onair_protocol::paths;

use super::Origin;
use crate::error::{AppError, AppResult};
use crate::live::{RenderedPlaylist, Rendition, StreamState};
use crate::names::{RenditionName, StreamId};
use crate::playlist;
use crate::store::StreamStatus;

/// Which playlist of a stream or rendition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaylistKind {
    /// `index.m3u8`: the live window (final, with `EXT-X-ENDLIST`, once the stream ends).
    Live,
    /// `recording.m3u8`: every segment, VOD, once the stream has ended.
    Recording,
}

impl PlaylistKind {
    /// The file name of this kind of playlist.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Live => onair_protocol::LIVE_PLAYLIST_FILE,
            Self::Recording => onair_protocol::RECORDING_PLAYLIST_FILE,
        }
    }
}

/// Stored media bytes and their validators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMedia {
    /// The bytes.
    pub bytes: Bytes,
    /// Their digest ([`crate::digest`]).
    pub digest: u64,
    /// When they were stored.
    pub modified: SystemTime,
}

/// A part, as [`Origin::media_part`] answers it.
#[derive(Debug)]
pub enum PartMedia {
    /// Complete and validated.
    Stored(StoredMedia),
    /// Its upload is arriving: stream it with [`crate::live::Arrival::reader`].
    Arriving(Arc<crate::live::Arrival>),
}

/// Delivery directives of a playlist request (RFC 8216bis 6.2.5): `_HLS_msn`, `_HLS_part`, `_HLS_skip`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Directives {
    /// `_HLS_msn`: block until this segment is in the playlist.
    pub msn: Option<u64>,
    /// `_HLS_part`: with `msn`, block until this part of it is.
    pub part: Option<u32>,
    /// `_HLS_skip=YES` (or `v2`): a delta update.
    pub skip: bool,
}

impl Origin {
    /// The stream's multivariant playlist of this kind: 404 until a rendition has its first segment,
    /// and for a recording until the stream has ended.
    pub fn multivariant_playlist(
        &self,
        id: &StreamId,
        kind: PlaylistKind,
    ) -> AppResult<RenderedPlaylist> {
        let stream = self.stream(id)?;
        let state = stream.read();
        let ended = state.record.status == StreamStatus::Ended;
        if kind == PlaylistKind::Recording && !ended {
            return Err(recording_not_ready(id));
        }
        if kind == PlaylistKind::Live && !ended && self.starting(&state) {
            return Err(AppError::not_found(format!(
                "playlist of stream {id} (starting: not every rendition has its first segment yet)"
            )));
        }
        stream.cached((None, kind.file_name(), false), state.version, || {
            // Live viewers' players report to the beacon endpoint the playlist names.
            let beacons = (kind == PlaylistKind::Live).then(|| paths::beacons(id.as_str()));
            let text = playlist::multivariant_with(
                &state.renditions,
                kind.file_name(),
                beacons,
                !state.rungs_stopped,
            )
            .ok_or_else(|| AppError::not_found(format!("playlist of stream {id} (not started)")))?;
            let target_duration = state
                .renditions
                .values()
                .map(|r| playlist::target_duration(r.segments()))
                .max()
                .unwrap_or(1);
            Ok(RenderedPlaylist::new(
                text,
                ended,
                target_duration,
                state.changed_at,
            ))
        })
    }

    /// True while a stream is starting: some rendition has its first segment, another has an init
    /// segment and no segment yet (or the transcoder is starting rungs), and the first segment is
    /// younger than [`Settings::start_grace`].
    fn starting(&self, state: &StreamState) -> bool {
        let waiting = state.rungs_pending
            || state
                .renditions
                .values()
                .any(|r| r.init().is_some() && r.segments().is_empty());
        let first = state
            .renditions
            .values()
            .filter_map(|r| r.segments().first())
            .map(|s| s.received_at)
            .min();
        waiting
            && first.is_some_and(|t| t.elapsed().is_ok_and(|age| age < self.settings.start_grace))
    }

    /// A rendition's media playlist of this kind; 404 until its first segment, and for a recording until
    /// the stream has ended.
    ///
    /// With a blocking reload's `_HLS_msn` (and `_HLS_part`) it answers once the playlist holds that
    /// segment (part), at once if it does already or the stream has ended; a request more than two
    /// segments (or three part targets' worth of parts) past the live edge is a 400, and one not
    /// satisfied within [`BLOCKING_TARGET_DURATIONS`](super::BLOCKING_TARGET_DURATIONS) target durations a 503 (RFC 8216bis 6.2.5.2).
    pub async fn media_playlist(
        &self,
        id: &StreamId,
        rendition: &RenditionName,
        kind: PlaylistKind,
        directives: Directives,
    ) -> AppResult<RenderedPlaylist> {
        let stream = self.stream(id)?;
        if let (Some(msn), PlaylistKind::Live) = (directives.msn, kind) {
            let part = directives.part;
            self.wait_for(
                &stream,
                || format!("segment {msn} part {part:?}"),
                |state| {
                    let r = live_rendition(state, rendition)?;
                    if state.record.status == StreamStatus::Ended || r.has_reached(msn, part) {
                        return Ok(true);
                    }
                    check_not_too_far(r, msn, part)?;
                    Ok(false)
                },
            )
            .await?;
        }
        let state = stream.read();
        let ended = state.record.status == StreamStatus::Ended;
        if kind == PlaylistKind::Recording && !ended {
            return Err(recording_not_ready(id));
        }
        let delta = directives.skip && kind == PlaylistKind::Live;
        let key = (Some(rendition.clone()), kind.file_name(), delta);
        stream.cached(key, state.version, || {
            let not_started =
                || AppError::not_found(format!("playlist of rendition {rendition} (not started)"));
            let r = state.renditions.get(rendition).ok_or_else(not_started)?;
            let playlist = match kind {
                PlaylistKind::Live => {
                    let reports = state
                        .renditions
                        .iter()
                        .filter(|(name, _)| *name != rendition)
                        .filter_map(|(name, other)| playlist::rendition_report(name, other))
                        .collect();
                    playlist::media_playlist(r, ended, self.settings.live_window, delta, reports)
                }
                PlaylistKind::Recording => playlist::recording_playlist(r),
            }
            .ok_or_else(not_started)?;
            Ok(RenderedPlaylist::new(
                playlist.render(),
                ended,
                playlist.target_duration,
                state.changed_at,
            ))
        })
    }

    /// Part `index` of segment `msn` of a rendition. The part `EXT-X-PRELOAD-HINT` names (or the first
    /// part of the segment after it) is awaited: answered the moment its upload starts to arrive (with
    /// `progressive`: as [`PartMedia::Arriving`], to be streamed) or once it is complete, 404 if its
    /// segment ends without it, 503 when it takes longer than [`BLOCKING_TARGET_DURATIONS`](super::BLOCKING_TARGET_DURATIONS) target
    /// durations. Parts no longer kept, or further ahead, are 404 at once.
    pub async fn media_part(
        &self,
        id: &StreamId,
        rendition: &RenditionName,
        msn: u64,
        index: u32,
        progressive: bool,
    ) -> AppResult<PartMedia> {
        let stream = self.stream(id)?;
        let key = (rendition.clone(), msn, index);
        let not_found =
            || AppError::not_found(format!("part {msn}.{index} of rendition {rendition}"));
        let lookup = |state: &StreamState| -> AppResult<Option<PartMedia>> {
            let r = state.renditions.get(rendition).ok_or_else(not_found)?;
            if let Some(part) = r.part(msn, index) {
                return Ok(Some(PartMedia::Stored(StoredMedia {
                    bytes: part.data.clone(),
                    digest: part.digest,
                    modified: part.received_at,
                })));
            }
            if progressive {
                if let Some(arrival) = stream.arrival(&key) {
                    return Ok(Some(PartMedia::Arriving(arrival)));
                }
            }
            let (next_msn, next_index) = r.next_part();
            let awaited = r.part_target().is_some()
                && state.record.status != StreamStatus::Ended
                && ((msn == next_msn && index >= next_index && index <= next_index + 1)
                    || (msn == next_msn.saturating_add(1) && index == 0));
            if awaited {
                Ok(None)
            } else {
                Err(not_found())
            }
        };
        let mut found = None;
        self.wait_until(
            &stream,
            progressive,
            || format!("part {msn}.{index}"),
            |state| {
                found = lookup(state)?;
                Ok(found.is_some())
            },
        )
        .await?;
        found.ok_or_else(not_found)
    }

    /// A rendition's init segment, once the rendition has a segment (from then on its bytes are final).
    pub fn init_segment(&self, id: &StreamId, rendition: &RenditionName) -> AppResult<StoredMedia> {
        let stream = self.stream(id)?;
        let state = stream.read();
        state
            .renditions
            .get(rendition)
            .filter(|r| !r.segments().is_empty())
            .and_then(Rendition::init)
            .map(|init| StoredMedia {
                bytes: init.bytes.clone(),
                digest: init.digest,
                modified: init.stored_at,
            })
            .ok_or_else(|| AppError::not_found(format!("init segment of rendition {rendition}")))
    }

    /// An accepted media segment: from memory when viewers asked for it lately (or it is new), else read
    /// from disk (and then kept in memory, [`crate::store::hot`]).
    pub async fn media_segment(
        &self,
        id: &StreamId,
        rendition: &RenditionName,
        msn: u64,
    ) -> AppResult<StoredMedia> {
        let not_found = || AppError::not_found(format!("segment {msn} of rendition {rendition}"));
        let known = {
            let stream = self.stream(id)?;
            let state = stream.read();
            state
                .renditions
                .get(rendition)
                .and_then(|r| r.segment(msn))
                .map(|s| (s.digest, s.received_at))
        };
        let Some((digest, modified)) = known else {
            return Err(not_found());
        };
        let key = (id.clone(), rendition.clone(), msn);
        let bytes = match self.hot.get(&key) {
            Some(bytes) => bytes,
            None => {
                let bytes = self
                    .files
                    .read_segment(id, rendition, msn)
                    .await?
                    .ok_or_else(not_found)?;
                self.hot.insert(key, bytes.clone());
                bytes
            }
        };
        Ok(StoredMedia {
            bytes,
            digest,
            modified,
        })
    }
}

/// A rendition's live state for a blocking request: 404 until it has a segment.
fn live_rendition<'a>(
    state: &'a StreamState,
    rendition: &RenditionName,
) -> AppResult<&'a Rendition> {
    state
        .renditions
        .get(rendition)
        .filter(|r| r.last_complete_msn().is_some())
        .ok_or_else(|| {
            AppError::not_found(format!("playlist of rendition {rendition} (not started)"))
        })
}

/// The 400 of a blocking request too far ahead: "If the _HLS_msn is greater than the Media Sequence
/// Number of the last Media Segment in the current Playlist plus two, or if the _HLS_part exceeds the
/// last Partial Segment in the current Playlist by the Advance Part Limit, then the server SHOULD
/// immediately return Bad Request" (RFC 8216bis 6.2.5.2). The Advance Part Limit is three part
/// targets' worth of parts.
fn check_not_too_far(rendition: &Rendition, msn: u64, part: Option<u32>) -> AppResult<()> {
    let edge = rendition.edge_msn().unwrap_or(0);
    if msn > edge.saturating_add(2) {
        return Err(AppError::bad_request(format!(
            "_HLS_msn={msn} is more than two segments past the last one in the playlist ({edge})"
        )));
    }
    if let (Some(part), Some(target), Some((last_msn, last_part))) =
        (part, rendition.part_target(), rendition.last_part())
    {
        let limit = if target < 1.0 {
            (3.0 / target).ceil() as u32
        } else {
            3
        };
        if msn == last_msn && part > last_part.saturating_add(limit) {
            return Err(AppError::bad_request(format!(
                "_HLS_part={part} is more than {limit} parts past the last part of segment {msn} ({last_part})"
            )));
        }
    }
    Ok(())
}

fn recording_not_ready(id: &StreamId) -> AppError {
    AppError::not_found(format!(
        "recording of stream {id} (it is available once the stream has ended)"
    ))
}
