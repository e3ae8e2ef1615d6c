//! Names that come from URLs and end up in paths on disk: checked here, before anything touches the disk.
//!
//! A [`StreamId`] or [`RenditionName`] can only be built through its checked constructor, so a path built
//! from them can never climb out of the data directory.

use std::fmt;

use rand::seq::SliceRandom;

use onair_protocol::SEGMENT_EXTENSION;

use crate::error::AppError;

/// Length of a stream id: 10 lowercase alphanumeric characters.
pub const STREAM_ID_LEN: usize = 10;
/// Longest rendition name.
pub const RENDITION_MAX_LEN: usize = 32;

const ID_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A stream id: exactly [`STREAM_ID_LEN`] characters of `[a-z0-9]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamId(String);

impl StreamId {
    /// Checks an id taken from a URL or the database.
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let ok = raw.len() == STREAM_ID_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            // An id that cannot exist names no stream.
            Err(AppError::not_found(format!("stream {raw:?}")))
        }
    }

    /// A fresh random id.
    pub fn generate() -> Self {
        let mut rng = rand::thread_rng();
        let id = (0..STREAM_ID_LEN)
            .filter_map(|_| ID_ALPHABET.choose(&mut rng).copied().map(char::from))
            .collect();
        Self(id)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A rendition name: 1 to [`RENDITION_MAX_LEN`] characters of `[a-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RenditionName(String);

impl RenditionName {
    /// Checks a name taken from a URL or a directory listing.
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let ok = !raw.is_empty()
            && raw.len() <= RENDITION_MAX_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(AppError::bad_request(format!(
                "invalid rendition name {raw:?}: use 1 to {RENDITION_MAX_LEN} characters of [a-z0-9_-]"
            )))
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The rendition the transcoder makes at this height: `auto-480p` ([`crate::transcode`]).
    pub fn transcoded(height: u16) -> Self {
        Self(format!("{TRANSCODED_PREFIX}{height}p"))
    }

    /// True for a name of the transcoder's ([`TRANSCODED_PREFIX`]), which no upload may use.
    pub fn is_transcoded(&self) -> bool {
        self.0.starts_with(TRANSCODED_PREFIX)
    }

    /// Refuses a name of the transcoder's, for uploads (400).
    pub fn refuse_transcoded(&self) -> Result<(), AppError> {
        if self.is_transcoded() {
            Err(AppError::bad_request(format!(
                "rendition names starting with {TRANSCODED_PREFIX:?} are the origin's transcoded renditions"
            )))
        } else {
            Ok(())
        }
    }
}

/// What the names of the transcoder's renditions start with.
pub const TRANSCODED_PREFIX: &str = "auto-";

impl fmt::Display for RenditionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads the media sequence number out of a segment file name `{msn}.m4s`.
///
/// Only the canonical spelling is accepted (decimal, no sign, no leading zero), so every segment has
/// exactly one name. Returns `None` for anything else.
pub fn parse_segment_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(SEGMENT_EXTENSION)?.strip_suffix('.')?;
    parse_canonical(digits)
}

/// A decimal number in its one canonical spelling (no sign, no leading zero).
fn parse_canonical(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return None;
    }
    digits.parse().ok()
}

/// Reads `(msn, index)` out of a part file name `{msn}.{index}.m4s`, canonical spelling only (as
/// [`parse_segment_file_name`]).
pub fn parse_part_file_name(name: &str) -> Option<(u64, u32)> {
    let stem = name.strip_suffix(SEGMENT_EXTENSION)?.strip_suffix('.')?;
    let (msn, index) = stem.split_once('.')?;
    let msn = parse_canonical(msn)?;
    let index = parse_canonical(index)?;
    Some((msn, u32::try_from(index).ok()?))
}

/// A standard encoder's numbered file name, `{prefix}{number}.{extension}` (ffmpeg: `index7.m4s`,
/// `stream_0/data12.m4s`): `(prefix, number)`, or `None` without digits before the extension.
pub fn numbered_file_name(name: &str) -> Option<(&str, u64)> {
    let (stem, _) = name.rsplit_once('.')?;
    let prefix = stem.trim_end_matches(|c: char| c.is_ascii_digit());
    let number = stem.get(prefix.len()..)?;
    Some((prefix, number.parse().ok()?))
}

#[cfg(test)]
mod tests {

    #[test]
    fn numbered_file_names() {
        assert_eq!(numbered_file_name("index7.m4s"), Some(("index", 7)));
        assert_eq!(numbered_file_name("data120.m4s"), Some(("data", 120)));
        assert_eq!(numbered_file_name("12.m4s"), Some(("", 12)));
        assert_eq!(numbered_file_name("index.m4s"), None);
        assert_eq!(numbered_file_name("index7"), None);
        assert_eq!(numbered_file_name("x99999999999999999999999.m4s"), None);
    }

    use super::*;

    #[test]
    fn stream_ids() {
        let id = StreamId::generate();
        assert_eq!(id.as_str().len(), STREAM_ID_LEN);
        assert!(StreamId::parse(id.as_str()).is_ok());
        for bad in [
            "",
            "abc",
            "ABCDEFGHIJ",
            "../../etc0",
            "abcdefghijk",
            "abcdefghi/",
            "abcdéfghi",
        ] {
            assert!(StreamId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rendition_names() {
        for good in ["r0", "720p", "audio_en", "a-b", "x"] {
            assert!(RenditionName::parse(good).is_ok(), "{good:?}");
        }
        let too_long = "a".repeat(RENDITION_MAX_LEN + 1);
        for bad in ["", "..", "a/b", "R0", "a.b", "a b", too_long.as_str()] {
            assert!(RenditionName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn segment_names() {
        assert_eq!(parse_segment_file_name("0.m4s"), Some(0));
        assert_eq!(parse_segment_file_name("42.m4s"), Some(42));
        assert_eq!(
            parse_segment_file_name(&onair_protocol::segment_file(42)),
            Some(42)
        );
        for bad in [
            "",
            ".m4s",
            "007.m4s",
            "-1.m4s",
            "+1.m4s",
            "1.mp4",
            "1",
            "a.m4s",
            "99999999999999999999.m4s",
        ] {
            assert_eq!(parse_segment_file_name(bad), None, "{bad:?}");
        }
    }
}
