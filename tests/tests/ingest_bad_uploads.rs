//! Bad uploads to `/ingest` while ffmpeg pushes and hls.js watches the same stream: each gets its clear
//! 4xx with a JSON reason, the viewer sees no error, and once the push is over the playlist is exactly what
//! it was before the same bad uploads are sent again.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use onair_tests::{
    create_stream, ffmpeg, ffprobe_json, hlsjs_web_dir, wait_for_ok, wait_for_segments, Browser,
    FfmpegPush, TestServer, HLSJS_STATE, TEST_SOURCE_FPS,
};
use reqwest::StatusCode;

/// One bad upload: what, path under `/ingest/{key}/`, key, body, expected status.
/// Seconds of the test source ffmpeg pushes (2 s segments).
const PUSH_SECS: u32 = 20;

struct Bad {
    what: &'static str,
    path: &'static str,
    key: String,
    body: Vec<u8>,
    status: StatusCode,
}

/// An init segment of another size (320x180) made by ffmpeg, for a codec change.
fn other_init() -> Result<Vec<u8>> {
    let dir = tempfile::tempdir()?;
    let playlist = dir.path().join("index.m3u8");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x180:rate=25",
        "-t",
        "1",
        "-c:v",
        "libx264",
        "-f",
        "hls",
        "-hls_segment_type",
        "fmp4",
        playlist.to_str().context("temp path")?,
    ])?;
    Ok(std::fs::read(dir.path().join("init.mp4"))?)
}

async fn send_all(server: &TestServer, cases: &[Bad]) -> Result<()> {
    // A connection per upload: the origin answers a bad upload before reading its body and closes
    // that connection, so one kept for the next upload may already be gone.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    for case in cases {
        let url = server.url(&format!("/ingest/{}/{}", case.key, case.path));
        let response = http.put(url).body(case.body.clone()).send().await?;
        let status = response.status();
        let text = response.text().await?;
        println!("{}: {status} {text}", case.what);
        ensure!(status == case.status, "{}: {status} {text}", case.what);
        let json: serde_json::Value = serde_json::from_str(&text)?;
        ensure!(
            json["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{}: {text}",
            case.what
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_while_watched_get_clear_errors_and_change_nothing() -> Result<()> {
    let server = TestServer::start_serving(hlsjs_web_dir()?).await?;
    let stream = create_stream(&server, "bad uploads while watched").await?;
    let key = stream.stream_key.clone();
    // Long enough that the viewer can play 2 s past the last bad upload however long they take.
    let push = FfmpegPush::single("bad-uploads", &server.ingest_url(&stream), PUSH_SECS)?;
    let media_url = server.url(&format!("/live/{}/r0/index.m3u8", stream.id));
    wait_for_segments(&media_url, 1, Duration::from_secs(15)).await?;

    let http = reqwest::Client::new();
    let real = http
        .get(server.url(&format!("/live/{}/r0/0.m4s", stream.id)))
        .send()
        .await?
        .bytes()
        .await?
        .to_vec();
    let cases = vec![
        Bad {
            what: "wrong key",
            path: "index90.m4s",
            key: "sk_wrongwrongwrongwrongwrongwrong00".into(),
            body: real.clone(),
            status: StatusCode::FORBIDDEN,
        },
        Bad {
            what: "garbage",
            path: "index91.m4s",
            key: key.clone(),
            body: b"<html>not a segment</html>".repeat(20),
            status: StatusCode::BAD_REQUEST,
        },
        Bad {
            what: "truncated",
            path: "index92.m4s",
            key: key.clone(),
            body: real.get(..real.len() / 2).context("half")?.to_vec(),
            status: StatusCode::BAD_REQUEST,
        },
        Bad {
            what: "time going backwards (segment 0 again)",
            path: "index93.m4s",
            key: key.clone(),
            body: real.clone(),
            status: StatusCode::BAD_REQUEST,
        },
        Bad {
            what: "codec change",
            path: "init.mp4",
            key: key.clone(),
            body: other_init()?,
            status: StatusCode::CONFLICT,
        },
        Bad {
            what: "MPEG-TS",
            path: "index94.ts",
            key: key.clone(),
            body: vec![0x47; 188 * 10],
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        },
        Bad {
            what: "oversized",
            path: "index95.m4s",
            key: key.clone(),
            body: vec![0; onair_server::origin::DEFAULT_MAX_UPLOAD_BYTES + 1],
            status: StatusCode::PAYLOAD_TOO_LARGE,
        },
    ];

    // A viewer watches while the bad uploads arrive.
    let (before, after) = Browser::run("hlsjs-bad-uploads-failure", async |browser| {
        let before = browser
            .play_with_hlsjs(
                &server.url("/hls.html"),
                &server.url(&format!("/live/{}/index.m3u8", stream.id)),
                1.0,
                Duration::from_secs(30),
            )
            .await?;
        send_all(&server, &cases).await?;
        // The viewer plays on: 2 s past where it was before the bad uploads, and 2 s of media (a
        // playlist reload at least) after the last of them.
        let t = |state: &serde_json::Value| state["t"].as_f64().unwrap_or(0.0);
        let sent = browser.js(HLSJS_STATE).await?;
        let until = t(&before).max(t(&sent)) + 2.0;
        let after = browser
            .wait_for_state(
                &format!("hls.js's currentTime to pass {until:.2} s"),
                HLSJS_STATE,
                Duration::from_secs(20),
                |s| !s["fatal"].is_null() || t(s) > until,
            )
            .await?;
        Ok((before, after))
    })
    .await?;
    println!("viewer before {before}\nviewer after {after}");
    ensure!(after["fatal"].is_null(), "{after}");
    ensure!(
        after["t"].as_f64().unwrap_or(0.0) > before["t"].as_f64().unwrap_or(0.0) + 2.0,
        "the viewer kept playing: {before} then {after}"
    );
    // Stalls can happen on a loaded machine; a network or media error would be a glitch we caused.
    let glitches: Vec<&serde_json::Value> = after["errors"]
        .as_array()
        .context("errors")?
        .iter()
        .filter(|e| {
            e.as_str().is_some_and(|e| {
                !e.contains("bufferStalledError") && !e.contains("bufferNudgeOnStall")
            })
        })
        .collect();
    ensure!(glitches.is_empty(), "hls.js errors: {glitches:?}");

    push.finish(Duration::from_secs(30)).await?;
    let settled = wait_for_ok(&media_url, Duration::from_secs(2)).await?;
    send_all(&server, &cases).await?;
    let again = wait_for_ok(&media_url, Duration::from_secs(2)).await?;
    ensure!(
        again == settled,
        "the playlist changed:\n{settled}\n---\n{again}"
    );
    let playlist = onair_media::MediaPlaylist::parse(&again)?;
    ensure!(playlist.segments.len() == PUSH_SECS as usize / 2, "{again}");
    ensure!(
        playlist.segments.iter().all(|s| !s.discontinuity),
        "{again}"
    );

    // Every stored segment is ffmpeg's: ffprobe reads all of it.
    onair_tests::end_stream(&server, &stream).await?;
    let probe = ffprobe_json(&[
        "-count_packets",
        "-show_streams",
        "-select_streams",
        "v",
        &media_url,
    ])?;
    let packets = probe["streams"][0]["nb_read_packets"]
        .as_str()
        .and_then(|n| n.parse::<u64>().ok())
        .context("packets")?;
    ensure!(
        packets == u64::from(PUSH_SECS) * u64::from(TEST_SOURCE_FPS),
        "{probe}"
    );
    Ok(())
}
