//! The embeddable player on a site of its own: ffmpeg pushes a two-rendition ladder to our origin, and
//! pages served by nginx on another origin embed it the four ways the README documents: the one-snippet
//! `<script data-stream>`, the `<onair-player>` element, the JS API (`new OnAirPlayer(video, config)`,
//! `loadSource`, `on`) and the `/embed/{id}` iframe with its `postMessage` events. Chromium, then
//! Firefox ESR: each page plays; the widget's controls work (keyboard pause, the quality menu switching
//! to the small rendition, the LIVE badge); the API's events arrive with their details (levels, a level
//! switch asked for, latency against the configured target, a bad option as a fatal error), and
//! `destroy` stops everything; a VOD with WebVTT subtitles gets a captions menu and a seek bar. Screenshots `player-embed-{chromium,firefox}-*.png`.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use onair_tests::{
    create_stream, wait_for_segments, write_subtitled_vod, Browser, FfmpegPush, NginxCache,
    TestServer,
};
use serde_json::Value;

/// The widget's video and controls (the first `.onair-player` on the page).
const WIDGET_STATE: &str = "const root = document.querySelector('.onair-player');
    const v = root && root.querySelector('video');
    if (!v) return { ready: false };
    const q = root.querySelector('.onair-quality');
    const live = root.querySelector('.onair-live');
    return { ready: true, t: v.currentTime, w: v.videoWidth, h: v.videoHeight, paused: v.paused,
             error: v.error && v.error.message,
             buttons: Array.from(root.querySelectorAll('button:not([hidden])')).map(b => b.getAttribute('aria-label')),
             quality: q.hidden ? [] : Array.from(q.options).map(o => o.textContent),
             live: live.hidden ? null : live.getAttribute('aria-label'),
             overlay: root.querySelector('.onair-overlay').textContent, chosen: q.value,
             seek: root.querySelector('.onair-seek').hidden ? null : root.querySelector('.onair-seek').max,
             time: root.querySelector('.onair-time').hidden ? null : root.querySelector('.onair-time').textContent };";

/// The JS API page's state: its video and the events it heard.
const API_STATE: &str = "const v = document.querySelector('#video');
    return { t: v.currentTime, h: v.videoHeight, paused: v.paused, error: v.error && v.error.message,
             src: v.getAttribute('src'), events: window.events, bad: window.badEvents,
             level: window.player.currentLevel, levels: window.player.levels.length };";

fn snippet_page(origin: &str, id: &str) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>A blog with a live stream</title></head>
<body style="font-family:sans-serif;max-width:720px;margin:2em auto">
<h1>Our event, live</h1>
<script src="{origin}/player/onair-player.js" data-stream="{id}"></script>
<p>Text after the player.</p>
</body></html>"#
    )
}

fn element_page(origin: &str, id: &str) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>Custom element</title>
<script src="{origin}/player/onair-player.js"></script></head>
<body style="max-width:640px"><onair-player src="{origin}/live/{id}/index.m3u8"></onair-player></body></html>"#
    )
}

fn api_page(origin: &str, id: &str) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>JS API</title>
<script src="{origin}/player/onair-player.js"></script></head>
<body><video id="video" muted autoplay playsinline style="width:640px"></video>
<script>
window.events = [];
const names = ['levels', 'levelswitched', 'latency', 'playing', 'waiting', 'paused', 'error', 'ended'];
window.player = new OnAirPlayer(document.querySelector('#video'), {{ targetLatency: 4.5 }});
for (const name of names) window.player.on(name, (n, d) => window.events.push({{ name: n, detail: d }}));
window.player.loadSource('{origin}/live/{id}/index.m3u8');
// A bad option: a fatal error event, no player.
window.badEvents = [];
const bad = new OnAirPlayer(document.createElement('video'), {{ targetLatency: 'soon' }});
bad.on('error', (n, d) => window.badEvents.push(d));
</script></body></html>"#
    )
}

fn captions_page(origin: &str, src: &str) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>A VOD with captions</title></head>
<body style="max-width:640px"><script src="{origin}/player/onair-player.js" data-src="{src}"></script></body></html>"#
    )
}

