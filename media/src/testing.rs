//! Real fMP4 bytes for tests, made with this crate's muxer: a 1280x720 H.264 track (90 kHz) and a stereo
//! Opus track (48 kHz), cut into 2 s segments ([`av_segment`]) or into Low-Latency HLS parts of 0.4 s
//! ([`av_part`]). The samples are tiny fake NAL units and Opus packets: they exercise boxes, track ids,
//! keyframe flags and timing, and are never decoded.
//!
//! Behind the `testing` feature, for other crates' tests (the server's unit and integration tests, the
//! end-to-end tests) and this crate's own: enable it in `[dev-dependencies]` only, never in a normal
//! build.
//!
//! ```
//! use onair_media::testing::{av_init, av_segment, SEGMENT_SECS};
//! use onair_media::{parse_segment, Limits};
//!
//! let segment = av_segment(3);
//! let parsed = parse_segment(&av_init(), &segment, &Limits::default()).unwrap();
//! assert!((parsed.duration_secs(&av_init()) - SEGMENT_SECS).abs() < 1e-9);
//! ```
//!
//! # Panics
//!
//! The builders panic if the muxer refuses their input, which it never does for these tracks: a test
//! should fail at once on a broken fixture.

use crate::{
    opus_dops, write_fragment, write_fragment_with, write_init, Codec, FragmentOptions,
    InitSegment, MediaParams, ProducerTime, Sample, TrackFragment, TrackInfo,
};

/// Track id of the video track.
pub const VIDEO_ID: u32 = 1;
/// Track id of the audio track.
pub const AUDIO_ID: u32 = 2;
/// Video timescale (WebCodecs microseconds * 9 / 100).
pub const VIDEO_TIMESCALE: u32 = 90_000;
/// Audio timescale (the sample rate).
pub const AUDIO_TIMESCALE: u32 = 48_000;
/// Frames per video segment.
pub const VIDEO_FRAMES: u32 = 10;
/// Duration of one video frame (5 fps keeps segments small).
pub const VIDEO_FRAME_TICKS: u32 = VIDEO_TIMESCALE / 5;
/// Opus frames per segment (20 ms each).
pub const AUDIO_FRAMES: u32 = 100;
/// Duration of one Opus frame.
pub const AUDIO_FRAME_TICKS: u32 = 960;
/// Duration of one segment in seconds.
pub const SEGMENT_SECS: f64 = 2.0;

/// An AVCDecoderConfigurationRecord for Constrained Baseline 3.1 with one (fake) SPS and PPS.
pub fn avcc() -> Vec<u8> {
    let sps = [0x67, 0x42, 0xe0, 0x1f, 0x8c, 0x8d, 0x40, 0x50];
    let pps = [0x68, 0xce, 0x3c, 0x80];
    let mut record = vec![1, 0x42, 0xe0, 0x1f, 0xff, 0xe1];
    record.extend_from_slice(&(sps.len() as u16).to_be_bytes());
    record.extend_from_slice(&sps);
    record.push(1);
    record.extend_from_slice(&(pps.len() as u16).to_be_bytes());
    record.extend_from_slice(&pps);
    record
}

/// The video track.
pub fn video_track() -> TrackInfo {
    TrackInfo {
        id: VIDEO_ID,
        timescale: VIDEO_TIMESCALE,
        codec: Codec::Avc { avcc: avcc() },
        params: MediaParams::Video {
            width: 1280,
            height: 720,
        },
    }
}

/// The audio track.
pub fn audio_track() -> TrackInfo {
    TrackInfo {
        id: AUDIO_ID,
        timescale: AUDIO_TIMESCALE,
        codec: Codec::Opus {
            dops: opus_dops(2, 312, AUDIO_TIMESCALE),
        },
        params: MediaParams::Audio {
            channels: 2,
            sample_rate: AUDIO_TIMESCALE,
        },
    }
}

/// Video + audio.
pub fn av_init() -> InitSegment {
    InitSegment {
        tracks: vec![video_track(), audio_track()],
    }
}

/// The bytes of an init segment.
pub fn init_bytes(init: &InitSegment) -> Vec<u8> {
    write_init(init).expect("write_init")
}

/// The bytes of the video + audio init segment.
pub fn av_init_bytes() -> Vec<u8> {
    init_bytes(&av_init())
}

