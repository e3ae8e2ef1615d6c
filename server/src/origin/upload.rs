//! Uploads, both ways in: the broadcaster's init segments, segments and parts, each named by its msn
//! ([`Origin::put_segment`], [`Origin::put_part`]), and a standard encoder's pushed files, each new segment
//! the rendition's next msn in arrival order ([`Origin::ingest_segment`]). Both go through the same
//! validation ([`crate::live::rendition`]), after the same preamble ([`check_upload`]), and take effect in
//! the order [`super`] describes: checked, then stored, then published.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tokio::sync::MutexGuard;
use tokio::time::Instant;

use super::Origin;
use crate::digest::digest;
use crate::error::{AppError, AppResult};
use crate::live::{
    AcceptedSegment, ArrivalGuard, InitCheck, LiveStream, PartCheck, Rendition, SegmentCheck,
    SegmentInfo, StreamState, UploadRefused,
};
use crate::names::{numbered_file_name, RenditionName, StreamId};
use crate::store::StreamStatus;
use crate::time::now_unix_secs;

/// What a segment upload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentStored {
    /// A new segment was stored (201).
    New,
    /// The same bytes were already stored under this msn (200).
    Duplicate,
}

/// Who sends an init segment, which decides what a repeated one means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitSource {
    /// The broadcaster's upload API: a repeated init is a retry; a different one after segments is a
    /// codec change (409).
    Broadcaster,
    /// A standard encoder pushing HLS: it sends its init once per run, so an init for a rendition that
    /// has segments means the encoder restarted: the next segment starts a new period.
    EncoderRun,
    /// The origin's transcoder ([`crate::transcode`]), for a rung: each of its runs sends an init, and
    /// one describing the same tracks as the stored one keeps it and the timeline goes on (the run
    /// starts where the last one stopped); anything else is a codec change.
    Transcoder,
}

/// How long a pushed segment waits for what must come before it (its init segment, or the file before
/// it by the number in its name) before it goes on as the rendition's next msn.
pub const INGEST_REORDER_WAIT: Duration = Duration::from_secs(2);

impl Origin {
    /// Stores a rendition's init segment (or accepts an identical one again); see [`InitSource`].
    pub async fn put_init(
        &self,
        stream: &LiveStream,
        rendition: &RenditionName,
        data: Bytes,
        source: InitSource,
    ) -> AppResult<()> {
        let _guard = stream.lock_ingest().await;
        let (id, check, has_segments) = {
            let state = stream.read();
            refuse_if_ended(&state)?;
            let existing = state.renditions.get(rendition);
            let check = match (existing, source) {
                (Some(existing), InitSource::Broadcaster) => existing.check_init(&data)?,
                (Some(existing), InitSource::EncoderRun | InitSource::Transcoder) => {
                    existing.check_run_init(&data)?
                }
                (None, _) => Rendition::default().check_init(&data)?,
            };
            let has_segments = existing.is_some_and(|r| !r.segments().is_empty());
            (state.record.id.clone(), check, has_segments)
        };
        if let InitCheck::Store(parsed) = check {
            let stored_at = SystemTime::now();
            self.files
                .write_init(&id, rendition, data.clone(), stored_at)
                .await?;
            stream.change(|state| {
                state
                    .renditions
                    .entry(rendition.clone())
                    .or_default()
                    .apply_init(parsed, data, stored_at);
            });
            tracing::info!(stream = %id, %rendition, "stored init segment");
        }
        let mut state = stream.write();
        if source == InitSource::EncoderRun && has_segments {
            if let Some(existing) = state.renditions.get_mut(rendition) {
                existing.start_period();
                tracing::info!(stream = %id, %rendition, "encoder restarted: a new period begins");
            }
        }
        state.last_activity = Instant::now();
        Ok(())
    }

    /// Validates and stores media segment `msn` of a rendition (the broadcaster's upload API).
    pub async fn put_segment(
        &self,
        stream: &LiveStream,
        rendition: &RenditionName,
        msn: u64,
        data: Bytes,
    ) -> AppResult<SegmentStored> {
        let upload = check_upload(
            stream,
            rendition,
            || UploadRefused::NoInit,
            |existing, received_at| existing.check_segment(msn, &data, &self.limits, received_at),
        )
        .await?;
        let accepted = match upload.outcome {
            SegmentCheck::PossibleRetry { msn } => {
                match self.files.read_segment(&upload.id, rendition, msn).await? {
                    Some(stored) if stored == data => {}
                    Some(_) => return Err(UploadRefused::SegmentExists { msn }.into()),
                    None => {
                        // Known but gone from disk: the retry brings the same bytes back.
                        tracing::warn!(stream = %upload.id, %rendition, msn, "restoring a missing segment file");
                        let received_at = existing_received_at(stream, rendition, msn);
                        self.files
                            .write_segment(&upload.id, rendition, msn, data, received_at)
                            .await?;
                    }
                }
                stream.write().last_activity = Instant::now();
                return Ok(SegmentStored::Duplicate);
            }
            SegmentCheck::New(accepted) => accepted,
        };
        self.store_segment(
            stream,
            (&upload.id, upload.status),
            rendition,
            accepted,
            data,
            None,
        )
        .await?;
        Ok(SegmentStored::New)
    }

