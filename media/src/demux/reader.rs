//! Bounded reading of ISO BMFF boxes: iterating the boxes inside a byte range, and reading fields of one
//! box's body. Every read is checked; nothing is allocated from a size field.

use crate::error::DemuxError;

/// One box found in the input, with absolute offsets into the whole input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BoxRef<'a> {
    pub fourcc: [u8; 4],
    /// Offset of the box's first byte in the whole input.
    pub start: usize,
    /// Offset of the body's first byte in the whole input.
    pub body_start: usize,
    /// The body.
    pub body: &'a [u8],
}

impl BoxRef<'_> {
    /// Offset one past the box's last byte.
    pub fn end(&self) -> usize {
        self.body_start + self.body.len()
    }

    pub fn is(&self, fourcc: &[u8; 4]) -> bool {
        &self.fourcc == fourcc
    }
}

/// Human-readable fourcc.
pub(crate) fn fourcc_str(fourcc: &[u8; 4]) -> String {
    fourcc
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '?'
            }
        })
        .collect()
}

/// Iterates the boxes of `data`, which starts at absolute offset `base` of the input.
pub(crate) struct Boxes<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
    failed: bool,
}

impl<'a> Boxes<'a> {
    pub fn new(data: &'a [u8], base: usize) -> Self {
        Boxes {
            data,
            pos: 0,
            base,
            failed: false,
        }
    }
}

fn be_u32(b: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(0..4)?.try_into().ok()?))
}

fn be_u64(b: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(0..8)?.try_into().ok()?))
}

impl<'a> Iterator for Boxes<'a> {
    type Item = Result<BoxRef<'a>, DemuxError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.data.len() {
            return None;
        }
        let rest = self.data.get(self.pos..)?;
        let start = self.base + self.pos;
        let result = (|| {
            let header_fourcc = rest.get(4..8).and_then(|f| <[u8; 4]>::try_from(f).ok());
            let (Some(size32), Some(fourcc)) = (be_u32(rest), header_fourcc) else {
                return Err(DemuxError::Truncated {
                    fourcc: "(header)".into(),
                    offset: start,
                    declared: 8,
                    available: rest.len(),
                });
            };
            let (size, header_len) = match size32 {
                0 => (rest.len() as u64, 8usize),
                1 => {
                    let Some(large) = rest.get(8..16).and_then(be_u64) else {
                        return Err(DemuxError::Truncated {
                            fourcc: fourcc_str(&fourcc),
                            offset: start,
                            declared: 16,
                            available: rest.len(),
                        });
                    };
                    (large, 16)
                }
                n => (u64::from(n), 8),
            };
            if size < header_len as u64 {
                return Err(DemuxError::BadSize {
                    fourcc: fourcc_str(&fourcc),
                    offset: start,
                    size,
                });
            }
            if size > rest.len() as u64 {
                return Err(DemuxError::Truncated {
                    fourcc: fourcc_str(&fourcc),
                    offset: start,
                    declared: size,
                    available: rest.len(),
                });
            }
            let size = size as usize;
            let body = rest.get(header_len..size).unwrap_or_default();
            Ok(BoxRef {
                fourcc,
                start,
                body_start: start + header_len,
                body,
            })
        })();
        match &result {
            Ok(b) => self.pos = b.end() - self.base,
            Err(_) => self.failed = true,
        }
        Some(result)
    }
}

/// Reads the fields of one box body in order.
pub(crate) struct Fields<'a> {
    data: &'a [u8],
    pos: usize,
    fourcc: &'static str,
    box_start: usize,
}

impl<'a> Fields<'a> {
    pub fn new(b: &BoxRef<'a>, fourcc: &'static str) -> Self {
        Fields {
            data: b.body,
            pos: 0,
            fourcc,
            box_start: b.start,
        }
    }

    fn short(&self, field: &'static str) -> DemuxError {
        DemuxError::ShortBody {
            fourcc: self.fourcc,
            offset: self.box_start,
            field,
        }
    }

