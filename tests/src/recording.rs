//! A recording downloaded as one MP4 file (`/live/{id}/recording.mp4`) and read by ffprobe and ffmpeg,
//! independent clients: its streams, its duration, every packet's decode time going forward on each
//! stream, and every frame decoding.

use anyhow::{ensure, Context, Result};
use serde_json::Value;

use crate::ffmpeg::{ffmpeg, ffprobe_json};
use crate::paths::artifacts_dir;

/// What ffprobe read of a downloaded recording.
#[derive(Debug, Clone)]
pub struct RecordingFile {
    /// `Content-Disposition` of the download.
    pub disposition: String,
    /// `Content-Length`, when the server sent one.
    pub content_length: Option<u64>,
    /// Its size.
    pub bytes: usize,
    /// Its duration, seconds.
    pub duration: f64,
    /// `codec_type` of each stream, in order.
    pub kinds: Vec<String>,
    /// Packets read per stream.
    pub packets: Vec<u64>,
    /// ffprobe's `-show_format -show_streams`.
    pub probe: Value,
}

/// Downloads `{base}/live/{id}/recording.mp4` as `tests/artifacts/recording-{name}.mp4`, checks that each
/// stream's packets never go back in decode time and that ffmpeg decodes every frame without an error.
pub async fn download_recording(base: &str, id: &str, name: &str) -> Result<RecordingFile> {
    let response = reqwest::get(format!("{base}/live/{id}/recording.mp4")).await?;
    ensure!(response.status() == 200, "download: {}", response.status());
    let disposition = response
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let content_length = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let bytes = response.bytes().await?;
    let path = artifacts_dir().join(format!("recording-{name}.mp4"));
    std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
    let file = path.to_string_lossy().into_owned();
    let probe = ffprobe_json(&["-count_packets", "-show_format", "-show_streams", &file])?;
    let duration = probe["format"]["duration"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .unwrap_or(0.0);
    let streams = probe["streams"].as_array().cloned().unwrap_or_default();
    let kinds = streams
        .iter()
        .map(|s| s["codec_type"].as_str().unwrap_or_default().to_owned())
        .collect();
    let packets = streams
        .iter()
        .map(|s| {
            s["nb_read_packets"]
                .as_str()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        })
        .collect();
    // Decode times per stream, in file order: never back.
    let listed = ffprobe_json(&["-show_entries", "packet=stream_index,dts_time", &file])?;
    let mut last: Vec<Option<f64>> = vec![None; streams.len()];
    for packet in listed["packets"].as_array().into_iter().flatten() {
        let (Some(index), Some(dts)) = (
            packet["stream_index"]
                .as_u64()
                .and_then(|i| usize::try_from(i).ok()),
            packet["dts_time"]
                .as_str()
                .and_then(|t| t.parse::<f64>().ok()),
        ) else {
            continue;
        };
        if let Some(slot) = last.get_mut(index) {
            ensure!(
                slot.is_none_or(|previous| dts >= previous),
                "stream {index} goes back in decode time: {dts} after {slot:?} in {file}"
            );
            *slot = Some(dts);
        }
    }
    ffmpeg(&["-v", "error", "-xerror", "-i", &file, "-f", "null", "-"])?;
    Ok(RecordingFile {
        disposition,
        content_length,
        bytes: bytes.len(),
        duration,
        kinds,
        packets,
        probe,
    })
}