    /// Validates and stores a media segment pushed by a standard encoder as `file_name`: it becomes the
    /// rendition's next msn. The same file with the same bytes again is a retry, stored once.
    pub async fn ingest_segment(
        &self,
        stream: &LiveStream,
        rendition: &RenditionName,
        file_name: &str,
        data: Bytes,
    ) -> AppResult<(u64, SegmentStored)> {
        self.await_previous_file(stream, rendition, file_name).await;
        let no_init = || UploadRefused::NoPushedInit {
            rendition: rendition.to_string(),
        };
        let upload = check_upload(stream, rendition, no_init, |existing, received_at| {
            let retry_of = existing.last_ingest(file_name).filter(|&msn| {
                existing
                    .segment(msn)
                    .is_some_and(|s| s.digest == digest(&data))
            });
            match retry_of {
                Some(msn) => Ok(Err(msn)),
                None => existing
                    .check_segment(existing.next_msn(), &data, &self.limits, received_at)
                    .map(Ok),
            }
        })
        .await?;
        let accepted = match upload.outcome {
            Err(retry_of) => {
                stream.write().last_activity = Instant::now();
                return Ok((retry_of, SegmentStored::Duplicate));
            }
            Ok(SegmentCheck::New(accepted)) => accepted,
            Ok(SegmentCheck::PossibleRetry { .. }) => {
                return Err(AppError::Internal(
                    "the next msn of an ingest already exists".into(),
                ))
            }
        };
        let msn = accepted.info.msn;
        self.store_segment(
            stream,
            (&upload.id, upload.status),
            rendition,
            accepted,
            data,
            Some(file_name),
        )
        .await?;
        Ok((msn, SegmentStored::New))
    }

    /// Numbers are assigned in arrival order, but an encoder's uploads may overlap: at its end ffmpeg
    /// finishes `index8.m4s` (one frame) before `index7.m4s`, which then came second and was refused for
    /// going back in time; at its start a first segment can overtake its init segment or the segment
    /// before it. So a pushed segment waits, for at most [`INGEST_REORDER_WAIT`], while its rendition
    /// has no init segment yet, or its name's number skips ahead of the last file pushed (same prefix),
    /// or, as the rendition's first segment, its number is not 0 (ffmpeg counts from 0).
    async fn await_previous_file(
        &self,
        stream: &LiveStream,
        rendition: &RenditionName,
        file_name: &str,
    ) {
        let numbered = numbered_file_name(file_name);
        let ahead = |state: &StreamState| {
            let Some(r) = state
                .renditions
                .get(rendition)
                .filter(|r| r.init().is_some())
            else {
                return true;
            };
            let Some((prefix, number)) = numbered else {
                return false;
            };
            match r.last_ingest_file().and_then(numbered_file_name) {
                Some((p, last)) => p == prefix && number > last.saturating_add(1),
                // After a restart the last file's name is not known, but there are segments.
                None => number > 0 && r.segments().is_empty(),
            }
        };
        self.hold_push(stream, Instant::now() + INGEST_REORDER_WAIT, ahead)
            .await;
    }

    /// Writes an accepted segment (its period mark first, then its file), marks the stream live on its
    /// first segment, then applies it to the live state, with the name of the file it was pushed as
    /// (`ingest_file`, through `/ingest`: an upload waiting for it, [`Origin::await_previous_file`], wakes
    /// on this same change). The caller holds the ingest lock.
    async fn store_segment(
        &self,
        stream: &LiveStream,
        (id, status): (&StreamId, StreamStatus),
        rendition: &RenditionName,
        accepted: AcceptedSegment,
        data: Bytes,
        ingest_file: Option<&str>,
    ) -> AppResult<()> {
        let msn = accepted.info.msn;
        self.persist_segment(id, rendition, &accepted.info, data.clone())
            .await?;
        self.publish(stream, id, status, |state| {
            let r = state.renditions.entry(rendition.clone()).or_default();
            r.apply_segment(accepted);
            if let Some(file_name) = ingest_file {
                r.set_last_ingest(file_name.to_owned(), msn);
            }
        })
        .await?;
        self.after_segment(stream, rendition, &data);
        self.request_transcode(stream, rendition);
        Ok(())
    }