    pub fn bytes(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DemuxError> {
        let end = self.pos.checked_add(n).ok_or_else(|| self.short(field))?;
        let slice = self
            .data
            .get(self.pos..end)
            .ok_or_else(|| self.short(field))?;
        self.pos = end;
        Ok(slice)
    }

    pub fn skip(&mut self, n: usize, field: &'static str) -> Result<(), DemuxError> {
        self.bytes(n, field).map(|_| ())
    }

    pub fn u8(&mut self, field: &'static str) -> Result<u8, DemuxError> {
        Ok(*self
            .bytes(1, field)?
            .first()
            .ok_or_else(|| self.short(field))?)
    }

    pub fn u16(&mut self, field: &'static str) -> Result<u16, DemuxError> {
        let b = self.bytes(2, field)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub fn u24(&mut self, field: &'static str) -> Result<u32, DemuxError> {
        let b = self.bytes(3, field)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }

    pub fn u32(&mut self, field: &'static str) -> Result<u32, DemuxError> {
        let b = self.bytes(4, field)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u64(&mut self, field: &'static str) -> Result<u64, DemuxError> {
        let b = self.bytes(8, field)?;
        Ok(u64::from_be_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ]))
    }

    /// Version and flags of a full box.
    pub fn version_flags(&mut self) -> Result<(u8, u32), DemuxError> {
        let v = self.u8("version")?;
        let f = self.u24("flags")?;
        Ok((v, f))
    }

    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// Offset of the next unread byte within the body, for child boxes after fixed fields.
    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn rest(&mut self) -> &'a [u8] {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        self.pos = self.data.len();
        rest
    }
}

/// Finds the first child box of this type.
pub(crate) fn find<'a>(
    parent: &BoxRef<'a>,
    fourcc: &'static [u8; 4],
) -> Result<Option<BoxRef<'a>>, DemuxError> {
    for child in Boxes::new(parent.body, parent.body_start) {
        let child = child?;
        if child.is(fourcc) {
            return Ok(Some(child));
        }
    }
    Ok(None)
}

/// Finds the first child box of this type, or says it is missing.
pub(crate) fn require<'a>(
    parent: &BoxRef<'a>,
    parent_name: &'static str,
    fourcc: &'static [u8; 4],
    name: &'static str,
) -> Result<BoxRef<'a>, DemuxError> {
    find(parent, fourcc)?.ok_or(DemuxError::Missing {
        fourcc: name,
        parent: parent_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterates_and_reports_truncation() {
        let mut data = vec![0, 0, 0, 10, b'f', b'r', b'e', b'e', 1, 2];
        data.extend_from_slice(&[0, 0, 0, 50, b'm', b'd', b'a', b't', 1]);
        let mut it = Boxes::new(&data, 0);
        let first = it.next().unwrap().unwrap();
        assert_eq!(first.body, &[1, 2]);
        let err = it.next().unwrap().unwrap_err();
        assert_eq!(
            err.to_string(),
            "truncated box 'mdat' at byte 10: declares 50 bytes, 9 remain"
        );
        assert!(it.next().is_none());
    }

    #[test]
    fn rejects_sizes_smaller_than_header() {
        let data = [0, 0, 0, 4, b'f', b'r', b'e', b'e'];
        let err = Boxes::new(&data, 0).next().unwrap().unwrap_err();
        assert!(matches!(err, DemuxError::BadSize { size: 4, .. }));
        let data = [0, 0, 0, 1, b'f', b'r', b'e', b'e', 0, 0, 0, 0, 0, 0, 0, 9];
        let err = Boxes::new(&data, 0).next().unwrap().unwrap_err();
        assert!(matches!(err, DemuxError::BadSize { size: 9, .. }));
    }

    #[test]
    fn large_size_and_size_zero() {
        let data = [
            0, 0, 0, 1, b'm', b'd', b'a', b't', 0, 0, 0, 0, 0, 0, 0, 17, 7,
        ];
        let b = Boxes::new(&data, 100).next().unwrap().unwrap();
        assert_eq!((b.start, b.body_start, b.body), (100, 116, &[7u8][..]));
        let data = [0, 0, 0, 0, b'm', b'd', b'a', b't', 1, 2, 3];
        let b = Boxes::new(&data, 0).next().unwrap().unwrap();
        assert_eq!(b.body, &[1, 2, 3]);
    }
}
