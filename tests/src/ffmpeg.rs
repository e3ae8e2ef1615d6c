//! ffmpeg and ffprobe as independent clients: one-shot runs ([`ffmpeg()`], [`ffprobe_json`]), a live push
//! over HTTP PUT as an encoder does it ([`FfmpegPush`]), and the encode options the benchmarks make
//! their inputs with ([`fmp4_test_encode_args`]).

use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::paths::artifacts_dir;

/// Runs ffprobe with these arguments and parses its JSON output.
pub fn ffprobe_json(args: &[&str]) -> Result<serde_json::Value> {
    let stdout = run("ffprobe", &["-v", "error", "-of", "json"], args)?;
    Ok(serde_json::from_slice(&stdout)?)
}

/// Runs ffmpeg with these arguments (quiet, overwrite) and fails with its stderr if it fails.
pub fn ffmpeg(args: &[&str]) -> Result<()> {
    run(
        "ffmpeg",
        &["-hide_banner", "-loglevel", "error", "-y"],
        args,
    )
    .map(drop)
}

/// Runs ffmpeg with these arguments (quiet) and answers what it wrote to its standard output.
pub fn ffmpeg_stdout(args: &[&str]) -> Result<Vec<u8>> {
    run("ffmpeg", &["-hide_banner", "-loglevel", "error"], args)
}

