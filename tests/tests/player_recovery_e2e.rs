//! Our player never gives up, in real Chromium: the watch page plays an ffmpeg push through a proxy
//! that then answers every `/live/` request with 500 for 2 s and 404 for 2 s (a failing CDN); playback
//! goes on without a page reload and the page never shows a failure. Then the encoder goes away and
//! comes back with the same key: the origin starts a new period (`EXT-X-DISCONTINUITY`, timestamps from
//! zero again), and the player plays through it into the new period.

use std::time::{Duration, Instant};

use anyhow::{ensure, Result};
use onair_tests::faults::FaultProxy;
use onair_tests::{
    artifacts_dir, create_stream, ensure_watch_page_playing_on, wait_for_segments,
    watch_page_played_past, Browser, FfmpegPush, TestServer, WATCH_PAGE_STATE,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plays_through_an_error_burst_and_a_new_period() -> Result<()> {
    let server = TestServer::start().await?;
    let stream = create_stream(&server, "recovery test").await?;
    let push = FfmpegPush::single("player-recovery-1", &server.ingest_url(&stream), 60)?;
    let first = onair_tests::first_variant(&server.url(""), &stream.id).await?;
    let variant = server.url(&format!("/live/{}/{first}", stream.id));
    wait_for_segments(&variant, 3, Duration::from_secs(20)).await?;
    let proxy = FaultProxy::start(server.addr).await?;
    let mut figures = Vec::new();
    let mut second_push = None;
    let result = Browser::run("player-recovery-failure", async |browser| {
        browser
            .client
            .goto(&proxy.url(&format!("/watch/{}", stream.id)))
            .await?;
        browser.js("window.__onairMarker = 1; return true;").await?;
        browser
            .wait_for("playing", &watch_page_played_past(0.0, 2.0), Duration::from_secs(40))
            .await?;
        let before = browser.js(WATCH_PAGE_STATE).await?;
        figures.push(format!("playing: {before}"));

        proxy.fail(500, "/live/", Duration::from_secs(2));
        tokio::time::sleep(Duration::from_secs(2)).await;
        let during = browser.js(WATCH_PAGE_STATE).await?;
        proxy.fail(404, "/live/", Duration::from_secs(2));
        tokio::time::sleep(Duration::from_secs(2)).await;
        let injected = proxy.injected();
        let end_of_burst = browser.js(WATCH_PAGE_STATE).await?;
        figures.push(format!(
            "2 s of 500 then 2 s of 404 on /live/: {injected} requests answered an error\n  during: {during}\n  at its end: {end_of_burst}"
        ));
        ensure!(injected > 0, "the player asked for nothing during the burst");
        let t0 = end_of_burst["t"].as_f64().unwrap_or(0.0);
        let back = Instant::now();
        browser
            .wait_for(
                "playback going on after the error burst",
                &watch_page_played_past(t0, 3.0),
                Duration::from_secs(30),
            )
            .await?;
        let after = browser.js(WATCH_PAGE_STATE).await?;
        browser.screenshot("player-recovery-after-burst").await?;
        figures.push(format!(
            "played 3 s further {:.1} s after the burst: {after}",
            back.elapsed().as_secs_f64()
        ));
        ensure_watch_page_playing_on(&after)?;

        // The encoder goes away and comes back: a new period.
        push.kill();
        tokio::time::sleep(Duration::from_secs(3)).await;
        second_push = Some(FfmpegPush::single(
            "player-recovery-2",
            &server.ingest_url(&stream),
            40,
        )?);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = reqwest::get(&variant).await?.text().await?;
            if text.contains("#EXT-X-DISCONTINUITY\n") {
                break;
            }
            ensure!(
                Instant::now() < deadline,
                "no discontinuity after the encoder came back:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let at_new_period = browser.js(WATCH_PAGE_STATE).await?;
        let t1 = at_new_period["t"].as_f64().unwrap_or(0.0);
        // Past everything buffered before the new period (the hold-back is three 2 s segments).
        browser
            .wait_for(
                "playback into the new period",
                &watch_page_played_past(t1, 8.0),
                Duration::from_secs(40),
            )
            .await?;
        let through = browser.js(WATCH_PAGE_STATE).await?;
        browser.screenshot("player-recovery-new-period").await?;
        figures.push(format!(
            "new period listed at t = {t1:.1}: {at_new_period}\n  played 8 s past it: {through}"
        ));
        ensure_watch_page_playing_on(&through)?;
        Ok(())
    })
    .await;
    let text = format!("player_recovery_e2e\n  {}\n", figures.join("\n  "));
    std::fs::write(artifacts_dir().join("player-recovery-figures.txt"), &text)?;
    println!("{text}");
    drop(second_push);
    result
}
