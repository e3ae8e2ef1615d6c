//! A ladder encoded in the browser: the Go Live page in Chromium, asked for several qualities, encodes
//! the fake camera's 1280x720 as 720p, 480p and 240p with one Opus audio rendition beside them, each
//! uploading on its own. Read back from what viewers get: the multivariant playlist lists three video
//! variants with the audio group, ffprobe reads every one, each rung's segments start on a keyframe at
//! the same presentation time as the top's with as many frames, `onair inspect` finds no violation,
//! our watch page and hls.js play it, and after the end every rendition has its last segment.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use onair_tests::{
    ensure_segments_aligned, ffprobe_json, get_multivariant, hlsjs_web_dir, onair_inspect,
    variant_shapes, wait_for_segments, watch_page_played_past, Browser, TestServer,
};

const VIDEO: [&str; 3] = ["r0", "r1", "r2"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_encodes_an_aligned_ladder_with_one_audio_rendition() -> Result<()> {
    let server = TestServer::start().await?;
    let hlsjs = TestServer::start_serving(hlsjs_web_dir()?).await?;
    let origin = server.url("");
    let origin = origin.trim_end_matches('/').to_owned();
    let caster = Browser::start().await?;
    let result = async {
        // Asked for several qualities (the page remembers the choice; 2-core machines default to one).
        caster.client.goto(&format!("{origin}/about")).await?;
        caster
            .js("localStorage.setItem('onair.qualities', 'ladder'); return true;")
            .await?;
        let id = caster
            .go_live_with(&origin, "Ladder", "", "", "go-live-ladder")
            .await?;
        let base = format!("{origin}/live/{id}");
        for rendition in VIDEO.iter().chain(&["audio"]) {
            wait_for_segments(
                &format!("{base}/{rendition}/index.m3u8"),
                4,
                Duration::from_secs(40),
            )
            .await?;
        }
        caster
            .wait_for(
                "the page's table of four renditions",
                "return document.querySelectorAll('#renditions tbody tr').length === 4;",
                Duration::from_secs(5),
            )
            .await?;
        let table = caster
            .js(
                "return [...document.querySelectorAll('#renditions tbody tr')]
                     .map(r => r.textContent);",
            )
            .await?;
        println!("the page: {table}");
        ensure!(
            table.to_string().contains("1280x720") && table.to_string().contains("426x240"),
            "{table}"
        );
        caster
            .js("document.querySelector('#renditions').scrollIntoView(); return true;")
            .await?;
        caster.screenshot("go-live-ladder-live").await?;

        // Three video variants, top first, each with the audio group.
        let (text, multivariant) = get_multivariant(&format!("{base}/index.m3u8")).await?;
        let shapes = variant_shapes(&multivariant);
        ensure!(
            shapes
                == [
                    ("r0/index.m3u8", Some((1280, 720))),
                    ("r1/index.m3u8", Some((854, 480))),
                    ("r2/index.m3u8", Some((426, 240))),
                ],
            "{shapes:?}"
        );
        ensure!(
            multivariant
                .variants
                .iter()
                .all(|v| v.audio.as_deref() == Some("audio") && v.codecs.contains("opus")),
            "every variant names the audio group: {:?}",
            multivariant.variants
        );
        let bandwidths: Vec<u64> = multivariant.variants.iter().map(|v| v.bandwidth).collect();
        ensure!(bandwidths.windows(2).all(|w| w[0] > w[1]), "{bandwidths:?}");
        ensure!(
            text.contains("TYPE=AUDIO") && text.contains("URI=\"audio/index.m3u8\""),
            "the audio rendition is the group: {text}"
        );

        // ffprobe reads every variant.
        let probe = ffprobe_json(&["-show_streams", &format!("{base}/index.m3u8")])?;
        let mut heights: Vec<i64> = probe["streams"]
            .as_array()
            .context("no streams")?
            .iter()
            .filter(|s| s["codec_type"] == "video")
            .filter_map(|s| s["height"].as_i64())
            .collect();
        heights.sort_unstable();
        heights.dedup();
        ensure!(heights == [240, 480, 720], "ffprobe: {probe}");

        // Every rung's segment n starts where the top's does, on a keyframe, with as many frames.
        ensure_segments_aligned(&base, &VIDEO, 0..4).await?;
        let (code, report) = onair_inspect(&format!("{base}/index.m3u8")).await?;
        ensure!(code == 0, "onair inspect: {report:#}");

        // Viewers: our watch page and hls.js (from another origin) play it.
        let viewer = Browser::start().await?;
        let watched = async {
            viewer.client.goto(&format!("{origin}/watch/{id}")).await?;
            viewer
                .wait_for(
                    "our watch page playing the ladder",
                    &watch_page_played_past(0.0, 3.0),
                    Duration::from_secs(30),
                )
                .await?;
            viewer.screenshot("go-live-ladder-watch").await?;
            let state = viewer
                .play_with_hlsjs(
                    &hlsjs.url("/hls.html"),
                    &format!("{base}/index.m3u8"),
                    3.0,
                    Duration::from_secs(30),
                )
                .await?;
            println!("hls.js: {state}");
            let levels = state["levels"].as_array().map_or(0, Vec::len);
            ensure!(levels == 3, "hls.js levels: {state}");
            Ok::<_, anyhow::Error>(())
        }
        .await;
        let watched = viewer
            .screenshot_on_error("go-live-ladder-viewer", watched)
            .await;
        viewer.close().await?;
        watched?;

        // The end: every rendition ends with its last segment.
        caster.end_stream_on_page("go-live-ladder-ended").await?;
        let mut lasts = Vec::new();
        for rendition in VIDEO.iter().chain(&["audio"]) {
            let text = reqwest::get(format!("{base}/{rendition}/index.m3u8"))
                .await?
                .text()
                .await?;
            let playlist = onair_media::MediaPlaylist::parse(&text)?;
            ensure!(playlist.ended, "{rendition} has no ENDLIST: {text}");
            lasts.push(playlist.media_sequence + playlist.segments.len() as u64);
        }
        println!("segments per rendition at the end: {lasts:?}");
        ensure!(
            lasts[..3].iter().all(|&n| n == lasts[0]),
            "the video rungs end together: {lasts:?}"
        );
        Ok::<_, anyhow::Error>(())
    }
    .await;
    let result = caster
        .screenshot_on_error("go-live-ladder-failure", result)
        .await;
    caster.close().await?;
    result
}
