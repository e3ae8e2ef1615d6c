//! What a thumbnail must be before a viewer gets it: a JPEG that decodes whole, of a size a card can
//! show. Checked by decoding every pixel (zune-jpeg, strict), for uploads and for what ffmpeg made alike.

use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

/// Largest thumbnail taken, in bytes (a 480x270 snapshot is 10–40 KB).
pub const MAX_THUMBNAIL_BYTES: usize = 512 * 1024;
/// Longest side taken, in pixels.
pub const MAX_SIDE: usize = 1920;
/// Shortest side taken, in pixels.
pub const MIN_SIDE: usize = 16;

/// Why a thumbnail is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JpegRefused {
    /// Not a JPEG at all.
    #[error("not a JPEG image: a thumbnail starts with the bytes FF D8 FF")]
    NotJpeg,
    /// A JPEG without its end (no end-of-image marker).
    #[error("the JPEG is cut short: it does not end with the end-of-image marker FF D9")]
    Truncated,
    /// A JPEG that does not decode (truncated, corrupt, an unsupported kind).
    #[error("the JPEG does not decode: {0}")]
    Corrupt(String),
    /// Too small or too large a picture.
    #[error("the picture is {width}x{height}: each side must be {MIN_SIDE} to {MAX_SIDE} pixels")]
    Size {
        /// Its width.
        width: usize,
        /// Its height.
        height: usize,
    },
}

/// The picture's size, once all of it decodes.
pub fn check_jpeg(data: &[u8]) -> Result<(usize, usize), JpegRefused> {
    if !data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Err(JpegRefused::NotJpeg);
    }
    // A decoder fills a picture cut short with grey; the end-of-image marker says it is whole.
    if !data.ends_with(&[0xFF, 0xD9]) {
        return Err(JpegRefused::Truncated);
    }
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        // Larger sides are refused from the header, before any pixel is allocated.
        .set_max_width(MAX_SIDE)
        .set_max_height(MAX_SIDE);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(data), options);
    decoder
        .decode_headers()
        .map_err(|e| JpegRefused::Corrupt(e.to_string()))?;
    let (width, height) = decoder
        .dimensions()
        .ok_or_else(|| JpegRefused::Corrupt("no frame header".to_owned()))?;
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(JpegRefused::Size { width, height });
    }
    decoder
        .decode()
        .map_err(|e| JpegRefused::Corrupt(e.to_string()))?;
    Ok((width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &[u8] = include_bytes!("../../tests/fixtures/thumbnail-64x36.jpg");

    #[test]
    fn a_whole_jpeg_is_taken_with_its_size() {
        assert_eq!(check_jpeg(FIXTURE), Ok((64, 36)));
    }

    #[test]
    fn other_bytes_are_not_a_jpeg() {
        assert_eq!(check_jpeg(b""), Err(JpegRefused::NotJpeg));
        assert_eq!(check_jpeg(b"\x89PNG\r\n\x1a\n"), Err(JpegRefused::NotJpeg));
        assert_eq!(check_jpeg(&FIXTURE[1..]), Err(JpegRefused::NotJpeg));
    }

    #[test]
    fn every_truncation_is_refused() {
        for len in 3..FIXTURE.len() - 2 {
            assert!(
                check_jpeg(&FIXTURE[..len]).is_err(),
                "a JPEG cut at {len} of {} bytes was taken",
                FIXTURE.len()
            );
        }
    }

    #[test]
    fn a_size_in_the_header_past_the_limit_is_refused() {
        // The SOF0 frame header holds height then width, two bytes each, after its length and precision.
        let mut huge = FIXTURE.to_vec();
        let sof = huge
            .windows(2)
            .position(|w| w == [0xFF, 0xC0])
            .expect("the fixture is baseline");
        huge[sof + 5..sof + 9].copy_from_slice(&[0x40, 0x00, 0x40, 0x00]);
        assert!(check_jpeg(&huge).is_err());
    }

    #[test]
    fn corrupted_bytes_never_panic() {
        let mut data = FIXTURE.to_vec();
        for i in (4..data.len()).step_by(7) {
            data[i] ^= 0x5A;
            let _ = check_jpeg(&data);
        }
    }
}
