//! Mux → demux round trips, the segmenter's cuts, and the validator's refusals.

use onair_media::testing::av_init;
use onair_media::*;
use onair_media::{Chunk, PartChunk};
use proptest::prelude::*;

#[test]
fn init_round_trips() {
    let init = av_init();
    let bytes = write_init(&init).unwrap();
    assert_eq!(parse_init(&bytes).unwrap(), init);
    let aac = InitSegment {
        tracks: vec![TrackInfo {
            id: 3,
            timescale: 44_100,
            codec: Codec::Aac {
                asc: vec![0x12, 0x10],
            },
            params: MediaParams::Audio {
                channels: 2,
                sample_rate: 44_100,
            },
        }],
    };
    assert_eq!(parse_init(&write_init(&aac).unwrap()).unwrap(), aac);
    assert_eq!(aac.codecs(), "mp4a.40.2");
}

fn fragment() -> Vec<u8> {
    write_fragment(
        7,
        &[
            TrackFragment {
                track_id: 1,
                base_decode_time: 180_000,
                samples: vec![
                    Sample {
                        duration: 3000,
                        cts_offset: 0,
                        keyframe: true,
                        data: vec![1; 100],
                    },
                    Sample {
                        duration: 3000,
                        cts_offset: -3000,
                        keyframe: false,
                        data: vec![2; 50],
                    },
                ],
            },
            TrackFragment {
                track_id: 2,
                base_decode_time: 96_000,
                samples: vec![Sample {
                    duration: 960,
                    cts_offset: 0,
                    keyframe: true,
                    data: vec![3; 20],
                }],
            },
        ],
    )
    .unwrap()
}

#[test]
fn fragment_round_trips() {
    let init = av_init();
    let bytes = fragment();
    let seg = parse_segment(&init, &bytes, &Limits::default()).unwrap();
    assert_eq!(seg.sequence_numbers, vec![7]);
    let video = seg.track(1).unwrap();
    assert_eq!(video.base_decode_time, 180_000);
    assert_eq!(video.samples.len(), 2);
    assert_eq!(video.samples[1].dts, 183_000);
    assert_eq!(video.samples[1].cts_offset, -3000);
    assert!(video.samples[0].keyframe && !video.samples[1].keyframe);
    let s = video.samples[1];
    assert_eq!(&bytes[s.offset..s.offset + s.size as usize], &[2; 50][..]);
    let audio = seg.track(2).unwrap();
    assert_eq!(&bytes[audio.samples[0].offset..][..20], &[3; 20][..]);
    assert!(seg.starts_with_keyframe(&init));
    assert!((seg.duration_secs(&init) - 6000.0 / 90_000.0).abs() < 1e-9);
}

#[test]
fn every_truncation_is_an_error_never_a_panic() {
    let init = av_init();
    let bytes = fragment();
    for len in 0..bytes.len() {
        assert!(
            parse_segment(&init, &bytes[..len], &Limits::default()).is_err(),
            "prefix of {len} bytes accepted"
        );
    }
    let init_bytes = write_init(&init).unwrap();
    for len in 0..init_bytes.len() {
        assert!(parse_init(&init_bytes[..len]).is_err(), "prefix {len}");
    }
}

#[test]
fn refusals_name_the_problem() {
    let init = av_init();
    let err = parse_segment(&init, b"hello, this is not mp4 at all", &Limits::default())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("not an MP4 file"), "{err}");
    let err = parse_init(b"\x00\x00\x00\x08moov").unwrap_err();
    assert!(
        matches!(err, DemuxError::Missing { fourcc: "mvex", .. }),
        "{err}"
    );
    let other = InitSegment {
        tracks: vec![init.tracks[1].clone()],
    };
    let err = parse_segment(&other, &fragment(), &Limits::default()).unwrap_err();
    assert!(
        matches!(err, DemuxError::UnknownTrack { track_id: 1, .. }),
        "{err}"
    );
    let small = Limits {
        max_bytes: 100,
        ..Limits::default()
    };
    let err = parse_segment(&init, &fragment(), &small).unwrap_err();
    assert!(matches!(err, DemuxError::TooLarge { .. }), "{err}");
    // A sample count far larger than the trun could hold is refused before any allocation.
    let mut bytes = fragment();
    let trun = bytes.windows(4).position(|w| w == b"trun").unwrap();
    bytes[trun + 8..trun + 12].copy_from_slice(&u32::MAX.to_be_bytes());
    let err = parse_segment(&init, &bytes, &Limits::default()).unwrap_err();
    assert!(err.to_string().contains("sample_count"), "{err}");
}

