//! From a multivariant playlist to the levels the player can switch between, each with the codecs of
//! its `SourceBuffer`, and the separate audio rendition they play with.
//!
//! A variant that names an audio group (`AUDIO="g"`) lists in its `CODECS` "every media format present
//! in any Media Segment in any of the Renditions specified by the Variant Stream" (RFC 8216bis
//! 4.4.6.2), audio included, although its own media playlist may carry video only. When the chosen
//! rendition of the group has a `URI`, its media is a separate playlist with its own init segment, so it
//! gets a second `SourceBuffer` with the audio codecs, and the variant's keeps the others. When it has
//! no `URI`, "the Rendition's media is in the Media Playlist of the variant" (4.4.6.1) and one
//! `SourceBuffer` takes every codec.

use onair_media::playlist::{AudioRendition, MultivariantPlaylist};

use super::media::MediaView;
use crate::error::PlayerError;
use crate::url::resolve;

/// One variant of a multivariant playlist: a level ABR can choose.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    /// Resolved URL of its media playlist.
    pub url: String,
    /// `BANDWIDTH`, bits per second.
    pub bandwidth: u64,
    /// `RESOLUTION`, pixels.
    pub resolution: Option<(u32, u32)>,
    /// The codecs of its `SourceBuffer`: the whole `CODECS`, or its non-audio codecs when
    /// [`Level::audio`] is set; `None` when the playlist says none (read from the init segment).
    pub codecs: Option<String>,
    /// The whole `CODECS` attribute (what `isTypeSupported` is asked about).
    pub all_codecs: Option<String>,
    /// The separate audio rendition it plays with.
    pub audio: Option<AudioTrack>,
}

/// An alternate audio rendition played from its own media playlist.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioTrack {
    /// `NAME`.
    pub name: String,
    /// Resolved URL of its media playlist.
    pub url: String,
    /// The variant's audio codecs; `None` when it lists none.
    pub codecs: Option<String>,
}

/// What a playlist URL turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Manifest {
    /// A multivariant playlist's levels, in its order, its subtitle renditions, and where its origin
    /// takes playback beacons (the session data [`onair_media::BEACONS_DATA_ID`], resolved).
    Levels(Vec<Level>, Vec<SubtitleInfo>, Option<String>),
    /// A media playlist: one level without a multivariant playlist.
    Media(Box<MediaView>),
}

/// Codec families (the RFC 6381 sample entry before the first dot) that are audio. Everything else
/// (`avc1`, `hvc1`, `vp09`, `av01`, ...) stays with the variant's `SourceBuffer`.
const AUDIO_CODECS: &[&str] = &[
    "mp4a", "opus", "ac-3", "ec-3", "ac-4", "flac", "alac", "mp3", "dtsc", "dtse", "dtsh", "dtsl",
    "dtsx",
];

/// Whether one RFC 6381 codec (`mp4a.40.2`, `Opus`, `avc1.64001e`) is audio.
pub fn is_audio_codec(codec: &str) -> bool {
    let family = codec.trim().split('.').next().unwrap_or_default();
    AUDIO_CODECS
        .iter()
        .any(|audio| family.eq_ignore_ascii_case(audio))
}

/// Splits a `CODECS` value into (non-audio, audio) codec lists, each comma-joined without spaces and
/// `None` when empty.
pub fn split_codecs(codecs: &str) -> (Option<String>, Option<String>) {
    let (audio, other): (Vec<&str>, Vec<&str>) = codecs
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .partition(|c| is_audio_codec(c));
    let join = |list: Vec<&str>| (!list.is_empty()).then(|| list.join(","));
    (join(other), join(audio))
}

/// The rendition of `group` to play: the `DEFAULT=YES` one, else the first `AUTOSELECT=YES` one, else
/// the first one ("the client SHOULD play this Rendition of the content in the absence of information
/// from the user indicating a different choice", RFC 8216bis 4.4.6.1, on `DEFAULT`).
pub fn pick_audio_rendition<'a>(
    renditions: &'a [AudioRendition],
    group: &str,
) -> Option<&'a AudioRendition> {
    let mut in_group = renditions.iter().filter(|a| a.group_id == group);
    let first = in_group.clone().next()?;
    in_group
        .clone()
        .find(|a| a.default)
        .or_else(|| in_group.find(|a| a.autoselect))
        .or(Some(first))
}

