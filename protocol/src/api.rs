//! The JSON bodies of the streams API (`/api/streams`), as the README's HTTP API table describes them.

use serde::{Deserialize, Serialize};

/// Body of `POST /api/streams`; an empty body is allowed too.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateStreamRequest {
    /// Title shown to viewers; the server gives "Untitled stream" when it is missing or blank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the stream is about, plain text, at most [`MAX_DESCRIPTION_CHARS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Tags, at most [`MAX_TAGS`]: each is lowercased, spaces become `-`, and it must then be 1 to
    /// [`MAX_TAG_CHARS`] letters, digits or `-`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// One of [`CATEGORIES`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

/// Body of `PATCH /api/streams/{id}` (owner only): the same fields as a creation, each one to change;
/// a missing field stays as it is, an empty description or category clears it, `"tags": []` removes
/// every tag, a blank title gives "Untitled stream".
pub type UpdateStreamRequest = CreateStreamRequest;

/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// Most tags on a stream.
pub const MAX_TAGS: usize = 8;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 24;
/// The categories a stream can be in (the directory filters by them).
pub const CATEGORIES: [&str; 9] = [
    "talk",
    "music",
    "gaming",
    "education",
    "sports",
    "tech",
    "art",
    "events",
    "other",
];

/// Answer to `POST /api/streams` (201): the only time the stream key is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedStream {
    /// Public id (10 lowercase alphanumerics).
    pub id: String,
    /// Secret for the uploads: `Authorization: Bearer {key}`, and the path of encoder ingest
    /// (`/ingest/{stream_key}/`).
    pub stream_key: String,
    /// Secret of whoever created the stream: `Authorization: Bearer {owner_token}` edits
    /// (`PATCH /api/streams/{id}`), ends and deletes it and reads its analytics. It cannot upload.
    pub owner_token: String,
    /// Title.
    pub title: String,
    /// Page to watch it: `/watch/{id}`.
    pub watch_url: String,
    /// Multivariant playlist: `/live/{id}/index.m3u8`.
    pub playback_url: String,
}

/// Answer to `POST /api/streams/{id}/key` (owner): the stream's new key, shown this once. The old one
/// opens nothing from then on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotatedKey {
    /// The new stream key.
    pub stream_key: String,
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
    /// Description (may be empty).
    #[serde(default)]
    pub description: String,
    /// Tags, normalised (lowercase, `-` for spaces).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Category, one of [`CATEGORIES`], if set.
    #[serde(default)]
    pub category: Option<String>,
    /// Viewers watching now, from the players' own beacons (so a CDN in front changes nothing).
    #[serde(default)]
    pub viewers: u32,
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
    /// Its thumbnail, `/live/{id}/thumbnail.jpg?v={version}` (the version changes with the picture, so
    /// a page that refreshes the list shows the new one), once it has one.
    #[serde(default)]
    pub thumbnail_url: Option<String>,
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

/// Body of `POST /api/streams/{id}/beacons` (204): what a player reports about one playback, every few
/// seconds while it plays and once when it stops. CTA-5004 (CMCD) keys where one fits (`sid`, `br`,
/// `bl`, `mtp`, `su`, `bs`); the counters are totals since the playback began, so a lost or repeated
/// beacon changes nothing. Sent as `text/plain` (`navigator.sendBeacon`), so no CORS preflight is needed
/// from an embedding site.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlaybackBeacon {
    /// CMCD `sid`: the playback's session id, 8 to 64 letters, digits or `-`, made by the player.
    pub sid: String,
    /// CMCD `br`: the bitrate of the level playing, kbit/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub br: Option<u32>,
    /// CMCD `bl`: the buffer ahead of the playhead, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bl: Option<u32>,
    /// CMCD `mtp`: measured throughput, kbit/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtp: Option<u32>,
    /// CMCD `su`: still starting up (no frame shown yet).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub su: bool,
    /// CMCD `bs`: the buffer ran dry since the last beacon.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bs: bool,
    /// Time from the start of the playback to its first frame, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_frame_ms: Option<u32>,
    /// Time spent playing, ms.
    #[serde(default)]
    pub played_ms: u64,
    /// How many times playback stalled for want of data, after the first frame.
    #[serde(default)]
    pub rebuffers: u32,
    /// Time spent stalled, ms.
    #[serde(default)]
    pub rebuffer_ms: u64,
    /// Level switches.
    #[serde(default)]
    pub switches: u32,
    /// Distance behind the live edge, ms (live streams).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u32>,
    /// Errors the player recovered from or stopped on.
    #[serde(default)]
    pub errors: u32,
    /// The playback is over (the page closes, the player is destroyed): the viewer leaves the count now.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ended: bool,
}

