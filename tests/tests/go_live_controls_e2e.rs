//! The Go Live page's controls while live: **Turn camera off** sends black frames (the stream and its
//! thumbnail go black, then come back when it is turned on), **Mute microphone** sends silence (the
//! recording is silent from then on, while the fake microphone's beeps are in it before). Read from
//! what viewers get: the thumbnails the page uploads, and the recording, by ffmpeg.

use std::process::Command;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use fantoccini::Locator;
use onair_tests::{download_recording, wait_for_thumbnail, Browser, TestServer};

/// The loudest sample of `seconds` of `file`'s audio from `start`, in dB (ffmpeg's volumedetect).
fn max_volume(file: &str, start: f64, seconds: f64) -> Result<f64> {
    let output = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-nostats",
            "-ss",
            &format!("{start:.2}"),
            "-t",
        ])
        .arg(format!("{seconds:.2}"))
        .args([
            "-i",
            file,
            "-map",
            "0:a:0",
            "-af",
            "volumedetect",
            "-f",
            "null",
            "-",
        ])
        .output()
        .context("running ffmpeg")?;
    let log = String::from_utf8_lossy(&output.stderr);
    log.lines()
        .find_map(|l| l.split("max_volume:").nth(1))
        .and_then(|v| v.trim().trim_end_matches("dB").trim().parse().ok())
        .with_context(|| format!("no max_volume in:\n{log}"))
}

