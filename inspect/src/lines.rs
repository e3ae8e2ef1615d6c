//! Where things are in a playlist's text: the line of every tag and of every segment's and part's entry.
//! `m3u8-rs` (and the media crate's model on top of it) answers what a playlist says but not on which
//! line, nor whether a tag appears twice or in the wrong place, which the checks need.

/// One tag line: `#EXT-X-NAME:value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagLine {
    /// 1-based line number.
    pub line: usize,
    /// The tag without `#`, e.g. `EXT-X-TARGETDURATION`.
    pub name: String,
    /// The text after the colon (empty when there is none).
    pub value: String,
}

/// Lines of one segment: its `EXTINF`, its URI and its parts' `EXT-X-PART`s.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SegmentLines {
    /// Line of the `EXTINF` tag.
    pub extinf: Option<usize>,
    /// The `EXTINF` value as written (duration and title).
    pub extinf_value: Option<String>,
    /// Line of the URI.
    pub uri: usize,
    /// Lines of the `EXT-X-PART` tags before the URI.
    pub parts: Vec<usize>,
}

/// A playlist's text, indexed by line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlaylistLines {
    /// The first non-blank line.
    pub first: Option<String>,
    /// Every tag line, in order.
    pub tags: Vec<TagLine>,
    /// Every segment (URI line), in order; for a multivariant playlist, every variant's URI line.
    pub segments: Vec<SegmentLines>,
    /// `EXT-X-PART` lines after the last URI: the parts of the segment being produced.
    pub trailing_parts: Vec<usize>,
}

impl PlaylistLines {
    /// Indexes `text`.
    pub fn scan(text: &str) -> PlaylistLines {
        let mut out = PlaylistLines::default();
        let mut pending = SegmentLines::default();
        for (i, raw) in text.lines().enumerate() {
            let number = i + 1;
            let line = raw.trim();
            if line.is_empty() {
                continue;
            }
            if out.first.is_none() {
                out.first = Some(line.trim_start_matches('\u{feff}').to_string());
            }
            if let Some(tag) = line.strip_prefix('#') {
                if !tag.starts_with("EXT") {
                    continue; // a comment
                }
                let (name, value) = tag.split_once(':').unwrap_or((tag, ""));
                match name {
                    "EXTINF" => {
                        pending.extinf = Some(number);
                        pending.extinf_value = Some(value.to_string());
                    }
                    "EXT-X-PART" => pending.parts.push(number),
                    _ => {}
                }
                out.tags.push(TagLine {
                    line: number,
                    name: name.to_string(),
                    value: value.to_string(),
                });
            } else {
                pending.uri = number;
                out.segments.push(std::mem::take(&mut pending));
            }
        }
        out.trailing_parts = pending.parts;
        out
    }

    /// Every line of tag `name`.
    pub fn tag<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a TagLine> + 'a {
        self.tags.iter().filter(move |t| t.name == name)
    }

    /// The first line of tag `name`.
    pub fn first_tag(&self, name: &str) -> Option<&TagLine> {
        self.tags.iter().find(|t| t.name == name)
    }

    /// Line of the first URI (the first segment or variant).
    pub fn first_uri_line(&self) -> Option<usize> {
        self.segments.first().map(|s| s.uri)
    }

    /// True when the text is a multivariant playlist (it has a tag only those carry).
    pub fn is_multivariant(&self) -> bool {
        self.tags.iter().any(|t| {
            matches!(
                t.name.as_str(),
                "EXT-X-STREAM-INF"
                    | "EXT-X-I-FRAME-STREAM-INF"
                    | "EXT-X-MEDIA"
                    | "EXT-X-SESSION-DATA"
                    | "EXT-X-SESSION-KEY"
                    | "EXT-X-CONTENT-STEERING"
            )
        })
    }

    /// `EXT-X-VERSION`, if present and an integer.
    pub fn version(&self) -> Option<u64> {
        self.first_tag("EXT-X-VERSION")
            .and_then(|t| t.value.trim().parse().ok())
    }

    /// True when the text has `EXT-X-INDEPENDENT-SEGMENTS`.
    pub fn independent_segments(&self) -> bool {
        self.first_tag("EXT-X-INDEPENDENT-SEGMENTS").is_some()
    }
}

/// True when `text` starts like a playlist (`#EXTM3U`, perhaps after a byte order mark or blank lines).
pub fn looks_like_playlist(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    bytes
        .get(start..)
        .is_some_and(|b| b.starts_with(b"#EXTM3U"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LL: &str = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-PART-INF:PART-TARGET=1\n\
#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:4.0,\n# a comment\ns0.m4s\n\
#EXT-X-PART:DURATION=1,URI=\"p1.0.m4s\"\n#EXT-X-PART:DURATION=1,URI=\"p1.1.m4s\"\n#EXTINF:2.0,\ns1.m4s\n\
#EXT-X-PART:DURATION=1,URI=\"p2.0.m4s\"\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"p2.1.m4s\"\n";

    #[test]
    fn segments_parts_and_tags_get_their_lines() {
        let l = PlaylistLines::scan(LL);
        assert_eq!(l.first.as_deref(), Some("#EXTM3U"));
        assert_eq!(
            l.segments,
            vec![
                SegmentLines {
                    extinf: Some(5),
                    extinf_value: Some("4.0,".into()),
                    uri: 7,
                    parts: vec![]
                },
                SegmentLines {
                    extinf: Some(10),
                    extinf_value: Some("2.0,".into()),
                    uri: 11,
                    parts: vec![8, 9]
                },
            ]
        );
        assert_eq!(l.trailing_parts, vec![12]);
        assert_eq!(l.first_tag("EXT-X-TARGETDURATION").map(|t| t.line), Some(2));
        assert_eq!(l.tag("EXT-X-PART").count(), 3);
        assert!(!l.is_multivariant());
    }

    #[test]
    fn multivariant_is_told_apart_by_its_tags() {
        let cases = [
            ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n", true),
            (
                "#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"x\"\n",
                true,
            ),
            (
                "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na.m4s\n",
                false,
            ),
        ];
        for (text, multivariant) in cases {
            assert_eq!(
                PlaylistLines::scan(text).is_multivariant(),
                multivariant,
                "{text}"
            );
        }
    }

    #[test]
    fn playlists_are_recognised_by_their_first_line() {
        let cases: [(&[u8], bool); 5] = [
            (b"#EXTM3U\n", true),
            (b"\xef\xbb\xbf#EXTM3U\n", true),
            (b"\n  #EXTM3U\n", true),
            (b"\0\0\0\x18ftypiso6", false),
            (b"", false),
        ];
        for (bytes, playlist) in cases {
            assert_eq!(looks_like_playlist(bytes), playlist, "{bytes:?}");
        }
    }
}
