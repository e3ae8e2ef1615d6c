//! The other visual sample entries, each a `VisualSampleEntry` with its configuration box written
//! verbatim: `hvc1` + `hvcC` (ISO/IEC 14496-15), `vp09` + `vpcC` (VP Codec ISO Media File Format Binding),
//! `av01` + `av1C` (AV1 Codec ISO Media File Format Binding). The `mp4` crate has no `av01`, and its
//! `hvc1`/`vp09` rebuild the records from a few fields.

use super::avc1::write_visual_sample_entry_fields;
use super::writer::write_box;
use crate::error::MuxError;

/// Writes `entry` + its configuration box `config` with body `record`.
pub(crate) fn write_visual_entry(
    out: &mut Vec<u8>,
    entry: &'static [u8; 4],
    config: &'static [u8; 4],
    width: u16,
    height: u16,
    record: &[u8],
) -> Result<(), MuxError> {
    write_box(out, entry, |out| {
        write_visual_sample_entry_fields(out, width, height);
        write_box(out, config, |out| {
            out.extend_from_slice(record);
            Ok(())
        })
    })
}

/// Checks a configuration record's minimum length and first byte.
pub(crate) fn check_record(
    name: &str,
    record: &[u8],
    min_len: usize,
    first: impl Fn(u8) -> bool,
) -> Result<(), MuxError> {
    match record.first() {
        Some(&b) if record.len() >= min_len && first(b) => Ok(()),
        _ => Err(MuxError::InvalidConfig(format!(
            "{name} record of {} bytes is malformed",
            record.len()
        ))),
    }
}
