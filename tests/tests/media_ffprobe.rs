//! The media crate against independent tools: our demuxer reads ffmpeg's own fMP4 (libx264 with
//! B-frames, libopus, aac), our segmenter and muxer cut it again, and ffprobe reads our output back with
//! exactly the samples that went in: count, dts, pts, duration and keyframe flags, stream by stream.

use anyhow::{Context, Result};
use onair_media::{parse_init, write_init, Frame, InitSegment, Limits, Segmenter, SegmenterConfig};
use onair_tests::{demux_fmp4_file, ffmpeg, ffprobe_json};

/// A packet as ffprobe reports it, in the stream's timescale. ffprobe's packet `duration` is not the
/// stored sample duration (on ffmpeg's own file it reports 512 where the `trun` says 869), so durations are
/// checked through the decode times: each sample's dts is the previous dts plus its duration.
#[derive(Debug, PartialEq, Eq, Clone)]
struct Packet {
    stream: u64,
    pts: i64,
    dts: i64,
    key: bool,
}

/// Every sample of a fragmented MP4 file made by ffmpeg, read by our demuxer, as frames in time order.
fn demux_file(data: &[u8]) -> Result<(InitSegment, Vec<Frame>)> {
    let limits = Limits {
        max_bytes: 64 << 20,
        max_samples: 1_000_000,
    };
    demux_fmp4_file(data, &limits)
}

fn packets(path: &str) -> Result<Vec<Packet>> {
    let json = ffprobe_json(&[
        "-show_entries",
        "packet=stream_index,pts,dts,flags",
        "-show_packets",
        path,
    ])?;
    let mut out = Vec::new();
    for p in json["packets"].as_array().context("no packets")? {
        out.push(Packet {
            stream: p["stream_index"].as_u64().context("stream_index")?,
            pts: p["pts"].as_i64().context("pts")?,
            dts: p["dts"].as_i64().context("dts")?,
            key: p["flags"].as_str().unwrap_or("").starts_with('K'),
        });
    }
    Ok(out)
}

fn sorted(mut v: Vec<Packet>) -> Vec<Packet> {
    v.sort_by_key(|p| (p.stream, p.dts));
    v
}

/// ffmpeg's fragmented-MP4 flags. With `empty_moov` the header is written before the first packet.
const EMPTY_MOOV: &str = "+frag_keyframe+empty_moov+default_base_moof";
/// With `delay_moov` the (still empty) header waits for the first fragment, so encoders whose
/// configuration record is only known after encoding (libaom's `av1C`) get theirs into it.
const DELAYED_MOOV: &str = "+frag_keyframe+empty_moov+delay_moov+default_base_moof";

fn remux_and_compare(name: &str, ffmpeg_args: &[&str]) -> Result<()> {
    remux_and_compare_with(name, ffmpeg_args, SegmenterConfig::default(), EMPTY_MOOV)
}

fn remux_and_compare_with(
    name: &str,
    ffmpeg_args: &[&str],
    config: SegmenterConfig,
    movflags: &str,
) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let source = dir.path().join(format!("{name}-ffmpeg.mp4"));
    let source = source.to_str().context("path")?;
    let mut args: Vec<&str> = ffmpeg_args.to_vec();
    args.extend(["-movflags", movflags, "-f", "mp4", source]);
    ffmpeg(&args)?;
    let data = std::fs::read(source)?;
    let (init, frames) = demux_file(&data)?;

    // What went in: every sample, as ffprobe would report it.
    let index_of = |id: u32| init.tracks.iter().position(|t| t.id == id).unwrap_or(0) as u64;
    let expected: Vec<Packet> = frames
        .iter()
        .map(|f| Packet {
            stream: index_of(f.track_id),
            pts: f.dts as i64 + i64::from(f.cts_offset),
            dts: f.dts as i64,
            key: f.keyframe,
        })
        .collect();

    let mut out = write_init(&init)?;
    let mut segmenter = Segmenter::new(&init, config);
    if config.part_target_secs.is_some() {
        // Low-latency parts also carry the producer's wall clock (prft) for every independent reader.
        if let Some(video) = init.video() {
            segmenter.set_wall_clock(video.id, 0, 1_763_900_000_000_000);
        }
    }
    let mut count = 0;
    for f in frames {
        for s in segmenter.push(f)? {
            out.extend_from_slice(&s.data);
            count += 1;
        }
    }
    if let Some(s) = segmenter.finish()? {
        out.extend_from_slice(&s.data);
        count += 1;
    }
    assert!(count >= 2, "{name}: only {count} segments");
    let ours = dir.path().join(format!("{name}-onair.mp4"));
    std::fs::write(&ours, &out)?;

    let got = sorted(packets(ours.to_str().context("path")?)?);
    let want = sorted(expected);
    assert_eq!(got.len(), want.len(), "{name}: packet count");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "{name}: packet differs");
    }
    // The reverse direction: ffprobe on ffmpeg's own file agrees with our demuxer on count and keys.
    let theirs = sorted(packets(source)?);
    assert_eq!(theirs.len(), want.len(), "{name}: ffmpeg's packet count");
    for (t, w) in theirs.iter().zip(&want) {
        assert_eq!((t.stream, t.key), (w.stream, w.key), "{name}");
        assert_eq!(t.pts - t.dts, w.pts - w.dts, "{name}: composition offset");
    }
    Ok(())
}

/// ffmpeg's input options: `secs` seconds of a test pattern (`testsrc2=...`) and a tone (`sine=...`).
fn pattern_and_tone<'a>(video: &'a str, audio: &'a str, secs: &'a str) -> [&'a str; 10] {
    [
        "-f", "lavfi", "-i", video, "-f", "lavfi", "-i", audio, "-t", secs,
    ]
}