#[test]
fn a_fragment_inside_a_file_counts_offsets_from_the_file_start() {
    let init = av_init();
    let alone = parse_segment(&init, &fragment(), &Limits::default()).unwrap();
    let mut file = write_init(&init).unwrap();
    let at = file.len();
    file.extend_from_slice(&fragment());
    let inside = parse_segment_at(&init, &file[at..], at, &Limits::default()).unwrap();
    assert_eq!(inside.sequence_numbers, alone.sequence_numbers);
    for (a, b) in alone.tracks.iter().zip(&inside.tracks) {
        assert_eq!(a.base_decode_time, b.base_decode_time);
        for (x, y) in a.samples.iter().zip(&b.samples) {
            assert_eq!(y.offset, x.offset + at);
            assert_eq!((x.dts, x.size, x.keyframe), (y.dts, y.size, y.keyframe));
        }
    }
    let s = inside.track(1).unwrap().samples[1];
    assert_eq!(&file[s.offset..s.offset + s.size as usize], &[2; 50][..]);
    // Errors name the box where it is in the file.
    let err =
        parse_segment_at(&init, &file[at..file.len() - 1], at, &Limits::default()).unwrap_err();
    let mdat = at + fragment().windows(4).position(|w| w == b"mdat").unwrap() - 4;
    assert!(
        matches!(err, DemuxError::Truncated { ref fourcc, offset, .. } if fourcc == "mdat" && offset == mdat),
        "{err}"
    );
    let err = parse_segment_at(&init, b"hello, not mp4", at, &Limits::default()).unwrap_err();
    assert!(err.to_string().starts_with("not an MP4 file"), "{err}");
}

fn frames(video_fps: u64, secs: u64, gop: u64) -> Vec<Frame> {
    let mut out = Vec::new();
    let vn = video_fps * secs;
    let an = secs * 50; // 20 ms Opus packets
    let (mut v, mut a) = (0, 0);
    while v < vn || a < an {
        let vt = v * 1_000_000 / video_fps;
        let at = a * 20_000;
        if v < vn && (a >= an || vt <= at) {
            out.push(Frame {
                track_id: 1,
                dts: vt * 9 / 100,
                cts_offset: 0,
                duration: None,
                keyframe: v % gop == 0,
                data: vec![(v % 251) as u8; 10 + (v % 7) as usize],
            });
            v += 1;
        } else {
            out.push(Frame {
                track_id: 2,
                dts: at * 48 / 1000,
                cts_offset: 0,
                duration: Some(960),
                keyframe: true,
                data: vec![(a % 253) as u8; 5],
            });
            a += 1;
        }
    }
    out
}

#[test]
fn segmenter_cuts_on_keyframes_and_keeps_tracks_continuous() {
    let init = av_init();
    let mut seg = Segmenter::new(&init, SegmenterConfig::default());
    let mut segments = Vec::new();
    for f in frames(30, 10, 60) {
        segments.extend(seg.push(f).unwrap());
    }
    segments.extend(seg.finish().unwrap());
    assert_eq!(segments.len(), 5);
    let (mut vcount, mut acount) = (0, 0);
    let mut next = [0u64, 0u64];
    for (n, s) in segments.iter().enumerate() {
        assert_eq!(s.sequence, n as u64);
        assert!(
            (s.start_secs - 2.0 * n as f64).abs() < 1e-9,
            "{}",
            s.start_secs
        );
        assert!((s.duration_secs - 2.0).abs() < 0.05, "{}", s.duration_secs);
        let parsed = parse_segment(&init, &s.data, &Limits::default()).unwrap();
        assert!(parsed.starts_with_keyframe(&init));
        for (i, id) in [1u32, 2].iter().enumerate() {
            let t = parsed.track(*id).unwrap();
            assert_eq!(t.base_decode_time, next[i], "track {id} segment {n}");
            next[i] = t.end_decode_time();
        }
        vcount += parsed.track(1).unwrap().samples.len();
        acount += parsed.track(2).unwrap().samples.len();
    }
    assert_eq!((vcount, acount), (300, 500));
}

