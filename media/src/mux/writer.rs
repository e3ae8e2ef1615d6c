//! Box writing helpers: a box is its header, then a body written by a closure; the size is back-patched.

use crate::error::MuxError;

/// Writes one box: 32-bit size (patched once the body is written), fourcc, body.
pub(crate) fn write_box(
    out: &mut Vec<u8>,
    fourcc: &'static [u8; 4],
    body: impl FnOnce(&mut Vec<u8>) -> Result<(), MuxError>,
) -> Result<(), MuxError> {
    let start = out.len();
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(fourcc);
    body(out)?;
    let size = out.len() - start;
    let size32 = u32::try_from(size).map_err(|_| MuxError::BoxTooLarge {
        fourcc: String::from_utf8_lossy(fourcc).into_owned(),
        size: size as u64,
    })?;
    out[start..start + 4].copy_from_slice(&size32.to_be_bytes());
    Ok(())
}

/// Writes one full box: like [`write_box`], with the version and 24-bit flags first in the body.
pub(crate) fn write_full_box(
    out: &mut Vec<u8>,
    fourcc: &'static [u8; 4],
    version: u8,
    flags: u32,
    body: impl FnOnce(&mut Vec<u8>) -> Result<(), MuxError>,
) -> Result<(), MuxError> {
    write_box(out, fourcc, |out| {
        out.push(version);
        out.extend_from_slice(&flags.to_be_bytes()[1..]);
        body(out)
    })
}

/// Writes a box of the `mp4` crate.
pub(crate) fn write_mp4_box<B>(out: &mut Vec<u8>, name: &'static str, b: &B) -> Result<(), MuxError>
where
    B: for<'a> mp4::WriteBox<&'a mut Vec<u8>>,
{
    b.write_box(out).map(|_| ()).map_err(|e| MuxError::Write {
        fourcc: name,
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_back_patched() {
        let mut out = Vec::new();
        write_box(&mut out, b"moov", |out| {
            write_full_box(out, b"mvex", 1, 0x020000, |out| {
                out.extend_from_slice(&[9, 9]);
                Ok(())
            })
        })
        .unwrap();
        assert_eq!(&out[0..8], &[0, 0, 0, 22, b'm', b'o', b'o', b'v']);
        assert_eq!(&out[8..16], &[0, 0, 0, 14, b'm', b'v', b'e', b'x']);
        assert_eq!(&out[16..22], &[1, 2, 0, 0, 9, 9]);
    }
}
