//! `avc1` visual sample entry with its `avcC` (ISO/IEC 14496-15), the record written verbatim.
//!
//! The `mp4` crate's `AvcCBox` rebuilds the record from parsed SPS/PPS lists and drops the High-profile
//! extension (chroma format, bit depths, SPS extensions), so the record from the encoder is kept as it is.

use super::writer::write_box;
use crate::error::MuxError;

/// Writes the fields every visual sample entry starts with (ISO/IEC 14496-12 `VisualSampleEntry`).
pub(crate) fn write_visual_sample_entry_fields(out: &mut Vec<u8>, width: u16, height: u16) {
    out.extend_from_slice(&[0; 6]); // reserved
    out.extend_from_slice(&1u16.to_be_bytes()); // data_reference_index
    out.extend_from_slice(&[0; 16]); // pre_defined, reserved, pre_defined[3]
    out.extend_from_slice(&width.to_be_bytes());
    out.extend_from_slice(&height.to_be_bytes());
    out.extend_from_slice(&0x0048_0000u32.to_be_bytes()); // horizresolution 72 dpi
    out.extend_from_slice(&0x0048_0000u32.to_be_bytes()); // vertresolution 72 dpi
    out.extend_from_slice(&[0; 4]); // reserved
    out.extend_from_slice(&1u16.to_be_bytes()); // frame_count
    out.extend_from_slice(&[0; 32]); // compressorname
    out.extend_from_slice(&0x0018u16.to_be_bytes()); // depth
    out.extend_from_slice(&(-1i16).to_be_bytes()); // pre_defined
}

/// Writes `avc1` + `avcC`.
pub(crate) fn write_avc1(
    out: &mut Vec<u8>,
    width: u16,
    height: u16,
    avcc: &[u8],
) -> Result<(), MuxError> {
    if avcc.len() < 7 || avcc.first() != Some(&1) {
        return Err(MuxError::InvalidConfig(format!(
            "avcC record of {} bytes does not start with configurationVersion 1",
            avcc.len()
        )));
    }
    write_box(out, b"avc1", |out| {
        write_visual_sample_entry_fields(out, width, height);
        write_box(out, b"avcC", |out| {
            out.extend_from_slice(avcc);
            Ok(())
        })
    })
}
