//! Any bytes given to the segment reader against a typical init (H.264 + Opus): an error or a sample
//! table whose every sample lies inside the input, never a panic, a hang or a huge allocation.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onair_media::{opus_dops, Codec, InitSegment, Limits, MediaParams, TrackInfo};

fuzz_target!(|data: &[u8]| {
    let init = InitSegment {
        tracks: vec![
            TrackInfo {
                id: 1,
                timescale: 90_000,
                codec: Codec::Avc { avcc: vec![1, 0x42, 0xe0, 0x1f, 0xff, 0xe1, 0, 0] },
                params: MediaParams::Video { width: 640, height: 360 },
            },
            TrackInfo {
                id: 2,
                timescale: 48_000,
                codec: Codec::Opus { dops: opus_dops(2, 312, 48_000) },
                params: MediaParams::Audio { channels: 2, sample_rate: 48_000 },
            },
        ],
    };
    let limits = Limits { max_bytes: 1 << 20, max_samples: 10_000 };
    if let Ok(segment) = onair_media::parse_segment(&init, data, &limits) {
        for track in &segment.tracks {
            for s in &track.samples {
                assert!(s.offset + s.size as usize <= data.len());
            }
        }
    }
});