#[test]
fn segmenter_drops_frames_before_the_first_keyframe() {
    let init = av_init();
    let mut seg = Segmenter::new(&init, SegmenterConfig::default());
    let mut all = frames(30, 4, 60);
    // The stream's first video frame is not a keyframe: it and audio before the keyframe are dropped.
    for f in all.iter_mut() {
        if f.track_id == 1 {
            f.keyframe = f.dts == 2999; // the second frame: 33 333 µs
        }
    }
    let mut segments = Vec::new();
    for f in all {
        segments.extend(seg.push(f).unwrap());
    }
    segments.extend(seg.finish().unwrap());
    let first = parse_segment(&init, &segments[0].data, &Limits::default()).unwrap();
    assert_eq!(first.track(1).unwrap().base_decode_time, 2999);
    assert!(first.track(2).unwrap().base_decode_time * 90_000 >= 2999 * 48_000);
    assert!(seg
        .push(Frame {
            track_id: 9,
            dts: 0,
            cts_offset: 0,
            duration: None,
            keyframe: true,
            data: vec![]
        })
        .is_err());
}

proptest! {
    #[test]
    fn any_samples_round_trip(
        base in 0u64..(1u64 << 40),
        samples in prop::collection::vec((1u32..100_000, -5000i32..5000, any::<bool>(), prop::collection::vec(any::<u8>(), 0..64)), 1..40),
        seq in any::<u32>(),
    ) {
        let init = av_init();
        let input: Vec<Sample> = samples.into_iter().map(|(duration, cts_offset, keyframe, data)| Sample { duration, cts_offset, keyframe, data }).collect();
        let bytes = write_fragment(seq, &[TrackFragment { track_id: 1, base_decode_time: base, samples: input.clone() }]).unwrap();
        let parsed = parse_segment(&init, &bytes, &Limits::default()).unwrap();
        prop_assert_eq!(&parsed.sequence_numbers, &vec![seq]);
        let t = parsed.track(1).unwrap();
        let mut dts = base;
        for (got, want) in t.samples.iter().zip(&input) {
            prop_assert_eq!(got.dts, dts);
            prop_assert_eq!(got.duration, want.duration);
            prop_assert_eq!(got.cts_offset, want.cts_offset);
            prop_assert_eq!(got.keyframe, want.keyframe);
            prop_assert_eq!(&bytes[got.offset..got.offset + got.size as usize], &want.data[..]);
            dts += u64::from(want.duration);
        }
        prop_assert_eq!(t.samples.len(), input.len());
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_init(&data);
        let _ = parse_segment(&av_init(), &data, &Limits::default());
    }

    #[test]
    fn mutated_fragments_never_panic(pos in 0usize..400, byte in any::<u8>()) {
        let mut bytes = fragment();
        let len = bytes.len();
        bytes[pos % len] = byte;
        let _ = parse_segment(&av_init(), &bytes, &Limits::default());
    }
}

#[test]
fn segmenter_cuts_low_latency_parts() {
    let init = av_init();
    let config = SegmenterConfig {
        target_duration_secs: 2.0,
        part_target_secs: Some(0.5),
    };
    let mut seg = Segmenter::new(&init, config);
    let mut chunks = Vec::new();
    for f in frames(30, 10, 60) {
        chunks.extend(seg.push_chunks(f).unwrap());
    }
    chunks.extend(seg.finish_chunks().unwrap());
    let mut parts: Vec<PartChunk> = Vec::new();
    let mut segments = 0;
    let mut next = [0u64, 0u64];
    for chunk in chunks {
        match chunk {
            Chunk::Part(p) => {
                assert_eq!(p.sequence, segments, "part of the segment being produced");
                assert_eq!(p.index as usize, parts.len());
                assert_eq!(
                    p.independent,
                    p.index == 0,
                    "only a segment's first part has the keyframe"
                );
                assert!(p.duration_secs <= 0.5 + 1e-6, "{}", p.duration_secs);
                let parsed = parse_segment(&init, &p.data, &Limits::default()).unwrap();
                for (i, id) in [1u32, 2].iter().enumerate() {
                    if let Some(t) = parsed.track(*id) {
                        assert_eq!(
                            t.base_decode_time, next[i],
                            "track {id} continuous across parts"
                        );
                        next[i] = t.end_decode_time();
                    }
                }
                parts.push(p);
            }
            Chunk::Segment(s) => {
                assert_eq!(s.sequence, segments);
                assert_eq!(parts.len(), 4, "2 s of 0.5 s parts");
                let joined: Vec<u8> = parts.iter().flat_map(|p| p.data.clone()).collect();
                assert_eq!(s.data, joined, "a segment is its parts");
                let parsed = parse_segment(&init, &s.data, &Limits::default()).unwrap();
                assert_eq!(parsed.sequence_numbers.len(), 4);
                // 60 frames of 33 333 µs each: 2 s less the microseconds lost to rounding.
                assert!((s.duration_secs - 2.0).abs() < 1e-3, "{}", s.duration_secs);
                parts.clear();
                segments += 1;
            }
        }
    }
    assert_eq!(segments, 5);
    // Every video frame came out: the last one (dts 896 999) ends the timeline.
    assert!(next[0] > 896_999 && next[0] <= 900_000, "{}", next[0]);
}

