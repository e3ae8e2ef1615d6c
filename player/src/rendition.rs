//! Choosing what to play from a multivariant playlist: the variant, its alternate audio rendition
//! (`EXT-X-MEDIA:TYPE=AUDIO`), and which `CODECS` go to which `SourceBuffer`.
//!
//! A variant that names an audio group (`AUDIO="g"`) lists in its `CODECS` "every media format present
//! in any Media Segment in any of the Renditions specified by the Variant Stream" (RFC 8216bis
//! 4.4.6.2), audio included, although its own media playlist may carry video only. When the chosen
//! rendition of the group has a `URI`, its media is a separate playlist with its own init segment, so it
//! gets a second `SourceBuffer` with the audio codecs, and the variant's keeps the others. When it has
//! no `URI`, "the Rendition's media is in the Media Playlist of the variant" (4.4.6.1) and one
//! `SourceBuffer` takes every codec.

use m3u8_rs::{AlternativeMedia, AlternativeMediaType, MasterPlaylist, VariantStream};

use crate::url::resolve;

/// The variant chosen from a multivariant playlist and, when it plays with one, the separate audio
/// rendition.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Absolute (or page-relative) URL of the variant's media playlist.
    pub media_url: String,
    /// The codecs for the variant's `SourceBuffer`: the whole `CODECS` attribute, or only its
    /// non-audio codecs when [`Selection::audio`] is set. `None` when unknown (read from the init).
    pub codecs: Option<String>,
    /// The separate audio rendition, if the variant's audio group has one with a `URI`.
    pub audio: Option<AudioSelection>,
}

/// An alternate audio rendition that is played from its own media playlist.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioSelection {
    /// `NAME` of the rendition.
    pub name: String,
    /// Absolute (or page-relative) URL of the rendition's media playlist.
    pub media_url: String,
    /// The audio codecs of the variant's `CODECS`; `None` when it lists none (read from the init).
    pub codecs: Option<String>,
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
    alternatives: &'a [AlternativeMedia],
    group: &str,
) -> Option<&'a AlternativeMedia> {
    let mut in_group = alternatives
        .iter()
        .filter(|a| a.media_type == AlternativeMediaType::Audio && a.group_id == group);
    let first = in_group.clone().next()?;
    in_group
        .clone()
        .find(|a| a.default)
        .or_else(|| in_group.find(|a| a.autoselect))
        .or(Some(first))
}

/// Chooses what to play from a multivariant playlist fetched from `url`: the first variant that is not
/// an I-frame playlist, and its audio rendition. `None` when there is no such variant.
pub fn select(master: &MasterPlaylist, url: &str) -> Option<Selection> {
    let variant = master.variants.iter().find(|v| !v.is_i_frame)?;
    Some(select_variant(master, variant, url))
}

