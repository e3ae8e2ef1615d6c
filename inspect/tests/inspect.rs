//! `onair-inspect` end to end on streams ffmpeg writes (files and over HTTP), on deliberately broken
//! playlists, and on a low-latency playlist whose parts are cut from ffmpeg's fragmented MP4. The reports
//! come from the library in-process; the real binary runs where its exit status and output are the point.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use onair_inspect::{exit_status, to_json, Options};
use serde_json::Value;
use tempfile::TempDir;

/// Runs `onair-inspect ARGS` and answers (exit code, stdout, stderr).
fn inspect(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_onair-inspect"))
        .args(args)
        .output()
        .expect("running onair-inspect");
    decode(output)
}

fn decode(output: Output) -> (i32, String, String) {
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The JSON report of `input` (what `--json` prints) with these options, from the library, with the exit
/// code the command answers.
async fn report_async(input: &str, options: Options) -> (i32, Value) {
    let result = onair_inspect::inspect(input, &options).await;
    (i32::from(exit_status(&result)), to_json(input, &result))
}

/// [`report_async`] on a runtime of its own.
fn report_with(input: &str, options: Options) -> (i32, Value) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(report_async(input, options))
}

/// The JSON report of `input` with the default options.
fn report(input: &str) -> (i32, Value) {
    report_with(input, Options::default())
}