/// Length-prefixed fake H.264 NAL unit: IDR slice for a keyframe, non-IDR slice otherwise.
fn nal(keyframe: bool, index: u32) -> Vec<u8> {
    let header = if keyframe { 0x65 } else { 0x41 };
    let body = [header, 0x88, (index & 0xff) as u8, 0x21, 0x42];
    let mut data = (body.len() as u32).to_be_bytes().to_vec();
    data.extend_from_slice(&body);
    data
}

/// Video fragment of one segment starting at `base` (90 kHz ticks).
pub fn video_fragment(base: u64, keyframe_first: bool) -> TrackFragment {
    TrackFragment {
        track_id: VIDEO_ID,
        base_decode_time: base,
        samples: (0..VIDEO_FRAMES)
            .map(|i| {
                let keyframe = i == 0 && keyframe_first;
                Sample {
                    duration: VIDEO_FRAME_TICKS,
                    cts_offset: 0,
                    keyframe,
                    data: nal(keyframe, i),
                }
            })
            .collect(),
    }
}

/// Audio fragment of one segment starting at `base` (48 kHz ticks).
pub fn audio_fragment(base: u64) -> TrackFragment {
    TrackFragment {
        track_id: AUDIO_ID,
        base_decode_time: base,
        samples: (0..AUDIO_FRAMES)
            .map(|_| Sample {
                duration: AUDIO_FRAME_TICKS,
                cts_offset: 0,
                keyframe: true,
                data: vec![0xfc, 0xff, 0xfe],
            })
            .collect(),
    }
}

/// Segment `index` (0, 1, 2, ...) of a continuous video + audio stream: 2 s starting at `index * 2` s.
pub fn av_segment(index: u64) -> Vec<u8> {
    av_segment_with(index, true)
}

/// Like [`av_segment`], choosing whether the video starts with a keyframe.
pub fn av_segment_with(index: u64, keyframe_first: bool) -> Vec<u8> {
    let video_base = index * u64::from(VIDEO_FRAMES * VIDEO_FRAME_TICKS);
    let audio_base = index * u64::from(AUDIO_FRAMES * AUDIO_FRAME_TICKS);
    fragment(
        index,
        &[
            video_fragment(video_base, keyframe_first),
            audio_fragment(audio_base),
        ],
    )
}

/// A `moof`+`mdat` with `tracks`; the fragment sequence number is `index + 1`.
pub fn fragment(index: u64, tracks: &[TrackFragment]) -> Vec<u8> {
    let sequence = u32::try_from(index + 1).expect("small index");
    write_fragment(sequence, tracks).expect("write_fragment")
}

/// Parts per segment in [`av_part`]: five parts of 0.4 s (two video frames, 20 audio frames each).
pub const PARTS_PER_SEGMENT: u64 = 5;
/// Duration of an [`av_part`], the part target the tests declare.
pub const PART_SECS: f64 = 0.4;

/// Part `index` (0..[`PARTS_PER_SEGMENT`]) of segment `msn` of the same stream as [`av_segment`]: the
/// segment's time cut in five, the first part starting with a keyframe. `wall_clock_micros` adds a
/// `prft` with that producer time for the part's first video sample.
pub fn av_part(msn: u64, index: u64, wall_clock_micros: Option<u64>) -> Vec<u8> {
    let frames = u64::from(VIDEO_FRAMES) / PARTS_PER_SEGMENT;
    let audio_frames = u64::from(AUDIO_FRAMES) / PARTS_PER_SEGMENT;
    let first_frame = msn * u64::from(VIDEO_FRAMES) + index * frames;
    let video_base = first_frame * u64::from(VIDEO_FRAME_TICKS);
    let audio_base =
        (msn * u64::from(AUDIO_FRAMES) + index * audio_frames) * u64::from(AUDIO_FRAME_TICKS);
    let mut video = video_fragment(video_base, index == 0);
    video.samples.truncate(frames as usize);
    let mut audio = audio_fragment(audio_base);
    audio.samples.truncate(audio_frames as usize);
    let sequence = u32::try_from(msn * PARTS_PER_SEGMENT + index + 1).expect("small index");
    let options = FragmentOptions {
        styp: false,
        producer_time: wall_clock_micros
            .map(|us| ProducerTime::from_unix_micros(VIDEO_ID, us, video_base)),
    };
    write_fragment_with(sequence, &[video, audio], &options).expect("write_fragment")
}
