//! `Opus` audio sample entry with its `dOps` box ("Encapsulation of Opus in ISO Base Media File Format",
//! section 4.3). The `mp4` crate has neither.

use super::writer::write_box;
use crate::error::MuxError;

/// Writes the fields every audio sample entry starts with (ISO/IEC 14496-12 `AudioSampleEntry`).
pub(crate) fn write_audio_sample_entry_fields(out: &mut Vec<u8>, channels: u16, sample_rate: u32) {
    out.extend_from_slice(&[0; 6]); // reserved
    out.extend_from_slice(&1u16.to_be_bytes()); // data_reference_index
    out.extend_from_slice(&[0; 8]); // reserved
    out.extend_from_slice(&channels.to_be_bytes());
    out.extend_from_slice(&16u16.to_be_bytes()); // samplesize
    out.extend_from_slice(&[0; 4]); // pre_defined, reserved
                                    // samplerate is 16.16 fixed point; rates above 65535 Hz are written as 0 (the real rate is in the
                                    // decoder configuration).
    let rate = if sample_rate <= 0xffff {
        sample_rate << 16
    } else {
        0
    };
    out.extend_from_slice(&rate.to_be_bytes());
}

/// Writes `Opus` + `dOps`. "The samplerate field shall be set to 48000" (section 4.3.1).
pub(crate) fn write_opus(out: &mut Vec<u8>, channels: u16, dops: &[u8]) -> Result<(), MuxError> {
    if dops.len() < 11 || dops.first() != Some(&0) {
        return Err(MuxError::InvalidConfig(format!(
            "dOps body of {} bytes is not version 0",
            dops.len()
        )));
    }
    write_box(out, b"Opus", |out| {
        write_audio_sample_entry_fields(out, channels, 48_000);
        write_box(out, b"dOps", |out| {
            out.extend_from_slice(dops);
            Ok(())
        })
    })
}
