//! nginx (Debian's) as a caching reverse proxy in front of the origin, configured only to follow the
//! origin's headers: hls.js plays through it, and with 50 simulated viewers behind it the origin sees each
//! segment requested about once.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::{ensure, Result};
use onair_media::MediaPlaylist;
use onair_tests::{
    create_stream, hlsjs_web_dir, resolve, wait_for_segments, Browser, Crowd, FfmpegPush,
    NginxCache, TestServer,
};

/// Viewers behind the cache.
const VIEWERS: usize = 50;
/// How long they watch.
const WATCH: Duration = Duration::from_secs(10);

/// What one simulated viewer did.
#[derive(Debug, Default)]
struct Viewer {
    playlist_requests: u64,
    segment_requests: u64,
    bytes: u64,
    errors: Vec<String>,
}

/// A viewer as a player behaves: it reloads the media playlist every second (half the target duration)
/// and fetches each new segment once, starting two segments from the live edge.
async fn watch(playlist_url: String, until: Instant) -> Viewer {
    let http = reqwest::Client::new();
    let mut viewer = Viewer::default();
    let mut next_msn: Option<u64> = None;
    while Instant::now() < until {
        viewer.playlist_requests += 1;
        let playlist = match http.get(&playlist_url).send().await {
            Ok(r) if r.status().is_success() => match r.text().await {
                Ok(text) => MediaPlaylist::parse(&text).ok(),
                Err(err) => {
                    viewer.errors.push(err.to_string());
                    None
                }
            },
            Ok(r) => {
                viewer.errors.push(format!("playlist: {}", r.status()));
                None
            }
            Err(err) => {
                viewer.errors.push(err.to_string());
                None
            }
        };
        if let Some(playlist) = playlist {
            let first = playlist.media_sequence;
            let count = playlist.segments.len() as u64;
            let start = *next_msn.get_or_insert(first + count.saturating_sub(2));
            for (msn, segment) in (first..).zip(&playlist.segments) {
                if msn < start {
                    continue;
                }
                viewer.segment_requests += 1;
                match http.get(resolve(&playlist_url, &segment.uri)).send().await {
                    Ok(r) if r.status().is_success() => {
                        viewer.bytes += r.bytes().await.map_or(0, |b| b.len() as u64);
                    }
                    Ok(r) => viewer
                        .errors
                        .push(format!("{}: {}", segment.uri, r.status())),
                    Err(err) => viewer.errors.push(err.to_string()),
                }
                next_msn = Some(msn + 1);
            }
        }
        // The behaviour simulated, not a wait: a player reloads every half target duration.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    viewer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_viewers_behind_nginx_cost_the_origin_one_request_per_segment() -> Result<()> {
    let server = TestServer::start_serving(hlsjs_web_dir()?).await?;
    let stream = create_stream(&server, "behind nginx").await?;
    let push = FfmpegPush::single("nginx", &server.ingest_url(&stream), 20)?;
    let nginx = NginxCache::start(server.addr).await?;
    let media_path = format!("/live/{}/r0/index.m3u8", stream.id);
    wait_for_segments(&nginx.url(&media_path), 2, Duration::from_secs(20)).await?;

    // hls.js through the cache, and the crowd, at the same time.
    let browser = Browser::start().await?;
    let until = Instant::now() + WATCH;
    let crowd = Crowd::spawn(VIEWERS, || watch(nginx.url(&media_path), until));
    let played = browser
        .play_with_hlsjs(
            &nginx.url("/hls.html"),
            &nginx.url(&format!("/live/{}/index.m3u8", stream.id)),
            4.0,
            Duration::from_secs(30),
        )
        .await;
    let played = browser
        .screenshot_on_error("hlsjs-nginx-failure", played)
        .await;
    let viewers = crowd.join().await?;
    browser.close().await?;
    let played = played?;
    println!("hls.js through nginx: {played}");

    // The figures.
    let errors: Vec<&String> = viewers.iter().flat_map(|v| &v.errors).collect();
    let viewer_segments: u64 = viewers.iter().map(|v| v.segment_requests).sum();
    let viewer_playlists: u64 = viewers.iter().map(|v| v.playlist_requests).sum();
    let viewer_bytes: u64 = viewers.iter().map(|v| v.bytes).sum();
    let origin = server.requests().snapshot();
    let prefix = format!("/live/{}/r0/", stream.id);
    let per_segment: BTreeMap<u64, u64> = origin
        .iter()
        .filter_map(|(path, count)| {
            let msn = path
                .strip_prefix(&prefix)?
                .strip_suffix(".m4s")?
                .parse()
                .ok()?;
            Some((msn, *count))
        })
        .collect();
    let origin_segments: u64 = per_segment.values().sum();
    let origin_playlists = origin.get(&media_path).copied().unwrap_or(0);
    let hits = nginx
        .access_log()
        .lines()
        .filter(|l| l.contains(".m4s"))
        .count();
    let figures = format!(
        "{VIEWERS} viewers for {} s behind nginx proxy_cache:\n\
         \x20 viewers: {viewer_segments} segment GETs ({:.1} MB), {viewer_playlists} media playlist GETs\n\
         \x20 origin:  {origin_segments} segment GETs for {} segments, {origin_playlists} media playlist GETs\n\
         \x20 origin requests per segment (msn: count): {per_segment:?}\n\
         \x20 nginx served {hits} segment requests; {:.1}% of them reached the origin\n",
        WATCH.as_secs(),
        viewer_bytes as f64 / 1e6,
        per_segment.len(),
        100.0 * origin_segments as f64 / hits.max(1) as f64
    );
    print!("{figures}");
    std::fs::write(
        onair_tests::artifacts_dir().join("cache-nginx-figures.txt"),
        &figures,
    )?;
    println!("  origin requests by path: {origin:?}");

    ensure!(errors.is_empty(), "viewer errors: {errors:?}");
    ensure!(
        viewers.iter().all(|v| v.segment_requests >= 3),
        "every viewer got segments: {viewers:?}"
    );
    ensure!(!per_segment.is_empty(), "no segment reached the origin?");
    let most = per_segment.values().copied().max().unwrap_or(0);
    ensure!(
        most <= 2,
        "a segment was requested {most} times from the origin: {per_segment:?}"
    );
    let distinct: BTreeSet<u64> = per_segment.keys().copied().collect();
    ensure!(
        origin_segments <= distinct.len() as u64 + 2,
        "about one origin request per segment: {per_segment:?}"
    );
    ensure!(
        origin_playlists * 5 < viewer_playlists,
        "the cache absorbs playlist reloads: origin {origin_playlists} of {viewer_playlists}"
    );
    drop(push);
    Ok(())
}
