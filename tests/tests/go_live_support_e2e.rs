//! A browser that cannot go live from the page (Firefox ESR: WebCodecs but no
//! `MediaStreamTrackProcessor`) is told so on `/go-live` before anyone presses Go live, with the way to
//! go live from an encoder instead; the button stays disabled, so no stream is created for an attempt
//! that cannot work. Chromium, which can, sees no such notice, and its camera, microphone and
//! resolution pickers work: 480p taken at once, remembered, and the stream goes out at 480 lines.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use onair_tests::{Browser, TestServer};

/// What the preview and the pickers show.
const PICKERS: &str = "const v = document.querySelector('#preview');
    const options = id => [...document.querySelectorAll(id + ' option')].map(o => o.textContent);
    return { width: v.videoWidth, height: v.videoHeight,
             cameras: options('#camera-select'), microphones: options('#microphone-select'),
             resolution: document.querySelector('#resolution-select').value,
             ready: !document.querySelector('#go-live').disabled };";

/// Chromium: the pickers list the fake camera and microphone; 480p is taken at once, remembered after a
/// reload, and the stream goes out at that size.
async fn pick_480p_and_go_live(browser: &Browser, server: &TestServer) -> Result<()> {
    let ready = |height: u64| {
        format!(
            "const v = document.querySelector('#preview'); const b = document.querySelector('#go-live');
             return !!v && !!b && v.videoHeight === {height} && !b.disabled
                 && document.querySelectorAll('#camera-select option').length > 0;"
        )
    };
    browser
        .wait_for("the camera at 720p", &ready(720), Duration::from_secs(20))
        .await?;
    let before = browser.js(PICKERS).await?;
    println!("pickers: {before}");
    ensure!(before["resolution"] == "720", "{before}");
    ensure!(
        before["cameras"].as_array().is_some_and(|c| !c.is_empty())
            && before["microphones"]
                .as_array()
                .is_some_and(|m| !m.is_empty()),
        "{before}"
    );
    browser
        .js(
            "const s = document.querySelector('#resolution-select'); s.value = '480';
             s.dispatchEvent(new Event('change', { bubbles: true })); return true;",
        )
        .await?;
    browser
        .wait_for(
            "the camera reopened at 480p",
            &ready(480),
            Duration::from_secs(20),
        )
        .await?;
    browser.client.refresh().await?;
    browser
        .wait_for(
            "480p remembered after a reload",
            &ready(480),
            Duration::from_secs(20),
        )
        .await?;
    let after = browser.js(PICKERS).await?;
    ensure!(after["resolution"] == "480", "{after}");
    browser.screenshot("go-live-pickers-480p").await?;
    let base = server.url("");
    let id = browser
        .go_live_with(
            base.trim_end_matches('/'),
            "At 480p",
            "",
            "",
            "go-live-480p",
        )
        .await?;
    let url = server.url(&format!("/live/{id}/index.m3u8"));
    let text = onair_tests::wait_for_ok(&url, Duration::from_secs(20)).await?;
    let resolution = text
        .lines()
        .find_map(|l| l.split("RESOLUTION=").nth(1))
        .and_then(|r| r.split(',').next())
        .context("RESOLUTION")?
        .to_owned();
    println!("went live at {resolution}");
    ensure!(resolution.ends_with("x480"), "{text}");
    browser.end_stream_on_page("go-live-480p-ended").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_live_says_what_this_browser_cannot_do() -> Result<()> {
    let server = TestServer::start().await?;
    let url = server.url("/go-live");
    Browser::run_in_each("go-live-support", async |browser, label| {
        browser.client.goto(&url).await?;
        browser
            .wait_for(
                "the page rendered",
                "return !!document.querySelector('#go-live');",
                Duration::from_secs(20),
            )
            .await?;
        let state = browser
            .js(
                "const n = document.querySelector('#unsupported');
                 return { notice: n ? n.textContent : null,
                          disabled: document.querySelector('#go-live').disabled,
                          help: n ? !!n.querySelector('a[href=\"/help#from-an-encoder\"]') : false };",
            )
            .await?;
        println!("{label}: {state}");
        browser.screenshot(&format!("go-live-support-{label}")).await?;
        if label == "firefox" {
            let notice = state["notice"].as_str().unwrap_or_default();
            ensure!(notice.contains("MediaStreamTrackProcessor"), "{state}");
            ensure!(state["disabled"] == true && state["help"] == true, "{state}");
            // A click on it does nothing.
            browser
                .js("document.querySelector('#go-live').click(); return true;")
                .await?;
            tokio::time::sleep(Duration::from_millis(500)).await;
        } else {
            ensure!(state["notice"].is_null(), "{state}");
            pick_480p_and_go_live(browser, &server).await?;
        }
        Ok(())
    })
    .await?;
    // Firefox created no stream: the server answered one POST /api/streams, Chromium's.
    let metrics = reqwest::get(server.url("/metrics")).await?.text().await?;
    let posts: Vec<&str> = metrics
        .lines()
        .filter(|l| l.contains("route=\"/api/streams\",method=\"POST\""))
        .collect();
    ensure!(posts.len() == 1 && posts[0].ends_with(" 1"), "{posts:?}");
    Ok(())
}
