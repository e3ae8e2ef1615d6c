//! TS → CMAF on real ffmpeg fixtures (test_data/ts/, made once by its make.sh): our transmux of each has
//! the packets ffprobe lists for the TS (count, PTS, DTS, keyframes; ffprobe.json, recorded by make.sh),
//! reads back with our own demuxer, and holds up against lost packets, damaged bytes and any split.

use onair_media::ts::time::TIMESTAMP_WRAP;
use onair_media::ts::{CmafChunk, Pes, TsDemuxer, TsEvent, TsTransmuxer};
use onair_media::{parse_init, parse_segment, InitSegment, Limits, MediaParams};
use proptest::prelude::*;
use serde_json::Value;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/test_data/ts/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ffprobe() -> Value {
    serde_json::from_slice(&fixture("ffprobe.json")).unwrap()
}

/// One packet as ffprobe and we see it: PTS and DTS in 90 kHz units, keyframe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Packet {
    pts: i64,
    dts: i64,
    keyframe: bool,
}

/// Our packets per track kind, in 90 kHz units, from transmuxing these segments in order (each output
/// checked by parse_init / parse_segment), with the last init segment.
fn transmux(segments: &[&[u8]]) -> (InitSegment, Vec<Packet>, Vec<Packet>) {
    let mut t = TsTransmuxer::new();
    let mut init = None;
    let (mut video, mut audio) = (Vec::new(), Vec::new());
    for ts in segments {
        let out = t.push_segment(ts).unwrap();
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        for chunk in out.chunks {
            match chunk {
                CmafChunk::Init { init: i, bytes } => {
                    assert_eq!(parse_init(&bytes).unwrap(), i);
                    init = Some(i);
                }
                CmafChunk::Fragment { bytes, tracks, .. } => {
                    let init: &InitSegment = init.as_ref().expect("an init before a fragment");
                    let segment = parse_segment(init, &bytes, &Limits::default()).unwrap();
                    for track in &segment.tracks {
                        let info = init.track(track.track_id).unwrap();
                        let span = tracks
                            .iter()
                            .find(|s| s.track_id == track.track_id)
                            .unwrap();
                        assert_eq!(span.base_decode_time, track.base_decode_time);
                        assert_eq!(span.duration, track.duration());
                        assert_eq!(span.samples, track.samples.len());
                        let to_90k = |t: i64| {
                            (t * 90_000 + i64::from(info.timescale) / 2) / i64::from(info.timescale)
                        };
                        let list = if info.is_video() {
                            &mut video
                        } else {
                            &mut audio
                        };
                        for s in &track.samples {
                            let dts = s.dts as i64;
                            list.push(Packet {
                                dts: to_90k(dts),
                                pts: to_90k(dts + i64::from(s.cts_offset)),
                                keyframe: s.keyframe,
                            });
                        }
                    }
                }
            }
        }
    }
    (init.expect("an init segment"), video, audio)
}

/// ffprobe's packets of one kind over these fixture files.
fn probed(files: &[&str], kind: &str) -> Vec<Packet> {
    let probe = ffprobe();
    let mut out = Vec::new();
    for f in files {
        let t = &probe[*f][kind];
        let n = t["pts"].as_array().unwrap().len();
        for i in 0..n {
            out.push(Packet {
                pts: t["pts"][i].as_i64().unwrap(),
                dts: t["dts"][i].as_i64().unwrap(),
                keyframe: t["keyframe"][i].as_bool().unwrap(),
            });
        }
    }
    out
}

