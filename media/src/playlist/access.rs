//! How a segment's bytes are reached and read: `EXT-X-BYTERANGE` sub-ranges of a resource and
//! `EXT-X-KEY` encryption. Quotes from RFC 8216bis beside each.

use super::media::PlaylistError;

/// A sub-range of a resource, resolved: "`<n>[@<o>]` where n is a decimal-integer indicating the length
/// of the sub-range in bytes. If present, o is a decimal-integer indicating the start of the sub-range,
/// as a byte offset from the beginning of the resource. If o is not present, the sub-range begins at the
/// next byte following the sub-range of the previous Media Segment."
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ByteRange {
    /// First byte, from the beginning of the resource.
    pub offset: u64,
    /// Length in bytes (at least 1).
    pub length: u64,
}

impl ByteRange {
    /// The byte after the last one.
    pub fn end(&self) -> u64 {
        self.offset.saturating_add(self.length)
    }

    /// The HTTP `Range` header value: `bytes=first-last` (inclusive).
    pub fn header_value(&self) -> String {
        format!(
            "bytes={}-{}",
            self.offset,
            self.end().saturating_sub(1).max(self.offset)
        )
    }

    /// As m3u8-rs writes it (`<n>@<o>`, the offset always written).
    pub(super) fn to_m3u8(self) -> m3u8_rs::ByteRange {
        m3u8_rs::ByteRange {
            length: self.length,
            offset: Some(self.offset),
        }
    }

    /// Resolves `<length>[@<offset>]`; `previous_end` is where the previous segment's sub-range of the
    /// same resource ended (for a range without `@<o>`).
    pub(super) fn resolve(
        tag: &'static str,
        length: u64,
        offset: Option<u64>,
        previous_end: Option<u64>,
    ) -> Result<ByteRange, PlaylistError> {
        if length == 0 {
            return Err(PlaylistError::Tag {
                tag,
                reason: "a sub-range of 0 bytes".into(),
            });
        }
        let offset = match (offset, previous_end) {
            (Some(o), _) => o,
            (None, Some(end)) => end,
            (None, None) => {
                return Err(PlaylistError::Tag {
                    tag,
                    reason: "no offset, and no previous sub-range of the same resource".into(),
                })
            }
        };
        if offset.checked_add(length).is_none() {
            return Err(PlaylistError::Tag {
                tag,
                reason: "the sub-range ends past 2^64".into(),
            });
        }
        Ok(ByteRange { offset, length })
    }
}

/// `EXT-X-KEY:METHOD=...`, for a method other than `NONE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMethod {
    /// `AES-128`: "Media Segments are completely encrypted using [AES-128] with a 128-bit key, Cipher
    /// Block Chaining (CBC), and Public-Key Cryptography Standards #7 (PKCS7) padding".
    Aes128,
    /// `SAMPLE-AES`: the media samples are encrypted, each by the rules of its format.
    SampleAes,
    /// Anything else (`SAMPLE-AES-CTR`, ...).
    Other(String),
}

impl KeyMethod {
    /// The `METHOD` attribute's value.
    pub fn as_str(&self) -> &str {
        match self {
            KeyMethod::Aes128 => "AES-128",
            KeyMethod::SampleAes => "SAMPLE-AES",
            KeyMethod::Other(m) => m,
        }
    }
}

/// The key in force for a segment ("applies to every Media Segment ... that appears after it in the
/// Playlist until the next EXT-X-KEY tag").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentKey {
    /// `METHOD`.
    pub method: KeyMethod,
    /// `URI` of the key, relative to the playlist.
    pub uri: String,
    /// `IV`; without it "the Media Sequence Number is to be used as the IV ... big-endian binary
    /// representation ... padded (on the left) to 16 octets".
    pub iv: Option<[u8; 16]>,
    /// `KEYFORMAT`; `None` is "identity" (the key file holds the 16 key bytes).
    pub key_format: Option<String>,
}

impl SegmentKey {
    /// The IV for the segment with media sequence number `msn`.
    pub fn iv_for(&self, msn: u64) -> [u8; 16] {
        self.iv.unwrap_or_else(|| {
            let mut iv = [0u8; 16];
            iv[8..].copy_from_slice(&msn.to_be_bytes());
            iv
        })
    }

    /// Whether the key file holds the raw key (`KEYFORMAT` absent or `identity`), not a DRM system's.
    pub fn identity(&self) -> bool {
        self.key_format.as_deref().is_none_or(|f| f == "identity")
    }

    /// As m3u8-rs writes it (the IV as `0x` and 32 hexadecimal digits).
    pub(super) fn to_m3u8(&self) -> m3u8_rs::Key {
        m3u8_rs::Key {
            method: match &self.method {
                KeyMethod::Aes128 => m3u8_rs::KeyMethod::AES128,
                KeyMethod::SampleAes => m3u8_rs::KeyMethod::SampleAES,
                KeyMethod::Other(m) => m3u8_rs::KeyMethod::Other(m.clone()),
            },
            uri: Some(self.uri.clone()),
            iv: self.iv.map(|iv| {
                let hex: String = iv.iter().map(|b| format!("{b:02X}")).collect();
                format!("0x{hex}")
            }),
            keyformat: self.key_format.clone(),
            keyformatversions: None,
        }
    }
}

/// "a hexadecimal-sequence that specifies a 128-bit unsigned integer": `0x` and up to 32 hex digits,
/// padded on the left.
pub(super) fn parse_iv(text: &str) -> Result<[u8; 16], String> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .ok_or_else(|| format!("IV {text:.40} does not start with 0x"))?;
    if digits.is_empty() || digits.len() > 32 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("IV {text:.40} is not 1 to 32 hexadecimal digits"));
    }
    let padded = format!("{digits:0>32}");
    let mut iv = [0u8; 16];
    for (i, byte) in iv.iter_mut().enumerate() {
        let pair = padded.get(2 * i..2 * i + 2).unwrap_or("00");
        *byte = u8::from_str_radix(pair, 16).map_err(|e| e.to_string())?;
    }
    Ok(iv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iv_parses_padded_and_rejects_junk() {
        let iv = parse_iv("0x0102").unwrap();
        assert_eq!(iv[14..], [1, 2]);
        assert!(iv[..14].iter().all(|b| *b == 0));
        let full = parse_iv("0X000102030405060708090A0B0C0D0E0F").unwrap();
        assert_eq!(full[15], 15);
        assert!(parse_iv("0102").is_err());
        assert!(parse_iv("0x").is_err());
        assert!(parse_iv("0xZZ").is_err());
        assert!(parse_iv(&format!("0x{}", "1".repeat(33))).is_err());
    }

    #[test]
    fn iv_defaults_to_the_media_sequence_number() {
        let key = SegmentKey {
            method: KeyMethod::Aes128,
            uri: "k".into(),
            iv: None,
            key_format: None,
        };
        let iv = key.iv_for(0x0102);
        assert_eq!(iv[14..], [1, 2]);
        assert!(key.identity());
    }

    #[test]
    fn range_header_and_resolution() {
        let r = ByteRange {
            offset: 100,
            length: 50,
        };
        assert_eq!(r.header_value(), "bytes=100-149");
        let next = ByteRange::resolve("EXT-X-BYTERANGE", 10, None, Some(r.end())).unwrap();
        assert_eq!(next.offset, 150);
        assert!(ByteRange::resolve("EXT-X-BYTERANGE", 10, None, None).is_err());
        assert!(ByteRange::resolve("EXT-X-BYTERANGE", 10, Some(u64::MAX), None).is_err());
    }
}
