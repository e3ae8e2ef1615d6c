//! Low-Latency HLS through a cache: headless Chromium goes live on /go-live (the broadcaster uploads
//! parts); Debian's nginx, configured only to follow the origin's headers (`NGINX_CONF`), sits in front;
//! 50 simulated low-latency viewers behind it do what hls.js in low-latency mode does: a blocking
//! playlist reload for the next part (`_HLS_msn`/`_HLS_part`), then a GET of each new part. The origin
//! sees each blocking-reload URL and each part about once: the blocking answers are cacheable under
//! their own URL and the parts immutable, so nginx's cache lock folds 50 viewers into one request.
//!
//! Figures: `tests/artifacts/cache-nginx-ll-figures.txt`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{ensure, Result};
use onair_media::MediaPlaylist;
use onair_tests::{artifacts_dir, first_variant, resolve, Browser, Crowd, NginxCache, TestServer};

/// Viewers behind the cache.
const VIEWERS: usize = 50;
/// How long they watch.
const WATCH: Duration = Duration::from_secs(12);

/// What one simulated viewer did.
#[derive(Debug, Default)]
struct Viewer {
    reloads: u64,
    parts: u64,
    errors: Vec<String>,
}

/// One low-latency viewer: it loads the playlist, then loops: blocking reload for the part after the
/// last one it has, GET every part listed after it.
async fn watch(playlist_url: String, until: Instant) -> Viewer {
    let http = reqwest::Client::new();
    let mut viewer = Viewer::default();
    // The next part wanted, (msn, index); None before the first playlist.
    let mut next: Option<(u64, u64)> = None;
    while Instant::now() < until {
        let url = match next {
            Some((msn, part)) => format!("{playlist_url}?_HLS_msn={msn}&_HLS_part={part}"),
            None => playlist_url.clone(),
        };
        viewer.reloads += 1;
        let text = match http.get(&url).send().await {
            Ok(r) if r.status().is_success() => r.text().await.unwrap_or_default(),
            Ok(r) => {
                viewer.errors.push(format!("reload: {}", r.status()));
                // As a player does after a failed request (the error is counted; not a wait).
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            Err(err) => {
                viewer.errors.push(format!("reload: {err}"));
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let Ok(playlist) = MediaPlaylist::parse(&text) else {
            viewer.errors.push(format!("unreadable playlist: {text}"));
            continue;
        };
        // Every part listed, with its (msn, index).
        let mut listed = Vec::new();
        for (msn, segment) in (playlist.media_sequence..).zip(&playlist.segments) {
            for (index, part) in (0..).zip(&segment.parts) {
                listed.push(((msn, index), part.uri.clone()));
            }
        }
        let open = playlist.media_sequence + playlist.segments.len() as u64;
        for (index, part) in (0..).zip(&playlist.trailing_parts) {
            listed.push(((open, index), part.uri.clone()));
        }
        let Some((last, _)) = listed.last().cloned() else {
            viewer.errors.push("no parts listed".into());
            continue;
        };
        // Join at the live edge: the first playlist only says where it is.
        let from = next.unwrap_or((last.0, last.1 + 1));
        for (id, uri) in listed.iter().filter(|(id, _)| *id >= from) {
            match http.get(resolve(&playlist_url, uri)).send().await {
                Ok(r) if r.status().is_success() => {
                    viewer.parts += 1;
                    let _ = r.bytes().await;
                }
                Ok(r) => viewer.errors.push(format!("part {id:?}: {}", r.status())),
                Err(err) => viewer.errors.push(format!("part {id:?}: {err}")),
            }
        }
        next = Some((last.0, last.1 + 1));
    }
    viewer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_low_latency_viewers_behind_nginx_cost_the_origin_one_request_per_part() -> Result<()>
{
    let server = TestServer::start().await?;
    Browser::run("cache-ll-failure", async |browser| {
        run(&server, browser).await
    })
    .await
}

async fn run(server: &TestServer, browser: &Browser) -> Result<()> {
    let id = browser
        .go_live(
            &format!("http://{}", server.addr),
            "LL behind nginx",
            "cache-ll",
        )
        .await?;
    let nginx = NginxCache::start(server.addr).await?;
    let media = first_variant(&nginx.url(""), &id).await?;
    let playlist_url = nginx.url(&format!("/live/{id}/{media}"));
    let origin_before = server.requests().answered().len();

    let until = Instant::now() + WATCH;
    let done = Crowd::spawn(VIEWERS, || watch(playlist_url.clone(), until))
        .join()
        .await?;
    let answered: Vec<_> = server
        .requests()
        .answered()
        .into_iter()
        .skip(origin_before)
        .collect();

    let reloads: u64 = done.iter().map(|v| v.reloads).sum();
    let parts: u64 = done.iter().map(|v| v.parts).sum();
    let errors: Vec<&String> = done.iter().flat_map(|v| &v.errors).collect();
    // What reached the origin, per URL.
    let mut per_url: BTreeMap<String, u64> = BTreeMap::new();
    for a in &answered {
        let url = match &a.query {
            Some(q) => format!("{}?{q}", a.path),
            None => a.path.clone(),
        };
        *per_url.entry(url).or_default() += 1;
    }
    let is_part = |url: &str| {
        url.rsplit('/')
            .next()
            .is_some_and(|f| f.ends_with(".m4s") && f.matches('.').count() == 2)
    };
    let blocking: Vec<u64> = per_url
        .iter()
        .filter(|(u, _)| u.contains("_HLS_msn="))
        .map(|(_, n)| *n)
        .collect();
    let part_counts: Vec<u64> = per_url
        .iter()
        .filter(|(u, _)| is_part(u))
        .map(|(_, n)| *n)
        .collect();
    let origin_blocking: u64 = blocking.iter().sum();
    let origin_parts: u64 = part_counts.iter().sum();
    let figures = format!(
        "cache-nginx-ll: {VIEWERS} LL viewers for {} s behind nginx made {reloads} playlist requests \
         (blocking reloads) and {parts} part GETs; the origin saw {origin_blocking} blocking reloads \
         for {} distinct URLs (at most {} each) and {origin_parts} part GETs for {} distinct parts \
         (at most {} each): {:.1} % of the part GETs and {:.1} % of the reloads reached it; viewer errors: {}\n",
        WATCH.as_secs(),
        blocking.len(),
        blocking.iter().max().unwrap_or(&0),
        part_counts.len(),
        part_counts.iter().max().unwrap_or(&0),
        100.0 * origin_parts as f64 / parts.max(1) as f64,
        100.0 * origin_blocking as f64 / reloads.max(1) as f64,
        errors.len(),
    );
    print!("{figures}");
    std::fs::write(artifacts_dir().join("cache-nginx-ll-figures.txt"), &figures)?;
    browser.screenshot("cache-ll-on-air").await?;

    ensure!(errors.is_empty(), "viewer errors: {errors:?}");
    ensure!(
        parts >= (VIEWERS as u64) * 20,
        "every viewer got about 3 parts a second: {parts} part GETs in all"
    );
    ensure!(
        part_counts.len() >= 20,
        "the viewers asked for at least 20 distinct parts: {}",
        part_counts.len()
    );
    // About once: a part whose first request races its cache entry may go through twice.
    ensure!(
        part_counts.iter().all(|&n| n <= 2),
        "each part reached the origin at most twice: {per_url:?}"
    );
    ensure!(
        origin_parts as f64 <= part_counts.len() as f64 * 1.2,
        "parts reached the origin about once each: {origin_parts} for {}",
        part_counts.len()
    );
    ensure!(
        blocking.iter().all(|&n| n <= 2) && !blocking.is_empty(),
        "each blocking reload URL reached the origin about once: {per_url:?}"
    );
    Ok(())
}
