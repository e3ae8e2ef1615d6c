//! HTTP caching for playback: what lets any HTTP cache or CDN sit in front of the origin.
//!
//! One small helper per concern, all pure and unit-tested:
//! - [`cache_control`]: the lifetime of each kind of resource ([`Resource`]), after the low-latency server
//!   profile of RFC 8216bis (Appendix B): a non-blocking playlist may be cached for half a target
//!   duration, segments and init segments never change, a playlist that ended never changes again;
//! - [`Validators`]: `ETag` and `Last-Modified`, and [`Validators::is_not_modified`] for
//!   `If-None-Match` / `If-Modified-Since` (RFC 9110 13.1–13.2);
//! - [`byte_range`]: one `Range: bytes=...` request on a media resource (RFC 9110 14), with `If-Range`.
//!
//! The handlers in [`crate::routes::playback`] put them together.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{header, HeaderMap, HeaderValue};

/// The kinds of playback resources, for their cache lifetimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// A playlist of a stream that is not over: it changes with every segment.
    LivePlaylist {
        /// The playlist's `EXT-X-TARGETDURATION`, in whole seconds.
        target_duration: u64,
    },
    /// A playlist answered to a blocking reload (`_HLS_msn`): its URL names one moment of the stream.
    BlockingPlaylist {
        /// The playlist's `EXT-X-TARGETDURATION`, in whole seconds.
        target_duration: u64,
    },
    /// A playlist of an ended stream: final.
    EndedPlaylist,
    /// An init or media segment: its URL never names other bytes.
    Media,
    /// A stream's live thumbnail: a new picture every few seconds while it is live, final once it ended.
    Thumbnail {
        /// The stream has ended.
        ended: bool,
    },
    /// A refusal under `/live` (404 for a stream not started, a segment not there yet): about this moment.
    Error,
}

/// Seconds an ended playlist may be cached. It is final, but a day leaves room to take a recording down.
pub const ENDED_PLAYLIST_MAX_AGE: u64 = 24 * 60 * 60;
/// Seconds media may be cached: a year, the most RFC 9111 lets a cache count on.
pub const MEDIA_MAX_AGE: u64 = 365 * 24 * 60 * 60;

/// `Cache-Control` of a live stream's thumbnail: a card that refreshes every 10 s sees a picture at most
/// 5 s older than the origin's, and a cache may serve the old one while it fetches the next.
pub const THUMBNAIL_CACHE_CONTROL: &str = "public, max-age=5, stale-while-revalidate=10";

/// `Cache-Control` for a kind of resource.
///
/// "Non-blocking Playlist responses: max-age of half the Target Duration" and media "cacheable for a long
/// time" are the lifetimes of the low-latency server profile (RFC 8216bis, Appendix B), and blocking
/// reloads six target durations: their URL (`_HLS_msn`/`_HLS_part`) names a playlist that holds that
/// part, and a cache keys it by that query. Live playlists get at least one second, since
/// `max-age` counts whole seconds. Refusals may be cached for one second so that a crowd polling a stream
/// that has not started reaches the origin once a second, not once per viewer.
pub fn cache_control(resource: Resource) -> HeaderValue {
    match resource {
        Resource::LivePlaylist { target_duration } => {
            let half = (target_duration / 2).max(1);
            HeaderValue::from_str(&format!("public, max-age={half}"))
                .unwrap_or_else(|_| HeaderValue::from_static("public, max-age=1"))
        }
        Resource::BlockingPlaylist { target_duration } => {
            HeaderValue::from_str(&format!("public, max-age={}", target_duration.max(1) * 6))
                .unwrap_or_else(|_| HeaderValue::from_static("public, max-age=6"))
        }
        Resource::EndedPlaylist => HeaderValue::from_static("public, max-age=86400"),
        Resource::Media => HeaderValue::from_static("public, max-age=31536000, immutable"),
        Resource::Thumbnail { ended: false } => HeaderValue::from_static(THUMBNAIL_CACHE_CONTROL),
        Resource::Thumbnail { ended: true } => HeaderValue::from_static("public, max-age=86400"),
        Resource::Error => HeaderValue::from_static("public, max-age=1"),
    }
}

/// The validators of one representation. Their tags are [`crate::digest`]s of the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` value, quotes (and `W/`) included.
    pub etag: String,
    /// When the resource last changed (full precision; `Last-Modified` shows whole seconds).
    pub modified: SystemTime,
}

impl Validators {
    /// A strong tag, for bytes served exactly as stored (media).
    pub fn strong(digest: u64, modified: SystemTime) -> Self {
        Self {
            etag: format!("\"{digest:016x}\""),
            modified,
        }
    }

    /// A weak tag, for representations that a compression layer may re-encode (playlists).
    pub fn weak(digest: u64, modified: SystemTime) -> Self {
        Self {
            etag: format!("W/\"{digest:016x}\""),
            modified,
        }
    }

