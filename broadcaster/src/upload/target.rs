//! Where and as whom to upload: the URLs and headers of every upload, from the wire contract
//! (`onair-protocol`).

use onair_protocol::{bearer, paths, DEFAULT_RENDITION, PART_TARGET_HEADER};

use super::UploadKind;
use crate::packager::PART_TARGET_SECS;

/// Where and as whom to upload.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadTarget {
    /// Origin of the OnAir server, e.g. `http://127.0.0.1:8080`, or empty for the page's own origin.
    pub server_base: String,
    /// Stream id from `POST /api/streams`.
    pub stream_id: String,
    /// Stream key from `POST /api/streams`, sent as `Authorization: Bearer {key}`.
    pub stream_key: String,
    /// Rendition name (`[a-z0-9_-]{1,32}`); defaults to [`DEFAULT_RENDITION`].
    pub rendition: String,
    /// The rendition's part target in seconds, sent as [`PART_TARGET_HEADER`] with every part; the same
    /// for the whole broadcast. It defaults to [`PART_TARGET_SECS`].
    pub part_target_secs: f64,
}

impl UploadTarget {
    /// A target for rendition [`DEFAULT_RENDITION`] with parts of [`PART_TARGET_SECS`].
    pub fn new(server_base: &str, stream_id: &str, stream_key: &str) -> Self {
        Self {
            server_base: server_base.trim_end_matches('/').to_owned(),
            stream_id: stream_id.to_owned(),
            stream_key: stream_key.to_owned(),
            rendition: DEFAULT_RENDITION.to_owned(),
            part_target_secs: PART_TARGET_SECS,
        }
    }

    /// The URL an upload goes to.
    pub fn url(&self, kind: UploadKind) -> String {
        let (id, rendition) = (&self.stream_id, &self.rendition);
        let path = match kind {
            UploadKind::Init => paths::init_upload(id, rendition),
            UploadKind::Part { msn, index } => paths::part_upload(id, rendition, msn, index),
            UploadKind::End => paths::end(id),
        };
        format!("{}{path}", self.server_base)
    }

    /// The URL the live thumbnail's snapshots go to.
    pub fn thumbnail_url(&self) -> String {
        format!(
            "{}{}",
            self.server_base,
            paths::thumbnail_upload(&self.stream_id)
        )
    }

    /// The `Authorization` header value.
    pub fn authorization(&self) -> String {
        bearer(&self.stream_key)
    }

    /// Every header of an upload: `Authorization`, `Content-Type` when it has a body, and
    /// [`PART_TARGET_HEADER`] on parts.
    pub fn headers(&self, kind: UploadKind) -> Vec<(&'static str, String)> {
        let mut headers = vec![("Authorization", self.authorization())];
        if let Some(content_type) = kind.content_type() {
            headers.push(("Content-Type", content_type.to_owned()));
        }
        if let UploadKind::Part { .. } = kind {
            headers.push((PART_TARGET_HEADER, seconds_header(self.part_target_secs)));
        }
        headers
    }
}

/// Seconds as a header value with at most three decimals and no trailing zeros: `0.334`, `0.5`, `1`.
pub fn seconds_header(secs: f64) -> String {
    let text = format!("{secs:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_headers_follow_the_contract() {
        let t = UploadTarget::new("http://127.0.0.1:8080/", "abcdefghij", "sk_x");
        assert_eq!(
            t.url(UploadKind::Init),
            "http://127.0.0.1:8080/api/streams/abcdefghij/renditions/r0/init.mp4"
        );
        assert_eq!(
            t.url(UploadKind::Part { msn: 7, index: 2 }),
            "http://127.0.0.1:8080/api/streams/abcdefghij/renditions/r0/parts/7.2.m4s"
        );
        assert_eq!(
            t.url(UploadKind::End),
            "http://127.0.0.1:8080/api/streams/abcdefghij/end"
        );
        assert_eq!(t.authorization(), "Bearer sk_x");
        assert_eq!(
            t.thumbnail_url(),
            "http://127.0.0.1:8080/api/streams/abcdefghij/thumbnail.jpg"
        );
        let same_origin = UploadTarget::new("", "id", "k");
        assert_eq!(same_origin.url(UploadKind::End), "/api/streams/id/end");
        assert_eq!(UploadKind::End.method(), "POST");
        assert_eq!(UploadKind::Part { msn: 0, index: 0 }.method(), "PUT");
        assert_eq!(
            t.headers(UploadKind::Part { msn: 1, index: 0 }),
            [
                ("Authorization", "Bearer sk_x".to_owned()),
                ("Content-Type", "video/iso.segment".to_owned()),
                ("OnAir-Part-Target", "0.21".to_owned()),
            ]
        );
        assert_eq!(
            t.headers(UploadKind::Init),
            [
                ("Authorization", "Bearer sk_x".to_owned()),
                ("Content-Type", "video/mp4".to_owned()),
            ]
        );
        assert_eq!(
            t.headers(UploadKind::End),
            [("Authorization", "Bearer sk_x".to_owned())]
        );
        assert_eq!(
            UploadKind::Part { msn: 3, index: 1 }.to_string(),
            "part 3.1"
        );
    }

    #[test]
    fn the_part_target_is_one_the_server_takes() {
        let secs = UploadTarget::new("", "id", "k").part_target_secs;
        let range = onair_protocol::MIN_PART_TARGET_SECS..=onair_protocol::MAX_PART_TARGET_SECS;
        assert!(range.contains(&secs), "{secs}");
    }

    #[test]
    fn seconds_header_values() {
        assert_eq!(seconds_header(0.334), "0.334");
        assert_eq!(seconds_header(0.5), "0.5");
        assert_eq!(seconds_header(1.0), "1");
        assert_eq!(seconds_header(1.0 / 3.0), "0.333");
    }
}