fn iframe_page(origin: &str, id: &str) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>Iframe</title></head>
<body><iframe src="{origin}/embed/{id}" width="640" height="360" allow="autoplay; fullscreen; picture-in-picture" style="border:0"></iframe>
<script>
window.messages = [];
addEventListener('message', (e) => {{ if (e.data && e.data.source === 'onair') window.messages.push(e.data); }});
</script></body></html>"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_embeds_the_player_with_a_snippet_an_element_the_js_api_and_an_iframe() -> Result<()>
{
    let server = TestServer::start().await?;
    let script = reqwest::get(server.url("/player/onair-player.js")).await?;
    ensure!(
        script.status().is_success(),
        "the origin serves the player bundle (scripts/build-player.sh, run by Trunk): {}",
        script.status()
    );
    let stream = create_stream(&server, "embedded elsewhere").await?;
    let push = FfmpegPush::ladder("player-embed", &server.ingest_url(&stream), 150)?;
    for rendition in ["stream_0", "stream_1"] {
        let url = server.url(&format!("/live/{}/{rendition}/index.m3u8", stream.id));
        wait_for_segments(&url, 3, Duration::from_secs(30)).await?;
    }
    let site = NginxCache::start_static_cors().await?;
    let www = site.www();
    std::fs::create_dir_all(&www)?;
    let origin = server.url("");
    let origin = origin.trim_end_matches('/');
    for (name, page) in [
        ("snippet.html", snippet_page(origin, &stream.id)),
        ("element.html", element_page(origin, &stream.id)),
        ("api.html", api_page(origin, &stream.id)),
        ("iframe.html", iframe_page(origin, &stream.id)),
        (
            "captions.html",
            captions_page(origin, &site.url("/subs/master.m3u8")),
        ),
    ] {
        std::fs::write(www.join(name), page)?;
    }
    write_subtitled_vod(&www.join("subs"))?;

    let result = Browser::run_in_each("player-embed", async |browser, label| {
        on_pages(browser, label, &site).await
    })
    .await;
    push.kill();
    result
}

