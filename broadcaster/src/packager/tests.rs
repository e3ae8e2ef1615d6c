//! The packager against the media crate's own demuxer: valid CMAF parts, wall clocks, audio on
//! another clock, video-only fallbacks and dropped chunks.

use super::*;
use crate::keyframe::KeyframeSchedule;
use crate::test_chunks::{audio, avcc, opus_config, video};
use onair_media::{parse_init, parse_segment, Limits, PartChunk};

/// What a broadcast produced, by kind.
#[derive(Default)]
struct Produced {
    inits: Vec<Vec<u8>>,
    parts: Vec<PartChunk>,
    segments: Vec<SegmentInfo>,
}

impl Produced {
    /// The media segments, each its parts concatenated (as the server builds them).
    fn segment_bytes(&self) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = Vec::new();
        for part in &self.parts {
            if part.index == 0 {
                out.push(Vec::new());
            }
            if let Some(last) = out.last_mut() {
                last.extend_from_slice(&part.data);
            }
        }
        out
    }
}

/// Sorts outputs by kind, checking that each segment's end comes right after its last part.
fn split(outputs: Vec<Output>) -> Produced {
    let mut p = Produced::default();
    for o in outputs {
        match o {
            Output::Init(b) => p.inits.push(b),
            Output::Part(part) => p.parts.push(part),
            Output::Segment(s) => {
                let last = p.parts.last().map(|part| part.sequence);
                assert_eq!(last, Some(s.sequence), "segment end after its parts");
                p.segments.push(s);
            }
        }
    }
    p
}

/// 6 s of 20 fps video and 20 ms audio starting 100 ms before the video, delivered the way two
/// encoders do: audio lagging up to 60 ms behind video.
fn broadcast(p: &mut Packager, start_us: i64, audio_offset_us: i64) -> Vec<Output> {
    let mut out = Vec::new();
    let mut schedule = KeyframeSchedule::default();
    let mut next_audio = start_us - 100_000;
    for i in 0..120_i64 {
        let ts = start_us + i * 50_000;
        let key = schedule.should_force(ts);
        if i == 0 {
            out.extend(p.set_video_config(1280, 720, avcc()).unwrap());
        }
        out.extend(p.push(video(ts, key)).unwrap());
        while next_audio + 60_000 <= ts {
            if next_audio == start_us - 100_000 {
                out.extend(p.set_audio_config(opus_config()).unwrap());
            }
            out.extend(p.push(audio(next_audio + audio_offset_us)).unwrap());
            next_audio += 20_000;
        }
    }
    out.extend(p.finish().unwrap());
    out
}

#[test]
fn packages_video_and_audio_into_valid_cmaf_parts() {
    let mut p = Packager::new(true, live_config());
    let out = split(broadcast(&mut p, 7_000_000, 0));
    assert_eq!(out.inits.len(), 1);
    let init = parse_init(&out.inits[0]).unwrap();
    assert_eq!(init.tracks.len(), 2);
    assert_eq!(init.video().map(|t| t.timescale), Some(90_000));
    assert_eq!(init.audio().map(|t| t.timescale), Some(48_000));
    assert_eq!(init.codecs(), "avc1.42e01f,opus");
    // 6 s in 2 s segments, each in parts numbered from 0.
    assert_eq!(out.segments.len(), 3);
    let mut expected = (0, 0);
    for part in &out.parts {
        if part.sequence != expected.0 {
            expected = (expected.0 + 1, 0);
        }
        assert_eq!((part.sequence, part.index), expected);
        expected.1 += 1;
        let parsed = parse_segment(&init, &part.data, &Limits::default()).unwrap();
        assert_eq!(
            part.independent,
            parsed.starts_with_keyframe(&init),
            "part {}.{}",
            part.sequence,
            part.index
        );
        assert_eq!(part.index == 0, part.independent);
        // Parts never run past the part target; all but a segment's last fill 85% of it.
        assert!(part.duration_secs <= PART_TARGET_SECS + 1e-9, "{part:?}");
    }
    for pair in out.parts.windows(2) {
        if pair[0].sequence == pair[1].sequence {
            assert!(pair[0].duration_secs >= 0.85 * PART_TARGET_SECS - 1e-9);
        }
    }
    let mut video_samples = 0;
    let mut next_video_dts = 0;
    let segments = out.segment_bytes();
    assert_eq!(segments.len(), 3);
    for (n, (bytes, info)) in segments.iter().zip(&out.segments).enumerate() {
        assert_eq!(info.sequence, n as u64);
        assert_eq!(info.bytes, bytes.len());
        let parsed = parse_segment(&init, bytes, &Limits::default()).unwrap();
        assert!(parsed.starts_with_keyframe(&init), "segment {n}");
        let v = parsed.track(VIDEO_TRACK_ID).unwrap();
        // Continuous timeline starting at 0.
        assert_eq!(v.base_decode_time, next_video_dts, "segment {n}");
        next_video_dts = v.end_decode_time();
        video_samples += v.samples.len();
        assert!(v.samples.iter().all(|s| s.duration == 4_500));
        let a = parsed.track(AUDIO_TRACK_ID).unwrap();
        assert!(a.samples.iter().all(|s| s.duration == 960), "segment {n}");
    }
    assert_eq!(video_samples, 120);
    assert!((out.segments[0].start_secs - 0.0).abs() < 1e-9);
    // Without a wall clock, no prft.
    let first = parse_segment(&init, &out.parts[0].data, &Limits::default()).unwrap();
    assert!(first.producer_times.is_empty());
    // The five audio chunks captured before the first video frame were dropped.
    assert_eq!(p.dropped(), 5);
}

