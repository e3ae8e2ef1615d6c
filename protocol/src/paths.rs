//! Every path of the contract: functions that build them for clients (the broadcaster, the web app, the
//! tests and benchmarks), and the `ROUTE_*` patterns (axum's `{name}` syntax) the server routes them by.
//! A client function and the pattern it matches sit side by side, and a test checks each pair.

use crate::{
    part_file, segment_file, INIT_FILE, LIVE_PLAYLIST_FILE, RECORDING_DOWNLOAD_FILE,
    RECORDING_PLAYLIST_FILE, THUMBNAIL_FILE,
};

/// `POST` creates a stream, `GET` lists the live ones.
pub const STREAMS: &str = "/api/streams";
/// Pattern of [`stream`].
pub const ROUTE_STREAM: &str = "/api/streams/{id}";
/// Pattern of [`end`].
pub const ROUTE_END: &str = "/api/streams/{id}/end";
/// Pattern of [`key`].
pub const ROUTE_KEY: &str = "/api/streams/{id}/key";
/// Pattern of [`beacons`].
pub const ROUTE_BEACONS: &str = "/api/streams/{id}/beacons";
/// Pattern of [`analytics`].
pub const ROUTE_ANALYTICS: &str = "/api/streams/{id}/analytics";
/// Prometheus text exposition of the server's figures.
pub const METRICS: &str = "/metrics";
/// Pattern of [`init_upload`].
pub const ROUTE_INIT_UPLOAD: &str = "/api/streams/{id}/renditions/{rendition}/init.mp4";
/// Pattern of [`segment_upload`] (`{file}` is `{n}.m4s`).
pub const ROUTE_SEGMENT_UPLOAD: &str = "/api/streams/{id}/renditions/{rendition}/segments/{file}";
/// Pattern of [`part_upload`] (`{file}` is `{msn}.{index}.m4s`).
pub const ROUTE_PART_UPLOAD: &str = "/api/streams/{id}/renditions/{rendition}/parts/{file}";
/// Pattern of [`thumbnail_upload`].
pub const ROUTE_THUMBNAIL_UPLOAD: &str = "/api/streams/{id}/thumbnail.jpg";
/// Pattern of encoder ingest ([`ingest`]): `{path}` is `{file}` or `{rendition}/{file}`.
pub const ROUTE_INGEST: &str = "/ingest/{stream_key}/{*path}";
/// Where playback lives; the server nests [`ROUTE_LIVE_STREAM_FILE`] and [`ROUTE_LIVE_RENDITION_FILE`]
/// under it.
pub const LIVE: &str = "/live";
/// Pattern, under [`LIVE`], of a stream's own files (its multivariant playlists).
pub const ROUTE_LIVE_STREAM_FILE: &str = "/{id}/{file}";
/// Pattern, under [`LIVE`], of a rendition's files (media playlists, init, segments, parts).
pub const ROUTE_LIVE_RENDITION_FILE: &str = "/{id}/{rendition}/{file}";

/// Where the embeddable player is served (`onair-player.js` and its wasm), under the web directory's
/// `player/`.
pub const PLAYER: &str = "/player";
/// The embeddable player's script, under [`PLAYER`]: a stable name for the one-snippet embed.
pub const PLAYER_SCRIPT: &str = "onair-player.js";

/// `GET` the blog's posts ([`crate::BlogList`]).
pub const BLOG: &str = "/api/blog";
/// Pattern of [`blog_post`].
pub const ROUTE_BLOG_POST: &str = "/api/blog/{slug}";

/// `GET` one post of the blog, rendered.
pub fn blog_post(slug: &str) -> String {
    format!("{BLOG}/{slug}")
}

/// `POST` a [`crate::ContactMessage`].
pub const CONTACT: &str = "/api/contact";

/// `GET` the ended streams that still have media (the recordings), newest first.
pub const RECORDINGS: &str = "/api/recordings";

/// `GET` one stream.
pub fn stream(id: &str) -> String {
    format!("{STREAMS}/{id}")
}