#[test]
fn parts_carry_the_producer_wall_clock() {
    let init = av_init();
    let mut seg = Segmenter::new(
        &init,
        SegmenterConfig {
            target_duration_secs: 2.0,
            part_target_secs: Some(0.5),
        },
    );
    // The first video frame (dts 0) was captured at this Unix time.
    let anchor = 1_763_900_000_000_000u64;
    seg.set_wall_clock(1, 0, anchor);
    let mut parts = Vec::new();
    for f in frames(30, 3, 60) {
        for c in seg.push_chunks(f).unwrap() {
            if let Chunk::Part(p) = c {
                parts.push(p);
            }
        }
    }
    assert!(parts.len() >= 4);
    for p in &parts {
        let parsed = parse_segment(&init, &p.data, &Limits::default()).unwrap();
        let [t] = parsed.producer_times[..] else {
            panic!("one prft per part: {:?}", parsed.producer_times);
        };
        let video = parsed.track(1).unwrap();
        assert_eq!((t.track_id, t.media_time), (1, video.base_decode_time));
        let expected = anchor + video.base_decode_time * 1_000_000 / 90_000;
        assert!(
            t.unix_micros().abs_diff(expected) <= 1,
            "{} vs {expected}",
            t.unix_micros()
        );
    }
}

#[test]
fn styp_and_prft_round_trip() {
    let options = FragmentOptions {
        styp: true,
        producer_time: Some(ProducerTime::from_unix_micros(1, 1_000_000, 180_000)),
    };
    let bytes = write_fragment_with(
        3,
        &[TrackFragment {
            track_id: 1,
            base_decode_time: 180_000,
            samples: vec![Sample {
                duration: 3000,
                cts_offset: 0,
                keyframe: true,
                data: vec![1; 10],
            }],
        }],
        &options,
    )
    .unwrap();
    assert_eq!(&bytes[4..8], b"styp");
    let parsed = parse_segment(&av_init(), &bytes, &Limits::default()).unwrap();
    assert_eq!(parsed.producer_times, vec![options.producer_time.unwrap()]);
    assert_eq!(
        &bytes[parsed.track(1).unwrap().samples[0].offset..][..10],
        &[1; 10]
    );
}

proptest! {
    /// Whatever the camera clock's jitter, every part fits the part target, and every part but a
    /// segment's last also lasts at least 85 % of it (RFC 8216bis 4.4.4.9): a frame late enough to
    /// break one rule or the other is cut short.
    #[test]
    fn parts_fit_the_part_target_under_jitter(
        jitter in proptest::collection::vec(-8_000i64..8_000, 200),
        fps in prop_oneof![Just(20u64), Just(25), Just(30)],
        // The broadcaster's 0.21 s at 20 fps is 4 frames a part: one late frame used to leave 3.
        part_target in prop_oneof![Just(0.334f64), Just(0.21)],
    ) {
        let init = av_init();
        let mut seg = Segmenter::new(&init, SegmenterConfig {
            target_duration_secs: 2.0,
            part_target_secs: Some(part_target),
        });
        let mut chunks = Vec::new();
        let mut dts = 0u64;
        for (n, j) in jitter.iter().enumerate() {
            let frame_us = 1_000_000 / fps;
            let step = u64::try_from(i64::try_from(frame_us).unwrap() + j).unwrap();
            chunks.extend(seg.push_chunks(Frame {
                track_id: 1,
                dts: dts * 9 / 100,
                cts_offset: 0,
                duration: None,
                keyframe: (n as u64).is_multiple_of(2 * fps),
                data: vec![1; 8],
            }).unwrap());
            dts += step;
        }
        let mut current: Vec<f64> = Vec::new();
        for chunk in chunks {
            match chunk {
                Chunk::Part(p) => {
                    prop_assert!(p.duration_secs <= part_target + 1e-6, "{} s", p.duration_secs);
                    current.push(p.duration_secs);
                }
                Chunk::Segment(_) => {
                    let (_, all_but_last) = current.split_last().unwrap();
                    for d in all_but_last {
                        prop_assert!(*d >= 0.85 * part_target - 1e-6, "{d} s of {current:?}");
                    }
                    current.clear();
                }
            }
        }
    }
}

