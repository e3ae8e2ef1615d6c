//! Ingest from standard encoders that push HLS over HTTP, such as
//! `ffmpeg -f hls -hls_segment_type fmp4 -method PUT http://HOST/ingest/{stream_key}/index.m3u8`
//! (add `-var_stream_map "v:0,a:0 v:1,a:1" ... /ingest/{stream_key}/stream_%v/index.m3u8` for a ladder):
//!
//! - `PUT /ingest/{stream_key}/{file}` and `PUT /ingest/{stream_key}/{rendition}/{file}`:
//!   - `*.mp4`: the rendition's init segment → 204;
//!   - `*.m4s`: the rendition's next segment, in arrival order → 201 `{"rendition", "msn"}` (200 for the
//!     same file with the same bytes again);
//!   - `*.m3u8`: accepted and ignored → 204. The server derives its own playlists from the media it
//!     parsed and never trusts an uploaded playlist's durations;
//!   - anything else (MPEG-TS segments, subtitles) → 415.
//! - `DELETE` of any such path (ffmpeg's `-hls_flags delete_segments`) → 204, ignored: the server keeps
//!   the recording.
//!
//! The stream key in the path is the credential (403 for a key no stream has, before the body is read).
//! The folder names the rendition (`stream_0`); files at the top level go to [`DEFAULT_RENDITION`].
//! Bodies may be chunked (ffmpeg sends `Transfer-Encoding: chunked`) and are read up to the upload limit
//! (413). Segments are validated exactly as the broadcaster's uploads are.
//!
//! Why an ffmpeg PUT to the broadcaster's API (`/api/streams/{id}/renditions/r0/index.m3u8`) stored only
//! the init: ffmpeg names its files after the playlist URL, `.../r0/init.mp4` (which is the API's init
//! route) and `.../r0/index0.m4s` (which is not: the API wants `.../r0/segments/0.m4s`). The bodies being
//! chunked was never the problem; this route maps ffmpeg's names instead.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use axum::{Json, Router};
use onair_protocol::{paths, PushedSegment, DEFAULT_RENDITION};

use crate::error::{AppError, AppResult};
use crate::live::LiveStream;
use crate::names::RenditionName;
use crate::origin::InitSource;
use crate::routes::body::UploadBody;
use crate::routes::created_or_ok;
use crate::routes::credential::PresentedKey;
use crate::AppState;

/// Longest file name accepted.
pub const MAX_FILE_NAME_LEN: usize = 128;

/// The encoder ingest routes. The caller adds the body limit.
pub fn router() -> Router<AppState> {
    Router::new().route(
        paths::ROUTE_INGEST,
        put(put_file)
            .delete(delete_file)
            .fallback(method_not_allowed),
    )
}

/// What a pushed file is, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `.mp4`: an init segment.
    Init,
    /// `.m4s`: a media segment.
    Segment,
    /// `.m3u8`: a playlist (ignored).
    Playlist,
}

/// A pushed file's place: its rendition, name and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedFile {
    /// The rendition (the folder, or [`DEFAULT_RENDITION`]).
    pub rendition: RenditionName,
    /// The file name as the encoder sent it.
    pub file_name: String,
    /// What it is.
    pub kind: FileKind,
}

