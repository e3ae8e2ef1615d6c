//! Our player on a bad network, in real Chromium: ffmpeg pushes a two-level ladder (640x360 at
//! 600 kbit/s, 320x180 at 150 kbit/s, each with audio); the watch page plays it, then Chromium's DevTools
//! protocol throttles the page's network below the top level (it must switch down), lifts the throttle
//! (it must switch back up), and cuts the network for 6 s (it must play on without a page reload).
//! The level shown comes from the page's `#player-stats` line, the playback from the `<video>` itself.

use std::time::{Duration, Instant};

use anyhow::Result;
use onair_tests::{
    artifacts_dir, create_stream, ensure_watch_page_playing_on, wait_for_segments,
    watch_page_played_past, Browser, FfmpegPush, TestServer, WATCH_PAGE_STATE,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switches_down_and_up_with_the_network_and_survives_an_outage() -> Result<()> {
    let server = TestServer::start().await?;
    let stream = create_stream(&server, "network test").await?;
    let push = FfmpegPush::ladder("player-network", &server.ingest_url(&stream), 90)?;
    for rendition in ["stream_0", "stream_1"] {
        let url = server.url(&format!("/live/{}/{rendition}/index.m3u8", stream.id));
        wait_for_segments(&url, 3, Duration::from_secs(20)).await?;
    }
    let multivariant = reqwest::get(server.url(&format!("/live/{}/index.m3u8", stream.id)))
        .await?
        .text()
        .await?;
    let mut figures = vec![format!("multivariant:\n{multivariant}")];
    let result = Browser::run("player-network-failure", async |browser| {
        browser
            .client
            .goto(&server.url(&format!("/watch/{}", stream.id)))
            .await?;
        browser.js("window.__onairMarker = 1; return true;").await?;
        let level_is = |height: &str| {
            format!(
                "const s = (document.querySelector('#player-stats') || {{}}).textContent || '';
                 const v = document.querySelector('#player');
                 return s.startsWith('{height}p') && v.currentTime > 1 && !v.paused;"
            )
        };
        browser
            .wait_for("playing the top level", &level_is("360"), Duration::from_secs(40))
            .await?;
        figures.push(format!("playing: {}", browser.js(WATCH_PAGE_STATE).await?));

        // Below the top level's bandwidth, above the bottom one's.
        browser.throttle(Some((450, 40))).await?;
        let throttled = Instant::now();
        browser
            .wait_for("a switch down", &level_is("180"), Duration::from_secs(30))
            .await?;
        let down = throttled.elapsed();
        browser.screenshot("player-network-down").await?;
        figures.push(format!(
            "throttled to 450 kbit/s: switched down after {:.1} s: {}",
            down.as_secs_f64(),
            browser.js(WATCH_PAGE_STATE).await?
        ));

        browser.throttle(None).await?;
        let lifted = Instant::now();
        browser
            .wait_for("a switch back up", &level_is("360"), Duration::from_secs(45))
            .await?;
        figures.push(format!(
            "throttle lifted: switched up after {:.1} s",
            lifted.elapsed().as_secs_f64()
        ));

        let before = browser.js(WATCH_PAGE_STATE).await?;
        browser.offline(true).await?;
        tokio::time::sleep(Duration::from_secs(6)).await;
        let during = browser.js(WATCH_PAGE_STATE).await?;
        browser.offline(false).await?;
        let back = Instant::now();
        let t0 = during["t"].as_f64().unwrap_or(0.0);
        browser
            .wait_for(
                "playback going on after the outage",
                &watch_page_played_past(t0, 3.0),
                Duration::from_secs(30),
            )
            .await?;
        let after = browser.js(WATCH_PAGE_STATE).await?;
        browser.screenshot("player-network-after-outage").await?;
        figures.push(format!(
            "6 s offline: before {before}\n  during {during}\n  playing 3 s further {:.1} s after the network came back: {after}",
            back.elapsed().as_secs_f64()
        ));
        ensure_watch_page_playing_on(&after)?;
        Ok(())
    })
    .await;
    push.kill();
    let text = format!("player_network_e2e\n  {}\n", figures.join("\n  "));
    std::fs::write(artifacts_dir().join("player-network-figures.txt"), &text)?;
    println!("{text}");
    result
}
