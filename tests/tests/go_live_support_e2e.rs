//! A browser that cannot go live from the page (Firefox ESR: WebCodecs but no
//! `MediaStreamTrackProcessor`) is told so on `/go-live` before anyone presses Go live, with the way to
//! go live from an encoder instead; the button stays disabled, so no stream is created for an attempt
//! that cannot work. Chromium, which can, sees no such notice.

use std::time::Duration;

use anyhow::{ensure, Result};
use onair_tests::{Browser, TestServer};

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
        }
        Ok(())
    })
    .await?;
    // No stream was created: the server answered no POST /api/streams.
    let metrics = reqwest::get(server.url("/metrics")).await?.text().await?;
    ensure!(
        !metrics.contains("route=\"/api/streams\",method=\"POST\""),
        "{metrics}"
    );
    Ok(())
}
