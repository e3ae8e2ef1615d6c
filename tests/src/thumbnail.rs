//! A stream's live thumbnail as a page gets it: wait until the stream's JSON names a picture, fetch it,
//! keep a copy in `tests/artifacts/` to look at, and read its pixels with ffmpeg (a decoder independent
//! of the origin's check).

use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use onair_protocol::{paths, StreamView};
use tokio::time::Instant;

use crate::ffmpeg::{ffmpeg_stdout, ffprobe_json};
use crate::paths::artifacts_dir;

/// A thumbnail as fetched.
#[derive(Debug, Clone)]
pub struct Picture {
    /// The URL the stream's JSON named (`/live/{id}/thumbnail.jpg?v=...`).
    pub url: String,
    /// Its `Cache-Control`.
    pub cache_control: String,
    /// Its `Content-Type`.
    pub content_type: String,
    /// Its size, as ffprobe reads it.
    pub width: u64,
    /// Its height.
    pub height: u64,
    /// The picture shrunk to 4x4 RGB cells, row by row.
    pub cells: Vec<[u8; 3]>,
}

impl Picture {
    /// The largest difference between two cells on any channel: a grey fill (a broken decode) is near 0,
    /// a test pattern far from it.
    pub fn spread(&self) -> u8 {
        (0..3)
            .map(|c| {
                let values = self.cells.iter().map(|cell| cell[c]);
                let max = values.clone().max().unwrap_or(0);
                let min = values.min().unwrap_or(0);
                max - min
            })
            .max()
            .unwrap_or(0)
    }

    /// The mean colour.
    pub fn mean(&self) -> [u8; 3] {
        let n = self.cells.len().max(1) as u32;
        let channel = |c: usize| {
            (self
                .cells
                .iter()
                .map(|cell| u32::from(cell[c]))
                .sum::<u32>()
                / n) as u8
        };
        [channel(0), channel(1), channel(2)]
    }
}

/// Waits (at most `timeout`) until stream `id` at `base` names a thumbnail other than `not`, then fetches
/// it and saves it as `tests/artifacts/thumbnail-{name}.jpg`.
pub async fn wait_for_thumbnail(
    base: &str,
    id: &str,
    not: Option<&str>,
    name: &str,
    timeout: Duration,
) -> Result<Picture> {
    let deadline = Instant::now() + timeout;
    let client = reqwest::Client::new();
    let url = loop {
        let view: StreamView = client
            .get(format!("{base}{}", paths::stream(id)))
            .send()
            .await?
            .json()
            .await?;
        match view.thumbnail_url {
            Some(url) if Some(url.as_str()) != not => break url,
            _ if Instant::now() > deadline => {
                bail!("stream {id} named no new thumbnail within {timeout:?}")
            }
            _ => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    };
    let response = client.get(format!("{base}{url}")).send().await?;
    ensure!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    let header = |name: reqwest::header::HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let cache_control = header(reqwest::header::CACHE_CONTROL);
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let bytes = response.bytes().await?;
    let path = artifacts_dir().join(format!("thumbnail-{name}.jpg"));
    std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
    let file = path.to_string_lossy().into_owned();
    let probe = ffprobe_json(&["-show_entries", "stream=width,height", &file])?;
    let stream = &probe["streams"][0];
    let (width, height) = (
        stream["width"].as_u64().context("width")?,
        stream["height"].as_u64().context("height")?,
    );
    let rgb = ffmpeg_stdout(&[
        "-i",
        &file,
        "-vf",
        "scale=4:4",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "pipe:1",
    ])?;
    ensure!(rgb.len() == 48, "{} bytes of 4x4 RGB", rgb.len());
    let cells = rgb.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect();
    Ok(Picture {
        url,
        cache_control,
        content_type,
        width,
        height,
        cells,
    })
}