#[test]
fn a_stalled_frame_is_cut_short_rather_than_break_the_part_target() {
    let init = av_init();
    let mut seg = Segmenter::new(
        &init,
        SegmenterConfig {
            target_duration_secs: 2.0,
            part_target_secs: Some(0.334),
        },
    );
    // 20 fps with a 600 ms capture stall after frame 10.
    let mut chunks = Vec::new();
    let mut micros = 0u64;
    for n in 0..60u64 {
        chunks.extend(
            seg.push_chunks(Frame {
                track_id: 1,
                dts: micros * 9 / 100,
                cts_offset: 0,
                duration: None,
                keyframe: n % 40 == 0,
                data: vec![1; 8],
            })
            .unwrap(),
        );
        micros += if n == 10 { 600_000 } else { 50_000 };
    }
    let parts: Vec<PartChunk> = chunks
        .into_iter()
        .filter_map(|c| match c {
            Chunk::Part(p) => Some(p),
            Chunk::Segment(_) => None,
        })
        .collect();
    assert!(parts.len() > 5);
    for p in &parts {
        assert!(p.duration_secs <= 0.334 + 1e-6, "{} s", p.duration_secs);
        // Every part still parses and its time only goes forward.
        parse_segment(&init, &p.data, &Limits::default()).unwrap();
    }
}

/// Audio that arrives 0.4 s after the video it goes with (a lagging encoder) holds no part longer than
/// one part target: a part is cut once video is a part past its end, the audio it lacked starts the
/// next part, and none is lost.
#[test]
fn late_audio_holds_a_part_back_at_most_one_part_target() {
    let init = av_init();
    let config = SegmenterConfig {
        target_duration_secs: 2.0,
        part_target_secs: Some(0.1),
    };
    let mut seg = Segmenter::new(&init, config);
    // Deliver audio 0.4 s (20 packets) after its time: video frames of time t go in with the audio
    // of t - 0.4 s.
    let all = frames(30, 6, 60);
    let (video, audio): (Vec<Frame>, Vec<Frame>) = all.into_iter().partition(|f| f.track_id == 1);
    let mut audio = audio.into_iter().peekable();
    let mut chunks = Vec::new();
    let mut worst_wait = 0.0_f64;
    let mut note = |now: f64, out: Vec<Chunk>, chunks: &mut Vec<Chunk>| {
        for c in out {
            if let Chunk::Part(p) = &c {
                // Video pushed so far, against the end of the part just cut.
                worst_wait = worst_wait.max(now - (p.start_secs + p.duration_secs));
            }
            chunks.push(c);
        }
    };
    let mut now = 0.0;
    for v in video {
        while audio
            .peek()
            .is_some_and(|a| a.dts as f64 / 48_000.0 + 0.4 <= v.dts as f64 / 90_000.0)
        {
            if let Some(a) = audio.next() {
                note(now, seg.push_chunks(a).unwrap(), &mut chunks);
            }
        }
        now = v.dts as f64 / 90_000.0;
        note(now, seg.push_chunks(v).unwrap(), &mut chunks);
    }
    for a in audio {
        chunks.extend(seg.push_chunks(a).unwrap());
    }
    chunks.extend(seg.finish_chunks().unwrap());
    assert!(
        worst_wait <= 0.1 + 0.04,
        "a part waited {worst_wait} s of video"
    );
    let (mut vcount, mut acount) = (0, 0);
    let mut next = [0u64, 0u64];
    for c in &chunks {
        if let Chunk::Part(p) = c {
            let parsed = parse_segment(&init, &p.data, &Limits::default()).unwrap();
            for (i, id) in [1u32, 2].iter().enumerate() {
                if let Some(t) = parsed.track(*id) {
                    assert_eq!(t.base_decode_time, next[i], "track {id} continuous");
                    next[i] = t.end_decode_time();
                    if *id == 1 {
                        vcount += t.samples.len();
                    } else {
                        acount += t.samples.len();
                    }
                }
            }
        }
    }
    assert_eq!((vcount, acount), (180, 300));
}
