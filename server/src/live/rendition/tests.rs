//! The upload rules and the parts state, from the outside: each rule with the status it answers.

use std::time::UNIX_EPOCH;

use onair_media::Limits;

use super::*;
use crate::error::AppError;
use onair_media::testing::*;

fn limits() -> Limits {
    Limits::default()
}

fn at() -> SystemTime {
    UNIX_EPOCH
}

fn with_init() -> Rendition {
    let mut rendition = Rendition::default();
    let bytes = av_init_bytes();
    match rendition.check_init(&bytes).unwrap() {
        InitCheck::Store(parsed) => rendition.apply_init(parsed, Bytes::from(bytes), at()),
        InitCheck::Unchanged => panic!("first init is new"),
    }
    rendition
}

fn accept(rendition: &mut Rendition, msn: u64, data: &[u8]) -> SegmentInfo {
    match rendition.check_segment(msn, data, &limits(), at()).unwrap() {
        SegmentCheck::New(accepted) => {
            let info = accepted.info.clone();
            rendition.apply_segment(accepted);
            info
        }
        SegmentCheck::PossibleRetry { .. } => panic!("segment {msn} should be new"),
    }
}

/// The status a refusal is answered with (at the HTTP edge).
fn status(err: UploadRefused) -> u16 {
    AppError::from(err).status_code().as_u16()
}

/// The reason of a rejection, with its status.
fn rejection(rendition: &Rendition, msn: u64, data: &[u8]) -> (u16, String) {
    let err = rendition
        .check_segment(msn, data, &limits(), at())
        .expect_err("should be rejected");
    let reason = err.to_string();
    (status(err), reason)
}

#[test]
fn init_rules() {
    let mut rendition = Rendition::default();
    let err = rendition.check_init(b"garbage!").unwrap_err();
    let reason = err.to_string();
    assert_eq!(status(err), 400, "{reason}");

    rendition = with_init();
    assert!(matches!(
        rendition.check_init(&av_init_bytes()).unwrap(),
        InitCheck::Unchanged
    ));
    // Before any segment, another init replaces the first one.
    let video_only = init_bytes(&InitSegment {
        tracks: vec![video_track()],
    });
    assert!(matches!(
        rendition.check_init(&video_only).unwrap(),
        InitCheck::Store(_)
    ));
    // After a segment, a different init is a codec change.
    accept(&mut rendition, 0, &av_segment(0));
    assert_eq!(status(rendition.check_init(&video_only).unwrap_err()), 409);
    assert!(matches!(
        rendition.check_init(&av_init_bytes()).unwrap(),
        InitCheck::Unchanged
    ));
}

#[test]
fn accepts_a_continuous_stream() {
    let mut rendition = with_init();
    for msn in 0..3 {
        let data = av_segment(msn);
        let info = accept(&mut rendition, msn, &data);
        assert_eq!(info.msn, msn);
        assert!((info.duration_secs - SEGMENT_SECS).abs() < 1e-9);
        assert_eq!(info.bytes, data.len() as u64);
    }
    assert_eq!(rendition.next_msn(), 3);
    assert_eq!(rendition.segment(1).map(|s| s.msn), Some(1));
    assert!(rendition.segment(3).is_none());
}

