//! The product around a stream, as people use it: go live from the page with a title, description and
//! tags; the card in the directory; two viewers in their own browsers, one of them behind a proxy on
//! loopback that forwards a British address (`X-Forwarded-For: 81.2.69.160`); the viewer count on the
//! watch page, the card and the owner's dashboard; the owner's analytics (2 concurrent, the country, QoE)
//! and no one else's; the live thumbnail from the page's snapshots, on the card and as `og:image`; an
//! edit while live that viewers see; `/metrics` read by a Prometheus parser; the end.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use fantoccini::Locator;
use onair_tests::{create_stream, download_recording, wait_for_thumbnail, Browser, TestServer};
use serde_json::{json, Value};

/// A British address in the free MMDB file the server reads.
const BRITISH_ADDRESS: &str = "81.2.69.160";

async fn get_json(url: &str, token: Option<&str>) -> Result<(u16, Value)> {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    Ok((status, body))
}

/// Waits until `check` holds for `GET url` (with `token`), returning the last body.
async fn wait_json(
    what: &str,
    url: &str,
    token: Option<&str>,
    check: impl Fn(&Value) -> bool,
) -> Result<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(45);
    loop {
        let (_, body) = get_json(url, token).await?;
        if check(&body) {
            return Ok(body);
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A viewer's browser on the watch page, playing.
async fn viewer(server: &TestServer, id: &str, forwarded_for: Option<&str>) -> Result<Browser> {
    let browser = Browser::start().await?;
    if let Some(address) = forwarded_for {
        // What a CDN or cache on this machine adds: the server believes it from loopback.
        browser.cdp("Network.enable", json!({})).await?;
        browser
            .cdp(
                "Network.setExtraHTTPHeaders",
                json!({ "headers": { "X-Forwarded-For": address } }),
            )
            .await?;
    }
    browser
        .client
        .goto(&server.url(&format!("/watch/{id}")))
        .await?;
    browser
        .wait_for(
            "the watch page playing",
            &onair_tests::browser::watch_page_played_past(0.0, 1.0),
            Duration::from_secs(40),
        )
        .await?;
    Ok(browser)
}

#[tokio::test]
async fn go_live_watch_count_and_analytics() -> Result<()> {
    ensure!(
        onair_tests::paths::geoip_db().is_file(),
        "no MMDB file at {} (scripts/setup.sh installs it)",
        onair_tests::paths::geoip_db().display()
    );
    let server = TestServer::start().await?;
    let base = server.url("");
    let base = base.trim_end_matches('/');
    Browser::run("product", async |caster| {
        let id = caster
            .go_live_with(base, "Jazz night", "Standards from the kitchen", "jazz, live set", "product")
            .await?;
        // The owner token stayed in this browser.
        let owned = caster
            .js("return JSON.parse(localStorage.getItem('onair.owned') || '[]');")
            .await?;
        ensure!(owned[0]["id"] == id.as_str(), "{owned}");
        let token = owned[0]["owner_token"].as_str().context("owner token")?.to_owned();
        ensure!(token.starts_with("ot_"), "{owned}");
        // The Go Live tab keeps broadcasting; the owner looks around in a second tab of the same
        // browser (same localStorage).
        let studio = caster.client.window().await?;
        let other_tab = caster.client.new_window(true).await?;
        caster.client.switch_to_window(other_tab.handle.clone()).await?;
        let stream_url = server.url(&format!("/api/streams/{id}"));
        let (_, view) = get_json(&stream_url, None).await?;
        ensure!(view["description"] == "Standards from the kitchen", "{view}");
        ensure!(view["tags"] == json!(["jazz", "live-set"]), "{view}");

        // Two viewers.
        let first = viewer(&server, &id, None).await?;
        let second = viewer(&server, &id, Some(BRITISH_ADDRESS)).await?;
        let view = wait_json("2 viewers", &stream_url, None, |v| v["viewers"] == 2).await?;
        ensure!(view["viewers"] == 2, "{view}");

        // The live thumbnail: the Go Live page's snapshots (one every 5 s), at card size, refreshed.
        let picture =
            wait_for_thumbnail(base, &id, None, "product-snapshot", Duration::from_secs(20)).await?;
        println!("snapshot {picture:?}, spread {}", picture.spread());
        ensure!(picture.width == 480 && (200..=360).contains(&picture.height), "{picture:?}");
        ensure!(picture.spread() > 30, "a flat picture: {picture:?}");
        let next = wait_for_thumbnail(
            base,
            &id,
            Some(&picture.url),
            "product-snapshot-next",
            Duration::from_secs(20),
        )
        .await?;
        ensure!(next.width == picture.width, "{next:?}");

        // The count on the watch page (refreshed every 10 s) and on the directory's card (every 5 s).
        first
            .wait_for(
                "2 watching on the watch page",
                "const c = document.querySelector('#viewer-count'); return !!c && c.textContent.trim() === '2 watching';",
                Duration::from_secs(25),
            )
            .await?;
        first.screenshot("product-watch-2-viewers").await?;
        caster.client.goto(&format!("{base}/")).await?;
        caster
            .wait_for(
                "the card with its picture, 2 viewers and its tags",
                &format!(
                    "const card = document.querySelector(\".card[data-id='{id}']\");
                     const img = card && card.querySelector('img.thumb-img');
                     return !!card && card.querySelector('.viewer-count').textContent.trim() === '2 viewers'
                         && card.textContent.includes('#live-set') && card.textContent.includes('Jazz night')
                         && !!img && img.complete && img.naturalWidth === 480;"
                ),
                Duration::from_secs(20),
            )
            .await?;
        caster.screenshot("product-directory").await?;

        // The owner's analytics: 2 concurrent, one from GB, QoE from both players.
        let analytics_url = server.url(&format!("/api/streams/{id}/analytics"));
        let report = wait_json("analytics of 2 viewers", &analytics_url, Some(&token), |r| {
            r["viewers_now"] == 2 && r["qoe"]["first_frame_ms"]["count"] == 2
        })
        .await?;
        ensure!(report["peak_viewers"].as_u64() >= Some(2), "{report}");
        ensure!(report["unique_viewers"] == 2, "{report}");
        let countries = report["countries"].as_array().context("countries")?;
        ensure!(
            countries.iter().any(|c| c["country"] == "GB" && c["viewers"] == 1),
            "GB in {report}"
        );
        let first_frame = report["qoe"]["first_frame_ms"]["p90"].as_f64().unwrap_or(0.0);
        ensure!(first_frame > 0.0 && first_frame < 40_000.0, "{report}");
        ensure!(report["qoe"]["bitrate_kbps"]["count"] == 2, "{report}");
        // No one else reads them.
        let (stranger, _) = get_json(&analytics_url, None).await?;
        ensure!(stranger == 401, "a stranger got {stranger}");
        let other = create_stream(&server, "Someone else").await?;
        let (other_owner, _) = get_json(&analytics_url, Some(&other.owner_token)).await?;
        ensure!(other_owner == 403, "another stream's owner got {other_owner}");
        let (with_key, _) = get_json(&analytics_url, Some(&other.stream_key)).await?;
        ensure!(with_key == 403, "a stream key got {with_key}");

        // The dashboard shows it; an edit there reaches the viewers' page.
        caster.client.goto(&format!("{base}/dashboard")).await?;
        let panel = format!(".panel[data-id='{id}']");
        caster
            .wait_for(
                "the dashboard with 2 watching",
                &format!("const p = document.querySelector(\"{panel}\"); return !!p && p.querySelector('.viewers-now').textContent.trim() === '2';"),
                Duration::from_secs(25),
            )
            .await?;
        caster.screenshot("product-dashboard").await?;
        caster
            .client
            .find(Locator::Css(&format!("{panel} button.edit")))
            .await?
            .click()
            .await?;
        let title = caster
            .client
            .find(Locator::Css(&format!("{panel} .edit-title")))
            .await?;
        title.clear().await?;
        title.send_keys("Jazz night, second set").await?;
        caster
            .client
            .find(Locator::Css(&format!("{panel} button.save")))
            .await?
            .click()
            .await?;
        wait_json("the new title", &stream_url, None, |v| {
            v["title"] == "Jazz night, second set"
        })
        .await?;
        second
            .wait_for(
                "the new title on the watch page",
                "return document.querySelector('#stream-title').textContent === 'Jazz night, second set';",
                Duration::from_secs(25),
            )
            .await?;
        second.screenshot("product-watch-edited").await?;
        // A shared link shows it too: the watch page's OpenGraph tags, as a crawler reads them.
        let page = reqwest::get(server.url(&format!("/watch/{id}"))).await?.text().await?;
        ensure!(
            page.contains("<meta property=\"og:title\" content=\"Jazz night, second set\" />")
                && page.contains("content=\"Standards from the kitchen\"")
                && page.contains(&format!("<meta property=\"og:image\" content=\"http://{}/live/{id}/thumbnail.jpg?v=", base.trim_start_matches("http://"))),
            "{page}"
        );

        // /metrics, read by a Prometheus text parser, agrees.
        let text = reqwest::get(server.url("/metrics")).await?.text().await?;
        let lines = text.lines().map(|l| Ok(l.to_owned()));
        let scrape = prometheus_parse::Scrape::parse(lines).context("parsing /metrics")?;
        let value = |name: &str, label: (&str, &str)| {
            scrape
                .samples
                .iter()
                .filter(|s| s.metric == name && s.labels.get(label.0) == Some(label.1))
                .map(|s| match s.value {
                    prometheus_parse::Value::Counter(v)
                    | prometheus_parse::Value::Gauge(v)
                    | prometheus_parse::Value::Untyped(v) => v,
                    _ => 0.0,
                })
                .sum::<f64>()
        };
        ensure!(value("onair_viewers", ("stream", &id)) == 2.0, "{text}");
        let snapshots = value("onair_thumbnails_total", ("source", "snapshot"));
        ensure!(snapshots >= 2.0, "snapshots counted {snapshots}: {text}");
        let beacons = value("onair_http_requests_total", ("route", "/api/streams/:id/beacons"));
        ensure!(beacons >= 4.0, "beacons counted {beacons}: {text}");
        ensure!(
            value("onair_ingest_bitrate_bits_per_second", ("stream", &id)) > 100_000.0,
            "{text}"
        );

        // The end: the viewers leave the count as the players go.
        first.close().await?;
        second.close().await?;
        wait_json("no viewers once the players are gone", &stream_url, None, |v| {
            v["viewers"] == 0
        })
        .await?;
        // The broadcaster ends it on the Go Live page.
        caster.client.switch_to_window(studio).await?;
        caster.end_stream_on_page("product-ended").await?;
        caster.client.switch_to_window(other_tab.handle).await?;
        let (_, view) = get_json(&stream_url, None).await?;
        ensure!(view["status"] == "ended", "{view}");

        // The recording: listed, and one MP4 file that ffprobe and ffmpeg read whole.
        caster.client.goto(&format!("{base}/recordings")).await?;
        caster
            .wait_for(
                "the recording listed",
                &format!("return !!document.querySelector(\".card[data-id='{id}'] a.download\");"),
                Duration::from_secs(15),
            )
            .await?;
        caster.screenshot("product-recordings").await?;
        let file = download_recording(base, &id, "product").await?;
        ensure!(file.disposition.starts_with("attachment; filename=\"jazz-night"), "{file:?}");
        ensure!(file.content_length == Some(file.bytes as u64), "the files as stored: {file:?}");
        let (_, ended) = get_json(&stream_url, None).await?;
        let lived = ended["ended_at"].as_i64().unwrap_or(0) - ended["started_at"].as_i64().unwrap_or(0);
        ensure!(
            file.duration > 10.0 && file.duration > lived as f64 - 8.0,
            "the file lasts {} s of a stream live for {lived} s: {:?}",
            file.duration,
            file.probe
        );
        ensure!(
            file.kinds.iter().any(|k| k == "video") && file.kinds.iter().any(|k| k == "audio"),
            "{:?}",
            file.probe
        );
        Ok(())
    })
    .await
}

/// A person who leaves Go Live by a full page load (a reload, a typed address, the tab closed) ends the
/// stream at once: the page posts the end as it goes (`pagehide`, a `keepalive` request), and viewers
/// do not wait for the server's 60 s idle timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_go_live_ends_the_stream() -> Result<()> {
    let server = TestServer::start().await?;
    let base = server.url("");
    let base = base.trim_end_matches('/');
    Browser::run("product-leave", async |caster| {
        let id = caster
            .go_live_with(base, "Leaving soon", "", "", "product-leave")
            .await?;
        let stream_url = server.url(&format!("/api/streams/{id}"));
        let (_, view) = get_json(&stream_url, None).await?;
        ensure!(view["status"] == "live", "{view}");
        let left = std::time::Instant::now();
        caster.client.goto(&format!("{base}/about")).await?;
        let view = wait_json("the stream ended by the page", &stream_url, None, |v| {
            v["status"] == "ended"
        })
        .await?;
        println!(
            "ended {:.1} s after leaving: {view}",
            left.elapsed().as_secs_f64()
        );
        ensure!(
            left.elapsed() < Duration::from_secs(10),
            "ended only after {:?}: the idle timeout, not the page",
            left.elapsed()
        );
        Ok(())
    })
    .await
}

/// The owner of a stream whose key leaked makes a new one on the dashboard: shown once, it uploads,
/// and the old one opens nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_makes_a_new_stream_key_on_the_dashboard() -> Result<()> {
    let server = TestServer::start().await?;
    let stream = create_stream(&server, "Leaky").await?;
    let base = server.url("");
    let base = base.trim_end_matches('/').to_owned();
    Browser::run("product-new-key", async |owner| {
        // This browser owns the stream, as if it had gone live from here.
        owner.client.goto(&format!("{base}/about")).await?;
        let owned = json!([{ "id": stream.id, "title": "Leaky", "owner_token": stream.owner_token,
                             "created_at": 0 }]);
        owner
            .js(&format!(
                "localStorage.setItem('onair.owned', JSON.stringify({owned})); return true;"
            ))
            .await?;
        owner.client.goto(&format!("{base}/dashboard")).await?;
        let button = format!(".panel[data-id='{}'] button.new-key", stream.id);
        owner
            .wait_for(
                "the panel's New stream key button",
                &format!("return !!document.querySelector(\"{button}\");"),
                Duration::from_secs(20),
            )
            .await?;
        owner
            .client
            .find(Locator::Css(&button))
            .await?
            .click()
            .await?;
        let question = owner.client.get_alert_text().await?;
        ensure!(question.contains("stops working"), "{question}");
        owner.client.accept_alert().await?;
        owner
            .wait_for(
                "the new key shown",
                "return !!document.querySelector('.new-key-shown .stream-key');",
                Duration::from_secs(10),
            )
            .await?;
        owner.screenshot("product-new-key").await?;
        let key = owner
            .js("return document.querySelector('.new-key-shown .stream-key').textContent;")
            .await?;
        let key = key.as_str().context("key text")?.to_owned();
        ensure!(key.starts_with("sk_") && key != stream.stream_key, "{key}");
        // The new key uploads (an encoder's playlist, taken and ignored); the old one opens nothing.
        let http = reqwest::Client::new();
        let put = |key: String| {
            http.put(server.url(&format!("/ingest/{key}/index.m3u8")))
                .body("#EXTM3U\n")
                .send()
        };
        ensure!(put(key).await?.status() == 204, "the new key");
        ensure!(
            put(stream.stream_key.clone()).await?.status() == 403,
            "the old key"
        );
        Ok(())
    })
    .await
}