/// `POST` ends the stream.
pub fn end(id: &str) -> String {
    format!("{STREAMS}/{id}/end")
}

/// `POST` with the owner token: a new stream key ([`crate::RotatedKey`]).
pub fn key(id: &str) -> String {
    format!("{STREAMS}/{id}/key")
}

/// `POST` a player's [`crate::PlaybackBeacon`].
pub fn beacons(id: &str) -> String {
    format!("{STREAMS}/{id}/beacons")
}

/// `GET` the stream's [`crate::StreamAnalytics`] (owner only).
pub fn analytics(id: &str) -> String {
    format!("{STREAMS}/{id}/analytics")
}

/// `PUT` a rendition's init segment.
pub fn init_upload(id: &str, rendition: &str) -> String {
    format!("{STREAMS}/{id}/renditions/{rendition}/{INIT_FILE}")
}

/// `PUT` segment `n` of a rendition.
pub fn segment_upload(id: &str, rendition: &str, n: u64) -> String {
    format!(
        "{STREAMS}/{id}/renditions/{rendition}/segments/{}",
        segment_file(n)
    )
}

/// `PUT` part `index` of segment `msn` of a rendition (with [`crate::PART_TARGET_HEADER`]).
pub fn part_upload(id: &str, rendition: &str, msn: u64, index: u32) -> String {
    format!(
        "{STREAMS}/{id}/renditions/{rendition}/parts/{}",
        part_file(msn, index)
    )
}

/// `PUT` a file pushed by a standard encoder (`file` is e.g. `index.m3u8`, `init.mp4`, `seg3.m4s`, or
/// `stream_0/seg3.m4s` for a rendition).
pub fn ingest(stream_key: &str, file: &str) -> String {
    format!("/ingest/{stream_key}/{file}")
}

/// The watch page.
pub fn watch_page(id: &str) -> String {
    format!("/watch/{id}")
}

/// The player alone, for an `<iframe>`.
pub fn embed_page(id: &str) -> String {
    format!("/embed/{id}")
}

/// The live multivariant playlist.
pub fn playback(id: &str) -> String {
    format!("{LIVE}/{id}/{LIVE_PLAYLIST_FILE}")
}

/// The whole recording's multivariant playlist (VOD), once the stream has ended.
pub fn recording(id: &str) -> String {
    format!("{LIVE}/{id}/{RECORDING_PLAYLIST_FILE}")
}

/// A stream's live thumbnail (JPEG), the picture on its card; `GET` under [`LIVE`].
pub fn thumbnail(id: &str) -> String {
    format!("{LIVE}/{id}/{THUMBNAIL_FILE}")
}

/// `PUT` a snapshot of the broadcaster's picture as the stream's thumbnail (JPEG, the stream key).
pub fn thumbnail_upload(id: &str) -> String {
    format!("{STREAMS}/{id}/{THUMBNAIL_FILE}")
}

/// An ended stream's recording as one MP4 file, to download.
pub fn recording_download(id: &str) -> String {
    format!("{LIVE}/{id}/{RECORDING_DOWNLOAD_FILE}")
}

/// A rendition's live media playlist.
pub fn media_playlist(id: &str, rendition: &str) -> String {
    format!("{LIVE}/{id}/{rendition}/{LIVE_PLAYLIST_FILE}")
}

/// A rendition's recording media playlist.
pub fn rendition_recording(id: &str, rendition: &str) -> String {
    format!("{LIVE}/{id}/{rendition}/{RECORDING_PLAYLIST_FILE}")
}

/// A rendition's init segment in playback.
pub fn init(id: &str, rendition: &str) -> String {
    format!("{LIVE}/{id}/{rendition}/{INIT_FILE}")
}

/// Segment `msn` of a rendition in playback.
pub fn segment(id: &str, rendition: &str, msn: u64) -> String {
    format!("{LIVE}/{id}/{rendition}/{}", segment_file(msn))
}