/// Reads `{file}` or `{rendition}/{file}`: 400 for any other shape or a bad name, 415 for a kind of file
/// we do not take.
pub fn parse_pushed_path(path: &str) -> AppResult<PushedFile> {
    let parts: Vec<&str> = path.split('/').collect();
    let (folder, file_name) = match parts.as_slice() {
        [file] => (None, *file),
        [folder, file] => (Some(*folder), *file),
        _ => {
            return Err(AppError::bad_request(format!(
                "invalid ingest path {path:?}: expected FILE or RENDITION/FILE"
            )))
        }
    };
    let rendition = RenditionName::parse(folder.unwrap_or(DEFAULT_RENDITION))?;
    rendition.refuse_transcoded()?;
    let name_ok = !file_name.is_empty()
        && file_name.len() <= MAX_FILE_NAME_LEN
        && !file_name.starts_with('.')
        && file_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !name_ok {
        return Err(AppError::bad_request(format!(
            "invalid file name {file_name:?}: use 1 to {MAX_FILE_NAME_LEN} characters of [A-Za-z0-9._-]"
        )));
    }
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase());
    let kind = match extension.as_deref() {
        Some("mp4") => FileKind::Init,
        Some("m4s") => FileKind::Segment,
        Some("m3u8") => FileKind::Playlist,
        _ => {
            return Err(AppError::UnsupportedMedia {
                reason: format!(
                    "{file_name:?} is not part of an fMP4 HLS stream: push with -hls_segment_type fmp4 \
                     (.mp4 init, .m4s segments, .m3u8 playlists)"
                ),
            })
        }
    };
    Ok(PushedFile {
        rendition,
        file_name: file_name.to_owned(),
        kind,
    })
}

/// The stream whose key is in the path (403 otherwise) and the file pushed, checked before the body is
/// read.
#[derive(Debug)]
pub struct EncoderPush {
    /// The stream.
    pub stream: Arc<LiveStream>,
    /// The file.
    pub file: PushedFile,
}

impl FromRequestParts<AppState> for EncoderPush {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Path((_, path)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| AppError::bad_request(rejection.body_text()))?;
        let PresentedKey(key) = PresentedKey::required(parts, state).await?;
        let stream = state.origin().authorize_key(&key)?;
        let file = parse_pushed_path(&path)?;
        Ok(Self { stream, file })
    }
}

async fn put_file(
    State(state): State<AppState>,
    push: EncoderPush,
    UploadBody(body): UploadBody,
) -> AppResult<Response> {
    let EncoderPush { stream, file } = push;
    let origin = state.origin();
    match file.kind {
        FileKind::Playlist => Ok(StatusCode::NO_CONTENT.into_response()),
        FileKind::Init => {
            origin
                .put_init(&stream, &file.rendition, body, InitSource::EncoderRun)
                .await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        FileKind::Segment => {
            let (msn, stored) = origin
                .ingest_segment(&stream, &file.rendition, &file.file_name, body)
                .await?;
            let status = created_or_ok(stored);
            let reply = PushedSegment {
                msn,
                rendition: file.rendition.to_string(),
            };
            Ok((status, Json(reply)).into_response())
        }
    }
}

async fn delete_file(_push: EncoderPush) -> StatusCode {
    StatusCode::NO_CONTENT
}

async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed {
        reason: "ingest takes PUT (and DELETE, which is ignored)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushed_paths() {
        let ok = |path: &str| parse_pushed_path(path).unwrap();
        let top = ok("index0.m4s");
        assert_eq!(top.rendition.as_str(), DEFAULT_RENDITION);
        assert_eq!(top.kind, FileKind::Segment);
        assert_eq!(ok("init.mp4").kind, FileKind::Init);
        assert_eq!(ok("master.m3u8").kind, FileKind::Playlist);
        let ladder = ok("stream_1/init_1.mp4");
        assert_eq!(ladder.rendition.as_str(), "stream_1");
        assert_eq!(ladder.file_name, "init_1.mp4");
        assert_eq!(ladder.kind, FileKind::Init);
        assert_eq!(ok("stream_0/index12.m4s").kind, FileKind::Segment);
        assert_eq!(ok("stream_0/index.M3U8").kind, FileKind::Playlist);

        for (bad, status) in [
            ("", 400),
            ("a/b/c.m4s", 400),
            ("/x.m4s", 400),
            ("stream_0/", 400),
            ("Stream_0/index0.m4s", 400),
            ("../index0.m4s", 400),
            ("stream_0/..", 400),
            ("stream_0/.hidden.m4s", 400),
            ("stream_0/a b.m4s", 400),
            ("auto-480p/index0.m4s", 400),
            ("index0.ts", 415),
            ("index.vtt", 415),
            ("noextension", 415),
        ] {
            let err = parse_pushed_path(bad).expect_err(bad);
            assert_eq!(err.status_code(), status, "{bad}: {err}");
        }
    }
}
