//! `prft` (ISO/IEC 14496-12 8.16.5, ProducerReferenceTimeBox): the producer's wall clock at a media time
//! of one track, written before the `moof` it describes. It is what end-to-end latency is measured
//! against: a viewer compares the wall clock at display with the `prft` of the frame shown.
//!
//! `styp` (8.16.2) opens a CMAF segment or chunk with its brands.

use super::writer::{write_box, write_full_box};
use crate::error::MuxError;

/// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
pub const NTP_UNIX_OFFSET_SECS: u64 = 2_208_988_800;

/// A producer reference time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProducerTime {
    /// The track whose media time is referenced.
    pub track_id: u32,
    /// Wall clock as a 64-bit NTP timestamp (seconds since 1900 in the high 32 bits, fraction low).
    pub ntp_timestamp: u64,
    /// The media time (decode time, in the track's timescale) that wall clock belongs to.
    pub media_time: u64,
}

impl ProducerTime {
    /// A producer time from Unix microseconds.
    pub fn from_unix_micros(track_id: u32, unix_micros: u64, media_time: u64) -> Self {
        let secs = unix_micros / 1_000_000 + NTP_UNIX_OFFSET_SECS;
        let frac = ((unix_micros % 1_000_000) << 32) / 1_000_000;
        ProducerTime {
            track_id,
            ntp_timestamp: (secs << 32) | frac,
            media_time,
        }
    }

    /// The wall clock in Unix microseconds (saturating before 1970).
    pub fn unix_micros(&self) -> u64 {
        let secs = (self.ntp_timestamp >> 32).saturating_sub(NTP_UNIX_OFFSET_SECS);
        let frac = ((self.ntp_timestamp & 0xffff_ffff) * 1_000_000) >> 32;
        secs * 1_000_000 + frac
    }
}

/// Writes `prft` version 1 (64-bit media time), flags 0 (the time the encoder's input was captured is not
/// distinguished from output time).
pub(crate) fn write_prft(out: &mut Vec<u8>, t: &ProducerTime) -> Result<(), MuxError> {
    write_full_box(out, b"prft", 1, 0, |out| {
        out.extend_from_slice(&t.track_id.to_be_bytes());
        out.extend_from_slice(&t.ntp_timestamp.to_be_bytes());
        out.extend_from_slice(&t.media_time.to_be_bytes());
        Ok(())
    })
}

/// Writes `styp` with the CMAF segment brands.
pub(crate) fn write_styp(out: &mut Vec<u8>) -> Result<(), MuxError> {
    write_box(out, b"styp", |out| {
        out.extend_from_slice(b"msdh"); // major brand
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(b"msdhmsixcmfs");
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ntp_conversion_round_trips_to_the_microsecond() {
        for micros in [0u64, 1, 999_999, 1_700_000_000_123_456] {
            let t = ProducerTime::from_unix_micros(1, micros, 0);
            let back = t.unix_micros();
            assert!(back.abs_diff(micros) <= 1, "{micros} -> {back}");
        }
        assert_eq!(
            ProducerTime::from_unix_micros(1, 0, 0).ntp_timestamp >> 32,
            NTP_UNIX_OFFSET_SECS
        );
    }
}