/// Same count, keyframes and times: equal modulo 2^33 (ffprobe wraps a file's timestamps around its own
/// reference; ours grow across the wrap), within `tolerance` ticks (audio times are kept in samples).
fn assert_same(what: &str, ours: &[Packet], theirs: &[Packet], tolerance: i64) {
    assert_eq!(ours.len(), theirs.len(), "{what}: packet count");
    let wrap = TIMESTAMP_WRAP as i64;
    let near = |a: i64, b: i64| {
        let d = (a - b).rem_euclid(wrap);
        d.min(wrap - d) <= tolerance
    };
    for (i, (o, t)) in ours.iter().zip(theirs).enumerate() {
        assert!(
            near(o.dts, t.dts) && near(o.pts, t.pts) && o.keyframe == t.keyframe,
            "{what} packet {i}: ours {o:?}, ffprobe {t:?}"
        );
    }
    for w in ours.windows(2) {
        assert!(w[1].dts > w[0].dts, "{what}: decode times grow: {w:?}");
    }
}

#[test]
fn fixtures_match_ffprobe() {
    // (files, video codec string, audio codec string)
    let table: [(&[&str], &str, &str); 4] = [
        (&["h264_aac.ts"], "avc1.64000b", "mp4a.40.2"),
        (&["hevc_aac.ts"], "hvc1.1.6.L30.90", "mp4a.40.2"),
        (&["h264_mp3.ts"], "avc1.64000b", "mp3"),
        (&["wrap0.ts", "wrap1.ts"], "avc1.64000b", "mp4a.40.2"),
    ];
    for (files, video_codec, audio_codec) in table {
        let bytes: Vec<Vec<u8>> = files.iter().map(|f| fixture(f)).collect();
        let segments: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
        let (init, video, audio) = transmux(&segments);
        let name = files.join("+");
        assert_eq!(
            init.codecs(),
            format!("{video_codec},{audio_codec}"),
            "{name}"
        );
        assert_eq!(
            init.video().unwrap().params,
            MediaParams::Video {
                width: 160,
                height: 90
            }
        );
        assert_eq!(
            init.audio().unwrap().params,
            MediaParams::Audio {
                channels: 1,
                sample_rate: 44_100
            },
            "{name}"
        );
        assert_same(&format!("{name} video"), &video, &probed(files, "video"), 0);
        assert_same(&format!("{name} audio"), &audio, &probed(files, "audio"), 1);
    }
}

#[test]
fn timestamps_are_unwrapped_across_segments() {
    let (first, second) = (fixture("wrap0.ts"), fixture("wrap1.ts"));
    let (_, video, audio) = transmux(&[&first, &second]);
    let wrap = TIMESTAMP_WRAP as i64;
    // The stream starts before the wrap and ends after it, in one growing timeline.
    assert!(video[0].dts < wrap && video.last().unwrap().dts > wrap);
    assert!(audio[0].dts < wrap && audio.last().unwrap().dts > wrap);
    // One fragment per segment, sequence numbers going on, the init only once.
    let mut t = TsTransmuxer::new();
    let a = t.push_segment(&first).unwrap().chunks;
    let b = t.push_segment(&second).unwrap().chunks;
    assert!(matches!(
        a[..],
        [
            CmafChunk::Init { .. },
            CmafChunk::Fragment {
                sequence_number: 1,
                ..
            }
        ]
    ));
    assert!(matches!(
        b[..],
        [CmafChunk::Fragment {
            sequence_number: 2,
            ..
        }]
    ));
}

#[test]
fn not_ts_and_no_program_are_errors() {
    let mut t = TsTransmuxer::new();
    assert!(t.push_segment(b"#EXTM3U\n").is_err());
    assert!(t.push_segment(&fixture("h264_aac.ts")[..188]).is_err()); // a PAT and no PMT
    assert!(t.push_segment(&[]).is_err());
}

/// (pid, pts, dts, payload) of every PES, for comparing runs.
type PesKey = (u16, Option<u64>, Option<u64>, Vec<u8>);

fn pes_keys(events: Vec<TsEvent>) -> Vec<PesKey> {
    events
        .into_iter()
        .filter_map(|e| match e {
            TsEvent::Pes(p) => Some(key(&p)),
            _ => None,
        })
        .collect()
}