    /// `ETag` and `Last-Modified` into `headers`.
    pub fn insert_into(&self, headers: &mut HeaderMap) {
        if let Ok(value) = HeaderValue::from_str(&self.etag) {
            headers.insert(header::ETAG, value);
        }
        if let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(self.modified)) {
            headers.insert(header::LAST_MODIFIED, value);
        }
    }

    /// True when the request's preconditions say the client's copy is current (answer 304).
    ///
    /// "A recipient MUST ignore If-Modified-Since if the request contains an If-None-Match header field"
    /// (RFC 9110 13.1.3); `If-None-Match` uses the weak comparison (13.1.2). `If-Modified-Since` has
    /// whole-second precision, so a resource counts as unmodified only when it last changed strictly
    /// before that second began: two changes within one second can never hide behind a 304.
    pub fn is_not_modified(&self, request: &HeaderMap) -> bool {
        if let Some(value) = request.get(header::IF_NONE_MATCH) {
            let Ok(list) = value.to_str() else {
                return false;
            };
            return list.split(',').map(str::trim).any(|tag| {
                tag == "*" || opaque_tag(tag).is_some_and(|t| Some(t) == opaque_tag(&self.etag))
            });
        }
        let Some(since) = request
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
        else {
            return false;
        };
        self.modified < since
    }

    /// True when an `If-Range` value still names this representation (so its `Range` applies).
    ///
    /// An entity tag must match strongly; a date must be exactly our `Last-Modified` and that at least a
    /// second old (RFC 9110 13.1.5 only trusts a date that is "strong").
    pub fn if_range_matches(&self, if_range: &str, now: SystemTime) -> bool {
        let if_range = if_range.trim();
        if if_range.starts_with('"') {
            return !self.etag.starts_with("W/") && if_range == self.etag;
        }
        if if_range.starts_with("W/") {
            return false;
        }
        let Ok(date) = httpdate::parse_http_date(if_range) else {
            return false;
        };
        let ours = whole_seconds(self.modified);
        date == ours
            && now
                .duration_since(ours)
                .is_ok_and(|age| age >= Duration::from_secs(1))
    }
}

/// The opaque part of an entity tag (`W/"x"` and `"x"` both give `"x"`), `None` when malformed.
fn opaque_tag(tag: &str) -> Option<&str> {
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    (tag.len() >= 2 && tag.starts_with('"') && tag.ends_with('"')).then_some(tag)
}

/// `at` without its fraction of a second, as an HTTP date carries it.
fn whole_seconds(at: SystemTime) -> SystemTime {
    let secs = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// What to do with a `Range` header on a resource of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAnswer {
    /// No usable range: send the whole resource (200). Also for multiple ranges, which we may ignore.
    Full,
    /// Send bytes `start..end` (206 with `Content-Range: bytes start-(end-1)/len`).
    Partial {
        /// First byte.
        start: u64,
        /// One past the last byte.
        end: u64,
    },
    /// No byte of the range exists (416 with `Content-Range: bytes */len`).
    Unsatisfiable,
}