/// Clicks the element `selector` as a person does.
async fn click(browser: &Browser, selector: &str) -> Result<()> {
    browser
        .client
        .find(Locator::Css(selector))
        .await?
        .click()
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn camera_off_and_mute_while_live() -> Result<()> {
    let server = TestServer::start().await?;
    let base = server.url("");
    let base = base.trim_end_matches('/').to_owned();
    Browser::run("go-live-controls", async |caster| {
        let id = caster
            .go_live_with(&base, "Controls", "", "", "go-live-controls")
            .await?;
        let on =
            wait_for_thumbnail(&base, &id, None, "controls-on", Duration::from_secs(20)).await?;
        println!("camera on: mean {:?}, spread {}", on.mean(), on.spread());
        ensure!(on.mean()[1] > 60, "the fake camera is green: {on:?}");

        click(caster, "#camera-toggle").await?;
        caster
            .wait_for(
                "the note that viewers see black",
                "return !!document.querySelector('#camera-off-note');",
                Duration::from_secs(5),
            )
            .await?;
        caster.screenshot("go-live-camera-off").await?;
        // The next snapshots are of what goes out: black.
        let mut last = on.url.clone();
        let mut black = None;
        for _ in 0..3 {
            let next = wait_for_thumbnail(
                &base,
                &id,
                Some(&last),
                "controls-off",
                Duration::from_secs(15),
            )
            .await?;
            last = next.url.clone();
            if next.mean().iter().all(|&c| c < 16) {
                black = Some(next);
                break;
            }
        }
        let black = black.context("no black thumbnail after the camera went off")?;
        println!(
            "camera off: mean {:?}, spread {}",
            black.mean(),
            black.spread()
        );
        ensure!(black.spread() < 16, "{black:?}");

        click(caster, "#camera-toggle").await?;
        let back = wait_for_thumbnail(
            &base,
            &id,
            Some(&last),
            "controls-back",
            Duration::from_secs(15),
        )
        .await?;
        let back = if back.mean()[1] > 60 {
            back
        } else {
            wait_for_thumbnail(
                &base,
                &id,
                Some(&back.url),
                "controls-back",
                Duration::from_secs(15),
            )
            .await?
        };
        println!("camera back on: mean {:?}", back.mean());
        ensure!(back.mean()[1] > 60, "{back:?}");

        // Muted for the last 8 s of the stream.
        click(caster, "#mute").await?;
        let pressed = caster
            .js("return document.querySelector('#mute').getAttribute('aria-pressed');")
            .await?;
        ensure!(pressed == "true", "{pressed}");
        tokio::time::sleep(Duration::from_secs(8)).await;
        caster.end_stream_on_page("go-live-controls-ended").await?;

        let file = download_recording(&base, &id, "controls").await?;
        let path = onair_tests::artifacts_dir().join("recording-controls.mp4");
        let path = path.to_string_lossy().into_owned();
        let loud = max_volume(&path, 1.0, 6.0)?;
        let quiet = max_volume(&path, file.duration - 6.0, 4.0)?;
        println!(
            "recording {:.1} s: loudest {loud} dB before the mute, {quiet} dB after",
            file.duration
        );
        ensure!(
            loud > -40.0,
            "the fake microphone's beeps are in the recording: {loud} dB"
        );
        ensure!(quiet < -80.0, "silence once muted: {quiet} dB");
        Ok(())
    })
    .await
}

/// Picking "Screen, window or tab" shares a screen (Chromium's fake one, drawn at the size asked) with
/// the microphone's sound, and the stream goes out at the screen's size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn going_live_with_a_screen() -> Result<()> {
    let server = TestServer::start().await?;
    let base = server.url("");
    let base = base.trim_end_matches('/').to_owned();
    Browser::run("go-live-screen", async |caster| {
        caster.client.goto(&format!("{base}/go-live")).await?;
        let ready = |width: u32| {
            format!(
                "const v = document.querySelector('#preview'); const b = document.querySelector('#go-live');
                 return !!v && v.videoWidth === {width} && !!b && !b.disabled;"
            )
        };
        caster
            .wait_for("the camera", &ready(1280), Duration::from_secs(20))
            .await?;
        caster
            .js("const s = document.querySelector('#source-select'); s.value = 'screen';
                 s.dispatchEvent(new Event('change', { bubbles: true })); return true;")
            .await?;
        caster
            .wait_for(
                "the screen in the preview",
                "const v = document.querySelector('#preview'); const b = document.querySelector('#go-live');
                 return !!v && !!b && !!v.srcObject
                     && v.srcObject.getVideoTracks().some(t => t.label.startsWith('screen'))
                     && v.videoWidth > 0 && !b.disabled;",
                Duration::from_secs(20),
            )
            .await?;
        let tracks = caster
            .js("const v = document.querySelector('#preview'); const s = v.srcObject;
                 return { video: s.getVideoTracks().map(t => t.label), audio: s.getAudioTracks().length,
                          size: v.videoWidth + 'x' + v.videoHeight };")
            .await?;
        println!("screen: {tracks}");
        ensure!(tracks["audio"] == 1, "the microphone's sound: {tracks}");
        let size = tracks["size"].as_str().context("size")?.to_owned();
        caster.screenshot("go-live-screen").await?;
        let id = caster.press_go_live().await?;
        let url = server.url(&format!("/live/{id}/index.m3u8"));
        let text = onair_tests::wait_for_ok(&url, Duration::from_secs(20)).await?;
        println!("{text}");
        ensure!(text.contains(&format!("RESOLUTION={size}")), "{size}: {text}");
        ensure!(text.contains("mp4a.40.2") || text.contains("opus"), "with sound: {text}");
        caster.end_stream_on_page("go-live-screen-ended").await?;
        Ok(())
    })
    .await
}

/// Picking "A video file, played out live" plays a local file (ffmpeg's test pattern with a 440 Hz
/// tone, 4 s) in real time, looping, with its own sound: the thumbnail is the pattern, and the
/// recording lasts past the file's end and carries the tone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn going_live_with_a_video_file() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("show.mp4");
    let file = file.to_string_lossy().into_owned();
    let mut args: Vec<&str> = onair_tests::ffmpeg::TEST_SOURCE.to_vec();
    args.extend([
        "-t", "4", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
    ]);
    args.extend(["-movflags", "+faststart", &file]);
    onair_tests::ffmpeg(&args)?;
    let server = TestServer::start().await?;
    let base = server.url("");
    let base = base.trim_end_matches('/').to_owned();
    Browser::run("go-live-file", async |caster| {
        caster.client.goto(&format!("{base}/go-live")).await?;
        caster
            .wait_for(
                "the camera",
                "const b = document.querySelector('#go-live'); return !!b && !b.disabled;",
                Duration::from_secs(20),
            )
            .await?;
        caster
            .js("const s = document.querySelector('#source-select'); s.value = 'file';
                 s.dispatchEvent(new Event('change', { bubbles: true })); return true;")
            .await?;
        let input = caster
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("#file-input"))
            .await?;
        input.send_keys(&file).await?;
        caster
            .wait_for(
                "the file in the preview",
                "const v = document.querySelector('#preview'); const b = document.querySelector('#go-live');
                 return !!v && !!b && v.videoWidth === 640 && !b.disabled;",
                Duration::from_secs(20),
            )
            .await?;
        caster.screenshot("go-live-file").await?;
        let id = caster.press_go_live().await?;
        let picture = wait_for_thumbnail(&base, &id, None, "file", Duration::from_secs(20)).await?;
        println!("file: mean {:?}, spread {}", picture.mean(), picture.spread());
        ensure!(picture.spread() > 100, "the test pattern, not the camera: {picture:?}");
        // Past the file's 4 s: it loops.
        tokio::time::sleep(Duration::from_secs(7)).await;
        caster.end_stream_on_page("go-live-file-ended").await?;
        let recording = download_recording(&base, &id, "file").await?;
        let path = onair_tests::artifacts_dir().join("recording-file.mp4");
        let loud = max_volume(&path.to_string_lossy(), 1.0, 5.0)?;
        println!("recording {:.1} s, its tone at {loud} dB", recording.duration);
        ensure!(recording.duration > 6.0, "looped past the file's end: {:?}", recording.probe);
        ensure!(loud > -30.0, "the file's sound: {loud} dB");
        Ok(())
    })
    .await
}
