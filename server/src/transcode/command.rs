//! The ffmpeg command of one run, pure: the source (an fMP4 stream: its init, then its fragments) on
//! standard input, one H.264 video track per rung in one fragmented MP4 on standard output, a fragment a
//! frame.
//!
//! - `-fps_mode passthrough`, `-enc_time_base -1` (the input's), `-video_track_timescale` of the
//!   source and `-copyts`: every source frame comes out once, at its own time on the source's timescale
//!   ([`super::rungs`] undoes the muxer's shift to zero). Without `-enc_time_base`, a camera's variable
//!   frame rate came out rounded to milliseconds (184455 became 184500 at 90 kHz).
//! - `-force_key_frames source` with scene cuts off and a long GOP: keyframes where the source has
//!   them, so the rungs cut where the source does.
//! - libx264 `veryfast`, `zerolatency` (no B-frames, no look-ahead: a frame out as soon as it is in),
//!   capped at the rung's bitrate with one second of VBV buffer, so measured bandwidths stay near the plan.
//! - Nothing held back that can be avoided: the decoder threads by slice, not by frame (frame threads
//!   hold a frame each), and probing is left as it is (`-probesize 32 -analyzeduration 0` made ffmpeg
//!   hold the first segment until the second arrived). What stays: the MP4 muxer writes a frame's
//!   fragment when the next frame arrives (it needs its duration), and a B-frame source's decoder holds
//!   its reorder depth; so a rung's last frames of a segment come once the source's next segment is fed
//!   (a part later for a Low-Latency source, a segment later for an encoder's push; `bench-transcode`
//!   measures it).

use onair_media::ladder::Rung;

/// The arguments after the program name.
pub fn ffmpeg_args(rungs: &[Rung], source_timescale: u32, label: &str) -> Vec<String> {
    let mut args: Vec<String> = [
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "warning",
        "-copyts",
        "-thread_type",
        "slice",
        "-f",
        "mp4",
        "-i",
        "pipe:0",
    ]
    .map(String::from)
    .to_vec();
    let split: String = (0..rungs.len()).map(|i| format!("[s{i}]")).collect();
    let mut graph = format!("[0:v:0]split={}{split}", rungs.len());
    for (i, rung) in rungs.iter().enumerate() {
        graph.push_str(&format!(
            ";[s{i}]scale={}:{}:flags=bilinear,format=yuv420p[v{i}]",
            rung.width, rung.height
        ));
    }
    args.extend(["-filter_complex".to_owned(), graph]);
    for i in 0..rungs.len() {
        args.extend(["-map".to_owned(), format!("[v{i}]")]);
    }
    args.extend(
        [
            "-fps_mode",
            "passthrough",
            "-enc_time_base",
            "-1",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-tune",
            "zerolatency",
            "-profile:v",
            "high",
            "-force_key_frames",
            "source",
            "-g",
            "600",
            "-x264-params",
            "scenecut=0",
        ]
        .map(String::from),
    );
    for (i, rung) in rungs.iter().enumerate() {
        let kbps = (rung.bitrate_bps / 1000).max(1);
        args.extend([
            format!("-b:v:{i}"),
            format!("{kbps}k"),
            format!("-maxrate:v:{i}"),
            format!("{kbps}k"),
            format!("-bufsize:v:{i}"),
            format!("{kbps}k"),
        ]);
    }
    args.extend([
        "-video_track_timescale".to_owned(),
        source_timescale.to_string(),
        "-metadata".to_owned(),
        format!("comment={label}"),
        "-movflags".to_owned(),
        "+frag_every_frame+empty_moov+default_base_moof".to_owned(),
        "-flush_packets".to_owned(),
        "1".to_owned(),
        "-f".to_owned(),
        "mp4".to_owned(),
        "pipe:1".to_owned(),
    ]);
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_scaled_output_per_rung_at_its_bitrate() {
        let rungs = onair_media::ladder::lower_rungs(1280, 720, 25.0, &[480, 240]);
        let args = ffmpeg_args(&rungs, 12_800, "onair-transcode abc");
        let joined = args.join(" ");
        assert!(joined.contains(
            "[0:v:0]split=2[s0][s1];[s0]scale=854:480:flags=bilinear,format=yuv420p[v0];\
             [s1]scale=426:240:flags=bilinear,format=yuv420p[v1]"
        ));
        assert!(joined.contains("-map [v0] -map [v1]"));
        assert!(joined.contains("-b:v:0 717k -maxrate:v:0 717k"));
        assert!(joined.contains("-b:v:1 178k"));
        assert!(joined.contains("-video_track_timescale 12800"));
        assert!(joined.contains("-fps_mode passthrough -enc_time_base -1"));
        assert_eq!(args.last().map(String::as_str), Some("pipe:1"));
    }
}