/// Every embedding page in `browser`.
async fn on_pages(browser: &Browser, label: &str, site: &NginxCache) -> Result<()> {
    let c = &browser.client;
    let num = |s: &Value, k: &str| s[k].as_f64().unwrap_or(0.0);

    // The one snippet: a widget after the script, playing, with its controls.
    c.goto(&site.url("/snippet.html")).await?;
    let playing = browser
        .wait_for_state(
            &format!("{label}: the snippet's widget playing past 2 s"),
            WIDGET_STATE,
            Duration::from_secs(40),
            |s| !s["error"].is_null() || (num(s, "t") > 2.0 && s["paused"] == false),
        )
        .await?;
    println!("{label} snippet: {playing}");
    ensure!(playing["error"].is_null(), "{playing}");
    let buttons = playing["buttons"].to_string();
    for control in ["Pause", "Mute", "Fullscreen"] {
        ensure!(buttons.contains(control), "{control} in {buttons}");
    }
    ensure!(
        playing["quality"] == serde_json::json!(["Auto (360p)", "360p", "180p"])
            || playing["quality"] == serde_json::json!(["Auto (180p)", "360p", "180p"]),
        "the quality menu: Auto and both levels: {playing}"
    );
    ensure!(
        playing["live"].as_str().is_some_and(|l| l.contains("live")),
        "the LIVE badge: {playing}"
    );
    ensure!(
        (playing["seek"].is_null() && playing["time"].is_null()) || playing["time"] == "Live",
        "while live, no seek bar, or (a DVR window) one that says it is at live: {playing}"
    );
    browser
        .screenshot(&format!("player-embed-{label}-snippet"))
        .await?;

    // The keyboard: `k` on the focused player pauses, again plays.
    for (key, paused) in [("k", true), ("k", false)] {
        browser
            .js(&format!(
                "const root = document.querySelector('.onair-player'); root.focus();
                 root.dispatchEvent(new KeyboardEvent('keydown', {{ key: '{key}', bubbles: true }}));
                 return true;"
            ))
            .await?;
        browser
            .wait_for_state(
                &format!("{label}: `{key}` sets paused = {paused}"),
                WIDGET_STATE,
                Duration::from_secs(5),
                |s| s["paused"] == paused,
            )
            .await?;
    }

    // The quality menu: choosing 180p makes the picture 320x180.
    browser
        .js("const q = document.querySelector('.onair-quality');
             q.value = '1'; q.dispatchEvent(new Event('change')); return true;")
        .await?;
    let small = browser
        .wait_for_state(
            &format!("{label}: the picture 180 lines high after choosing 180p"),
            WIDGET_STATE,
            Duration::from_secs(30),
            |s| num(s, "h") == 180.0,
        )
        .await?;
    ensure!(small["error"].is_null(), "{small}");
    ensure!(
        small["chosen"] == "1",
        "the menu still shows the choice: {small}"
    );
    // Playing on, with nothing over the picture (Firefox left a stale "Buffering" before).
    browser
        .wait_for_state(
            &format!("{label}: no overlay while playing"),
            WIDGET_STATE,
            Duration::from_secs(10),
            |s| s["overlay"] == "" && s["paused"] == false,
        )
        .await?;
    browser
        .screenshot(&format!("player-embed-{label}-quality-180p"))
        .await?;

    // The custom element.
    c.goto(&site.url("/element.html")).await?;
    let element = browser
        .wait_for_state(
            &format!("{label}: <onair-player> playing past 1 s"),
            WIDGET_STATE,
            Duration::from_secs(40),
            |s| !s["error"].is_null() || num(s, "t") > 1.0,
        )
        .await?;
    ensure!(element["error"].is_null(), "{element}");

    // The JS API: events with details, a level asked for, destroy.
    c.goto(&site.url("/api.html")).await?;
    let heard = |s: &Value, name: &str| -> Vec<Value> {
        s["events"]
            .as_array()
            .map(|e| {
                e.iter()
                    .filter(|e| e["name"] == name)
                    .map(|e| e["detail"].clone())
                    .collect()
            })
            .unwrap_or_default()
    };
    let api = browser
        .wait_for_state(
            &format!("{label}: the API page playing, with levels, latency and playing events"),
            API_STATE,
            Duration::from_secs(40),
            |s| {
                !s["error"].is_null()
                    || (num(s, "t") > 2.0
                        && !heard(s, "latency").is_empty()
                        && !heard(s, "playing").is_empty())
            },
        )
        .await?;
    println!("{label} API: {api}");
    ensure!(api["error"].is_null(), "{api}");
    let levels = heard(&api, "levels");
    ensure!(
        levels
            .first()
            .and_then(|l| l["levels"].as_array())
            .map(Vec::len)
            == Some(2),
        "a levels event with both levels: {api}"
    );
    ensure!(
        levels[0]["levels"][0]["height"] == 360 && levels[0]["levels"][0]["bitrate"].is_number(),
        "{api}"
    );
    ensure!(!heard(&api, "playing").is_empty(), "a playing event: {api}");
    ensure!(!heard(&api, "levelswitched").is_empty(), "{api}");
    let latency = &heard(&api, "latency")[0];
    ensure!(
        latency["target"].as_f64().is_some_and(|t| t >= 4.5) && latency["latency"].is_number(),
        "the latency event has the configured target: {latency}"
    );
    ensure!(num(&api, "levels") == 2.0, "player.levels: {api}");
    let bad = &api["bad"][0];
    ensure!(
        bad["type"] == "otherError"
            && bad["fatal"] == true
            && bad["details"]
                .as_str()
                .is_some_and(|d| d.contains("targetLatency")),
        "a bad option is a fatal error naming it: {api}"
    );
    // Ask for level 1 by the API.
    browser
        .js("window.player.currentLevel = 1; return true;")
        .await?;
    let switched = browser
        .wait_for_state(
            &format!("{label}: a levelswitched event to level 1 and the picture 180 high"),
            API_STATE,
            Duration::from_secs(30),
            |s| heard(s, "levelswitched").iter().any(|d| d["level"] == 1) && num(s, "h") == 180.0,
        )
        .await?;
    ensure!(switched["level"] == 1, "player.currentLevel: {switched}");
    browser
        .screenshot(&format!("player-embed-{label}-api"))
        .await?;
    browser.js("window.player.destroy(); return true;").await?;
    let destroyed = browser.js(API_STATE).await?;
    let before = destroyed["events"].as_array().map_or(0, Vec::len);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = browser.js(API_STATE).await?;
    ensure!(
        after["src"].is_null() && after["events"].as_array().map_or(0, Vec::len) == before,
        "destroy detaches the media and stops the events: {destroyed} then {after}"
    );

    // Captions: the widget's menu lists the subtitle rendition, shown by default; "off" turns it off.
    c.goto(&site.url("/captions.html")).await?;
    const CAPTIONS_MENU: &str = "const root = document.querySelector('.onair-player');
        const menu = root && root.querySelector('.onair-captions');
        const v = root && root.querySelector('video');
        if (!menu || !v) return {};
        return { hidden: menu.hidden, options: Array.from(menu.options).map(o => o.textContent),
                 value: menu.value, mode: v.textTracks[0] ? v.textTracks[0].mode : null, t: v.currentTime };";
    let menu = browser
        .wait_for_state(
            &format!(
                "{label}: the captions menu with the subtitle rendition, shown, playing past 2.5 s"
            ),
            CAPTIONS_MENU,
            Duration::from_secs(30),
            |m| {
                m["hidden"] == false
                    && m["value"] == "0"
                    && m["mode"] == "showing"
                    && m["t"].as_f64().unwrap_or(0.0) > 2.5
            },
        )
        .await?;
    ensure!(
        menu["options"] == serde_json::json!(["Captions off", "subtitle_0"]),
        "{menu}"
    );
    browser
        .screenshot(&format!("player-embed-{label}-captions"))
        .await?;
    browser
        .js(
            "const m = document.querySelector('.onair-captions'); m.value = '-1';
             m.dispatchEvent(new Event('change')); return true;",
        )
        .await?;
    browser
        .wait_for_state(
            &format!("{label}: captions off"),
            CAPTIONS_MENU,
            Duration::from_secs(5),
            |m| m["mode"] == "disabled" && m["value"] == "-1",
        )
        .await?;

    // The seek bar: the VOD's whole length from the start (8 s, not what is buffered), the time
    // beside it; a seek from it, and the arrow keys on the player, move the playhead.
    let vod = browser
        .wait_for_state(
            &format!("{label}: the VOD's seek bar spans its 8 s"),
            WIDGET_STATE,
            Duration::from_secs(10),
            |s| {
                s["seek"]
                    .as_str()
                    .and_then(|m| m.parse::<f64>().ok())
                    .is_some_and(|m| (7.9..9.6).contains(&m))
                    && s["time"]
                        .as_str()
                        .is_some_and(|t| t.ends_with("/ 0:08") || t.ends_with("/ 0:09"))
            },
        )
        .await?;
    println!("{label} VOD seek bar: {vod}");
    ensure!(vod["live"].is_null(), "no LIVE badge on a VOD: {vod}");
    browser
        .js(
            "const s = document.querySelector('.onair-seek'); s.value = '1';
             s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change')); return true;",
        )
        .await?;
    browser
        .wait_for_state(
            &format!("{label}: the seek bar sought back to 1 s"),
            WIDGET_STATE,
            Duration::from_secs(10),
            |s| (1.0..2.5).contains(&num(s, "t")),
        )
        .await?;
    browser
        .js(
            "const root = document.querySelector('.onair-player'); root.focus();
             root.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
             return true;",
        )
        .await?;
    browser
        .wait_for_state(
            &format!("{label}: ArrowRight moved the playhead 5 s on"),
            WIDGET_STATE,
            Duration::from_secs(10),
            |s| num(s, "t") >= 6.0,
        )
        .await?;
    browser
        .screenshot(&format!("player-embed-{label}-seekbar"))
        .await?;

    // The iframe: its events come by postMessage.
    c.goto(&site.url("/iframe.html")).await?;
    let messages = browser
        .wait_for_state(
            &format!("{label}: the iframe's levels and playing messages"),
            "return window.messages.map(m => m.event);",
            Duration::from_secs(40),
            |m| {
                let m = m.to_string();
                m.contains("\"levels\"") && m.contains("\"playing\"")
            },
        )
        .await?;
    println!("{label} iframe messages: {messages}");
    let first_levels = browser
        .js("const m = window.messages.find(m => m.event === 'levels'); return m && m.detail.levels.length;")
        .await?;
    ensure!(first_levels == 2, "{first_levels}");
    browser
        .screenshot(&format!("player-embed-{label}-iframe"))
        .await?
        .to_str()
        .context("path")?;
    Ok(())
}