    /// Publishes an accepted upload that is stored: marks the stream live on its first one (in the
    /// database first), then applies it with `apply` in one change of the live state, which wakes the
    /// waiting viewers.
    async fn publish(
        &self,
        stream: &LiveStream,
        id: &StreamId,
        status: StreamStatus,
        apply: impl FnOnce(&mut StreamState),
    ) -> AppResult<()> {
        let started_at = self.mark_live_if_new(id, status).await?;
        stream.change(|state| {
            set_live(state, started_at);
            apply(state);
            state.last_activity = Instant::now();
            state.changed_at = state.changed_at.max(SystemTime::now());
        });
        Ok(())
    }

    /// Writes a segment to storage: its period mark first, then its file.
    pub(super) async fn persist_segment(
        &self,
        id: &StreamId,
        rendition: &RenditionName,
        info: &SegmentInfo,
        data: Bytes,
    ) -> AppResult<()> {
        if info.discontinuity {
            self.db
                .insert_discontinuity(id, rendition.as_str(), info.msn)
                .await?;
            tracing::info!(stream = %id, %rendition, msn = info.msn, "segment starts a new period");
        }
        self.files
            .write_segment(id, rendition, info.msn, data.clone(), info.received_at)
            .await?;
        // Live viewers ask for it next.
        self.hot
            .insert((id.clone(), rendition.clone(), info.msn), data);
        Ok(())
    }

    /// Marks a stream that was only created as live (in the database); returns its start time then.
    async fn mark_live_if_new(
        &self,
        id: &StreamId,
        status: StreamStatus,
    ) -> AppResult<Option<i64>> {
        if status != StreamStatus::Created {
            return Ok(None);
        }
        let now = now_unix_secs();
        self.db.mark_live(id, now).await?;
        tracing::info!(stream = %id, "stream is live");
        Ok(Some(now))
    }

    /// Validates and stores Low-Latency HLS part `index` of segment `msn` of a rendition (the
    /// broadcaster's upload API). A part that starts the next segment completes the open one, which is
    /// written to storage before the part is published.
    pub async fn put_part(
        &self,
        stream: &LiveStream,
        rendition: &RenditionName,
        msn: u64,
        index: u32,
        part_target: f64,
        data: Bytes,
    ) -> AppResult<SegmentStored> {
        let upload = check_upload(
            stream,
            rendition,
            || UploadRefused::NoInit,
            |existing, received_at| {
                existing.check_part(msn, index, part_target, &data, &self.limits, received_at)
            },
        )
        .await?;
        let accepted = match upload.outcome {
            PartCheck::Duplicate => {
                stream.write().last_activity = Instant::now();
                return Ok(SegmentStored::Duplicate);
            }
            PartCheck::New(accepted) => accepted,
        };
        if let Some(closed) = &accepted.closes {
            self.persist_segment(&upload.id, rendition, &closed.info, closed.data.clone())
                .await?;
        }
        // The part itself, so that a restart resumes the open segment where it was.
        if accepted.discontinuity {
            self.db
                .insert_discontinuity(&upload.id, rendition.as_str(), msn)
                .await?;
        }
        self.files
            .write_part(
                &upload.id,
                rendition,
                (msn, index),
                part_target,
                accepted.part.data.clone(),
                upload.received_at,
            )
            .await?;
        // The segment this part completes, for its picture once the part is published.
        let closed = accepted.closes.as_ref().map(|c| c.data.clone());
        if accepted.part.duration_secs > part_target + 0.001 {
            tracing::warn!(
                stream = %upload.id, %rendition, msn, index, duration = accepted.part.duration_secs,
                part_target, "part is longer than the part target"
            );
        }
        self.publish(stream, &upload.id, upload.status, |state| {
            if let Some(existing) = state.renditions.get_mut(rendition) {
                existing.apply_part(*accepted);
            }
        })
        .await?;
        self.request_transcode(stream, rendition);
        if let Some(closed) = &closed {
            self.after_segment(stream, rendition, closed);
            self.files
                .remove_parts_before(&upload.id, rendition, msn)
                .await;
        }
        Ok(SegmentStored::New)
    }

    /// Asks the transcoder to look at a stream whose source rendition got media ([`crate::transcode`]).
    fn request_transcode(&self, stream: &LiveStream, rendition: &RenditionName) {
        if !rendition.is_transcoded() {
            self.transcoders.request(&stream.read().record.id);
        }
    }

