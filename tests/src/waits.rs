//! Waiting for the origin over HTTP: until a URL answers, until a playlist lists enough segments.

use anyhow::{bail, Context, Result};
use std::time::{Duration, Instant};

/// GETs `url` until it answers 2xx (at most `timeout`), and returns the body.
pub async fn wait_for_ok(url: &str, timeout: Duration) -> Result<String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(response) = reqwest::get(url).await {
            if response.status().is_success() {
                return Ok(response.text().await?);
            }
        }
        if Instant::now() > deadline {
            bail!("{url} did not answer 2xx within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits (at most 30 s) until the stream's multivariant playlist at `{base}/live/{id}/index.m3u8` answers
/// (it does once a rendition has a segment), and returns the URI of its first variant, relative to
/// `{base}/live/{id}/` (e.g. `r0/index.m3u8`).
pub async fn first_variant(base: &str, id: &str) -> Result<String> {
    let multivariant = wait_for_ok(
        &format!("{base}/live/{id}/index.m3u8"),
        Duration::from_secs(30),
    )
    .await?;
    multivariant
        .lines()
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .with_context(|| format!("a variant in the multivariant playlist:\n{multivariant}"))
}

/// GETs the multivariant playlist at `url` once, prints it, and returns its text and its parsed form.
pub async fn get_multivariant(url: &str) -> Result<(String, onair_media::MultivariantPlaylist)> {
    let text = reqwest::get(url).await?.text().await?;
    println!("{text}");
    let parsed = onair_media::MultivariantPlaylist::parse(&text)
        .with_context(|| format!("parsing {text}"))?;
    Ok((text, parsed))
}

/// Each variant of `multivariant` as (its URI, its `RESOLUTION`), in the playlist's order.
pub fn variant_shapes(
    multivariant: &onair_media::MultivariantPlaylist,
) -> Vec<(&str, Option<(u16, u16)>)> {
    multivariant
        .variants
        .iter()
        .map(|v| (v.uri.as_str(), v.resolution))
        .collect()
}

/// GETs a media playlist at `url` until it lists at least `segments` segments, and returns it parsed.
pub async fn wait_for_segments(
    url: &str,
    segments: usize,
    timeout: Duration,
) -> Result<onair_media::MediaPlaylist> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(response) = reqwest::get(url).await {
            if response.status().is_success() {
                let text = response.text().await?;
                let playlist = onair_media::MediaPlaylist::parse(&text)
                    .with_context(|| format!("parsing {url}: {text}"))?;
                if playlist.segments.len() >= segments {
                    return Ok(playlist);
                }
            }
        }
        if Instant::now() > deadline {
            bail!("{url} did not list {segments} segments within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
