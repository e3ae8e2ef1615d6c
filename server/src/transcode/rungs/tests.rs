//! The rung muxer against a source made of the media crate's fixtures and an "ffmpeg output" written
//! with its muxer: two video tracks, a fragment a frame, the timeline moved to zero.

use bytes::Bytes;
use onair_media::mux::{write_fragment, Sample, TrackFragment};
use onair_media::testing::{
    audio_track, av_part, av_segment, video_track, AUDIO_FRAMES, PART_SECS, VIDEO_FRAMES,
    VIDEO_FRAME_TICKS,
};
use onair_media::{parse_init, parse_segment, InitSegment, Limits, MediaParams, TrackInfo};

use super::*;

/// The source's msn 0 is the fixture's segment `FIRST`: its timeline does not start at zero.
const FIRST: u64 = 3;

fn source(part_target: Option<f64>) -> SourceTracks {
    SourceTracks {
        video: video_track(),
        audio: Some(audio_track()),
        part_target,
    }
}

fn source_init() -> InitSegment {
    InitSegment {
        tracks: vec![video_track(), audio_track()],
    }
}

/// What was fed: segment `msn` whole.
fn fed_segment(msn: u64) -> SourceEvent {
    let bytes = Bytes::from(av_segment(FIRST + msn));
    SourceEvent::Fed {
        msn,
        starts_segment: true,
        segment: parse_segment(&source_init(), &bytes, &Limits::default()).expect("parse"),
        bytes,
    }
}

fn fed_part(msn: u64, index: u64) -> SourceEvent {
    let bytes = Bytes::from(av_part(FIRST + msn, index, None));
    SourceEvent::Fed {
        msn,
        starts_segment: index == 0,
        segment: parse_segment(&source_init(), &bytes, &Limits::default()).expect("parse"),
        bytes,
    }
}

fn output_track(id: u32, width: u16, height: u16) -> TrackInfo {
    TrackInfo {
        id,
        params: MediaParams::Video { width, height },
        ..video_track()
    }
}

fn output_init() -> Piece {
    let init = InitSegment {
        tracks: vec![output_track(1, 854, 480), output_track(2, 426, 240)],
    };
    Piece::Init(write_init(&init).expect("init"))
}

/// ffmpeg's frame `n` (from the first fed), for both rungs, on a timeline from zero; a keyframe every
/// segment unless `keyframes` says otherwise.
fn output_frame(n: u64, keyframe: bool) -> Piece {
    let track = |id: u32| TrackFragment {
        track_id: id,
        base_decode_time: n * u64::from(VIDEO_FRAME_TICKS),
        samples: vec![Sample {
            duration: VIDEO_FRAME_TICKS,
            cts_offset: 0,
            keyframe,
            data: vec![0, 0, 0, 2, if keyframe { 0x65 } else { 0x41 }, n as u8],
        }],
    };
    Piece::Fragment(write_fragment(n as u32 + 1, &[track(1), track(2)]).expect("fragment"))
}

fn frames(muxer: &mut RungMuxer, range: std::ops::Range<u64>) -> Vec<RungUpload> {
    let per_segment = u64::from(VIDEO_FRAMES);
    range
        .flat_map(|n| {
            muxer
                .output(output_frame(n, n % per_segment == 0))
                .expect("muxed")
        })
        .collect()
}

fn rung_init(uploads: &[RungUpload], rung: usize) -> InitSegment {
    uploads
        .iter()
        .find_map(|u| match u {
            RungUpload::Init { rung: r, bytes } if *r == rung => parse_init(bytes).ok(),
            _ => None,
        })
        .expect("an init for the rung")
}

