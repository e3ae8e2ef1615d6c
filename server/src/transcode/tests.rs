//! Which streams are transcoded, into what, and the limit.

use std::sync::Arc;

use onair_media::testing::{audio_fragment, audio_track, fragment, init_bytes, video_track};
use onair_media::{InitSegment, Limits, MediaParams, TrackInfo};

use super::fixtures::{part, segment, state, with_init};
use super::*;
use crate::live::{InitCheck, Rendition, SegmentCheck};

const HEIGHTS: [u16; 3] = [720, 480, 240];

fn names(plan: &Plan) -> Vec<&str> {
    plan.rungs.iter().map(|(name, _)| name.as_str()).collect()
}

fn audio_only() -> Rendition {
    let mut r = Rendition::default();
    let bytes = init_bytes(&InitSegment {
        tracks: vec![audio_track()],
    });
    if let Ok(InitCheck::Store(parsed)) = r.check_init(&bytes) {
        r.apply_init(parsed, bytes::Bytes::from(bytes), std::time::UNIX_EPOCH);
    }
    let data = fragment(0, &[audio_fragment(0)]);
    if let Ok(SegmentCheck::New(accepted)) =
        r.check_segment(0, &data, &Limits::default(), std::time::UNIX_EPOCH)
    {
        r.apply_segment(accepted);
    }
    r
}

#[test]
fn one_video_rendition_gets_the_rungs_below_it_from_its_first_segment() {
    let mut source = with_init();
    segment(&mut source, 0);
    let plan = plan(&state(vec![("r0", source.clone())]), &HEIGHTS).expect("a plan");
    assert_eq!(plan.source.as_str(), "r0");
    assert_eq!(
        names(&plan),
        ["auto-480p", "auto-240p"],
        "720 is not below 720"
    );
    assert!(plan.tracks.audio.is_some(), "its audio is copied");
    assert_eq!(plan.tracks.part_target, None);
    // With separate audio, the video alone.
    let plan = plan_for(&[("r0", source.clone()), ("audio", audio_only())]);
    assert_eq!(names(&plan.expect("a plan")), ["auto-480p", "auto-240p"]);

    // Past its first segment, without rungs: a rung could not have the source's msns.
    segment(&mut source, 1);
    assert!(plan_for(&[("r0", source.clone())]).is_none());
    // With its rungs (a restart): those that exist go on, no new one starts mid-stream.
    let resumed = plan_for(&[("r0", source.clone()), ("auto-480p", with_init())]);
    assert_eq!(names(&resumed.expect("resumed")), ["auto-480p"]);
    // Not before the first segment is whole, and not once the transcoder gave up.
    let mut parts = with_init();
    part(&mut parts, 0, 0);
    assert!(plan_for(&[("r0", parts)]).is_none());
    let mut stopped = state(vec![("r0", with_init())]);
    stopped.rungs_stopped = true;
    assert!(super::plan(&stopped, &HEIGHTS).is_none());
}

fn plan_for(renditions: &[(&str, Rendition)]) -> Option<Plan> {
    plan(&state(renditions.to_vec()), &HEIGHTS)
}

#[test]
fn a_ladder_a_tiny_source_or_audio_alone_is_not_transcoded() {
    let mut source = with_init();
    segment(&mut source, 0);
    assert!(plan_for(&[("stream_0", source.clone()), ("stream_1", with_init())]).is_none());
    assert!(plan_for(&[("audio", audio_only())]).is_none());
    let mut small = Rendition::default();
    let tiny = InitSegment {
        tracks: vec![TrackInfo {
            params: MediaParams::Video {
                width: 320,
                height: 180,
            },
            ..video_track()
        }],
    };
    let bytes = init_bytes(&tiny);
    if let Ok(InitCheck::Store(parsed)) = small.check_init(&bytes) {
        small.apply_init(parsed, bytes::Bytes::from(bytes), std::time::UNIX_EPOCH);
    }
    assert!(
        plan_for(&[("r0", small)]).is_none(),
        "no rung below 180 in 720,480,240"
    );
}

#[test]
fn the_limit_keeps_a_stream_out_once_and_a_place_is_given_back() {
    let transcoders = Arc::new(Transcoders::new(
        Some(TranscodeSettings {
            heights: HEIGHTS.to_vec(),
            max_running: 1,
        }),
        Some("ffmpeg".into()),
    ));
    let id = |s: &str| StreamId::parse(s).expect("id");
    let first = transcoders.claim(&id("aaaaaaaaaa")).expect("a place");
    assert!(
        transcoders.claim(&id("aaaaaaaaaa")).is_none(),
        "running already"
    );
    assert!(
        transcoders.claim(&id("bbbbbbbbbb")).is_none(),
        "over the limit"
    );
    assert!(transcoders.claim(&id("bbbbbbbbbb")).is_none());
    assert_eq!(
        transcoders.figures().refused.load(Ordering::Relaxed),
        1,
        "counted once"
    );
    assert_eq!(transcoders.running(), 1);
    drop(first);
    assert_eq!(transcoders.running(), 0);
    assert!(transcoders.claim(&id("cccccccccc")).is_some());
    let off = Transcoders::new(None, Some("ffmpeg".into()));
    assert!(off.settings().is_none());
}
