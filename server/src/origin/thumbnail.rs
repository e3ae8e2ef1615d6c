//! A stream's live thumbnail ([`crate::thumbnails`]): the broadcaster's snapshot taken
//! ([`Origin::put_thumbnail`]), a picture decoded after a new segment when none comes
//! ([`Origin::after_segment`]), and the current one served ([`Origin::thumbnail`]).

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use tokio::time::Instant;

use super::Origin;
use crate::error::{AppError, AppResult};
use crate::live::LiveStream;
use crate::names::{RenditionName, StreamId};
use crate::store::{MediaFiles, StreamStatus};
use crate::thumbnails::{check_jpeg, DecodeTurn, Source, Thumbnail, ThumbnailCounts, Thumbnails};

impl Origin {
    /// Takes the broadcaster's snapshot as the stream's picture: 400 unless it is a whole JPEG of a
    /// size a card shows, 409 once the stream has ended.
    pub async fn put_thumbnail(&self, stream: &LiveStream, data: Bytes) -> AppResult<()> {
        let id = {
            let state = stream.read();
            if state.record.status == StreamStatus::Ended {
                return Err(AppError::conflict(
                    "stream has ended; its last thumbnail stays",
                ));
            }
            state.record.id.clone()
        };
        let check = data.clone();
        tokio::task::spawn_blocking(move || check_jpeg(&check))
            .await
            .map_err(|e| AppError::Internal(format!("checking a thumbnail: {e}")))?
            .map_err(|refused| AppError::bad_request(format!("thumbnail refused: {refused}")))?;
        let taken_at = SystemTime::now();
        self.files
            .write_thumbnail(&id, data.clone(), taken_at)
            .await?;
        self.thumbnails.set(
            &id,
            Thumbnail::new(data, taken_at),
            Source::Snapshot,
            Instant::now(),
        );
        Ok(())
    }

    /// The stream's current picture, and whether the stream is over (its picture will not change):
    /// 404 for an unknown stream or one without a picture yet.
    pub fn thumbnail(&self, id: &StreamId) -> AppResult<(Thumbnail, bool)> {
        let ended = self.stream(id)?.read().record.status == StreamStatus::Ended;
        let picture = self
            .thumbnails
            .get(id)
            .ok_or_else(|| AppError::not_found(format!("thumbnail of stream {id}")))?;
        Ok((picture, ended))
    }

    /// How many pictures were made, and decodes failed.
    pub fn thumbnail_counts(&self) -> ThumbnailCounts {
        self.thumbnails.counts()
    }

    /// The stream's picture's version, for the URL that names it.
    pub fn thumbnail_version(&self, id: &StreamId) -> Option<u128> {
        self.thumbnails.get(id).map(|t| t.version())
    }

    /// After a new segment of a video rendition: if the stream's picture is due to be decoded and the
    /// decoder is free, decodes it in the background from this segment.
    pub(super) fn after_segment(
        &self,
        stream: &LiveStream,
        rendition: &RenditionName,
        data: &Bytes,
    ) {
        let (id, init) = {
            let state = stream.read();
            let Some(init) = state
                .renditions
                .get(rendition)
                .and_then(|r| r.init())
                .filter(|i| i.parsed.video().is_some())
            else {
                return;
            };
            (state.record.id.clone(), init.bytes.clone())
        };
        let Some(turn) = self.thumbnails.claim_decode(&id, Instant::now()) else {
            return;
        };
        tokio::spawn(decode_picture(
            turn,
            Arc::clone(&self.thumbnails),
            self.files.clone(),
            id,
            (init, data.clone()),
        ));
    }

    /// Loads the pictures kept on disk (start-up). Blocking.
    pub(super) fn reload_thumbnail(&self, id: &StreamId) {
        match self.files.read_thumbnail(id) {
            Ok(Some((data, taken_at))) => {
                let data = Bytes::from(data);
                if check_jpeg(&data).is_ok() {
                    self.thumbnails.set(
                        id,
                        Thumbnail::new(data, taken_at),
                        Source::Stored,
                        Instant::now(),
                    );
                } else {
                    tracing::warn!(stream = %id, "ignoring a thumbnail file that does not decode");
                }
            }
            Ok(None) => {}
            Err(err) => tracing::warn!(stream = %id, error = %err, "cannot read the thumbnail"),
        }
    }
}

/// Decodes a picture from `init` + `segment`, checks it and keeps it; a failure is logged, and the next
/// turn tries again.
async fn decode_picture(
    turn: DecodeTurn,
    thumbnails: Arc<Thumbnails>,
    files: MediaFiles,
    id: StreamId,
    (init, segment): (Bytes, Bytes),
) {
    let started = std::time::Instant::now();
    let jpeg = match turn.decoder.decode(&init, &segment).await {
        Ok(jpeg) => jpeg,
        Err(err) => {
            thumbnails.note_failure();
            tracing::warn!(stream = %id, error = %err, "no thumbnail decoded");
            return;
        }
    };
    let check = jpeg.clone();
    match tokio::task::spawn_blocking(move || check_jpeg(&check)).await {
        Ok(Ok(_)) => {}
        Ok(Err(refused)) => {
            thumbnails.note_failure();
            tracing::warn!(stream = %id, error = %refused, "ffmpeg made a thumbnail that does not decode");
            return;
        }
        Err(err) => {
            tracing::warn!(stream = %id, error = %err, "checking a thumbnail failed");
            return;
        }
    }
    let taken_at = SystemTime::now();
    if let Err(err) = files.write_thumbnail(&id, jpeg.clone(), taken_at).await {
        tracing::warn!(stream = %id, error = %err, "cannot store the thumbnail");
        return;
    }
    thumbnails.set(
        &id,
        Thumbnail::new(jpeg, taken_at),
        Source::Decoded,
        Instant::now(),
    );
    tracing::debug!(stream = %id, ms = started.elapsed().as_millis() as u64, "thumbnail decoded");
}
