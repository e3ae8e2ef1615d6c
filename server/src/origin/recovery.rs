//! Start-up recovery: every stream rebuilt from the database and its files with the upload rules, live
//! streams continuing in a new period, and the segment a rendition was uploading in parts resumed from
//! its part files.
//!
//! Restarts: a stream that was live when the server stopped stays live; each of its renditions starts a
//! new period, so the encoder that comes back continues after an `EXT-X-DISCONTINUITY` with the next msn
//! (if none comes back, the idle timeout ends the stream). Which segments start periods is kept in the
//! database, so a reload rebuilds exactly the playlists that were served.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tokio::time::Instant;

use super::Origin;
use crate::live::{InitCheck, LiveStream, PartCheck, Rendition, SegmentCheck, StreamState};
use crate::names::{RenditionName, StreamId};
use crate::store::StreamStatus;

impl Origin {
    pub(super) fn reload(&self) -> anyhow::Result<()> {
        let records = self.db.load_all()?;
        let mut segments = 0;
        let mut resumable = 0;
        for (record, secrets) in records {
            let marks = self.db.discontinuities(&record.id)?;
            let mut renditions = self.reload_renditions(&record.id, &marks);
            segments += renditions
                .values()
                .map(|r| r.segments().len())
                .sum::<usize>();
            if record.status == StreamStatus::Live {
                // Whatever its encoder sends next follows a gap: a new period. A rendition whose
                // segment was being uploaded in parts resumes that segment instead; its next parts are
                // held to the same rules (time never goes back) as before the restart.
                renditions
                    .values_mut()
                    .filter(|r| r.open_segment().is_none())
                    .for_each(Rendition::start_period);
                resumable += 1;
            }
            let ended_at = record
                .ended_at
                .and_then(|secs| u64::try_from(secs).ok())
                .map(|secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
            let changed_at = renditions
                .values()
                .filter_map(Rendition::changed_at)
                .chain(ended_at)
                .max()
                .unwrap_or_else(SystemTime::now);
            let id = record.id.clone();
            self.reload_thumbnail(&id);
            let state = StreamState {
                record,
                renditions,
                last_activity: Instant::now(),
                changed_at,
                version: 0,
                rungs_pending: false,
                rungs_stopped: false,
            };
            self.streams
                .insert(id, Arc::new(LiveStream::new(state, secrets)));
        }
        tracing::info!(
            streams = self.streams.all().len(),
            segments,
            resumable,
            "reloaded streams from disk"
        );
        Ok(())
    }

    /// Rebuilds a stream's renditions from its files, with the upload rules: a rendition keeps the longest
    /// valid run of segments from msn 0, with new periods where `marks` (rendition, msn) say.
    fn reload_renditions(
        &self,
        id: &StreamId,
        marks: &[(String, u64)],
    ) -> BTreeMap<RenditionName, Rendition> {
        let mut renditions = BTreeMap::new();
        let names = match self.files.list_renditions(id) {
            Ok(names) => names,
            Err(err) => {
                tracing::warn!(stream = %id, error = %err, "cannot list renditions");
                return renditions;
            }
        };
        for name in names {
            let periods: BTreeSet<u64> = marks
                .iter()
                .filter(|(rendition, _)| rendition == name.as_str())
                .map(|(_, msn)| *msn)
                .collect();
            match self.reload_rendition(id, &name, &periods) {
                Ok(Some(rendition)) => {
                    renditions.insert(name, rendition);
                }
                Ok(None) => {}
                Err(err) => {
                    tracing::warn!(stream = %id, rendition = %name, error = %err, "cannot reload rendition");
                }
            }
        }
        renditions
    }

    fn reload_rendition(
        &self,
        id: &StreamId,
        name: &RenditionName,
        periods: &BTreeSet<u64>,
    ) -> anyhow::Result<Option<Rendition>> {
        let files = self.files.scan_rendition(id, name)?;
        let Some((init_bytes, init_modified)) = files.init else {
            return Ok(None);
        };
        let mut rendition = Rendition::default();
        match rendition.check_init(&init_bytes)? {
            InitCheck::Store(parsed) => {
                rendition.apply_init(parsed, Bytes::from(init_bytes), init_modified);
            }
            InitCheck::Unchanged => {}
        }
        for (msn, path, modified) in files.segments {
            let data = std::fs::read(&path)?;
            if periods.contains(&msn) {
                rendition.start_period();
            }
            match rendition.check_segment(msn, &data, &self.limits, modified) {
                Ok(SegmentCheck::New(accepted)) => rendition.apply_segment(accepted),
                Ok(SegmentCheck::PossibleRetry { .. }) => {}
                Err(err) => {
                    tracing::warn!(
                        stream = %id, rendition = %name, msn, error = %err,
                        "stopping the reload of this rendition at an unusable segment"
                    );
                    break;
                }
            }
        }
        self.reload_parts(
            id,
            name,
            &mut rendition,
            files.part_target,
            &files.parts,
            periods,
        );
        Ok(Some(rendition))
    }

    /// Resumes the segment a rendition was uploading in parts when the server stopped: its part files,
    /// in order and with the upload rules, from part 0 of the msn after the last complete segment. Part
    /// files of complete segments (left by a stop between writing a segment and deleting its parts) and
    /// any after an unusable one are deleted.
    fn reload_parts(
        &self,
        id: &StreamId,
        name: &RenditionName,
        rendition: &mut Rendition,
        part_target: Option<f64>,
        parts: &[((u64, u32), PathBuf, SystemTime)],
        periods: &BTreeSet<u64>,
    ) {
        // The part target while parts can still be resumed; none once one could not be.
        let mut resuming = part_target;
        for ((msn, index), path, modified) in parts {
            let expected = rendition.next_part();
            let resumed = match resuming {
                Some(target) if (*msn, *index) == expected => {
                    if *index == 0 && periods.contains(msn) {
                        rendition.start_period();
                    }
                    std::fs::read(path)
                        .map_err(|err| err.to_string())
                        .and_then(|data| {
                            rendition
                                .check_part(*msn, *index, target, &data, &self.limits, *modified)
                                .map_err(|err| err.to_string())
                        })
                }
                _ => Err(format!("not the next part ({}.{})", expected.0, expected.1)),
            };
            match resumed {
                Ok(PartCheck::New(accepted)) => rendition.apply_part(*accepted),
                Ok(PartCheck::Duplicate) => {}
                Err(reason) => {
                    // A leftover of a complete segment is only deleted; anything else ends the resume.
                    if resuming.is_some() && *msn >= expected.0 {
                        tracing::warn!(
                            stream = %id, rendition = %name, msn, index, %reason,
                            "stopping the reload of this rendition's parts"
                        );
                        resuming = None;
                    }
                    if let Err(err) = std::fs::remove_file(path) {
                        tracing::warn!(path = %path.display(), error = %err, "cannot remove a part file");
                    }
                }
            }
        }
    }
}