/// Interprets one `Range` header value for a resource of `len` bytes (RFC 9110 14.1.2).
///
/// A header that is not a single `bytes` range is ignored ("A server MAY ignore the Range header field"),
/// so the worst a strange header does is get the whole resource.
pub fn byte_range(value: &str, len: u64) -> RangeAnswer {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeAnswer::Full;
    };
    let spec = spec.trim();
    if spec.contains(',') {
        return RangeAnswer::Full;
    }
    let Some((first, last)) = spec.split_once('-') else {
        return RangeAnswer::Full;
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        // `bytes=-N`: the last N bytes.
        return match number(last) {
            Some(0) => RangeAnswer::Unsatisfiable,
            Some(_) if len == 0 => RangeAnswer::Unsatisfiable,
            Some(suffix) => RangeAnswer::Partial {
                start: len.saturating_sub(suffix),
                end: len,
            },
            None => RangeAnswer::Full,
        };
    }
    // `bytes=A-` or `bytes=A-B`.
    let Some(start) = number(first) else {
        return RangeAnswer::Full;
    };
    let last = if last.is_empty() {
        None
    } else {
        match number(last) {
            Some(last) if last >= start => Some(last),
            _ => return RangeAnswer::Full,
        }
    };
    if start >= len {
        return RangeAnswer::Unsatisfiable;
    }
    let end = last.map_or(len, |l| l.saturating_add(1).min(len));
    RangeAnswer::Partial { start, end }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64, millis: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis)
    }

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn lifetimes() {
        let live = |t| cache_control(Resource::LivePlaylist { target_duration: t });
        assert_eq!(live(2), "public, max-age=1");
        assert_eq!(live(1), "public, max-age=1");
        assert_eq!(live(6), "public, max-age=3");
        assert_eq!(live(0), "public, max-age=1");
        assert_eq!(
            cache_control(Resource::Media),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            cache_control(Resource::EndedPlaylist),
            format!("public, max-age={ENDED_PLAYLIST_MAX_AGE}")
        );
        assert_eq!(MEDIA_MAX_AGE, 31_536_000);
        assert_eq!(cache_control(Resource::Error), "public, max-age=1");
    }

    #[test]
    fn validators_in_headers() {
        let v = Validators::strong(0xab, at(784_111_777, 250));
        let mut map = HeaderMap::new();
        v.insert_into(&mut map);
        assert_eq!(map[header::ETAG], "\"00000000000000ab\"");
        assert_eq!(map[header::LAST_MODIFIED], "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(Validators::weak(1, at(0, 0)).etag, "W/\"0000000000000001\"");
    }

    #[test]
    fn conditional_requests() {
        let strong = Validators::strong(7, at(784_111_777, 250));
        let weak = Validators::weak(7, at(784_111_777, 250));
        let tag = "\"0000000000000007\"";
        let cases: &[(&[(header::HeaderName, &str)], bool)] = &[
            (&[], false),
            (&[(header::IF_NONE_MATCH, tag)], true),
            (&[(header::IF_NONE_MATCH, "W/\"0000000000000007\"")], true),
            (
                &[(header::IF_NONE_MATCH, "\"other\", \"0000000000000007\"")],
                true,
            ),
            (&[(header::IF_NONE_MATCH, "*")], true),
            (&[(header::IF_NONE_MATCH, "\"other\"")], false),
            (&[(header::IF_NONE_MATCH, "garbage")], false),
            // If-None-Match wins over a date that would say "not modified".
            (
                &[
                    (header::IF_NONE_MATCH, "\"other\""),
                    (header::IF_MODIFIED_SINCE, "Sun, 06 Nov 1994 08:49:40 GMT"),
                ],
                false,
            ),
            (
                &[(header::IF_MODIFIED_SINCE, "Sun, 06 Nov 1994 08:49:38 GMT")],
                true,
            ),
            // Changed during the second the client saw: never 304 by date.
            (
                &[(header::IF_MODIFIED_SINCE, "Sun, 06 Nov 1994 08:49:37 GMT")],
                false,
            ),
            (
                &[(header::IF_MODIFIED_SINCE, "Sun, 06 Nov 1994 08:49:36 GMT")],
                false,
            ),
            (&[(header::IF_MODIFIED_SINCE, "yesterday")], false),
        ];
        for (pairs, expected) in cases {
            let request = headers(pairs);
            assert_eq!(strong.is_not_modified(&request), *expected, "{pairs:?}");
            assert_eq!(weak.is_not_modified(&request), *expected, "weak {pairs:?}");
        }
    }

    #[test]
    fn if_range() {
        let v = Validators::strong(7, at(784_111_777, 250));
        let now = at(784_111_900, 0);
        assert!(v.if_range_matches("\"0000000000000007\"", now));
        assert!(!v.if_range_matches("\"0000000000000008\"", now));
        assert!(!v.if_range_matches("W/\"0000000000000007\"", now));
        assert!(v.if_range_matches("Sun, 06 Nov 1994 08:49:37 GMT", now));
        assert!(!v.if_range_matches("Sun, 06 Nov 1994 08:49:38 GMT", now));
        // A date within the same second as the change is not strong.
        assert!(!v.if_range_matches("Sun, 06 Nov 1994 08:49:37 GMT", at(784_111_777, 900)));
        let weak = Validators::weak(7, at(784_111_777, 250));
        assert!(!weak.if_range_matches("W/\"0000000000000007\"", now));
        assert!(!weak.if_range_matches("\"0000000000000007\"", now));
    }

    #[test]
    fn ranges() {
        use RangeAnswer::*;
        let cases: &[(&str, u64, RangeAnswer)] = &[
            ("bytes=0-99", 1000, Partial { start: 0, end: 100 }),
            (
                "bytes=100-",
                1000,
                Partial {
                    start: 100,
                    end: 1000,
                },
            ),
            (
                "bytes=-100",
                1000,
                Partial {
                    start: 900,
                    end: 1000,
                },
            ),
            (
                "bytes=-5000",
                1000,
                Partial {
                    start: 0,
                    end: 1000,
                },
            ),
            (
                "bytes=990-5000",
                1000,
                Partial {
                    start: 990,
                    end: 1000,
                },
            ),
            ("bytes= 5 - 9 ", 1000, Partial { start: 5, end: 10 }),
            (
                "bytes=999-999",
                1000,
                Partial {
                    start: 999,
                    end: 1000,
                },
            ),
            ("bytes=1000-", 1000, Unsatisfiable),
            ("bytes=1000-2000", 1000, Unsatisfiable),
            ("bytes=-0", 1000, Unsatisfiable),
            ("bytes=0-", 0, Unsatisfiable),
            ("bytes=9-5", 1000, Full),
            ("bytes=0-1,5-9", 1000, Full),
            ("items=0-1", 1000, Full),
            ("bytes=a-b", 1000, Full),
            ("bytes=-", 1000, Full),
            ("bytes=", 1000, Full),
            ("bytes=5", 1000, Full),
            ("bytes=99999999999999999999999-", 1000, Full),
        ];
        for (value, len, expected) in cases {
            assert_eq!(byte_range(value, *len), *expected, "{value} of {len}");
        }
    }
}