/// Part `index` of segment `msn` of a rendition in playback.
pub fn part(id: &str, rendition: &str, msn: u64, index: u32) -> String {
    format!("{LIVE}/{id}/{rendition}/{}", part_file(msn, index))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `path` fits `pattern`: literal segments equal, `{name}` any one non-empty segment,
    /// `{*name}` the non-empty rest.
    fn matches(pattern: &str, path: &str) -> bool {
        let mut pattern = pattern.split('/');
        let mut path = path.split('/');
        loop {
            match (pattern.next(), path.next()) {
                (None, None) => return true,
                (Some(p), Some(s)) if p.starts_with("{*") => return !s.is_empty(),
                (Some(p), Some(s)) if p.starts_with('{') && p.ends_with('}') => {
                    if s.is_empty() {
                        return false;
                    }
                }
                (Some(p), Some(s)) if p == s => {}
                _ => return false,
            }
        }
    }

    #[test]
    fn every_client_path_matches_its_route() {
        let live = |route: &str| format!("{LIVE}{route}");
        let cases = [
            (STREAMS.to_owned(), STREAMS.to_owned()),
            (ROUTE_STREAM.to_owned(), stream("abc")),
            (ROUTE_END.to_owned(), end("abc")),
            (ROUTE_KEY.to_owned(), key("abc")),
            (ROUTE_BEACONS.to_owned(), beacons("abc")),
            (ROUTE_BLOG_POST.to_owned(), blog_post("hello")),
            (ROUTE_ANALYTICS.to_owned(), analytics("abc")),
            (ROUTE_INIT_UPLOAD.to_owned(), init_upload("abc", "r0")),
            (
                ROUTE_SEGMENT_UPLOAD.to_owned(),
                segment_upload("abc", "r0", 3),
            ),
            (ROUTE_PART_UPLOAD.to_owned(), part_upload("abc", "r0", 3, 1)),
            (ROUTE_INGEST.to_owned(), ingest("key", "index.m3u8")),
            (ROUTE_INGEST.to_owned(), ingest("key", "stream_0/seg1.m4s")),
            (live(ROUTE_LIVE_STREAM_FILE), playback("abc")),
            (live(ROUTE_LIVE_STREAM_FILE), recording("abc")),
            (live(ROUTE_LIVE_STREAM_FILE), recording_download("abc")),
            (live(ROUTE_LIVE_STREAM_FILE), thumbnail("abc")),
            (ROUTE_THUMBNAIL_UPLOAD.to_owned(), thumbnail_upload("abc")),
            (live(ROUTE_LIVE_RENDITION_FILE), media_playlist("abc", "r0")),
            (
                live(ROUTE_LIVE_RENDITION_FILE),
                rendition_recording("abc", "r0"),
            ),
            (live(ROUTE_LIVE_RENDITION_FILE), init("abc", "r0")),
            (live(ROUTE_LIVE_RENDITION_FILE), segment("abc", "r0", 3)),
            (live(ROUTE_LIVE_RENDITION_FILE), part("abc", "r0", 3, 1)),
        ];
        for (pattern, path) in cases {
            assert!(matches(&pattern, &path), "{path} does not match {pattern}");
        }
        assert!(!matches(ROUTE_STREAM, &end("abc")));
    }

    #[test]
    fn the_readme_paths() {
        assert_eq!(
            part_upload("abc", "r0", 3, 1),
            "/api/streams/abc/renditions/r0/parts/3.1.m4s"
        );
        assert_eq!(
            segment_upload("abc", "r0", 3),
            "/api/streams/abc/renditions/r0/segments/3.m4s"
        );
        assert_eq!(
            init_upload("abc", "720p"),
            "/api/streams/abc/renditions/720p/init.mp4"
        );
        assert_eq!(playback("abc"), "/live/abc/index.m3u8");
        assert_eq!(recording("abc"), "/live/abc/recording.m3u8");
        assert_eq!(watch_page("abc"), "/watch/abc");
        assert_eq!(embed_page("abc"), "/embed/abc");
        assert_eq!(part("abc", "r0", 3, 1), "/live/abc/r0/3.1.m4s");
    }
}