#[test]
fn rungs_take_the_source_msns_times_frame_counts_and_audio() {
    let mut muxer = RungMuxer::new(source(None), 2, Limits::default());
    let mut uploads = muxer.source(fed_segment(0)).expect("fed");
    uploads.extend(
        muxer
            .source(SourceEvent::Closed { msn: 0 })
            .expect("closed"),
    );
    uploads.extend(muxer.output(output_init()).expect("init"));
    uploads.extend(frames(&mut muxer, 0..9));
    assert_eq!(uploads.len(), 2, "two inits, segment 0 not complete yet");
    // The tenth frame completes segment 0: the source's was ten frames.
    uploads.extend(frames(&mut muxer, 9..10));
    uploads.extend(muxer.source(fed_segment(1)).expect("fed"));
    uploads.extend(
        muxer
            .source(SourceEvent::Closed { msn: 1 })
            .expect("closed"),
    );
    uploads.extend(frames(&mut muxer, 10..20));

    let init = rung_init(&uploads, 0);
    assert_eq!(init.tracks.len(), 2, "video and the copied audio");
    assert_eq!(
        init.tracks[0].params,
        MediaParams::Video {
            width: 854,
            height: 480
        }
    );
    assert_eq!(init.tracks[1].codec, audio_track().codec);
    let source =
        parse_segment(&source_init(), &av_segment(FIRST + 1), &Limits::default()).expect("source");
    let source_bytes = av_segment(FIRST + 1);
    let segments: Vec<(usize, u64, &Vec<u8>)> = uploads
        .iter()
        .filter_map(|u| match u {
            RungUpload::Segment { rung, msn, bytes } => Some((*rung, *msn, bytes)),
            _ => None,
        })
        .collect();
    assert_eq!(
        segments
            .iter()
            .map(|(r, m, _)| (*r, *m))
            .collect::<Vec<_>>(),
        [(0, 0), (1, 0), (0, 1), (1, 1)]
    );
    for (rung, msn, bytes) in segments.iter().filter(|(_, msn, _)| *msn == 1) {
        let init = rung_init(&uploads, *rung);
        let segment =
            parse_segment(&init, bytes, &Limits::default()).expect("a rung segment parses");
        let video = segment.track(RUNG_VIDEO_TRACK).expect("video");
        let source_video = source.track(1).expect("source video");
        assert_eq!(
            video.samples.len(),
            source_video.samples.len(),
            "rung {rung} msn {msn}"
        );
        assert_eq!(
            video.base_decode_time, source_video.base_decode_time,
            "the source's time"
        );
        assert!(video.samples[0].keyframe);
        let audio = segment.track(RUNG_AUDIO_TRACK).expect("audio");
        assert_eq!(audio.samples.len(), AUDIO_FRAMES as usize);
        let source_audio = source.track(2).expect("source audio");
        assert_eq!(audio.base_decode_time, source_audio.base_decode_time);
        for (ours, theirs) in audio.samples.iter().zip(&source_audio.samples) {
            assert_eq!(
                ours.data_in(bytes),
                theirs.data_in(&source_bytes),
                "audio copied untouched"
            );
        }
    }
}

#[test]
fn without_its_frame_count_a_segment_ends_at_the_next_segments_first_frame() {
    let mut muxer = RungMuxer::new(source(None), 2, Limits::default());
    muxer.source(fed_segment(0)).expect("fed");
    muxer.output(output_init()).expect("init");
    let mut uploads = frames(&mut muxer, 0..10);
    assert!(uploads.is_empty(), "segment 0's end is not known");
    muxer.source(fed_segment(1)).expect("fed");
    uploads.extend(frames(&mut muxer, 10..11));
    let done: Vec<(usize, u64)> = uploads
        .iter()
        .filter_map(|u| match u {
            RungUpload::Segment { rung, msn, .. } => Some((*rung, *msn)),
            _ => None,
        })
        .collect();
    assert_eq!(done, [(0, 0), (1, 0)]);
    // ffmpeg's output ends: the segment in progress is complete.
    let rest = muxer.finish().expect("finish");
    assert_eq!(rest.len(), 2);
}

#[test]
fn with_a_part_target_the_rungs_have_parts_of_it() {
    let mut muxer = RungMuxer::new(source(Some(PART_SECS)), 2, Limits::default());
    let mut uploads = Vec::new();
    for index in 0..5 {
        uploads.extend(muxer.source(fed_part(0, index)).expect("fed"));
    }
    uploads.extend(muxer.output(output_init()).expect("init"));
    uploads.extend(frames(&mut muxer, 0..10));
    uploads.extend(
        muxer
            .source(SourceEvent::Closed { msn: 0 })
            .expect("closed"),
    );
    let parts: Vec<(u64, u32)> = uploads
        .iter()
        .filter_map(|u| match u {
            RungUpload::Part {
                rung: 0,
                msn,
                index,
                ..
            } => Some((*msn, *index)),
            _ => None,
        })
        .collect();
    assert_eq!(parts, [(0, 0), (0, 1), (0, 2), (0, 3), (0, 4)]);
    assert!(!uploads
        .iter()
        .any(|u| matches!(u, RungUpload::Segment { .. })));
}

#[test]
fn a_segment_that_does_not_start_on_a_keyframe_or_is_skipped_ends_the_run() {
    let mut muxer = RungMuxer::new(source(None), 2, Limits::default());
    muxer.source(fed_segment(0)).expect("fed");
    muxer.source(fed_segment(1)).expect("fed");
    muxer.output(output_init()).expect("init");
    frames(&mut muxer, 0..10);
    let error = muxer
        .output(output_frame(10, false))
        .expect_err("no keyframe");
    assert!(error.to_string().contains("keyframe"), "{error}");

    let mut muxer = RungMuxer::new(source(None), 2, Limits::default());
    for msn in 0..3 {
        muxer.source(fed_segment(msn)).expect("fed");
    }
    muxer.output(output_init()).expect("init");
    frames(&mut muxer, 0..10);
    let error = muxer
        .output(output_frame(20, true))
        .expect_err("segment 1 skipped");
    assert!(error.to_string().contains("was due"), "{error}");

    let mut muxer = RungMuxer::new(source(None), 2, Limits::default());
    muxer.source(fed_segment(0)).expect("fed");
    let error = muxer.output(output_frame(0, true)).expect_err("no init");
    assert!(error.to_string().contains("before the init"), "{error}");
    assert!(muxer.source(fed_segment(5)).is_err(), "msn 5 after 0");
}