fn key(p: &Pes) -> PesKey {
    (p.pid, p.pts, p.dts, p.payload().to_vec())
}

/// The PIDs of the fixture's elementary streams (its PAT and PMT are the first two packets).
fn es_packets(ts: &[u8]) -> Vec<usize> {
    (0..ts.len() / 188)
        .filter(|&i| {
            let pid = (u16::from(ts[i * 188 + 1] & 0x1f) << 8) | u16::from(ts[i * 188 + 2]);
            pid == 0x100 || pid == 0x101
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any split of the input gives the same PES as the whole.
    #[test]
    fn any_split_gives_the_same_pes(cuts in prop::collection::vec(0usize..12_220, 0..12)) {
        let ts = fixture("h264_aac.ts");
        let whole = pes_keys(TsDemuxer::new().push(&ts, true));
        let mut cuts = cuts;
        cuts.sort_unstable();
        let mut d = TsDemuxer::new();
        let mut events = Vec::new();
        let mut from = 0;
        for c in cuts {
            events.extend(d.push(&ts[from..c.max(from)], false));
            from = c.max(from);
        }
        events.extend(d.push(&ts[from..], true));
        prop_assert_eq!(pes_keys(events), whole);
    }

    /// A lost packet costs at most the PES it belonged to, and is reported.
    #[test]
    fn a_lost_packet_costs_at_most_its_pes(pick in any::<prop::sample::Index>()) {
        let ts = fixture("h264_aac.ts");
        let whole = pes_keys(TsDemuxer::new().push(&ts, true));
        let candidates = es_packets(&ts);
        let lost = candidates[pick.index(candidates.len())];
        let mut damaged = ts[..lost * 188].to_vec();
        damaged.extend_from_slice(&ts[(lost + 1) * 188..]);
        let events = TsDemuxer::new().push(&damaged, true);
        let warned = events.iter().any(|e| matches!(e, TsEvent::Warning(_)));
        let got = pes_keys(events);
        let missing = whole.iter().filter(|p| !got.contains(p)).count();
        let extra = got.iter().filter(|p| !whole.contains(p)).count();
        // When the lost packet started a PES, the one before it is dropped too if its length is
        // unbounded (video): nothing tells whether the lost packet was its end or the next one's start.
        let started_pes = ts[lost * 188 + 1] & 0x40 != 0;
        let allowed = if started_pes { 2 } else { 1 };
        prop_assert!(missing <= allowed && extra <= 1, "missing {}, extra {}", missing, extra);
        // Only a PID's very last packet can go unnoticed (nothing follows it to show the gap).
        let pid_of = |i: usize| (ts[i * 188 + 1] & 0x1f, ts[i * 188 + 2]);
        let last_of_pid = (lost + 1..ts.len() / 188).all(|i| pid_of(i) != pid_of(lost));
        prop_assert!(warned || missing == 0 || last_of_pid);
        prop_assert!(got.len() + allowed >= whole.len());
    }

    /// Damaged bytes anywhere: no panic, and what comes out is valid CMAF.
    #[test]
    fn damaged_bytes_give_valid_cmaf_or_an_error(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..40),
        file in 0usize..3,
    ) {
        let name = ["h264_aac.ts", "hevc_aac.ts", "h264_mp3.ts"][file];
        let mut ts = fixture(name);
        for (at, value) in flips {
            let i = at.index(ts.len());
            ts[i] = value;
        }
        let mut t = TsTransmuxer::new();
        let mut init = None;
        for segment in [&ts[..], &ts[..]] {
            let Ok(out) = t.push_segment(segment) else { continue };
            for chunk in out.chunks {
                match chunk {
                    CmafChunk::Init { bytes, .. } => init = Some(parse_init(&bytes).unwrap()),
                    CmafChunk::Fragment { bytes, .. } => {
                        let init = init.as_ref().unwrap();
                        parse_segment(init, &bytes, &Limits::default()).unwrap();
                    }
                }
            }
        }
    }
}
