//! A walk through every page of the site, as a person on a desktop (1280 px) and on a phone (360 px)
//! sees it: a screenshot of each (`tests/artifacts/site-{page}-{width}.png`, looked at), nothing wider
//! than the screen on the phone, and axe-core (npm, run in Chromium) reporting no serious or critical
//! accessibility violation.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use onair_tests::{
    create_stream, wait_for_segments, workspace_root, Browser, FfmpegPush, TestServer,
};
use serde_json::Value;

/// axe-core as `scripts/setup.sh` installs it.
fn axe_source() -> Result<String> {
    let path = workspace_root().join("tests/axe/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path)
        .with_context(|| format!("reading {} (scripts/setup.sh installs it)", path.display()))
}

/// Every page, by a short name for its screenshot, and what shows it has rendered.
fn pages(id: &str) -> Vec<(&'static str, String, &'static str)> {
    vec![
        ("home", "/".into(), ".card"),
        ("go-live", "/go-live".into(), "#go-live"),
        ("watch", format!("/watch/{id}"), "#viewer-count"),
        ("embed", format!("/embed/{id}"), "video"),
        ("recordings", "/recordings".into(), "#no-recordings"),
        ("dashboard", "/dashboard".into(), "#no-owned"),
        ("help", "/help".into(), "h1"),
        ("faq", "/faq".into(), "details"),
        ("about", "/about".into(), "h1"),
        ("privacy", "/privacy".into(), "h1"),
        ("contact", "/contact".into(), "#contact-form"),
        ("blog", "/blog".into(), ".post-link"),
        (
            "blog-post",
            "/blog/2026-12-03-counting-viewers".into(),
            ".post-body h2",
        ),
        ("play", "/play".into(), "h1"),
        ("not-found", "/no-such-page".into(), ".not-found"),
    ]
}

/// Runs axe-core on the page; answers its serious and critical violations, one line each.
async fn axe(browser: &Browser, source: &str) -> Result<Vec<String>> {
    browser.js(&format!("{source}\n;return true;")).await?;
    let result: Value = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
                .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) }))))
                .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));",
            vec![],
        )
        .await?;
    Ok(result
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v| {
            format!(
                "{} ({}): {} at {}",
                v["id"], v["impact"], v["help"], v["nodes"]
            )
        })
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_at_desktop_and_phone_widths() -> Result<()> {
    let source = axe_source()?;
    let server = TestServer::start().await?;
    let stream = create_stream(&server, "Site walk: a live stream").await?;
    let push = FfmpegPush::single("site", &server.ingest_url(&stream), 120)?;
    wait_for_segments(
        &server.url(&format!("/live/{}/r0/index.m3u8", stream.id)),
        1,
        Duration::from_secs(20),
    )
    .await?;
    // Each page answers 200 at its own URL: no redirect (a folder of the web app named like a page
    // once made `/blog` a 307 to `/blog/`).
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    for (_, path, _) in pages(&stream.id) {
        let status = plain.get(server.url(&path)).send().await?.status();
        ensure!(status == 200, "{path}: {status}");
    }
    let result = Browser::run("site-failure", async |browser| {
        let mut problems = Vec::new();
        for (width, height, label) in [(1280, 900, "desktop"), (360, 740, "phone")] {
            browser.client.set_window_size(width, height).await?;
            for (name, path, shown) in pages(&stream.id) {
                browser.client.goto(&server.url(&path)).await?;
                browser
                    .wait_for(
                        &format!("{path} rendered ({shown})"),
                        &format!("return !!document.querySelector('{shown}');"),
                        Duration::from_secs(20),
                    )
                    .await?;
                // Let late content (the player's first frame, lists) settle before looking.
                tokio::time::sleep(Duration::from_millis(700)).await;
                browser.screenshot(&format!("site-{name}-{label}")).await?;
                let overflow = browser
                    .js("return document.documentElement.scrollWidth - window.innerWidth;")
                    .await?
                    .as_f64()
                    .unwrap_or(0.0);
                if label == "phone" && overflow > 1.0 {
                    problems.push(format!(
                        "{path} at {width} px: {overflow} px wider than the screen"
                    ));
                }
                for violation in axe(browser, &source).await? {
                    problems.push(format!("{path} at {width} px: {violation}"));
                }
            }
        }
        ensure!(
            problems.is_empty(),
            "{} problems:\n{}",
            problems.len(),
            problems.join("\n")
        );

        // The contact form, sent as a person sends it: the server stores the message.
        use fantoccini::Locator;
        browser.client.set_window_size(1280, 900).await?;
        browser.client.goto(&server.url("/contact")).await?;
        let c = &browser.client;
        let field = |css: &'static str| c.find(Locator::Css(css));
        c.wait()
            .for_element(Locator::Css("#contact-name"))
            .await?
            .send_keys("Ann Viewer")
            .await?;
        field("#contact-email")
            .await?
            .send_keys("ann@example.org")
            .await?;
        field("#contact-message")
            .await?
            .send_keys("The stream froze at 8 pm.")
            .await?;
        field("#contact-send").await?.click().await?;
        browser
            .wait_for(
                "the message sent",
                "return !!document.querySelector('#contact-sent');",
                Duration::from_secs(10),
            )
            .await?;
        browser.screenshot("site-contact-sent").await?;
        let stored = server.state.origin().db().contacts_since(0).await?;
        ensure!(stored == 1, "{stored} messages stored");
        Ok(())
    })
    .await;
    push.kill();
    result
}