#[test]
fn every_part_carries_the_capture_wall_clock() {
    const UNIX_US: u64 = 1_800_000_000_000_000;
    let start_us = 7_000_000;
    let mut p = Packager::new(true, live_config());
    // Anchored on a frame read 30 ms before the first keyframe was captured.
    p.set_wall_clock(start_us - 30_000, UNIX_US);
    // Later calls do not move the anchor.
    p.set_wall_clock(start_us, 1);
    let out = split(broadcast(&mut p, start_us, 0));
    let init = parse_init(&out.inits[0]).unwrap();
    assert!(out.parts.len() > 10);
    for part in &out.parts {
        let parsed = parse_segment(&init, &part.data, &Limits::default()).unwrap();
        let prft = parsed.producer_times.first().expect("prft");
        assert_eq!(prft.track_id, VIDEO_TRACK_ID);
        let v = parsed.track(VIDEO_TRACK_ID).unwrap();
        assert_eq!(prft.media_time, v.base_decode_time);
        let expected = UNIX_US + 30_000 + v.base_decode_time * 100 / 9;
        assert!(
            prft.unix_micros().abs_diff(expected) <= 1,
            "part {}.{}: {} vs {expected}",
            part.sequence,
            part.index,
            prft.unix_micros()
        );
    }
}

#[test]
fn a_wall_clock_given_after_the_start_still_applies() {
    let mut p = Packager::new(false, live_config());
    let mut out = p.set_video_config(320, 240, avcc()).unwrap();
    out.extend(p.push(video(1_000_000, true)).unwrap());
    p.set_wall_clock(1_000_000, 5_000_000);
    for i in 1..20 {
        out.extend(p.push(video(1_000_000 + i * 50_000, false)).unwrap());
    }
    out.extend(p.finish().unwrap());
    let out = split(out);
    let init = parse_init(&out.inits[0]).unwrap();
    let parsed = parse_segment(&init, &out.parts[0].data, &Limits::default()).unwrap();
    assert_eq!(
        parsed.producer_times.first().map(|t| t.unix_micros()),
        Some(5_000_000)
    );
}

#[test]
fn a_wall_clock_before_1970_is_ignored() {
    let mut p = Packager::new(false, live_config());
    p.set_wall_clock(10_000_000, 0);
    let mut out = p.set_video_config(320, 240, avcc()).unwrap();
    out.extend(p.push(video(0, true)).unwrap());
    out.extend(p.push(video(50_000, false)).unwrap());
    out.extend(p.finish().unwrap());
    let out = split(out);
    let init = parse_init(&out.inits[0]).unwrap();
    let parsed = parse_segment(&init, &out.parts[0].data, &Limits::default()).unwrap();
    assert!(parsed.producer_times.is_empty());
}

#[test]
fn audio_on_another_clock_is_lined_up() {
    let mut p = Packager::new(true, live_config());
    // Audio timestamps 1000 s ahead of video.
    let out = split(broadcast(&mut p, 7_000_000, 1_000_000_000));
    let init = parse_init(&out.inits[0]).unwrap();
    let segments = out.segment_bytes();
    let first = parse_segment(&init, &segments[0], &Limits::default()).unwrap();
    let a = first.track(AUDIO_TRACK_ID).unwrap();
    assert!(a.samples.len() > 90, "audio kept: {}", a.samples.len());
}

#[test]
fn audio_on_another_clock_is_lined_up_by_the_wall_clock() {
    const UNIX_US: u64 = 1_700_000_000_000_000;
    let mut p = Packager::new(true, live_config());
    // Audio timestamps 1000 s ahead of video; the first audio chunk (100 ms before the first video
    // frame by `broadcast`'s count) was read 130 ms before it by the wall clock: its 20 ms frames
    // fall at -130, -110, ... -10, 10, 30 ms of the video's time.
    p.set_wall_clock(7_000_000, UNIX_US);
    p.set_audio_wall_clock(7_000_000 - 100_000 + 1_000_000_000, UNIX_US - 130_000);
    let out = split(broadcast(&mut p, 7_000_000, 1_000_000_000));
    let init = parse_init(&out.inits[0]).unwrap();
    let segments = out.segment_bytes();
    let second = parse_segment(&init, &segments[1], &Limits::default()).unwrap();
    let at = |id: u32| {
        let timescale = f64::from(init.track(id).unwrap().timescale);
        second.track(id).unwrap().base_decode_time as f64 / timescale
    };
    // The second segment starts at 2 s; its first audio frame is the one at 2.01 s. Lined up at the
    // first audio chunk instead (the chunk at -130 ms taken for 0), it would be at 2.0 s.
    let (video_secs, audio_secs) = (at(VIDEO_TRACK_ID), at(AUDIO_TRACK_ID));
    assert!((video_secs - 2.0).abs() < 1e-6, "video at {video_secs}");
    assert!((audio_secs - 2.01).abs() < 1e-3, "audio at {audio_secs}");
}