/// Answer to `GET /api/streams/{id}/analytics` (owner only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamAnalytics {
    /// Viewers watching now.
    pub viewers_now: u32,
    /// Most viewers at once.
    pub peak_viewers: u32,
    /// Playbacks (sessions) ever.
    pub unique_viewers: u32,
    /// Time watched by everyone, seconds.
    pub watch_secs: u64,
    /// Concurrent viewers over time, oldest first.
    pub series: Vec<ViewerSample>,
    /// Playbacks by country (ISO 3166 alpha-2, `"??"` where unknown), most first.
    pub countries: Vec<CountryCount>,
    /// The players' quality of experience.
    pub qoe: QoeSummary,
}

/// Viewers at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewerSample {
    /// Unix seconds.
    pub at: i64,
    /// Viewers watching then.
    pub viewers: u32,
}

/// Playbacks from one country.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountryCount {
    /// ISO 3166 alpha-2 code, or `"??"`.
    pub country: String,
    /// Playbacks.
    pub viewers: u32,
}

/// QoE over every playback of a stream.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QoeSummary {
    /// Time to first frame, ms.
    pub first_frame_ms: Distribution,
    /// Share of each playback's time spent stalled (0 to 1).
    pub rebuffer_ratio: Distribution,
    /// Distance behind the live edge, ms (each playback's last report).
    pub latency_ms: Distribution,
    /// Bitrate playing, kbit/s (each playback's last report).
    pub bitrate_kbps: Distribution,
    /// Stalls after the first frame, all playbacks.
    pub rebuffers: u64,
    /// Level switches, all playbacks.
    pub switches: u64,
    /// Errors, all playbacks.
    pub errors: u64,
}

/// How one figure spreads over the playbacks that reported it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Playbacks that reported it.
    pub count: u32,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// Largest.
    pub max: f64,
}

/// Body of `POST /api/contact` (201): a message to the people who run this OnAir.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactMessage {
    /// Who writes, 1 to 100 characters.
    pub name: String,
    /// Where to answer: an email address.
    pub email: String,
    /// The message, 1 to 5000 characters.
    pub message: String,
    /// Left empty by people: the form hides it. A message that fills it is taken and dropped.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub website: String,
}

/// One post of the blog, as `GET /api/blog` lists it (without `html`) and `GET /api/blog/{slug}` gives
/// it (with).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlogPost {
    /// Its name in URLs: `/blog/{slug}`.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Publication date, `YYYY-MM-DD`.
    pub date: String,
    /// One sentence about it.
    pub summary: String,
    /// The post rendered to HTML (only in `GET /api/blog/{slug}`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub html: String,
}

/// Answer to `GET /api/blog`: the posts, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlogList {
    /// The posts, without their HTML.
    pub posts: Vec<BlogPost>,
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
            description: String::new(),
            tags: vec!["music".into()],
            category: Some("music".into()),
            viewers: 2,
            status: StreamStatus::Live,
            created_at: 1,
            started_at: Some(2),
            ended_at: None,
            playback_url: "/live/abc/index.m3u8".into(),
            watch_url: "/watch/abc".into(),
            thumbnail_url: None,
        };
        let json: serde_json::Value = serde_json::to_value(&view).unwrap();
        assert_eq!(json["status"], "live");
        assert_eq!(json["ended_at"], serde_json::Value::Null);
        let back: StreamView = serde_json::from_value(json).unwrap();
        assert_eq!(back, view);
    }
}