/// Runs `program` (ffmpeg or ffprobe) with `preset` and then `args`, and answers its stdout; fails with
/// its stderr when it fails.
fn run(program: &str, preset: &[&str], args: &[&str]) -> Result<Vec<u8>> {
    let output = Command::new(program)
        .args(preset)
        .args(args)
        .output()
        .with_context(|| format!("running {program} (apt-get install ffmpeg)"))?;
    if !output.status.success() {
        bail!(
            "{program} {:?} failed: {}",
            args,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(output.stdout)
}

/// The live test source every push uses: 25 fps test pattern (`testsrc2`) and a 440 Hz tone, H.264
/// (libx264, a keyframe every 2 s so that every 2 s segment starts with one) and AAC.
pub const TEST_SOURCE_FPS: u32 = 25;

/// ffmpeg pushing a live test source as HLS (fMP4) over HTTP PUT, as a broadcaster's encoder would.
/// Killed when dropped; its log goes to `tests/artifacts/ffmpeg-NAME.log`.
pub struct FfmpegPush {
    child: Child,
    log: PathBuf,
}

impl FfmpegPush {
    /// Pushes `seconds` of the test source in real time (`-re`) as one rendition (640x360) to
    /// `{base}/index.m3u8`, where `base` is `http://HOST/ingest/KEY`.
    pub fn single(name: &str, base: &str, seconds: u32) -> Result<FfmpegPush> {
        let duration = seconds.to_string();
        let url = format!("{base}/index.m3u8");
        let mut args = source_args(&duration);
        args.extend(
            [
                "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast", "-b:v",
                "600k",
            ]
            .map(String::from),
        );
        args.extend(encoder_args());
        args.extend(hls_args());
        args.push(url);
        Self::spawn(name, &args)
    }

    /// Pushes `seconds` of a 1280x720 test source at 25 fps in real time as one rendition with B-frames
    /// (libx264 `veryfast`, `-bf 2`, 2 Mbit/s, a keyframe every 2 s) and AAC in the same segments, to
    /// `{base}/index.m3u8`: what the origin's transcoder turns into a ladder.
    pub fn hd_with_b_frames(name: &str, base: &str, seconds: u32) -> Result<FfmpegPush> {
        let duration = seconds.to_string();
        let url = format!("{base}/index.m3u8");
        let mut args: Vec<String> = [
            "-re",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1280x720:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000",
            "-t",
            &duration,
            "-map",
            "0:v",
            "-map",
            "1:a",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-b:v",
            "2000k",
            "-maxrate",
            "2000k",
            "-bufsize",
            "2000k",
            "-bf",
            "2",
        ]
        .map(String::from)
        .to_vec();
        args.extend(encoder_args());
        args.extend(hls_args());
        args.push(url);
        Self::spawn(name, &args)
    }

    /// Pushes `seconds` of the test source in real time as a two-rendition ladder (640x360 at 600 kbps
    /// and 320x180 at 150 kbps, each with audio) with `-var_stream_map` to
    /// `{base}/stream_%v/index.m3u8` and `{base}/master.m3u8`.
    pub fn ladder(name: &str, base: &str, seconds: u32) -> Result<FfmpegPush> {
        Self::ladder_with(name, base, seconds, 2, "v:0,a:0 v:1,a:1")
    }

    /// Like [`FfmpegPush::ladder`], but the audio is encoded once, as a rendition of its own in an audio
    /// group (`-var_stream_map "v:0,agroup:aud v:1,agroup:aud a:0,agroup:aud"`): video-only renditions
    /// `stream_0` and `stream_1`, the audio-only `stream_2`, and ffmpeg's own `master.m3u8` with an
    /// `EXT-X-MEDIA`.
    pub fn ladder_separate_audio(name: &str, base: &str, seconds: u32) -> Result<FfmpegPush> {
        Self::ladder_with(
            name,
            base,
            seconds,
            1,
            "v:0,agroup:aud v:1,agroup:aud a:0,agroup:aud",
        )
    }

    /// The two-rendition video ladder with the audio mapped `audio_maps` times and this
    /// `-var_stream_map`.
    fn ladder_with(
        name: &str,
        base: &str,
        seconds: u32,
        audio_maps: usize,
        var_stream_map: &str,
    ) -> Result<FfmpegPush> {
        let duration = seconds.to_string();
        let url = format!("{base}/stream_%v/index.m3u8");
        let mut args = source_args(&duration);
        args.extend(
            [
                "-filter_complex",
                "[0:v]split=2[hi][lo0];[lo0]scale=320:180[lo]",
                "-map",
                "[hi]",
                "-map",
                "[lo]",
            ]
            .map(String::from),
        );
        for _ in 0..audio_maps {
            args.extend(["-map", "1:a"].map(String::from));
        }
        args.extend(
            [
                "-c:v", "libx264", "-preset", "veryfast", "-b:v:0", "600k", "-b:v:1", "150k",
            ]
            .map(String::from),
        );
        args.extend(encoder_args());
        args.extend(hls_args());
        args.extend(
            [
                "-var_stream_map",
                var_stream_map,
                "-master_pl_name",
                "master.m3u8",
            ]
            .map(String::from),
        );
        args.push(url);
        Self::spawn(name, &args)
    }

    fn spawn(name: &str, args: &[String]) -> Result<FfmpegPush> {
        let log = artifacts_dir().join(format!("ffmpeg-{name}.log"));
        let file = std::fs::File::create(&log)?;
        let child = Command::new("ffmpeg")
            .args(["-hide_banner", "-nostdin", "-loglevel", "warning"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .context("starting ffmpeg (apt-get install ffmpeg)")?;
        Ok(FfmpegPush { child, log })
    }

    /// Waits for ffmpeg to finish (at most `timeout`) and fails unless it exited successfully.
    pub async fn finish(mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                if !status.success() {
                    bail!("ffmpeg failed ({status}): {}", self.log_text());
                }
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "ffmpeg still running after {timeout:?}: {}",
                    self.log_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Kills ffmpeg now (an encoder that goes away mid-stream).
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// What ffmpeg logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for FfmpegPush {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// ffmpeg's test inputs: 640x360 `testsrc2` at 25 fps and a 440 Hz tone at 48 kHz.
pub const TEST_SOURCE: [&str; 8] = [
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=640x360:rate=25",
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=440:sample_rate=48000",
];

fn source_args(duration: &str) -> Vec<String> {
    std::iter::once("-re")
        .chain(TEST_SOURCE)
        .chain(["-t", duration])
        .map(String::from)
        .collect()
}

fn encoder_args() -> Vec<String> {
    [
        "-pix_fmt",
        "yuv420p",
        "-g",
        "50",
        "-keyint_min",
        "50",
        "-sc_threshold",
        "0",
        "-c:a",
        "aac",
        "-b:a",
        "64k",
        "-ac",
        "2",
    ]
    .map(String::from)
    .to_vec()
}

fn hls_args() -> Vec<String> {
    [
        "-f",
        "hls",
        "-hls_segment_type",
        "fmp4",
        "-hls_time",
        "2",
        "-method",
        "PUT",
    ]
    .map(String::from)
    .to_vec()
}

/// ffmpeg output options for a test encode to fragmented MP4, as the benchmarks make their inputs:
/// libx264 `ultrafast` at a capped `video_kbps` (two seconds of VBV buffer), a keyframe exactly every
/// `gop` frames and no B-frames (every segment can start on one), AAC stereo at `audio_kbps`, then
/// `-movflags +frag_keyframe+empty_moov+default_base_moof -f mp4`. The output path goes after them.
pub fn fmp4_test_encode_args(video_kbps: u32, gop: u32, audio_kbps: u32) -> Vec<String> {
    let (video, buffer, gop, audio) = (
        format!("{video_kbps}k"),
        format!("{}k", 2 * video_kbps),
        gop.to_string(),
        format!("{audio_kbps}k"),
    );
    [
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-b:v",
        &video,
        "-maxrate",
        &video,
        "-bufsize",
        &buffer,
        "-g",
        &gop,
        "-keyint_min",
        &gop,
        "-sc_threshold",
        "0",
        "-bf",
        "0",
        "-c:a",
        "aac",
        "-b:a",
        &audio,
        "-ac",
        "2",
        "-movflags",
        "+frag_keyframe+empty_moov+default_base_moof",
        "-f",
        "mp4",
    ]
    .map(String::from)
    .to_vec()
}

/// The captions of the subtitled VOD, as SRT (ffmpeg turns them into segmented WebVTT).
pub const CAPTIONS_SRT: &str = "1\n00:00:00,500 --> 00:00:02,500\nFirst caption\n\n\
    2\n00:00:03,000 --> 00:00:05,000\nSecond caption\n\n\
    3\n00:00:05,500 --> 00:00:07,500\nThird caption\n";

/// ffmpeg's HLS muxer writing 8 s of TS (640x360 H.264 + AAC) with a WebVTT subtitle rendition into `dir`: `master.m3u8` with
/// an `EXT-X-MEDIA:TYPE=SUBTITLES` group, the video's `stream_main.m3u8` and the subtitles'
/// `stream_main_vtt.m3u8` (ffmpeg 5.1 writes its cues without `X-TIMESTAMP-MAP`, 0.08 s later than
/// the SRT).
pub fn write_subtitled_vod(dir: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let srt = dir.join("captions.srt");
    std::fs::write(&srt, CAPTIONS_SRT)?;
    let mut args: Vec<&str> = vec!["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25"];
    args.extend(["-f", "lavfi", "-i", "sine=frequency=440"]);
    args.extend(["-i", srt.to_str().context("path")?, "-t", "8"]);
    args.extend(["-map", "0:v", "-map", "1:a", "-map", "2:s"]);
    args.extend(["-c:v", "libx264", "-preset", "veryfast", "-g", "25"]);
    args.extend(["-c:a", "aac", "-b:a", "64k"]);
    args.extend(["-c:s", "webvtt", "-metadata:s:s:0", "language=eng"]);
    args.extend(["-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod"]);
    args.extend(["-master_pl_name", "master.m3u8"]);
    args.extend(["-var_stream_map", "v:0,a:0,s:0,sgroup:subs,name:main"]);
    let out = dir.join("stream_%v.m3u8");
    args.push(out.to_str().context("path")?);
    ffmpeg(&args)
}