/// ffmpeg's input options: `secs` seconds of a test pattern alone.
fn pattern<'a>(video: &'a str, secs: &'a str) -> [&'a str; 6] {
    ["-f", "lavfi", "-i", video, "-t", secs]
}

const PATTERN_320_25: &str = "testsrc2=size=320x240:rate=25";
const PATTERN_640_25: &str = "testsrc2=size=640x360:rate=25";
const TONE_440_48K: &str = "sine=frequency=440:sample_rate=48000";
/// libvpx-vp9, fast.
const VP9: [&str; 6] = [
    "-c:v",
    "libvpx-vp9",
    "-deadline",
    "realtime",
    "-cpu-used",
    "8",
];
/// libaom-av1, fast.
const AV1: [&str; 6] = ["-c:v", "libaom-av1", "-cpu-used", "8", "-usage", "realtime"];

#[test]
fn h264_with_b_frames_and_opus() -> Result<()> {
    remux_and_compare(
        "h264-opus",
        &[
            &pattern_and_tone(PATTERN_320_25, TONE_440_48K, "7")[..],
            &[
                "-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-bf", "2", "-c:a",
                "libopus", "-b:a", "64k",
            ],
        ]
        .concat(),
    )
}

#[test]
fn h264_and_aac() -> Result<()> {
    remux_and_compare(
        "h264-aac",
        &[
            &pattern_and_tone(
                "testsrc2=size=640x360:rate=30",
                "sine=frequency=300:sample_rate=44100",
                "7",
            )[..],
            &[
                "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-bf", "0", "-c:a", "aac",
                "-b:a", "96k",
            ],
        ]
        .concat(),
    )
}

#[test]
fn hevc_with_b_frames_and_aac() -> Result<()> {
    remux_and_compare(
        "hevc-aac",
        &[
            &pattern_and_tone(PATTERN_320_25, TONE_440_48K, "5")[..],
            &[
                "-c:v",
                "libx265",
                "-preset",
                "ultrafast",
                "-x265-params",
                "keyint=50:bframes=2:log-level=error",
                "-tag:v",
                "hvc1",
                "-c:a",
                "aac",
            ],
        ]
        .concat(),
    )
}

#[test]
fn vp9_and_opus() -> Result<()> {
    remux_and_compare(
        "vp9-opus",
        &[
            &pattern_and_tone(PATTERN_320_25, TONE_440_48K, "5")[..],
            &VP9,
            &["-g", "50", "-c:a", "libopus"],
        ]
        .concat(),
    )
}

#[test]
fn av1_and_opus() -> Result<()> {
    remux_and_compare_with(
        "av1-opus",
        &[
            &pattern_and_tone(PATTERN_320_25, TONE_440_48K, "5")[..],
            &AV1,
            &["-g", "50", "-c:a", "libopus"],
        ]
        .concat(),
        SegmenterConfig::default(),
        DELAYED_MOOV,
    )
}

#[test]
fn low_latency_parts_h264_and_opus() -> Result<()> {
    // Segments made of 0.33 s parts: several moof + mdat pairs each, read back sample-exact.
    remux_and_compare_with(
        "h264-opus-parts",
        &[
            &pattern_and_tone(
                "testsrc2=size=320x240:rate=30",
                "sine=frequency=500:sample_rate=48000",
                "5",
            )[..],
            &[
                "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-bf", "0", "-c:a", "libopus",
            ],
        ]
        .concat(),
        SegmenterConfig {
            target_duration_secs: 2.0,
            part_target_secs: Some(0.33),
        },
        EMPTY_MOOV,
    )
}

#[test]
fn init_codec_strings_match_the_bitstream() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("high.mp4");
    let path = path.to_str().context("path")?;
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=1280x720:rate=30",
        "-t",
        "1",
        "-c:v",
        "libx264",
        "-profile:v",
        "high",
        "-level",
        "4.0",
        "-movflags",
        "+frag_keyframe+empty_moov+default_base_moof",
        "-f",
        "mp4",
        path,
    ])?;
    let init = parse_init(&std::fs::read(path)?)?;
    assert_eq!(init.codecs(), "avc1.640028");
    // The same for the other codecs: the strings come from their configuration records.
    let cases: [(&[&str], &str); 3] = [
        (
            &[
                "-c:v",
                "libx265",
                "-preset",
                "ultrafast",
                "-x265-params",
                "log-level=error",
                "-tag:v",
                "hvc1",
            ],
            "hvc1.1.6.L",
        ),
        (&VP9, "vp09.00."),
        (&AV1, "av01.0."),
    ];
    for (encoder, prefix) in cases {
        let mut args = pattern(PATTERN_640_25, "0.4").to_vec();
        args.extend_from_slice(encoder);
        args.extend(["-movflags", DELAYED_MOOV, "-f", "mp4", path]);
        ffmpeg(&args)?;
        let init = parse_init(&std::fs::read(path)?)?;
        assert!(
            init.codecs().starts_with(prefix),
            "{} for {prefix}",
            init.codecs()
        );
        println!("{prefix}: {}", init.codecs());
    }
    // ffmpeg 5.1 with empty_moov writes an empty av1C (no record yet): refused, with the box named.
    ffmpeg(
        &[
            &pattern(PATTERN_640_25, "0.4")[..],
            &AV1,
            &["-movflags", EMPTY_MOOV, "-f", "mp4", path],
        ]
        .concat(),
    )?;
    let err = parse_init(&std::fs::read(path)?).expect_err("an empty av1C is not a record");
    assert!(err.to_string().contains("av1C"), "{err}");
    Ok(())
}