fn select_variant(master: &MasterPlaylist, variant: &VariantStream, url: &str) -> Selection {
    let codecs = variant
        .codecs
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let media_url = resolve(url, &variant.uri);
    let separate = variant
        .audio
        .as_deref()
        .and_then(|group| pick_audio_rendition(&master.alternatives, group))
        .and_then(|rendition| {
            let uri = rendition.uri.as_deref().map(str::trim)?;
            (!uri.is_empty()).then(|| (rendition.name.clone(), resolve(url, uri)))
        });
    match separate {
        // The variant's own playlist is the audio: a rendition pointing back at it adds nothing.
        Some((_, audio_url)) if audio_url == media_url => Selection {
            media_url,
            codecs: codecs.map(str::to_owned),
            audio: None,
        },
        Some((name, audio_url)) => {
            let (main, audio) = codecs.map(split_codecs).unwrap_or((None, None));
            Selection {
                media_url,
                codecs: main,
                audio: Some(AudioSelection {
                    name,
                    media_url: audio_url,
                    codecs: audio,
                }),
            }
        }
        None => Selection {
            media_url,
            codecs: codecs.map(str::to_owned),
            audio: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use m3u8_rs::Playlist;

    fn master(text: &str) -> MasterPlaylist {
        match m3u8_rs::parse_playlist_res(text.as_bytes()) {
            Ok(Playlist::MasterPlaylist(m)) => m,
            other => panic!("not a multivariant playlist: {other:?}"),
        }
    }

    const BASE: &str = "http://h/live/abc/index.m3u8";

    // As the origin writes it for ffmpeg `-var_stream_map "v:0,agroup:aud v:1,agroup:aud a:0,agroup:aud"`.
    const AUDIO_GROUP: &str = r#"#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="stream_2",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="stream_2/index.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=627206,AVERAGE-BANDWIDTH=627206,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=25,AUDIO="audio"
stream_0/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=327206,CODECS="avc1.64000d,mp4a.40.2",RESOLUTION=320x180,FRAME-RATE=25,AUDIO="audio"
stream_1/index.m3u8
"#;

    #[test]
    fn audio_group_with_uri_gets_its_own_source_buffer() {
        let s = select(&master(AUDIO_GROUP), BASE).unwrap();
        assert_eq!(
            s,
            Selection {
                media_url: "http://h/live/abc/stream_0/index.m3u8".into(),
                codecs: Some("avc1.64001e".into()),
                audio: Some(AudioSelection {
                    name: "stream_2".into(),
                    media_url: "http://h/live/abc/stream_2/index.m3u8".into(),
                    codecs: Some("mp4a.40.2".into()),
                }),
            }
        );
    }

    #[test]
    fn audio_muxed_in_the_variant_keeps_one_source_buffer() {
        // The group's rendition has no URI: its media is in the variant's playlist.
        let text = r#"#EXTM3U
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="main",DEFAULT=YES
#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="avc1.64001e,mp4a.40.2",AUDIO="a"
v0.m3u8
"#;
        let s = select(&master(text), BASE).unwrap();
        assert_eq!(s.codecs.as_deref(), Some("avc1.64001e,mp4a.40.2"));
        assert_eq!(s.audio, None);
    }

    #[test]
    fn no_audio_group_is_unchanged() {
        let text = "#EXTM3U
#EXT-X-STREAM-INF:BANDWIDTH=2628000,CODECS=\"avc1.42e01f,opus\",RESOLUTION=1280x720
r0/index.m3u8
";
        let s = select(&master(text), BASE).unwrap();
        assert_eq!(s.media_url, "http://h/live/abc/r0/index.m3u8");
        assert_eq!(s.codecs.as_deref(), Some("avc1.42e01f,opus"));
        assert_eq!(s.audio, None);
    }

    #[test]
    fn rendition_choice_default_then_autoselect_then_first() {
        let choose = |media: &str| {
            let text = format!(
                "#EXTM3U\n{media}#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"avc1.64001e,opus\",AUDIO=\"g\"\nv.m3u8\n"
            );
            select(&master(&text), BASE).and_then(|s| s.audio.map(|a| a.name))
        };
        let tag = |name: &str, extra: &str| {
            format!("#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"g\",NAME=\"{name}\"{extra},URI=\"{name}.m3u8\"\n")
        };
        let other_group =
            "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"h\",NAME=\"x\",DEFAULT=YES,URI=\"x.m3u8\"\n";
        assert_eq!(
            choose(
                &[
                    tag("a", ""),
                    tag("b", ",AUTOSELECT=YES"),
                    tag("c", ",DEFAULT=YES,AUTOSELECT=YES")
                ]
                .concat()
            ),
            Some("c".into())
        );
        assert_eq!(
            choose(&[other_group, &tag("a", ""), &tag("b", ",AUTOSELECT=YES")].concat()),
            Some("b".into())
        );
        assert_eq!(
            choose(&[other_group, &tag("a", ",DEFAULT=NO"), &tag("b", "")].concat()),
            Some("a".into())
        );
        // Only renditions of other groups or types: nothing separate.
        let video =
            "#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID=\"g\",NAME=\"v\",DEFAULT=YES,URI=\"v2.m3u8\"\n";
        assert_eq!(choose(&[other_group, video].concat()), None);
    }

    #[test]
    fn codecs_split_between_the_buffers() {
        let s = |c: &str| split_codecs(c);
        assert_eq!(
            s("avc1.64001e,mp4a.40.2"),
            (Some("avc1.64001e".into()), Some("mp4a.40.2".into()))
        );
        assert_eq!(
            s(" hvc1.1.6.L93.B0 , Opus ,ec-3"),
            (Some("hvc1.1.6.L93.B0".into()), Some("Opus,ec-3".into()))
        );
        assert_eq!(s("mp4a.40.2"), (None, Some("mp4a.40.2".into())));
        assert_eq!(s("av01.0.04M.08"), (Some("av01.0.04M.08".into()), None));
        assert_eq!(s(""), (None, None));
        assert_eq!(s(",,"), (None, None));
        assert!(is_audio_codec("fLaC"));
        assert!(!is_audio_codec("vp09.00.10.08"));
        assert!(!is_audio_codec(""));
    }

    #[test]
    fn missing_or_malformed_attributes_do_not_panic() {
        // The variant lists no CODECS: both buffers read their codecs from the init segments.
        let no_codecs = r#"#EXTM3U
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="en",URI="en.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO="a"
v.m3u8
"#;
        let s = select(&master(no_codecs), BASE).unwrap();
        assert_eq!(s.codecs, None);
        let audio = s.audio.unwrap();
        assert_eq!(audio.codecs, None);
        assert_eq!(audio.media_url, "http://h/live/abc/en.m3u8");

        // CODECS with only the video: the audio codec comes from its init segment.
        let video_only = no_codecs.replace("AUDIO=\"a\"", "CODECS=\"avc1.64001e\",AUDIO=\"a\"");
        let s = select(&master(&video_only), BASE).unwrap();
        assert_eq!(s.codecs.as_deref(), Some("avc1.64001e"));
        assert_eq!(s.audio.and_then(|a| a.codecs), None);

        // AUDIO names a group that does not exist: played as one buffer, as before.
        let dangling = r#"#EXTM3U
#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="avc1.64001e,mp4a.40.2",AUDIO="nope"
v.m3u8
"#;
        let s = select(&master(dangling), BASE).unwrap();
        assert_eq!(s.codecs.as_deref(), Some("avc1.64001e,mp4a.40.2"));
        assert_eq!(s.audio, None);

        // An EXT-X-MEDIA without GROUP-ID or NAME is not a rendition (m3u8-rs keeps it as an unknown tag);
        // an empty URI is no URI; a blank CODECS is none.
        let broken = r#"#EXTM3U
#EXT-X-MEDIA:TYPE=AUDIO,NAME="x",DEFAULT=YES,URI="x.m3u8"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",DEFAULT=YES,URI="y.m3u8"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="z",DEFAULT=YES,URI=""
#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=" ",AUDIO="a"
v.m3u8
"#;
        let s = select(&master(broken), BASE).unwrap();
        assert_eq!(s.codecs, None);
        assert_eq!(s.audio, None);

        // A rendition whose URI is the variant's own playlist is not a second track.
        let same = r#"#EXTM3U
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="x",DEFAULT=YES,URI="v.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="avc1.64001e,mp4a.40.2",AUDIO="a"
v.m3u8
"#;
        let s = select(&master(same), BASE).unwrap();
        assert_eq!(s.codecs.as_deref(), Some("avc1.64001e,mp4a.40.2"));
        assert_eq!(s.audio, None);

        // Only I-frame variants: nothing to play.
        let iframes = r#"#EXTM3U
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI="i.m3u8"
"#;
        assert_eq!(select(&master(iframes), BASE), None);
    }
}