/// Reads a playlist fetched from `url`: a multivariant playlist's levels, or a media playlist.
pub fn parse_manifest(text: &str, url: &str) -> Result<Manifest, PlayerError> {
    let trimmed = text.trim_start_matches('\u{feff}');
    if !trimmed.starts_with("#EXTM3U") {
        return Err(PlayerError::Playlist {
            url: url.to_owned(),
            reason: "does not start with #EXTM3U".to_owned(),
        });
    }
    if !trimmed.contains("#EXT-X-STREAM-INF") {
        return MediaView::parse(trimmed, url, None).map(|v| Manifest::Media(Box::new(v)));
    }
    let playlist = MultivariantPlaylist::parse(trimmed).map_err(|e| PlayerError::Playlist {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    let subtitles = subtitles(&playlist, url);
    let beacons = playlist
        .session_data
        .iter()
        .find(|data| data.data_id == onair_media::BEACONS_DATA_ID)
        .map(|data| crate::url::resolve(url, &data.value));
    Ok(Manifest::Levels(levels(&playlist, url), subtitles, beacons))
}

/// A subtitle rendition as the player loads it.
#[derive(Debug, Clone, PartialEq)]
pub struct SubtitleInfo {
    /// `NAME`.
    pub name: String,
    /// `LANGUAGE`.
    pub language: Option<String>,
    /// `DEFAULT=YES`: shown unless the viewer chooses otherwise.
    pub default: bool,
    /// Its media playlist, resolved.
    pub url: String,
}

/// The most subtitle renditions loaded (each is a playlist and its segments).
pub const MAX_SUBTITLE_TRACKS: usize = 8;

/// The subtitle renditions of the first variant's `SUBTITLES` group (every variant names the same one
/// in practice), else none.
pub fn subtitles(playlist: &MultivariantPlaylist, url: &str) -> Vec<SubtitleInfo> {
    let Some(group) = playlist
        .variants
        .iter()
        .find_map(|v| v.subtitles.as_deref())
    else {
        return Vec::new();
    };
    playlist
        .subtitles
        .iter()
        .filter(|s| s.group_id == group)
        .take(MAX_SUBTITLE_TRACKS)
        .map(|s| SubtitleInfo {
            name: s.name.clone(),
            language: s.language.clone(),
            default: s.default,
            url: resolve(url, &s.uri),
        })
        .collect()
}

/// The levels of a multivariant playlist fetched from `url`.
pub fn levels(playlist: &MultivariantPlaylist, url: &str) -> Vec<Level> {
    playlist
        .variants
        .iter()
        .map(|variant| {
            let all = Some(variant.codecs.trim())
                .filter(|c| !c.is_empty())
                .map(str::to_owned);
            let media_url = resolve(url, &variant.uri);
            let separate = variant
                .audio
                .as_deref()
                .and_then(|group| pick_audio_rendition(&playlist.audio, group))
                .and_then(|rendition| {
                    let uri = rendition.uri.as_deref().map(str::trim)?;
                    (!uri.is_empty()).then(|| (rendition.name.clone(), resolve(url, uri)))
                })
                // The variant's own playlist is the audio: a rendition pointing back at it adds nothing.
                .filter(|(_, audio_url)| *audio_url != media_url);
            let (codecs, audio) = match separate {
                Some((name, audio_url)) => {
                    let (main, audio) = all.as_deref().map(split_codecs).unwrap_or((None, None));
                    (
                        main,
                        Some(AudioTrack {
                            name,
                            url: audio_url,
                            codecs: audio,
                        }),
                    )
                }
                None => (all.clone(), None),
            };
            Level {
                url: media_url,
                bandwidth: variant.bandwidth,
                resolution: variant
                    .resolution
                    .map(|(w, h)| (u32::from(w), u32::from(h))),
                codecs,
                all_codecs: all,
                audio,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUP: &str = "#EXTM3U
#EXT-X-VERSION:7
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"en\",DEFAULT=YES,AUTOSELECT=YES,URI=\"a/index.m3u8\"
#EXT-X-STREAM-INF:BANDWIDTH=2800000,CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720,AUDIO=\"aud\"
v720/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=900000,CODECS=\"avc1.64001e,mp4a.40.2\",RESOLUTION=640x360,AUDIO=\"aud\"
v360/index.m3u8
";

    #[test]
    fn levels_with_a_separate_audio_rendition() {
        let Manifest::Levels(levels, _, _) =
            parse_manifest(GROUP, "http://h/live/x/index.m3u8").unwrap()
        else {
            panic!("levels expected");
        };
        assert_eq!(levels.len(), 2);
        assert_eq!(levels[0].url, "http://h/live/x/v720/index.m3u8");
        assert_eq!(levels[0].codecs.as_deref(), Some("avc1.64001f"));
        assert_eq!(
            levels[0].all_codecs.as_deref(),
            Some("avc1.64001f,mp4a.40.2")
        );
        assert_eq!(levels[1].resolution, Some((640, 360)));
        let audio = levels[1].audio.as_ref().unwrap();
        assert_eq!(audio.url, "http://h/live/x/a/index.m3u8");
        assert_eq!(audio.codecs.as_deref(), Some("mp4a.40.2"));
    }

    #[test]
    fn muxed_audio_keeps_one_buffer() {
        let text = "#EXTM3U
#EXT-X-STREAM-INF:BANDWIDTH=2628000,CODECS=\"avc1.42e01f,opus\",RESOLUTION=1280x720
r0/index.m3u8
";
        let Manifest::Levels(levels, _, _) = parse_manifest(text, "/live/abc/index.m3u8").unwrap()
        else {
            panic!("levels expected");
        };
        assert_eq!(levels[0].url, "/live/abc/r0/index.m3u8");
        assert_eq!(levels[0].codecs.as_deref(), Some("avc1.42e01f,opus"));
        assert!(levels[0].audio.is_none());
    }

    #[test]
    fn codecs_split_and_classify() {
        assert_eq!(
            split_codecs(" avc1.64001f , mp4a.40.2,Opus"),
            (Some("avc1.64001f".into()), Some("mp4a.40.2,Opus".into()))
        );
        assert_eq!(split_codecs(""), (None, None));
        assert!(is_audio_codec("ec-3"));
        assert!(!is_audio_codec("av01.0.08M.08"));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse_manifest("<html>", "u").is_err());
        assert!(parse_manifest("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=x\n", "u").is_err());
    }
}