/// The codes of a JSON report's violations.
fn codes(report: &Value) -> Vec<String> {
    report["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| v["code"].as_str().expect("code").to_string())
        .collect()
}

/// Runs ffmpeg (quiet, overwriting) in `dir`.
fn ffmpeg(dir: &Path, args: &[&str]) {
    let output = Command::new("ffmpeg")
        .current_dir(dir)
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .expect("running ffmpeg (apt-get install ffmpeg)");
    assert!(
        output.status.success(),
        "ffmpeg failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[rustfmt::skip]
/// A 4 s VOD: H.264 320x180 at 30 fps with a keyframe every second, AAC, 1 s fMP4 segments, a
/// multivariant playlist `master.m3u8` over `index.m3u8`.
fn ffmpeg_vod(dir: &Path) {
    ffmpeg(
        dir,
        &[
            "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", "4",
            // One thread: x264's output (and so each segment's size) is the same on a loaded machine.
            "-c:v", "libx264", "-threads", "1", "-preset", "ultrafast", "-g", "30",
            "-keyint_min", "30", "-sc_threshold", "0",
            // A declared bit rate, so that ffmpeg's BANDWIDTH covers the video too, and a small VBV
            // buffer, so that no one-second segment runs past it (with 300k the first segment came to
            // 778-804 kbit/s against ffmpeg's BANDWIDTH=730400: a real violation that inspect reports).
            "-b:v", "600k", "-maxrate", "600k", "-bufsize", "100k",
            "-c:a", "aac", "-b:a", "64k",
            "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod",
            "-hls_segment_type", "fmp4", "-hls_flags", "independent_segments",
            "-master_pl_name", "master.m3u8",
            "-hls_segment_filename", "seg%d.m4s",
            "index.m3u8",
        ],
    );
}

#[test]
fn ffmpeg_files_init_segment_and_playlist() {
    let dir = TempDir::new().expect("temp dir");
    ffmpeg_vod(dir.path());
    let path = |name: &str| dir.path().join(name).display().to_string();

    // The init: both tracks with their codec strings.
    let (code, text, _) = inspect(&[&path("init.mp4")]);
    assert_eq!(code, 0, "{text}");
    assert!(text.starts_with("init segment  "), "{text}");
    assert!(text.contains("video  avc1."), "{text}");
    assert!(text.contains("320x180"), "{text}");
    assert!(text.contains("audio  mp4a.40.2"), "{text}");
    assert!(text.contains("48000 Hz"), "{text}");
    assert!(text.ends_with("no problems found\n"), "{text}");
    let (_, json) = report(&path("init.mp4"));
    assert_eq!(json["kind"], "init");
    assert_eq!(json["init"]["tracks"][0]["kind"], "video");
    assert_eq!(json["init"]["tracks"][0]["width"], 320);
    assert_eq!(json["init"]["tracks"][1]["codec"], "mp4a.40.2");

    // A segment, its init found through the playlist beside it: one second of video, one keyframe.
    let (code, text, stderr) = inspect(&[&path("seg1.m4s")]);
    assert_eq!(code, 0, "{text}{stderr}");
    assert!(text.contains("fragments     1"), "{text}");
    assert!(text.contains("starts with a keyframe"), "{text}");
    assert!(text.contains("avc1."), "{text}");
    let (_, json) = report(&path("seg1.m4s"));
    assert_eq!(json["kind"], "segment");
    assert!(json["init_uri"]
        .as_str()
        .expect("init uri")
        .ends_with("init.mp4"));
    let video = &json["segment"]["tracks"][0];
    assert_eq!(video["kind"], "video");
    assert_eq!(video["samples"], 30);
    assert_eq!(video["keyframes"], 1);
    assert_eq!(video["duration_secs"], 1.0);
    assert_eq!(json["segment"]["tracks"][1]["kind"], "audio");
    // And with --init given.
    let (code, json) = report_with(
        &path("seg2.m4s"),
        Options {
            init: Some(path("init.mp4")),
            ..Options::default()
        },
    );
    assert_eq!(code, 0);
    assert_eq!(json["segment"]["start_secs"], 2.0);

    // The media playlist: walked, every segment measured, nothing wrong.
    let (code, text, _) = inspect(&[&path("index.m3u8")]);
    assert_eq!(code, 0, "{text}");
    assert!(text.starts_with("media playlist  "), "{text}");
    assert!(text.contains("target duration 1 s"), "{text}");
    assert!(text.contains("seg3.m4s"), "{text}");
    assert!(text.contains("init: 1 video avc1."), "{text}");
    let (_, json) = report(&path("index.m3u8"));
    assert_eq!(json["kind"], "media_playlist");
    let segments = json["segments"].as_array().expect("segments");
    assert_eq!(segments.len(), 4);
    for s in segments {
        assert_eq!(s["media"]["starts_with_keyframe"], true, "{s}");
    }
    assert_eq!(json["violations"], Value::Array(Vec::new()));

    // The multivariant playlist file walks the same way.
    let (code, json) = report(&path("master.m3u8"));
    assert_eq!(codes(&json), Vec::<String>::new(), "{json:#}");
    assert_eq!(code, 0);
    assert_eq!(json["kind"], "multivariant_playlist");

    // Not a stream at all: exit 2 and a clear word.
    std::fs::write(dir.path().join("notes.txt"), "hello").expect("write");
    let (code, _, stderr) = inspect(&[&path("notes.txt")]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("is not a playlist, an init segment or a media segment"),
        "{stderr}"
    );
    let (code, _, stderr) = inspect(&[&path("absent.m3u8")]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read"), "{stderr}");
}

#[test]
fn broken_playlists_are_reported_and_fail() {
    let dir = TempDir::new().expect("temp dir");
    ffmpeg_vod(dir.path());
    let codecs = {
        let (_, init) = report(&dir.path().join("init.mp4").display().to_string());
        init["init"]["codecs"].as_str().expect("codecs").to_string()
    };
    // EXTINF 3.5 over a target duration of 1; CODECS naming H.264 High 4.0 and HE-AAC.
    std::fs::write(
        dir.path().join("broken.m3u8"),
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n\
         #EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MAP:URI=\"init.mp4\"\n\
         #EXTINF:3.5,\nseg0.m4s\n#EXTINF:1.0,\nseg1.m4s\n#EXT-X-ENDLIST\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("broken_master.m3u8"),
        "#EXTM3U\n#EXT-X-VERSION:7\n\
         #EXT-X-STREAM-INF:BANDWIDTH=2000000,RESOLUTION=320x180,CODECS=\"avc1.640028,mp4a.40.5\"\n\
         broken.m3u8\n",
    )
    .expect("write");
    let master = dir.path().join("broken_master.m3u8").display().to_string();

    let (code, json) = report(&master);
    assert_eq!(code, 1, "{json:#}");
    let found = codes(&json);
    for expected in ["extinf-over-target", "codecs-mismatch", "extinf-mismatch"] {
        assert!(
            found.iter().any(|c| c == expected),
            "{expected} in {found:?}"
        );
    }
    let violations = json["violations"].as_array().expect("violations");
    let extinf = violations
        .iter()
        .find(|v| v["code"] == "extinf-over-target")
        .expect("extinf violation");
    assert_eq!(extinf["severity"], "error");
    assert_eq!(extinf["location"]["line"], 7);
    assert_eq!(extinf["location"]["msn"], 0);
    assert!(extinf["location"]["uri"]
        .as_str()
        .expect("uri")
        .ends_with("broken.m3u8"));
    assert!(extinf["message"].as_str().expect("message").contains("3.5"));
    assert!(extinf["rule"]
        .as_str()
        .expect("rule")
        .contains("MUST be less than or equal to the Target Duration"));
    let mismatch = violations
        .iter()
        .find(|v| v["code"] == "codecs-mismatch")
        .expect("codecs violation");
    assert_eq!(mismatch["location"]["line"], 3);
    assert!(json["variants"][0]["measured_codecs"] == Value::String(codecs.clone()));

    // The text form says the same for people, errors first.
    let (code, text, _) = inspect(&[&master]);
    assert_eq!(code, 1);
    assert!(text.contains("errors, "), "{text}");
    assert!(text.contains("error    extinf-over-target  "), "{text}");
    assert!(
        text.contains("EXTINF 3.5 rounds to 4, above EXT-X-TARGETDURATION 1"),
        "{text}"
    );
    assert!(text.contains("error    codecs-mismatch  "), "{text}");
    assert!(text.contains(&format!("(they carry {codecs})")), "{text}");

    // Without walking, the playlist's own text is still checked.
    let (code, json) = report_with(
        &dir.path().join("broken.m3u8").display().to_string(),
        Options {
            walk: false,
            ..Options::default()
        },
    );
    assert_eq!(code, 1);
    assert_eq!(codes(&json), vec!["extinf-over-target"]);

    // A missing segment and a truncated one: a fetch error and the demuxer's box and offset.
    let seg2 = std::fs::read(dir.path().join("seg2.m4s")).expect("read");
    std::fs::write(dir.path().join("cut.m4s"), &seg2[..seg2.len() / 2]).expect("write");
    std::fs::write(
        dir.path().join("holes.m3u8"),
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:1\n#EXT-X-MAP:URI=\"init.mp4\"\n\
         #EXTINF:1.0,\nseg0.m4s\n#EXTINF:1.0,\ngone.m4s\n#EXTINF:1.0,\ncut.m4s\n#EXTINF:1.0,\nseg3.m4s\n#EXT-X-ENDLIST\n",
    )
    .expect("write");
    let (code, json) = report(&dir.path().join("holes.m3u8").display().to_string());
    assert_eq!(code, 1);
    assert_eq!(
        codes(&json),
        vec!["fetch-failed", "segment-invalid"],
        "{json:#}"
    );
    let invalid = &json["violations"][1];
    assert_eq!(invalid["location"]["msn"], 2);
    assert_eq!(invalid["location"]["line"], 10);
    let message = invalid["message"].as_str().expect("message");
    assert!(message.contains("'mdat' at byte"), "{message}");
}

#[rustfmt::skip]
/// A multivariant stream: two H.264 renditions (640x360, 320x180) sharing an AAC audio group.
fn ffmpeg_ladder(dir: &Path) {
    ffmpeg(
        dir,
        &[
            "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", "4",
            "-filter_complex", "[0:v]split=2[v0][v1];[v1]scale=320:180[v1s]",
            "-map", "[v0]", "-map", "[v1s]", "-map", "1:a",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-keyint_min", "30",
            "-sc_threshold", "0",
            "-b:v:0", "800k", "-maxrate:v:0", "800k", "-bufsize:v:0", "400k",
            "-b:v:1", "300k", "-maxrate:v:1", "300k", "-bufsize:v:1", "150k",
            "-c:a", "aac", "-b:a", "64k",
            "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod",
            "-hls_segment_type", "fmp4", "-hls_flags", "independent_segments",
            "-var_stream_map", "v:0,agroup:aud v:1,agroup:aud a:0,agroup:aud",
            "-master_pl_name", "master.m3u8",
            "-hls_segment_filename", "v%v/seg%d.m4s",
            "v%v/index.m3u8",
        ],
    );
}

/// Serves `dir` over HTTP on an ephemeral loopback port until the runtime ends.
async fn serve_dir(dir: PathBuf) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let app = axum::Router::new().fallback_service(tower_http::services::ServeDir::new(dir));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    address
}

async fn inspect_async(args: Vec<String>) -> (i32, String, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_onair-inspect"))
        .args(args)
        .output()
        .await
        .expect("running onair-inspect");
    decode(output)
}

#[tokio::test]
async fn walks_an_http_stream_without_violations() {
    let dir = TempDir::new().expect("temp dir");
    ffmpeg_ladder(dir.path());
    let address = serve_dir(dir.path().to_path_buf()).await;
    let url = format!("http://{address}/master.m3u8");

    let (code, json) = report_async(&url, Options::default()).await;
    assert_eq!(codes(&json), Vec::<String>::new(), "{json:#}");
    assert_eq!(code, 0);
    assert_eq!(json["kind"], "multivariant_playlist");
    assert_eq!(json["variants"].as_array().map(Vec::len), Some(3));
    let playlists = json["media_playlists"].as_array().expect("media playlists");
    assert_eq!(playlists.len(), 3);
    for p in playlists {
        assert!(p["uri"]
            .as_str()
            .expect("uri")
            .starts_with("http://127.0.0.1:"));
        assert!(p["init"]["codecs"].is_string(), "{p:#}");
        for s in p["segments"].as_array().expect("segments") {
            assert!(
                s["media"].is_object(),
                "every segment was fetched and demuxed: {s}"
            );
        }
    }
    // The 640x360 variant: its CODECS and RESOLUTION were compared with what its init says.
    assert_eq!(json["variants"][0]["resolution"], "640x360");
    assert_eq!(
        json["variants"][0]["codecs"],
        json["variants"][0]["measured_codecs"]
    );
    assert!(json["variants"][0]["measured_peak_bitrate"]
        .as_u64()
        .is_some());

    // The text form, for people.
    let (code, text, _) = inspect_async(vec![url]).await;
    assert_eq!(code, 0);
    assert!(text.starts_with("multivariant playlist  http://"), "{text}");
    assert!(text.contains("3 variants · 1 rendition"), "{text}");
    assert!(text.ends_with("no problems found\n"), "{text}");

    // A segment by URL finds its init through the index.m3u8 beside it.
    let (code, text, stderr) = inspect_async(vec![format!("http://{address}/v1/seg2.m4s")]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(text.contains("v1/init_1.mp4"), "{text}");

    // A missing playlist and an unreachable server: exit 2 with the reason.
    let (code, _, stderr) = inspect_async(vec![format!("http://{address}/none.m3u8")]).await;
    assert_eq!(code, 2);
    assert!(stderr.contains("answered HTTP 404"), "{stderr}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port");
    let (code, _, stderr) = inspect_async(vec![format!("http://{closed}/index.m3u8")]).await;
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot reach"), "{stderr}");
}

/// Splits a fragmented MP4 into its top-level boxes.
fn top_level_boxes(data: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut boxes = Vec::new();
    let mut at = 0;
    while at + 8 <= data.len() {
        let size = u32::from_be_bytes(data[at..at + 4].try_into().expect("4 bytes")) as usize;
        assert!(
            size >= 8 && at + size <= data.len(),
            "box size {size} at {at}"
        );
        boxes.push((&data[at + 4..at + 8], &data[at..at + size]));
        at += size;
    }
    boxes
}

#[rustfmt::skip]
/// 3 s of H.264 at 24 fps, a keyframe each second, a fragment every 0.25 s (6 frames): the parts.
fn ffmpeg_fragmented(dir: &Path) {
    ffmpeg(
        dir,
        &[
            "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=24", "-t", "3",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "24", "-keyint_min", "24",
            "-sc_threshold", "0", "-bf", "0",
            "-movflags", "+frag_keyframe+empty_moov+default_base_moof",
            "-frag_duration", "250000",
            "-f", "mp4", "frag.mp4",
        ],
    );
}

#[test]
fn low_latency_parts_are_fetched_and_checked() {
    let dir = TempDir::new().expect("temp dir");
    ffmpeg_fragmented(dir.path());
    let data = std::fs::read(dir.path().join("frag.mp4")).expect("read");
    let boxes = top_level_boxes(&data);
    let init: Vec<u8> = boxes
        .iter()
        .take_while(|(kind, _)| *kind != b"moof")
        .flat_map(|(_, bytes)| bytes.to_vec())
        .collect();
    std::fs::write(dir.path().join("init.mp4"), init).expect("write");
    let fragments: Vec<Vec<u8>> = boxes
        .iter()
        // ffmpeg closes the file with an mfra: only moof + mdat pairs are parts.
        .filter(|(kind, _)| *kind == b"moof" || *kind == b"mdat")
        .collect::<Vec<_>>()
        .chunks(2)
        .map(|pair| pair.iter().flat_map(|(_, bytes)| bytes.to_vec()).collect())
        .collect();
    assert_eq!(fragments.len(), 12, "3 s in 0.25 s fragments");
    // Segments 0 and 1 complete (four parts each); segment 2 in progress with two parts.
    for (i, fragment) in fragments.iter().enumerate().take(10) {
        std::fs::write(
            dir.path().join(format!("part{}.{}.m4s", i / 4, i % 4)),
            fragment,
        )
        .expect("write part");
    }
    for segment in 0..2 {
        let bytes: Vec<u8> = fragments[segment * 4..segment * 4 + 4].concat();
        std::fs::write(dir.path().join(format!("seg{segment}.m4s")), bytes).expect("write");
    }
    let playlist = |part_hold_back: &str, second_part: &str| {
        let mut text = format!(
            "#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:1\n\
             #EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK={part_hold_back}\n\
             #EXT-X-PART-INF:PART-TARGET=0.25\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-INDEPENDENT-SEGMENTS\n\
             #EXT-X-MAP:URI=\"init.mp4\"\n"
        );
        for segment in 0..2 {
            for part in 0..4 {
                let attributes = if segment == 1 && part == 1 {
                    second_part.to_string()
                } else if part == 0 {
                    "DURATION=0.25,INDEPENDENT=YES".to_string()
                } else {
                    "DURATION=0.25".to_string()
                };
                text.push_str(&format!(
                    "#EXT-X-PART:{attributes},URI=\"part{segment}.{part}.m4s\"\n"
                ));
            }
            text.push_str(&format!("#EXTINF:1.0,\nseg{segment}.m4s\n"));
        }
        text.push_str(
            "#EXT-X-PART:DURATION=0.25,URI=\"part2.0.m4s\",INDEPENDENT=YES\n\
             #EXT-X-PART:DURATION=0.25,URI=\"part2.1.m4s\"\n\
             #EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"part2.2.m4s\"\n",
        );
        text
    };

    let good = dir.path().join("ll.m3u8");
    std::fs::write(&good, playlist("0.75", "DURATION=0.25")).expect("write");
    let ten_parts = || Options {
        parts: 10,
        ..Options::default()
    };
    let (code, json) = report_with(&good.display().to_string(), ten_parts());
    assert_eq!(codes(&json), Vec::<String>::new(), "{json:#}");
    assert_eq!(code, 0);
    assert_eq!(json["part_target"], 0.25);
    let trailing = json["trailing_parts"].as_array().expect("trailing parts");
    assert_eq!(trailing.len(), 2);
    assert_eq!(trailing[0]["msn"], 2);
    assert_eq!(trailing[0]["media"]["duration_secs"], 0.25);
    assert_eq!(trailing[0]["media"]["starts_with_keyframe"], true);
    let parts = json["segments"][1]["parts"].as_array().expect("parts");
    assert!(
        parts.iter().all(|p| p["media"].is_object()),
        "the last ten parts were measured"
    );
    let (_, text, _) = inspect(&[&good.display().to_string()]);
    assert!(
        text.contains("part target 0.25 · part hold back 0.75"),
        "{text}"
    );
    assert!(text.contains("part2.1.m4s"), "{text}");

    // PART-HOLD-BACK below twice the part target; a part declared longer than the part target and
    // claimed independent without a keyframe.
    let bad = dir.path().join("ll_bad.m3u8");
    std::fs::write(&bad, playlist("0.4", "DURATION=0.3,INDEPENDENT=YES")).expect("write");
    let (code, json) = report_with(&bad.display().to_string(), ten_parts());
    assert_eq!(code, 1);
    let found = codes(&json);
    for expected in [
        "part-hold-back-too-small",
        "part-over-target",
        "part-not-independent",
    ] {
        assert!(
            found.iter().any(|c| c == expected),
            "{expected} in {found:?}"
        );
    }
    let not_independent = json["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .find(|v| v["code"] == "part-not-independent")
        .expect("violation");
    assert_eq!(not_independent["location"]["msn"], 1);
    assert_eq!(not_independent["location"]["part"], 1);
}

#[rustfmt::skip]
/// 3 s of H.264 at 24 fps (a keyframe each second, so three fragments), with AAC when `audio`, written
/// by ffmpeg as one fragmented MP4 file `name` with these `-movflags`.
fn ffmpeg_whole_file(dir: &Path, name: &str, movflags: &str, audio: bool) -> String {
    let mut args = vec!["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=24"];
    if audio {
        args.extend(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-c:a", "aac"]);
    }
    args.extend([
        "-t", "3", "-c:v", "libx264", "-threads", "1", "-preset", "ultrafast", "-g", "24",
        "-keyint_min", "24", "-sc_threshold", "0", "-movflags", movflags, "-f", "mp4", name,
    ]);
    ffmpeg(dir, &args);
    dir.join(name).display().to_string()
}

/// The violations of a JSON report, by code.
fn violations<'a>(report: &'a Value, code: &str) -> Vec<&'a Value> {
    report["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .filter(|v| v["code"] == code)
        .collect()
}

#[test]
fn whole_fragmented_files_report_every_fragment() {
    let dir = TempDir::new().expect("temp dir");
    // ffmpeg closes a fragmented file with an mfra unless told to skip the trailer; without
    // default_base_moof every tfhd gives a base_data_offset from the start of the file.
    let cases = [
        (
            "mfra.mp4",
            "+frag_keyframe+empty_moov+default_base_moof",
            true,
            true,
        ),
        (
            "plain.mp4",
            "+frag_keyframe+empty_moov+default_base_moof+skip_trailer",
            false,
            false,
        ),
        ("absolute.mp4", "+frag_keyframe+empty_moov", false, true),
    ];
    for (name, movflags, audio, with_mfra) in cases {
        let path = ffmpeg_whole_file(dir.path(), name, movflags, audio);
        let (code, json) = report(&path);
        assert_eq!(codes(&json), Vec::<String>::new(), "{name}: {json:#}");
        assert_eq!(code, 0, "{name}");
        assert_eq!(json["kind"], "fragmented_file", "{name}");
        assert_eq!(
            json["init"]["tracks"].as_array().map(Vec::len),
            Some(1 + usize::from(audio))
        );
        let fragments = json["fragments"].as_array().expect("fragments");
        assert_eq!(fragments.len(), 3, "{name}: one fragment per keyframe");
        let mut end = 0;
        for (i, fragment) in fragments.iter().enumerate() {
            assert_eq!(fragment["index"], i);
            assert!(
                fragment["byte"].as_u64().expect("byte") >= end,
                "{name}: {fragment}"
            );
            end = fragment["byte"].as_u64().expect("byte")
                + fragment["bytes"].as_u64().expect("bytes");
            let video = &fragment["media"]["tracks"][0];
            assert_eq!(video["kind"], "video", "{name}: {fragment}");
            assert_eq!(video["samples"], 24, "{name}: {fragment}");
            assert_eq!(video["keyframes"], 1, "{name}: {fragment}");
            assert_eq!(fragment["media"]["starts_with_keyframe"], true);
            assert_eq!(fragment["media"]["sequence_numbers"][0], i + 1);
            if audio {
                let audio = &fragment["media"]["tracks"][1];
                assert_eq!(audio["kind"], "audio", "{name}: {fragment}");
                assert!(
                    audio["samples"].as_u64().expect("samples") >= 46,
                    "{name}: {fragment}"
                );
            } else {
                assert_eq!(video["duration_secs"], 1.0, "{name}: {fragment}");
                assert_eq!(fragment["media"]["start_secs"], i as f64, "{name}");
            }
        }
        let total = &json["total"];
        assert_eq!(total["fragments"], 3);
        assert_eq!(total["tracks"][0]["samples"], 72, "{name}");
        assert_eq!(total["tracks"][0]["keyframes"], 3, "{name}");
        let duration = total["duration_secs"].as_f64().expect("duration");
        assert!((duration - 3.0).abs() < 0.05, "{name}: {duration}");
        if with_mfra {
            assert_eq!(json["mfra"]["tracks"][0], 1, "{name}: {json:#}");
            assert!(
                json["mfra"]["entries"].as_u64().expect("entries") >= 3,
                "{name}"
            );
            assert!(
                json["mfra"]["byte"].as_u64().expect("byte") >= end,
                "{name}"
            );
        } else {
            assert_eq!(json["mfra"], Value::Null, "{name}");
        }
    }

    // The text form, from the binary.
    let (code, text, _) = inspect(&[&dir.path().join("mfra.mp4").display().to_string()]);
    assert_eq!(code, 0, "{text}");
    assert!(text.starts_with("fragmented file  "), "{text}");
    assert!(
        text.contains("fragments     3  (mfhd sequence 1..3)"),
        "{text}"
    );
    assert!(text.contains("mfra          at byte "), "{text}");
    assert!(text.contains("  fragment    byte  bytes  mfhd"), "{text}");
    assert!(text.ends_with("no problems found\n"), "{text}");
}

#[test]
fn damaged_whole_files_report_errors() {
    let dir = TempDir::new().expect("temp dir");
    let path = ffmpeg_whole_file(
        dir.path(),
        "good.mp4",
        "+frag_keyframe+empty_moov+default_base_moof",
        false,
    );
    let good = std::fs::read(&path).expect("read");
    let (_, json) = report(&path);
    let byte = |i: usize| json["fragments"][i]["byte"].as_u64().expect("byte") as usize;
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        path.display().to_string()
    };

    // Cut in the middle of the last fragment: it is reported, with the box and its byte offset.
    let cut = write("cut.mp4", &good[..(byte(2) + good.len()) / 2]);
    let (code, json) = report(&cut);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(codes(&json), vec!["segment-invalid"], "{json:#}");
    let invalid = &json["violations"][0];
    assert_eq!(invalid["location"]["fragment"], 2);
    assert_eq!(invalid["location"]["byte"], byte(2));
    let message = invalid["message"].as_str().expect("message");
    assert!(
        message.starts_with("truncated box 'mdat' at byte "),
        "{message}"
    );
    assert_eq!(json["fragments"].as_array().map(Vec::len), Some(3));
    assert!(json["fragments"][1]["media"].is_object());
    assert!(json["fragments"][2]["media"].is_null());
    // The binary exits 1 and says so.
    let (code, text, _) = inspect(&[&cut]);
    assert_eq!(code, 1);
    assert!(text.contains("error    segment-invalid  "), "{text}");
    assert!(
        text.contains(&format!("(fragment 2 at byte {})", byte(2))),
        "{text}"
    );

    // A trun in the second fragment that claims more samples than it holds.
    let mut damaged = good.clone();
    let trun = byte(1)
        + good[byte(1)..]
            .windows(4)
            .position(|w| w == b"trun")
            .expect("trun")
        - 4;
    damaged[trun + 12..trun + 16].copy_from_slice(&0x00ff_ffffu32.to_be_bytes());
    let (code, json) = report(&write("trun.mp4", &damaged));
    assert_eq!(code, 1);
    assert_eq!(codes(&json), vec!["segment-invalid"], "{json:#}");
    assert_eq!(json["violations"][0]["location"]["fragment"], 1);
    let message = json["violations"][0]["message"].as_str().expect("message");
    assert!(
        message.contains(&format!("'trun' at byte {trun}")),
        "{message}"
    );

    // An mfra entry that points beside its moof.
    let mut damaged = good.clone();
    let tfra = good.windows(4).rposition(|w| w == b"tfra").expect("tfra") - 4;
    let wide = if good[tfra + 8] == 1 { 8 } else { 4 };
    let offset = tfra + 8 + 16 + wide;
    let last = offset + wide - 1;
    damaged[last] = damaged[last].wrapping_add(1);
    let (code, json) = report(&write("mfra.mp4", &damaged));
    assert_eq!(code, 1);
    let found = violations(&json, "mfra-invalid");
    assert_eq!(found.len(), 1, "{json:#}");
    assert!(
        found[0]["message"]
            .as_str()
            .expect("message")
            .contains("point at no 'moof'"),
        "{json:#}"
    );
}

#[test]
fn the_command_line_prints_json_and_help() {
    let dir = TempDir::new().expect("temp dir");
    ffmpeg_vod(dir.path());
    // --json prints the report the library makes, and the binary answers its exit status.
    let init = dir.path().join("init.mp4").display().to_string();
    let (code, stdout, stderr) = inspect(&["--json", &init]);
    assert_eq!(code, 0, "{stderr}");
    let printed: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(printed, report(&init).1);
    let (code, stdout, _) = inspect(&[
        "--json",
        &dir.path().join("absent.mp4").display().to_string(),
    ]);
    assert_eq!(code, 2);
    let printed: Value = serde_json::from_str(&stdout).expect("JSON");
    assert!(
        printed["error"]
            .as_str()
            .expect("error")
            .contains("cannot read"),
        "{printed}"
    );

    let (code, help, _) = inspect(&["--help"]);
    assert_eq!(code, 0);
    for flag in ["--json", "--init", "--no-walk", "FILE|URL"] {
        assert!(help.contains(flag), "{flag} in {help}");
    }
}