#[test]
fn goes_video_only_when_audio_never_configures() {
    let mut p = Packager::new(true, live_config());
    let mut out = p.set_video_config(1280, 720, avcc()).unwrap();
    for i in 0..=(MAX_WAIT_FOR_AUDIO_CHUNKS as i64) {
        out.extend(p.push(video(i * 50_000, i % 40 == 0)).unwrap());
    }
    let out = split(out);
    assert_eq!(out.inits.len(), 1);
    let init = parse_init(&out.inits[0]).unwrap();
    assert_eq!(init.tracks.len(), 1);
    // Late audio is ignored.
    assert!(p.set_audio_config(opus_config()).unwrap().is_empty());
    assert!(p.push(audio(3_100_000)).unwrap().is_empty());
    let out = split(p.finish().unwrap());
    assert!(!out.segments.is_empty());
}

#[test]
fn give_up_audio_starts_immediately() {
    let mut p = Packager::new(true, live_config());
    assert!(p.set_video_config(640, 480, avcc()).unwrap().is_empty());
    assert!(p.push(video(0, true)).unwrap().is_empty());
    let out = split(p.give_up_audio().unwrap());
    assert_eq!(out.inits.len(), 1);
    assert!(p.init().is_some());
}

#[test]
fn leading_delta_frames_and_repeated_timestamps_are_dropped() {
    let mut p = Packager::new(false, live_config());
    p.set_video_config(320, 240, avcc()).unwrap();
    p.push(video(0, false)).unwrap();
    p.push(video(50_000, true)).unwrap();
    p.push(video(50_000, false)).unwrap();
    p.push(video(100_000, false)).unwrap();
    let out = split(p.finish().unwrap());
    assert!(out.inits.is_empty());
    assert_eq!(out.segments.len(), 1);
    assert_eq!(p.dropped(), 2);
}

#[test]
fn aac_config_is_accepted() {
    let mut p = Packager::new(true, live_config());
    p.set_video_config(1280, 720, avcc()).unwrap();
    let out = p
        .set_audio_config(AudioConfig::Aac {
            channels: 2,
            sample_rate: 44_100,
            asc: vec![0x12, 0x10],
        })
        .unwrap();
    let out = split(out);
    let init = parse_init(&out.inits[0]).unwrap();
    assert_eq!(init.codecs(), "avc1.42e01f,mp4a.40.2");
}

#[test]
fn finish_without_any_video_produces_nothing() {
    let mut p = Packager::new(true, live_config());
    p.push(audio(0)).unwrap();
    assert!(p.finish().unwrap().is_empty());
}

#[test]
fn the_part_target_is_whole_frames_of_about_a_fifth_of_a_second() {
    for (fps, target, frames) in [
        (30.0, 0.21, 6.0),
        (60.0, 0.21, 12.0),
        (29.97, 0.21, 6.0),
        (25.0, 0.21, 5.0),
        (24.0, 0.219, 5.0),
        (15.0, 0.21, 3.0),
        (12.0, 0.263, 3.0),
        (5.0, 0.21, 1.0),
        (2.0, 0.525, 1.0),
    ] {
        let t = part_target_for(fps);
        assert!((t - target).abs() < 1e-9, "{fps} fps: {t}");
        // Those frames fit the RFC's window: at most the target, at least 85 % of it.
        let part = frames / fps;
        assert!(
            part <= t && part >= 0.85 * t,
            "{fps} fps: {part} s parts, target {t}"
        );
    }
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(part_target_for(bad), PART_TARGET_SECS);
    }
}

#[test]
fn a_part_target_set_before_the_start_cuts_the_parts() {
    let mut p = Packager::new(true, live_config());
    // 20 fps at parts of 0.1 s: two frames each, 20 per 2 s segment (0.21 s would make 10).
    assert!(p.set_part_target(0.105));
    let out = split(broadcast(&mut p, 7_000_000, 0));
    let first_segment = out.parts.iter().filter(|part| part.sequence == 0).count();
    assert_eq!(
        first_segment,
        20,
        "{:?}",
        out.parts
            .iter()
            .map(|p| p.duration_secs)
            .collect::<Vec<_>>()
    );
    // (The broadcast's very last part, cut by `finish`, holds what is left.)
    let cut = out.parts.len().saturating_sub(1);
    let long: Vec<(u64, u32, f64)> = out.parts[..cut]
        .iter()
        .filter(|p| p.duration_secs > 0.105 + 1e-9)
        .map(|p| (p.sequence, p.index, p.duration_secs))
        .collect();
    assert!(long.is_empty(), "{long:?}");
    // Too late once parts are being cut.
    assert!(!p.set_part_target(0.5));
}
