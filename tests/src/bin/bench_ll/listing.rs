//! Reading a media playlist the way a load-generating client must: a line scan for the parts it lists,
//! not a full parse (a viewer does this thousands of times a second on the same cores as the server).

use anyhow::{bail, Context, Result};

use crate::source::PartId;

/// What a media playlist lists from a given part on.
#[derive(Debug, PartialEq)]
pub struct Listing<'a> {
    /// Every part at or after the one asked for, in order, with its URI.
    pub parts: Vec<(PartId, &'a str)>,
    /// Complete segments at or after the part asked for that are listed without their parts (the server
    /// lists parts only near the live edge): a client that far behind GETs the segment instead.
    pub partless: Vec<(u64, &'a str)>,
    /// The part after the last one listed (the next to ask for).
    pub next: PartId,
    pub ended: bool,
}

/// Reads the parts out of a media playlist text, the way a client walks it: `EXT-X-MEDIA-SEQUENCE` (plus
/// `EXT-X-SKIP`'s skipped segments) numbers the first segment, every `EXT-X-PART` belongs to the segment
/// whose URI line follows it, and the parts after the last URI belong to the segment being produced. A
/// line scan, not a full parse: a viewer does this thousands of times a second on the same cores as the
/// server.
pub fn list_parts(text: &str, from: PartId) -> Result<Listing<'_>> {
    let mut msn = 0u64;
    let mut index = 0u32;
    let mut parts = Vec::new();
    let mut partless = Vec::new();
    let mut ended = false;
    let mut header = true;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("#EXT-X-MEDIA-SEQUENCE:") {
            msn = rest.parse().context("EXT-X-MEDIA-SEQUENCE")?;
        } else if let Some(rest) = line.strip_prefix("#EXT-X-SKIP:") {
            let skipped = attribute(rest, "SKIPPED-SEGMENTS").context("EXT-X-SKIP")?;
            msn += skipped
                .parse::<u64>()
                .context("EXT-X-SKIP:SKIPPED-SEGMENTS")?;
        } else if let Some(rest) = line.strip_prefix("#EXT-X-PART:") {
            header = false;
            let uri = attribute(rest, "URI").context("EXT-X-PART without URI")?;
            let id = PartId { msn, index };
            if id >= from {
                parts.push((id, uri));
            }
            index += 1;
        } else if line == "#EXT-X-ENDLIST" {
            ended = true;
        } else if !line.starts_with('#') {
            header = false;
            if index == 0 && msn >= from.msn {
                partless.push((msn, line));
            }
            msn += 1;
            index = 0;
        }
    }
    if header {
        bail!("no segment and no part");
    }
    Ok(Listing {
        parts,
        partless,
        next: PartId { msn, index },
        ended,
    })
}

