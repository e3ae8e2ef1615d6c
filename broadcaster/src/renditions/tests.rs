//! A ladder's renditions against the media crate's demuxer: one timeline, segments cut at the same
//! timestamps in every rung, audio in a rendition of its own.

use onair_media::{parse_init, parse_segment, InitSegment, Limits};

use super::*;
use crate::packager::{live_config, AUDIO_TRACK_ID, VIDEO_TRACK_ID};
use crate::test_chunks::{audio, avcc, opus_config, video};

/// Per rendition: its init segment and its segments (parts joined, as the server joins them).
#[derive(Default, Debug)]
struct Rendition {
    init: Option<Vec<u8>>,
    segments: Vec<Vec<u8>>,
}

fn by_rendition(out: Vec<Tagged>, count: usize) -> Vec<Rendition> {
    let mut renditions: Vec<Rendition> = (0..count).map(|_| Rendition::default()).collect();
    for (index, output) in out {
        let r = &mut renditions[index];
        match output {
            Output::Init(bytes) => {
                assert!(r.init.is_none(), "one init per rendition");
                r.init = Some(bytes);
            }
            Output::Part(part) => {
                if part.index == 0 {
                    r.segments.push(Vec::new());
                }
                r.segments
                    .last_mut()
                    .expect("a segment starts with part 0")
                    .extend_from_slice(&part.data);
            }
            Output::Segment(_) => {}
        }
    }
    renditions
}

/// Each segment's first decode time and whether it starts on a keyframe, of `track`.
fn starts(init: &InitSegment, segments: &[Vec<u8>], track: u32) -> Vec<(u64, bool)> {
    segments
        .iter()
        .map(|bytes| {
            let parsed = parse_segment(init, bytes, &Limits::default()).unwrap();
            let t = parsed.track(track).unwrap();
            (t.base_decode_time, parsed.starts_with_keyframe(init))
        })
        .collect()
}

/// 30 fps video for `secs` into three rungs (keyframes asked for every 2 s; rung 1's encoder adds one
/// of its own at 1 s; rung 2 starts a frame late, on a delta frame) and 20 ms audio from 0.1 s before
/// the first frame.
fn ladder_broadcast(secs: i64) -> Vec<Tagged> {
    let base = 5_000_000;
    let mut r = Renditions::ladder(3, true, live_config());
    let mut out = Vec::new();
    out.extend(r.set_audio_config(opus_config()).unwrap());
    for rung in 0..3 {
        out.extend(r.set_video_config(rung, 640, 360, avcc()).unwrap());
    }
    let frames = secs * 30;
    let mut next_audio = base - 100_000;
    for n in 0..frames {
        let ts = base + n * 1_000_000 / 30;
        let forced = n % 60 == 0;
        if forced {
            r.forced(ts);
        }
        while next_audio <= ts {
            out.extend(r.push_audio(audio(next_audio)).unwrap());
            next_audio += 20_000;
        }
        for rung in 0..3 {
            if rung == 2 && n == 0 {
                continue;
            }
            let key = forced || (rung == 1 && n == 30);
            out.extend(r.push_video(rung, video(ts, key)).unwrap());
        }
    }
    out.extend(r.finish().unwrap());
    out
}

#[test]
fn every_rung_cuts_its_segments_at_the_same_decode_times() {
    let renditions = by_rendition(ladder_broadcast(7), 4);
    let inits: Vec<InitSegment> = renditions
        .iter()
        .map(|r| parse_init(r.init.as_ref().expect("an init per rendition")).unwrap())
        .collect();
    for init in &inits[..3] {
        assert_eq!(init.tracks.len(), 1);
        assert!(init.video().is_some());
    }
    let top = starts(&inits[0], &renditions[0].segments, VIDEO_TRACK_ID);
    assert_eq!(
        top,
        [(0, true), (180_000, true), (360_000, true), (540_000, true)]
    );
    // The encoder's own keyframe at 1 s did not cut rung 1's segment.
    assert_eq!(
        starts(&inits[1], &renditions[1].segments, VIDEO_TRACK_ID),
        top
    );
    // Rung 2 started on the shared timeline: its first segment is the top's second one, at 2 s. (Its
    // media sequence numbers count from its own first segment, one behind the top's: the browser glue
    // configures every encoder before the first frame, so rungs start on the same frame.)
    let late = starts(&inits[2], &renditions[2].segments, VIDEO_TRACK_ID);
    assert_eq!(late, top[1..]);
}

#[test]
fn the_audio_rendition_is_audio_alone_on_the_video_timeline() {
    let renditions = by_rendition(ladder_broadcast(5), 4);
    let audio = &renditions[3];
    let init = parse_init(audio.init.as_ref().unwrap()).unwrap();
    assert_eq!(init.tracks.len(), 1);
    assert_eq!(init.audio().map(|t| t.timescale), Some(48_000));
    let first = parse_segment(&init, &audio.segments[0], &Limits::default()).unwrap();
    let a = first.track(AUDIO_TRACK_ID).unwrap();
    // The audio captured before the first video frame was dropped: it starts at 0.
    assert_eq!(a.base_decode_time, 0);
    // 5 s of audio in about 2 s segments.
    let total: usize = audio
        .segments
        .iter()
        .map(|s| {
            parse_segment(&init, s, &Limits::default())
                .unwrap()
                .track(AUDIO_TRACK_ID)
                .unwrap()
                .samples
                .len()
        })
        .sum();
    assert!((245..=251).contains(&total), "{total}");
    assert!(
        (2..=3).contains(&audio.segments.len()),
        "{}",
        audio.segments.len()
    );
}

#[test]
fn a_single_rendition_carries_video_and_audio_and_any_keyframe() {
    let mut r = Renditions::single(true, live_config());
    assert_eq!((r.count(), r.rungs(), r.audio_index()), (1, 1, 0));
    let mut out = Vec::new();
    out.extend(r.set_video_config(0, 640, 360, avcc()).unwrap());
    out.extend(r.set_audio_config(opus_config()).unwrap());
    for n in 0..90 {
        let ts = n * 1_000_000 / 30;
        out.extend(r.push_audio(audio(ts)).unwrap());
        // Not asked for: a single rendition cuts on whatever keyframe the encoder made.
        out.extend(r.push_video(0, video(ts, n % 66 == 0)).unwrap());
    }
    out.extend(r.finish().unwrap());
    let renditions = by_rendition(out, 1);
    let init = parse_init(renditions[0].init.as_ref().unwrap()).unwrap();
    assert_eq!(init.tracks.len(), 2);
    assert_eq!(renditions[0].segments.len(), 2);
    assert_eq!(r.count(), 1);
}

#[test]
fn a_ladder_without_a_microphone_has_no_audio_rendition() {
    let r = Renditions::ladder(2, false, live_config());
    assert_eq!((r.count(), r.rungs(), r.audio_index()), (2, 2, 0));
    let mut r = Renditions::ladder(0, true, live_config());
    assert_eq!((r.count(), r.rungs(), r.audio_index()), (2, 1, 1));
    // Giving up on audio before it started writes nothing.
    assert!(r.give_up_audio().unwrap().is_empty());
}