    /// Gives a transcoded rung's segment `msn` the period of its source's segment `msn` (a new one
    /// exactly where the source's starts one), before the rung's segment (or its first part) is
    /// uploaded ([`crate::transcode`]).
    pub(crate) fn align_transcoded_period(
        &self,
        stream: &LiveStream,
        source: &RenditionName,
        rung: &RenditionName,
        msn: u64,
    ) {
        let mut state = stream.write();
        let Some(source) = state.renditions.get(source) else {
            return;
        };
        let discontinuity = match source.segment(msn) {
            Some(segment) => segment.discontinuity,
            None => source
                .open_segment()
                .is_some_and(|o| o.msn == msn && o.discontinuity),
        };
        if let Some(r) = state.renditions.get_mut(rung) {
            r.set_new_period(discontinuity);
        }
    }

    /// Registers the upload of part `index` of segment `msn` as arriving, so that the viewers waiting for
    /// it get its bytes while they arrive ([`crate::live::arrival`]): only for the part the playlist's
    /// preload hint names (or the first part of the next segment), while the stream is live and no other
    /// upload of it is arriving. `None` means the upload is simply read whole.
    pub fn begin_part_arrival(
        &self,
        stream: &Arc<LiveStream>,
        rendition: &RenditionName,
        msn: u64,
        index: u32,
    ) -> Option<ArrivalGuard> {
        {
            let state = stream.read();
            let r = state.renditions.get(rendition)?;
            if state.record.status == StreamStatus::Ended
                || r.part_target().is_none()
                || !is_next_part(r, msn, index)
            {
                return None;
            }
        }
        stream.begin_arrival((rendition.clone(), msn, index))
    }
}

/// A media upload that passed the preamble every one of them starts with ([`check_upload`]). The stream's
/// ingest lock is held as long as it lives.
struct Checked<'a, T> {
    /// The ingest lock.
    _ingest: MutexGuard<'a, ()>,
    /// The stream's id.
    id: StreamId,
    /// The stream's status when the upload was checked.
    status: StreamStatus,
    /// When the upload was received (once the lock was taken).
    received_at: SystemTime,
    /// What the rendition's rules say about it.
    outcome: T,
}

/// The preamble of every media upload (segment, pushed segment, part): takes the stream's ingest lock,
/// refuses an upload to an ended stream (409) or to a rendition without an init segment (`no_init`),
/// and decides on it with `check`, given the rendition and the time the upload is received.
async fn check_upload<'a, T>(
    stream: &'a LiveStream,
    rendition: &RenditionName,
    no_init: impl FnOnce() -> UploadRefused,
    check: impl FnOnce(&Rendition, SystemTime) -> Result<T, UploadRefused>,
) -> AppResult<Checked<'a, T>> {
    let ingest = stream.lock_ingest().await;
    let received_at = SystemTime::now();
    let state = stream.read();
    refuse_if_ended(&state)?;
    let existing = state.renditions.get(rendition).ok_or_else(no_init)?;
    let outcome = check(existing, received_at)?;
    Ok(Checked {
        _ingest: ingest,
        id: state.record.id.clone(),
        status: state.record.status,
        received_at,
        outcome,
    })
}

/// Records a stream's start, if it just started.
fn set_live(state: &mut StreamState, started_at: Option<i64>) {
    if let Some(started_at) = started_at {
        state.record.status = StreamStatus::Live;
        state.record.started_at = Some(started_at);
    }
}

/// When segment `msn` of a rendition was first accepted (now, if it is unknown).
fn existing_received_at(stream: &LiveStream, rendition: &RenditionName, msn: u64) -> SystemTime {
    stream
        .read()
        .renditions
        .get(rendition)
        .and_then(|r| r.segment(msn))
        .map_or_else(SystemTime::now, |s| s.received_at)
}

/// True when part `index` of segment `msn` is the next part the rendition expects: the one after its
/// last part, or the first part of the segment after the open one.
fn is_next_part(rendition: &Rendition, msn: u64, index: u32) -> bool {
    let (next_msn, next_index) = rendition.next_part();
    (msn, index) == (next_msn, next_index)
        || (rendition.open_segment().is_some() && (msn, index) == (next_msn.saturating_add(1), 0))
}

fn refuse_if_ended(state: &StreamState) -> AppResult<()> {
    if state.record.status == StreamStatus::Ended {
        Err(AppError::conflict(
            "stream has ended; create a new stream to go live again",
        ))
    } else {
        Ok(())
    }
}
