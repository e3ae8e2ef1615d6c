//! Media files on disk: `<data-dir>/streams/{id}/{rendition}/init.mp4` and `{msn}.m4s`, and while a
//! segment is uploaded in Low-Latency HLS parts, its parts as `parts/{msn}.{index}.m4s` (deleted once
//! the segment is complete).
//!
//! Paths are only ever built from checked [`StreamId`]s, [`RenditionName`]s and numbers. Every file is
//! written to a temporary name in its final directory, flushed, then renamed over the final name, so a
//! reader (or a restart) sees either the whole old file, the whole new one, or none. A file's modification
//! time is set to when the origin accepted it, so a restart rebuilds the same playlists (their
//! `EXT-X-PROGRAM-DATE-TIME` and `Last-Modified` come from it).

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use bytes::Bytes;
use rand::Rng;

use onair_protocol::{part_file, segment_file, INIT_FILE, THUMBNAIL_FILE};

use crate::error::AppResult;
use crate::names::{parse_part_file_name, parse_segment_file_name, RenditionName, StreamId};

/// Marker in the names of temporary files (never a valid segment or init name).
const TEMP_MARKER: &str = ".tmp-";

/// What a rendition directory holds, as found at start-up.
#[derive(Debug, Default)]
pub struct RenditionFiles {
    /// Contents of `init.mp4` and its modification time, if present.
    pub init: Option<(Vec<u8>, SystemTime)>,
    /// Segment files `(msn, path, modification time)`, sorted by msn.
    pub segments: Vec<(u64, PathBuf, SystemTime)>,
    /// Low-Latency HLS part files of the segment that was being uploaded `((msn, index), path,
    /// modification time)`, sorted.
    pub parts: Vec<((u64, u32), PathBuf, SystemTime)>,
    /// The rendition's part target, once it has had a part.
    pub part_target: Option<f64>,
}

/// Folder of a rendition's part files: the parts of the segment being uploaded, kept until the segment
/// is complete and written whole, so that a restart loses no accepted part.
pub const PARTS_DIR_NAME: &str = "parts";
/// File in [`PARTS_DIR_NAME`] holding the rendition's part target, in seconds.
const PART_TARGET_FILE_NAME: &str = "part-target";

/// The media directory tree.
#[derive(Debug, Clone)]
pub struct MediaFiles {
    root: PathBuf,
}

impl MediaFiles {
    /// Media under `root` (normally `<data-dir>/streams`). Nothing is created until the first write.
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn stream_dir(&self, id: &StreamId) -> PathBuf {
        self.root.join(id.as_str())
    }

    fn rendition_dir(&self, id: &StreamId, rendition: &RenditionName) -> PathBuf {
        self.stream_dir(id).join(rendition.as_str())
    }

