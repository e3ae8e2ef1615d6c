//! The JSON bodies of the streams API (`/api/streams`), as the README's HTTP API table describes them.

use serde::{Deserialize, Serialize};

/// Body of `POST /api/streams`; an empty body is allowed too.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateStreamRequest {
    /// Title shown to viewers; the server gives "Untitled stream" when it is missing or blank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// Answer to `POST /api/streams` (201): the only time the stream key is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedStream {
    /// Public id (10 lowercase alphanumerics).
    pub id: String,
    /// Secret for the uploads: `Authorization: Bearer {key}`, and the path of encoder ingest
    /// (`/ingest/{stream_key}/`).
    pub stream_key: String,
    /// Title.
    pub title: String,
    /// Page to watch it: `/watch/{id}`.
    pub watch_url: String,
    /// Multivariant playlist: `/live/{id}/index.m3u8`.
    pub playback_url: String,
}

/// Where a stream is in its life. It only moves forward: created → live → ended (or created → ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StreamStatus {
    /// Created through the API, no segment yet.
    Created,
    /// Has received its first segment and has not ended.
    Live,
    /// Ended by its broadcaster or by the idle timeout. Final; it stays as a recording.
    Ended,
}

impl StreamStatus {
    /// The name used in the API (and the server's database).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Live => "live",
            Self::Ended => "ended",
        }
    }

    /// The status of a name, or `None` for an unknown one.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "created" => Some(Self::Created),
            "live" => Some(Self::Live),
            "ended" => Some(Self::Ended),
            _ => None,
        }
    }
}

impl std::fmt::Display for StreamStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stream as the public sees it (no key): `GET /api/streams/{id}` and each of `GET /api/streams`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamView {
    /// Public id.
    pub id: String,
    /// Title.
    pub title: String,
    /// `created`, `live` or `ended`.
    pub status: StreamStatus,
    /// Unix seconds of its creation.
    pub created_at: i64,
    /// Unix seconds of its first segment.
    pub started_at: Option<i64>,
    /// Unix seconds of its end.
    pub ended_at: Option<i64>,
    /// Multivariant playlist: `/live/{id}/index.m3u8`.
    pub playback_url: String,
    /// Watch page: `/watch/{id}`.
    pub watch_url: String,
}

/// Answer to `GET /api/streams`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamList {
    /// The live streams, newest first.
    pub streams: Vec<StreamView>,
}

/// Answer to a segment pushed by a standard encoder (`PUT /ingest/{stream_key}/...{file}.m4s`, 201 new,
/// 200 the same file again): where it went. The fields are in the order the server has always written
/// them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushedSegment {
    /// The media sequence number it got: the rendition's next one, in arrival order.
    pub msn: u64,
    /// The rendition it went to (its folder, or [`crate::DEFAULT_RENDITION`] at the top level).
    pub rendition: String,
}

/// The body of every error answer (`4xx`/`5xx`): `{"error": "reason"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong, for a person.
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_round_trip() {
        for status in [
            StreamStatus::Created,
            StreamStatus::Live,
            StreamStatus::Ended,
        ] {
            assert_eq!(StreamStatus::parse(status.as_str()), Some(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{status}\""));
            assert_eq!(serde_json::from_str::<StreamStatus>(&json).unwrap(), status);
        }
        assert_eq!(StreamStatus::parse("paused"), None);
    }

    #[test]
    fn create_request_is_optional_and_strict() {
        let empty: CreateStreamRequest = serde_json::from_str("{}").unwrap();
        assert_eq!(empty.title, None);
        assert_eq!(serde_json::to_string(&empty).unwrap(), "{}");
        assert!(serde_json::from_str::<CreateStreamRequest>(r#"{"titel":"x"}"#).is_err());
    }

    #[test]
    fn pushed_segment_shape() {
        let pushed = PushedSegment {
            msn: 3,
            rendition: "stream_0".into(),
        };
        let json = serde_json::to_string(&pushed).unwrap();
        assert_eq!(json, r#"{"msn":3,"rendition":"stream_0"}"#);
        assert_eq!(
            serde_json::from_str::<PushedSegment>(&json).unwrap(),
            pushed
        );
    }

    #[test]
    fn stream_view_shape() {
        let view = StreamView {
            id: "abc".into(),
            title: "t".into(),
            status: StreamStatus::Live,
            created_at: 1,
            started_at: Some(2),
            ended_at: None,
            playback_url: "/live/abc/index.m3u8".into(),
            watch_url: "/watch/abc".into(),
        };
        let json: serde_json::Value = serde_json::to_value(&view).unwrap();
        assert_eq!(json["status"], "live");
        assert_eq!(json["ended_at"], serde_json::Value::Null);
        let back: StreamView = serde_json::from_value(json).unwrap();
        assert_eq!(back, view);
    }
}