/// The value of `NAME=value` or `NAME="value"` in an attribute list.
fn attribute<'a>(list: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = list;
    loop {
        let (key, after) = rest.split_once('=')?;
        if let Some(quoted) = after.strip_prefix('"') {
            let (value, tail) = quoted.split_once('"')?;
            if key.trim() == name {
                return Some(value);
            }
            rest = tail.strip_prefix(',').unwrap_or(tail);
        } else {
            let (value, tail) = after.split_once(',').unwrap_or((after, ""));
            if key.trim() == name {
                return Some(value);
            }
            if tail.is_empty() {
                return None;
            }
            rest = tail;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onair_media::{MediaPlaylist, Part, PlaylistSegment, PreloadHint, ServerControl};

    fn part(uri: &str, independent: bool) -> Part {
        Part {
            uri: uri.into(),
            duration_secs: 0.32,
            independent,
            gap: false,
        }
    }

    /// A live playlist as onair-media renders it: segments 5 and 6 with their parts, two parts of 7.
    fn live_playlist() -> MediaPlaylist {
        let segment = |msn: u64| PlaylistSegment {
            uri: format!("{msn}.m4s"),
            duration_secs: 1.92,
            parts: (0..6)
                .map(|i| part(&format!("{msn}.{i}.m4s"), i == 0))
                .collect(),
            ..PlaylistSegment::default()
        };
        MediaPlaylist {
            target_duration: 2,
            media_sequence: 5,
            map_uri: "init.mp4".into(),
            segments: vec![segment(5), segment(6)],
            part_target: Some(0.334),
            server_control: Some(ServerControl {
                can_block_reload: true,
                part_hold_back: Some(1.002),
                ..ServerControl::default()
            }),
            trailing_parts: vec![part("7.0.m4s", true), part("7.1.m4s", false)],
            preload_hint: Some(PreloadHint {
                uri: "7.2.m4s".into(),
                ..PreloadHint::default()
            }),
            ..MediaPlaylist::default()
        }
    }

    #[test]
    fn lists_parts_from_the_one_asked_for() {
        let text = live_playlist().render();
        let listing = list_parts(&text, PartId { msn: 6, index: 4 }).expect("listing");
        let ids: Vec<(u64, u32, &str)> = listing
            .parts
            .iter()
            .map(|(p, uri)| (p.msn, p.index, *uri))
            .collect();
        assert_eq!(
            ids,
            [
                (6, 4, "6.4.m4s"),
                (6, 5, "6.5.m4s"),
                (7, 0, "7.0.m4s"),
                (7, 1, "7.1.m4s")
            ]
        );
        assert_eq!(listing.next, PartId { msn: 7, index: 2 });
        assert!(!listing.ended);
        // Joining: nothing listed from "infinity", but the next part is known.
        let join = list_parts(
            &text,
            PartId {
                msn: u64::MAX,
                index: u32::MAX,
            },
        )
        .expect("listing");
        assert!(join.parts.is_empty());
        assert_eq!(join.next, PartId { msn: 7, index: 2 });
    }

    #[test]
    fn a_segment_just_completed_moves_to_the_next_msn() {
        let mut playlist = live_playlist();
        playlist.trailing_parts.clear();
        playlist.preload_hint = None;
        playlist.ended = true;
        let text = playlist.render();
        let listing = list_parts(&text, PartId { msn: 6, index: 6 }).expect("listing");
        assert!(listing.parts.is_empty());
        assert_eq!(listing.next, PartId { msn: 7, index: 0 });
        assert!(listing.ended);
    }

    #[test]
    fn segments_listed_without_their_parts_are_reported() {
        let mut playlist = live_playlist();
        playlist.segments[0].parts.clear();
        let text = playlist.render();
        let behind = list_parts(&text, PartId { msn: 5, index: 2 }).expect("listing");
        assert_eq!(behind.partless, [(5, "5.m4s")]);
        assert_eq!(
            behind.parts.first().map(|p| p.0),
            Some(PartId { msn: 6, index: 0 })
        );
        let live = list_parts(&text, PartId { msn: 6, index: 3 }).expect("listing");
        assert!(live.partless.is_empty());
    }

    #[test]
    fn skipped_segments_count_in_delta_updates() {
        let mut playlist = live_playlist();
        playlist.skipped_segments = 1;
        playlist.segments.remove(0);
        let text = playlist.render();
        let listing = list_parts(&text, PartId { msn: 7, index: 1 }).expect("listing");
        assert_eq!(listing.parts, [(PartId { msn: 7, index: 1 }, "7.1.m4s")]);
    }

    #[test]
    fn a_playlist_without_media_is_refused() {
        assert!(list_parts(
            "#EXTM3U\n#EXT-X-TARGETDURATION:2\n",
            PartId { msn: 0, index: 0 }
        )
        .is_err());
        assert!(list_parts(
            "#EXTM3U\n#EXT-X-PART:DURATION=0.3\n",
            PartId { msn: 0, index: 0 }
        )
        .is_err());
    }

    #[test]
    fn attributes_quoted_or_not() {
        let list = r#"DURATION=0.32,URI="a,b=c.m4s",INDEPENDENT=YES"#;
        assert_eq!(attribute(list, "URI"), Some("a,b=c.m4s"));
        assert_eq!(attribute(list, "DURATION"), Some("0.32"));
        assert_eq!(attribute(list, "INDEPENDENT"), Some("YES"));
        assert_eq!(attribute(list, "GAP"), None);
        assert_eq!(
            attribute("SKIPPED-SEGMENTS=3", "SKIPPED-SEGMENTS"),
            Some("3")
        );
    }
}