    /// Removes every file of a stream (deleted). A stream that never had files is fine.
    pub async fn remove_stream(&self, id: &StreamId) -> std::io::Result<()> {
        match tokio::fs::remove_dir_all(self.stream_dir(id)).await {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }

    /// Path of a stream's thumbnail, beside its renditions.
    pub fn thumbnail_path(&self, id: &StreamId) -> PathBuf {
        self.stream_dir(id).join(THUMBNAIL_FILE)
    }

    /// Atomically writes a stream's thumbnail, taken at `taken_at`.
    pub async fn write_thumbnail(
        &self,
        id: &StreamId,
        data: Bytes,
        taken_at: SystemTime,
    ) -> AppResult<()> {
        write_durably(self.thumbnail_path(id), data, taken_at).await
    }

    /// A stream's thumbnail and when it was taken, if it has one. Blocking (start-up).
    pub fn read_thumbnail(&self, id: &StreamId) -> std::io::Result<Option<(Vec<u8>, SystemTime)>> {
        let path = self.thumbnail_path(id);
        match std::fs::read(&path) {
            Ok(data) => Ok(Some((data, std::fs::metadata(&path)?.modified()?))),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Path of a rendition's init segment.
    pub fn init_path(&self, id: &StreamId, rendition: &RenditionName) -> PathBuf {
        self.rendition_dir(id, rendition).join(INIT_FILE)
    }

    /// Path of a media segment.
    pub fn segment_path(&self, id: &StreamId, rendition: &RenditionName, msn: u64) -> PathBuf {
        self.rendition_dir(id, rendition).join(segment_file(msn))
    }

    fn parts_dir(&self, id: &StreamId, rendition: &RenditionName) -> PathBuf {
        self.rendition_dir(id, rendition).join(PARTS_DIR_NAME)
    }

    /// Atomically writes part `index` of segment `msn` (and the rendition's part target), accepted at
    /// `accepted_at`. Not flushed to the device: a part file only has to outlive the process (the
    /// segment it belongs to is, once complete).
    pub async fn write_part(
        &self,
        id: &StreamId,
        rendition: &RenditionName,
        (msn, index): (u64, u32),
        part_target: f64,
        data: Bytes,
        accepted_at: SystemTime,
    ) -> AppResult<()> {
        let dir = self.parts_dir(id, rendition);
        Ok(tokio::task::spawn_blocking(move || {
            let target = dir.join(PART_TARGET_FILE_NAME);
            // Written once: a rendition's part target never changes.
            if !target.exists() {
                write_atomically(
                    &target,
                    part_target.to_string().as_bytes(),
                    accepted_at,
                    false,
                )?;
            }
            let path = dir.join(part_file(msn, index));
            write_atomically(&path, &data, accepted_at, false)
        })
        .await??)
    }

    /// Deletes the part files of segments before `msn` (they are complete and written whole). Best
    /// effort: what is left is deleted at the next start-up.
    pub async fn remove_parts_before(&self, id: &StreamId, rendition: &RenditionName, msn: u64) {
        let dir = self.parts_dir(id, rendition);
        let removed = tokio::task::spawn_blocking(move || remove_parts_before(&dir, msn)).await;
        if let Ok(Err(err)) | Err(err) = removed.map_err(std::io::Error::other) {
            tracing::warn!(stream = %id, %rendition, error = %err, "cannot remove part files");
        }
    }

    /// Atomically writes a rendition's init segment, accepted at `accepted_at`.
    pub async fn write_init(
        &self,
        id: &StreamId,
        rendition: &RenditionName,
        data: Bytes,
        accepted_at: SystemTime,
    ) -> AppResult<()> {
        write_durably(self.init_path(id, rendition), data, accepted_at).await
    }

    /// Atomically writes a media segment, accepted at `accepted_at`.
    pub async fn write_segment(
        &self,
        id: &StreamId,
        rendition: &RenditionName,
        msn: u64,
        data: Bytes,
        accepted_at: SystemTime,
    ) -> AppResult<()> {
        write_durably(self.segment_path(id, rendition, msn), data, accepted_at).await
    }

    /// Reads a media segment; `None` when the file does not exist.
    pub async fn read_segment(
        &self,
        id: &StreamId,
        rendition: &RenditionName,
        msn: u64,
    ) -> AppResult<Option<Bytes>> {
        match tokio::fs::read(self.segment_path(id, rendition, msn)).await {
            Ok(data) => Ok(Some(Bytes::from(data))),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// The rendition directories of a stream, sorted by name; entries with invalid names are skipped.
    /// Blocking.
    pub fn list_renditions(&self, id: &StreamId) -> std::io::Result<Vec<RenditionName>> {
        let mut names = Vec::new();
        let Some(entries) = read_dir_if_present(&self.stream_dir(id))? else {
            return Ok(names);
        };
        for entry in entries {
            let entry = entry?;
            if !entry.file_type()?.is_dir() {
                continue;
            }
            let name = entry.file_name();
            match name.to_str().map(RenditionName::parse) {
                Some(Ok(rendition)) => names.push(rendition),
                _ => tracing::warn!(stream = %id, entry = ?name, "ignoring unexpected directory"),
            }
        }
        names.sort();
        Ok(names)
    }

    /// Reads what a rendition directory holds and deletes temporary files left by a crash. Blocking.
    pub fn scan_rendition(
        &self,
        id: &StreamId,
        rendition: &RenditionName,
    ) -> std::io::Result<RenditionFiles> {
        let dir = self.rendition_dir(id, rendition);
        let mut files = RenditionFiles::default();
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.contains(TEMP_MARKER) {
                remove_leftover(&entry);
            } else if name == INIT_FILE {
                files.init = Some((std::fs::read(entry.path())?, modified_time(&entry)?));
            } else if let Some(msn) = parse_segment_file_name(name) {
                files
                    .segments
                    .push((msn, entry.path(), modified_time(&entry)?));
            }
        }
        files.segments.sort_by_key(|(msn, _, _)| *msn);
        self.scan_parts(&dir, &mut files)?;
        Ok(files)
    }

    /// Reads the part files of a rendition directory into `files`, deleting temporary ones.
    fn scan_parts(&self, dir: &Path, files: &mut RenditionFiles) -> std::io::Result<()> {
        let Some(entries) = read_dir_if_present(&dir.join(PARTS_DIR_NAME))? else {
            return Ok(());
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.contains(TEMP_MARKER) {
                remove_leftover(&entry);
            } else if name == PART_TARGET_FILE_NAME {
                files.part_target = std::fs::read_to_string(entry.path())?.trim().parse().ok();
            } else if let Some(part) = parse_part_file_name(name) {
                files
                    .parts
                    .push((part, entry.path(), modified_time(&entry)?));
            }
        }
        files.parts.sort_by_key(|(part, _, _)| *part);
        Ok(())
    }
}

/// The entries of `dir`, or `None` when it does not exist. Blocking.
fn read_dir_if_present(dir: &Path) -> std::io::Result<Option<std::fs::ReadDir>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => Ok(Some(entries)),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

/// When a file was written: the time it was accepted ([`write_atomically`] sets it), now if the file
/// system cannot say.
fn modified_time(entry: &std::fs::DirEntry) -> std::io::Result<SystemTime> {
    Ok(entry
        .metadata()?
        .modified()
        .unwrap_or_else(|_| SystemTime::now()))
}

/// Deletes a temporary file left by a crash (best effort: a later start-up tries again).
fn remove_leftover(entry: &std::fs::DirEntry) {
    tracing::info!(path = %entry.path().display(), "removing leftover temporary file");
    if let Err(err) = std::fs::remove_file(entry.path()) {
        tracing::warn!(error = %err, "could not remove temporary file");
    }
}

/// Deletes the part files of segments before `msn` in `dir`. Blocking.
fn remove_parts_before(dir: &Path, msn: u64) -> std::io::Result<()> {
    let Some(entries) = read_dir_if_present(dir)? else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry?;
        let old = entry
            .file_name()
            .to_str()
            .and_then(parse_part_file_name)
            .is_some_and(|(part_msn, _)| part_msn < msn);
        if old {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// [`write_atomically`] on the blocking pool, flushed to the device: an init segment or a segment.
async fn write_durably(path: PathBuf, data: Bytes, accepted_at: SystemTime) -> AppResult<()> {
    Ok(
        tokio::task::spawn_blocking(move || write_atomically(&path, &data, accepted_at, true))
            .await??,
    )
}

/// Writes `data` to `path` through a temporary file in the same directory and a rename; `durable`:
/// flushed to the device before the rename.
fn write_atomically(
    path: &Path,
    data: &[u8],
    modified: SystemTime,
    durable: bool,
) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::new(ErrorKind::InvalidInput, "path has no parent"))?;
    std::fs::create_dir_all(dir)?;
    let file_name = path
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| std::io::Error::new(ErrorKind::InvalidInput, "path has no file name"))?;
    let temp = dir.join(format!(
        ".{file_name}{TEMP_MARKER}{:016x}",
        rand::thread_rng().gen::<u64>()
    ));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(data)?;
        file.set_modified(modified)?;
        if durable {
            file.sync_all()?;
        }
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        // Best effort: a leftover is also removed by the next start-up scan.
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_reads_and_scans() {
        let dir = tempfile::tempdir().unwrap();
        let files = MediaFiles::new(dir.path().join("streams"));
        let id = StreamId::parse("abcdefghij").unwrap();
        let r0 = RenditionName::parse("r0").unwrap();

        assert!(files.list_renditions(&id).unwrap().is_empty());
        assert_eq!(files.read_segment(&id, &r0, 0).await.unwrap(), None);

        files
            .write_init(&id, &r0, Bytes::from_static(b"init"), SystemTime::now())
            .await
            .unwrap();
        files
            .write_segment(&id, &r0, 1, Bytes::from_static(b"one"), SystemTime::now())
            .await
            .unwrap();
        files
            .write_segment(&id, &r0, 0, Bytes::from_static(b"zero"), SystemTime::now())
            .await
            .unwrap();
        files
            .write_segment(&id, &r0, 0, Bytes::from_static(b"zero!"), SystemTime::now())
            .await
            .unwrap();
        assert_eq!(
            files.read_segment(&id, &r0, 0).await.unwrap(),
            Some(Bytes::from_static(b"zero!"))
        );

        // A crash mid-write leaves a temporary file behind; the scan ignores and removes it.
        let leftover = dir
            .path()
            .join("streams/abcdefghij/r0/.2.m4s.tmp-0000000000000001");
        std::fs::write(&leftover, b"half").unwrap();
        std::fs::write(dir.path().join("streams/abcdefghij/r0/notes.txt"), b"x").unwrap();

        assert_eq!(
            files.list_renditions(&id).unwrap(),
            std::slice::from_ref(&r0)
        );
        let scan = files.scan_rendition(&id, &r0).unwrap();
        assert_eq!(
            scan.init.as_ref().map(|(bytes, _)| bytes.as_slice()),
            Some(&b"init"[..])
        );
        let msns: Vec<u64> = scan.segments.iter().map(|(msn, _, _)| *msn).collect();
        assert_eq!(msns, [0, 1]);
        assert!(!leftover.exists());
    }
}
