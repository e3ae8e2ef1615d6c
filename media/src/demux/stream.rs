//! A fragmented MP4 byte stream (a pipe, a progressive download) cut into what it is as it arrives: the
//! init segment (`ftyp` + `moov`), then one `moof` + `mdat` fragment after another (the server's
//! transcoder reads ffmpeg's standard output with it). Pure and bounded: a box larger than
//! [`MAX_BOX_BYTES`], or a size that cannot be, is an error, never a panic or an unbounded buffer. It
//! only cuts: [`super::parse_init`] and [`super::parse_segment`] read the pieces.

use thiserror::Error;

/// The largest box (and fragment) accepted.
pub const MAX_BOX_BYTES: usize = 16 * 1024 * 1024;

/// What the splitter found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// `ftyp` + `moov` (and whatever top-level boxes came before the first `moof`).
    Init(Vec<u8>),
    /// One `moof` and the `mdat` after it (with any `styp`/`prft` before the `moof`).
    Fragment(Vec<u8>),
}

/// The stream cannot be cut.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum BoxError {
    /// A box header claims a size below its own header, or above [`MAX_BOX_BYTES`].
    #[error("a {fourcc} box of {size} bytes at byte {offset} of the stream")]
    BadSize {
        /// The box type.
        fourcc: String,
        /// The size it claims.
        size: u64,
        /// Where it starts.
        offset: u64,
    },
}

/// Accumulates output bytes and hands out whole pieces.
#[derive(Debug, Default)]
pub struct Splitter {
    buffer: Vec<u8>,
    /// Boxes read but not yet handed out: the init so far, or a fragment's boxes before its `mdat`.
    pending: Vec<u8>,
    seen_init: bool,
    /// Bytes consumed before `buffer` starts, for errors.
    consumed: u64,
}

impl Splitter {
    /// Adds bytes; returns the pieces they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<Piece>, BoxError> {
        self.buffer.extend_from_slice(bytes);
        let mut pieces = Vec::new();
        while let Some((fourcc, size)) = self.next_box()? {
            let rest = self.buffer.split_off(size);
            let whole = std::mem::replace(&mut self.buffer, rest);
            self.consumed += size as u64;
            if &fourcc == b"moof" && !self.seen_init {
                self.seen_init = true;
                pieces.push(Piece::Init(std::mem::take(&mut self.pending)));
            }
            self.pending.extend_from_slice(&whole);
            if &fourcc == b"mdat" && self.seen_init {
                pieces.push(Piece::Fragment(std::mem::take(&mut self.pending)));
            }
            if self.pending.len() > MAX_BOX_BYTES {
                return Err(BoxError::BadSize {
                    fourcc: String::from_utf8_lossy(&fourcc).into_owned(),
                    size: self.pending.len() as u64,
                    offset: self.consumed,
                });
            }
        }
        Ok(pieces)
    }

    /// The type and whole size of the box at the start of the buffer, once all of it is there.
    fn next_box(&self) -> Result<Option<([u8; 4], usize)>, BoxError> {
        let (Some(size), Some(fourcc)) = (self.buffer.get(0..4), self.buffer.get(4..8)) else {
            return Ok(None);
        };
        let fourcc: [u8; 4] = [fourcc[0], fourcc[1], fourcc[2], fourcc[3]];
        let mut size = u64::from(u32::from_be_bytes([size[0], size[1], size[2], size[3]]));
        let mut header = 8;
        if size == 1 {
            let Some(large) = self.buffer.get(8..16) else {
                return Ok(None);
            };
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(large);
            size = u64::from_be_bytes(bytes);
            header = 16;
        }
        if size < header || size > MAX_BOX_BYTES as u64 {
            return Err(BoxError::BadSize {
                fourcc: String::from_utf8_lossy(&fourcc).into_owned(),
                size,
                offset: self.consumed,
            });
        }
        let size = size as usize;
        Ok((self.buffer.len() >= size).then_some((fourcc, size)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bx(fourcc: &[u8; 4], body: usize) -> Vec<u8> {
        let mut b = u32::try_from(body + 8).unwrap().to_be_bytes().to_vec();
        b.extend_from_slice(fourcc);
        b.extend(std::iter::repeat_n(7u8, body));
        b
    }

    #[test]
    fn init_then_fragments_whatever_the_chunking() {
        let init = [bx(b"ftyp", 12), bx(b"moov", 40)].concat();
        let one = [bx(b"moof", 30), bx(b"mdat", 100)].concat();
        let two = [bx(b"prft", 12), bx(b"moof", 30), bx(b"mdat", 5)].concat();
        let all = [init.clone(), one.clone(), two.clone(), bx(b"mfra", 8)].concat();
        for chunk in [1, 3, 7, 64, all.len()] {
            let mut splitter = Splitter::default();
            let mut pieces = Vec::new();
            for piece in all.chunks(chunk) {
                pieces.extend(splitter.push(piece).unwrap());
            }
            assert_eq!(
                pieces,
                [
                    Piece::Init(init.clone()),
                    Piece::Fragment(one.clone()),
                    Piece::Fragment(two.clone())
                ],
                "chunks of {chunk}"
            );
        }
    }

    #[test]
    fn impossible_sizes_are_errors() {
        let mut splitter = Splitter::default();
        assert!(splitter
            .push(&[0, 0, 0, 4, b'm', b'o', b'o', b'f'])
            .is_err());
        let mut splitter = Splitter::default();
        let huge = u32::try_from(MAX_BOX_BYTES + 1).unwrap().to_be_bytes();
        assert!(splitter
            .push(&[huge[0], huge[1], huge[2], huge[3], b'm', b'd', b'a', b't'])
            .is_err());
        let mut splitter = Splitter::default();
        let mut large = vec![0, 0, 0, 1, b'm', b'd', b'a', b't'];
        large.extend(3u64.to_be_bytes());
        assert!(splitter.push(&large).is_err());
    }
}
