//! A transmuxed segment as bytes, for the trip from the transmuxer's Web Worker (its own wasm, loaded
//! only when a stream has TS segments) back to the player: [`encode`] there, [`decode`] here.
//!
//! Layout: a status byte, then for [`STATUS_OK`] chunks of `kind u8, codecs length u16 BE, codecs
//! (UTF-8, empty for a fragment), bytes length u32 BE, bytes`; for an error the message in UTF-8.

use super::{CmafChunk, Transmuxed, TsError};
use thiserror::Error;

/// The segment was transmuxed; chunks follow.
pub const STATUS_OK: u8 = 0;
/// Not TS at all ([`TsError::NotTs`]); the message follows.
pub const STATUS_NOT_TS: u8 = 1;
/// Another [`TsError`]; the message follows.
pub const STATUS_ERROR: u8 = 2;
const KIND_INIT: u8 = 1;
const KIND_FRAGMENT: u8 = 2;

/// One piece of output as the player needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireChunk {
    /// An init segment and its RFC 6381 codecs string (what the data says, over the playlist's).
    Init {
        /// `avc1.64001f,mp4a.40.2` and the like.
        codecs: String,
        /// `ftyp` + `moov`.
        bytes: Vec<u8>,
    },
    /// `moof` + `mdat`.
    Fragment(Vec<u8>),
}

/// What the transmuxer said of a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireResult {
    /// Its chunks, in order.
    Chunks(Vec<WireChunk>),
    /// It failed; `not_ts` when the bytes were not TS at all.
    Failed {
        /// [`TsError::NotTs`].
        not_ts: bool,
        /// The error, for a person.
        message: String,
    },
}

/// Bytes that are not [`encode`]'s.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("malformed transmuxer message at byte {at}")]
pub struct WireError {
    /// Where it went wrong.
    pub at: usize,
}

/// The bytes for a transmuxer's answer.
pub fn encode(result: &Result<Transmuxed, TsError>) -> Vec<u8> {
    match result {
        Err(e) => {
            let status = if matches!(e, TsError::NotTs { .. }) {
                STATUS_NOT_TS
            } else {
                STATUS_ERROR
            };
            let mut out = vec![status];
            out.extend_from_slice(e.to_string().as_bytes());
            out
        }
        Ok(t) => {
            let mut out = vec![STATUS_OK];
            for chunk in &t.chunks {
                let (kind, codecs, bytes) = match chunk {
                    CmafChunk::Init { init, bytes } => (KIND_INIT, init.codecs(), bytes),
                    CmafChunk::Fragment { bytes, .. } => (KIND_FRAGMENT, String::new(), bytes),
                };
                let codecs = codecs.as_bytes();
                let codecs = codecs.get(..usize::from(u16::MAX)).unwrap_or(codecs);
                out.push(kind);
                out.extend_from_slice(&(codecs.len() as u16).to_be_bytes());
                out.extend_from_slice(codecs);
                out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
                out.extend_from_slice(bytes);
            }
            out
        }
    }
}

/// Reads [`encode`]'s bytes.
pub fn decode(data: &[u8]) -> Result<WireResult, WireError> {
    let (&status, mut rest) = data.split_first().ok_or(WireError { at: 0 })?;
    if status != STATUS_OK {
        return Ok(WireResult::Failed {
            not_ts: status == STATUS_NOT_TS,
            message: String::from_utf8_lossy(rest).into_owned(),
        });
    }
    let mut chunks = Vec::new();
    let take = |rest: &mut &[u8], n: usize| -> Result<Vec<u8>, WireError> {
        let at = data.len() - rest.len();
        if rest.len() < n {
            return Err(WireError { at });
        }
        let (head, tail) = rest.split_at(n);
        *rest = tail;
        Ok(head.to_vec())
    };
    while !rest.is_empty() {
        let head = take(&mut rest, 3)?;
        let (kind, codecs_len) = (head[0], usize::from(u16::from_be_bytes([head[1], head[2]])));
        let codecs = take(&mut rest, codecs_len)?;
        let len = take(&mut rest, 4)?;
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        let bytes = take(&mut rest, len)?;
        chunks.push(match kind {
            KIND_INIT => WireChunk::Init {
                codecs: String::from_utf8_lossy(&codecs).into_owned(),
                bytes,
            },
            KIND_FRAGMENT => WireChunk::Fragment(bytes),
            _ => {
                return Err(WireError {
                    at: data.len() - rest.len(),
                })
            }
        });
    }
    Ok(WireResult::Chunks(chunks))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ts::TsTransmuxer;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/test_data/ts/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn a_transmuxed_segment_makes_the_trip_whole() {
        let mut t = TsTransmuxer::new();
        let result = t.push_segment(&fixture("wrap0.ts"));
        let Ok(transmuxed) = &result else {
            panic!("{result:?}")
        };
        let WireResult::Chunks(chunks) = decode(&encode(&result)).unwrap() else {
            panic!("not chunks")
        };
        assert_eq!(chunks.len(), transmuxed.chunks.len());
        for (wire, chunk) in chunks.iter().zip(&transmuxed.chunks) {
            match (wire, chunk) {
                (WireChunk::Init { codecs, bytes }, CmafChunk::Init { init, bytes: b }) => {
                    assert_eq!((codecs, bytes), (&init.codecs(), b));
                    assert!(codecs.starts_with("avc1."), "{codecs}");
                }
                (WireChunk::Fragment(bytes), CmafChunk::Fragment { bytes: b, .. }) => {
                    assert_eq!(bytes, b)
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn errors_and_damage_are_told_apart() {
        let not_ts = TsTransmuxer::new().push_segment(b"#EXTM3U not a segment");
        match decode(&encode(&not_ts)).unwrap() {
            WireResult::Failed { not_ts, message } => assert!(not_ts && !message.is_empty()),
            other => panic!("{other:?}"),
        }
        assert_eq!(decode(&[]), Err(WireError { at: 0 }));
        let good = encode(&TsTransmuxer::new().push_segment(&fixture("wrap0.ts")));
        for cut in [2, 5, good.len() - 1] {
            assert!(decode(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad_kind = good.clone();
        bad_kind[1] = 9;
        assert!(decode(&bad_kind).is_err());
    }
}