#[test]
fn segment_rules() {
    let empty = Rendition::default();
    assert_eq!(rejection(&empty, 0, &av_segment(0)).0, 409, "no init yet");

    let mut rendition = with_init();
    assert_eq!(
        rejection(&rendition, 1, &av_segment(1)).0,
        409,
        "first msn is 0"
    );
    let seg0 = av_segment(0);
    accept(&mut rendition, 0, &seg0);

    // An identical retry is possible, a different body under the same msn is not.
    assert!(matches!(
        rendition.check_segment(0, &seg0, &limits(), at()).unwrap(),
        SegmentCheck::PossibleRetry { msn: 0 }
    ));
    assert_eq!(rejection(&rendition, 0, &seg0[..seg0.len() - 1]).0, 409);
    // Gaps are refused.
    let (status, reason) = rejection(&rendition, 2, &av_segment(2));
    assert_eq!(status, 409);
    assert!(reason.contains("expected segment 1, got 2"), "{reason}");

    // Malformed bodies.
    let seg1 = av_segment(1);
    let (status, reason) = rejection(&rendition, 1, &seg1[..seg1.len() - 10]);
    assert_eq!(status, 400);
    assert!(reason.contains("segment 1"), "{reason}");
    assert_eq!(rejection(&rendition, 1, b"").0, 400);
    assert_eq!(rejection(&rendition, 1, &[0xab; 64]).0, 400);
    assert_eq!(
        rejection(&rendition, 1, &av_init_bytes()).0,
        400,
        "an init is no segment"
    );

    // No keyframe first.
    let (status, reason) = rejection(&rendition, 1, &av_segment_with(1, false));
    assert_eq!(status, 400);
    assert!(reason.contains("keyframe"), "{reason}");

    // Going back in time: segment 0's timing again under msn 1.
    let (status, reason) = rejection(&rendition, 1, &av_segment(0));
    assert_eq!(status, 400);
    assert!(reason.contains("backwards"), "{reason}");

    // Audio only in a rendition with video.
    let audio_only = fragment(1, &[audio_fragment(96_000)]);
    let (status, reason) = rejection(&rendition, 1, &audio_only);
    assert_eq!(status, 400);
    assert!(reason.contains("video track"), "{reason}");

    // Unknown track id.
    let mut stray = video_fragment(180_000, true);
    stray.track_id = 9;
    assert_eq!(rejection(&rendition, 1, &fragment(1, &[stray])).0, 400);

    // None of that changed anything.
    assert_eq!(rendition.next_msn(), 1);
    accept(&mut rendition, 1, &seg1);
}

#[test]
fn a_new_period_may_restart_time_once() {
    let mut rendition = with_init();
    rendition.start_period();
    assert!(!rendition.starts_new_period(), "nothing to discontinue yet");
    accept(&mut rendition, 0, &av_segment(0));
    accept(&mut rendition, 1, &av_segment(1));
    rendition.start_period();
    assert!(rendition.starts_new_period());
    // The encoder restarted: its timeline begins at zero again, the msn continues.
    let info = accept(&mut rendition, 2, &av_segment(0));
    assert!(info.discontinuity);
    assert!(!rendition.starts_new_period());
    let (status, reason) = rejection(&rendition, 3, &av_segment(0));
    assert_eq!(status, 400);
    assert!(reason.contains("backwards"), "{reason}");
    let info = accept(&mut rendition, 3, &av_segment(1));
    assert!(!info.discontinuity);
    let marks: Vec<bool> = rendition
        .segments()
        .iter()
        .map(|s| s.discontinuity)
        .collect();
    assert_eq!(marks, [false, false, true, false]);
}

#[test]
fn run_inits_keep_the_stored_init() {
    let mut rendition = with_init();
    accept(&mut rendition, 0, &av_segment(0));
    assert!(matches!(
        rendition.check_run_init(&av_init_bytes()).unwrap(),
        InitCheck::Unchanged
    ));
    let video_only = init_bytes(&InitSegment {
        tracks: vec![video_track()],
    });
    let err = rendition.check_run_init(&video_only).unwrap_err();
    assert!(err.to_string().contains("codec change"), "{err}");
    assert!(err.to_string().contains("1280x720"), "{err}");
    assert_eq!(status(err), 409);
    assert_eq!(
        status(rendition.check_run_init(b"garbage").unwrap_err()),
        400
    );
}

#[test]
fn frame_rate_and_digest_are_measured() {
    let mut rendition = with_init();
    let data = av_segment(0);
    let info = accept(&mut rendition, 0, &data);
    // The test media: 10 frames of 18000 ticks at 90 kHz.
    assert_eq!(info.frame_rate, Some(5.0));
    assert_eq!(info.digest, digest(&data));
    assert_eq!(rendition.changed_at(), Some(at()));
}

#[test]
fn audio_only_renditions_need_no_keyframe_flags() {
    let mut rendition = Rendition::default();
    let init = InitSegment {
        tracks: vec![audio_track()],
    };
    let bytes = init_bytes(&init);
    match rendition.check_init(&bytes).unwrap() {
        InitCheck::Store(parsed) => rendition.apply_init(parsed, Bytes::from(bytes), at()),
        InitCheck::Unchanged => unreachable!(),
    }
    let info = accept(&mut rendition, 0, &fragment(0, &[audio_fragment(0)]));
    assert!((info.duration_secs - SEGMENT_SECS).abs() < 1e-9);
    assert_eq!(info.frame_rate, None);
}
