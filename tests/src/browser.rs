//! Headless Chromium behind its own chromedriver ([`Browser`]), and the web app's pages driven as a
//! person uses them.

use anyhow::{bail, Context, Result};
use fantoccini::{Client, ClientBuilder};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::paths::artifacts_dir;
use crate::process::free_port;

/// Headless Chromium behind its own chromedriver, with a fresh profile, fake camera and microphone.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    driver: Child,
    /// Chromium's `--user-data-dir`, removed with the browser.
    _profile: Option<tempfile::TempDir>,
}

/// What a test may add to a [`Browser`]'s start.
#[derive(Debug, Clone, Default)]
pub struct BrowserOptions {
    /// More Chromium switches, after the usual ones (e.g. `--use-file-for-fake-video-capture=FILE`).
    pub extra_args: Vec<String>,
}

/// What the watch page shows, for the player tests: `{t, h, paused, error}` of its `<video id="player">`
/// (zeros before the page has rendered it), its `#player-stats` and `#player-status` lines, and
/// `marker`: whether `window.__onairMarker` is still 1 (a test sets it; a page reload clears it).
pub const WATCH_PAGE_STATE: &str = "const v = document.querySelector('#player')
        || { currentTime: 0, videoHeight: 0, paused: true, error: null };
    return { t: v.currentTime, h: v.videoHeight, paused: v.paused, error: v.error && v.error.message,
             stats: (document.querySelector('#player-stats') || {}).textContent || '',
             status: (document.querySelector('#player-status') || {}).textContent || '',
             marker: window.__onairMarker === 1 };";

/// A script for [`Browser::wait_for`]: the watch page's `currentTime` past `at` plus `ahead`, playing,
/// no media error (false while the page has no player).
pub fn watch_page_played_past(at: f64, ahead: f64) -> String {
    format!(
        "const v = document.querySelector('#player');
         return !!v && v.currentTime > {at} + {ahead} && !v.paused && !v.error;"
    )
}

/// That a [`WATCH_PAGE_STATE`] shows the same page still playing: not reloaded, no media error, the
/// player not failed.
pub fn ensure_watch_page_playing_on(state: &serde_json::Value) -> Result<()> {
    anyhow::ensure!(
        state["marker"] == true,
        "the page was not reloaded: {state}"
    );
    anyhow::ensure!(state["error"].is_null(), "{state}");
    anyhow::ensure!(
        !state["status"].as_str().unwrap_or("").starts_with("Error"),
        "not failed: {state}"
    );
    Ok(())
}

/// Starts a WebDriver server (`bin`) on `port`, its log in `tests/artifacts/{name}-{port}.log`; `hint`
/// says how to get it when it is missing.
fn spawn_driver(bin: &str, name: &str, port: u16, hint: &str) -> Result<Child> {
    let log = std::fs::File::create(artifacts_dir().join(format!("{name}-{port}.log")))?;
    Command::new(bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {bin} ({hint})"))
}

/// A WebDriver session with `caps` from the driver listening on `port` (retried while it starts, 30 s at
/// most; the driver is killed if none comes).
async fn session(
    driver: &mut Child,
    port: u16,
    caps: serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Result<Client> {
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(c) => return Ok(c),
            Err(e) if Instant::now() > deadline => {
                let _ = driver.kill();
                bail!("{name} did not start a session: {e}");
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Chromium's binary: `CHROME_BIN` or Debian's.
fn chromium_binary() -> String {
    std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

impl Browser {
    /// Starts chromedriver and opens a session.
    pub async fn start() -> Result<Browser> {
        Self::start_with(BrowserOptions::default()).await
    }

    /// [`Browser::start`] with `options`.
    pub async fn start_with(options: BrowserOptions) -> Result<Browser> {
        let port = free_port()?;
        let driver_bin =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let mut driver = spawn_driver(
            &driver_bin,
            "chromedriver",
            port,
            "apt-get install chromium-driver",
        )?;
        let profile = tempfile::tempdir()?;
        let mut args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--use-fake-device-for-media-stream".into(),
            "--use-fake-ui-for-media-stream".into(),
            "--autoplay-policy=no-user-gesture-required".into(),
            "--disable-background-timer-throttling".into(),
            "--disable-renderer-backgrounding".into(),
            "--disable-backgrounding-occluded-windows".into(),
            "--window-size=1280,900".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        args.extend(options.extra_args);
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": chromium_binary(), "args": args }),
        );
        caps.insert(
            "goog:loggingPrefs".into(),
            serde_json::json!({ "browser": "ALL" }),
        );
        let client = session(&mut driver, port, caps, "chromedriver").await?;
        Ok(Browser {
            client,
            driver,
            _profile: Some(profile),
        })
    }

    /// Starts Firefox (Debian's `firefox-esr`, `FIREFOX_BIN` to override) headless behind geckodriver
    /// (`GECKODRIVER`, else `geckodriver` on `PATH`, installed by `scripts/setup.sh`), with a fresh
    /// profile, fake camera and microphone (by its prefs), and autoplay allowed. Chromium-only helpers
    /// (`cdp`) fail on it.
    pub async fn start_firefox() -> Result<Browser> {
        let port = free_port()?;
        let driver_bin = std::env::var("GECKODRIVER").unwrap_or_else(|_| "geckodriver".into());
        let mut driver = spawn_driver(
            &driver_bin,
            "geckodriver",
            port,
            "scripts/setup.sh installs it with cargo install",
        )?;
        let binary = std::env::var("FIREFOX_BIN").unwrap_or_else(|_| "/usr/bin/firefox-esr".into());
        let mut caps = serde_json::Map::new();
        caps.insert(
            "moz:firefoxOptions".into(),
            serde_json::json!({
                "binary": binary,
                "args": ["-headless", "--width=1280", "--height=900"],
                "prefs": {
                    "media.navigator.streams.fake": true,
                    "media.navigator.permission.disabled": true,
                    "media.autoplay.default": 0,
                    "media.autoplay.blocking_policy": 0,
                    "app.update.enabled": false,
                    "browser.shell.checkDefaultBrowser": false,
                    "datareporting.policy.dataSubmissionEnabled": false,
                    "toolkit.telemetry.reportingpolicy.firstRun": false
                }
            }),
        );
        let client = session(&mut driver, port, caps, "geckodriver").await?;
        Ok(Browser {
            client,
            driver,
            // geckodriver makes a fresh profile of its own for each session.
            _profile: None,
        })
    }

    /// Starts a browser, runs `test` with it and closes it, whatever `test` answered; when `test` fails,
    /// first saves the screenshot `failure` (what the page showed then).
    pub async fn run<T>(failure: &str, test: impl AsyncFnOnce(&Browser) -> Result<T>) -> Result<T> {
        let browser = Browser::start().await?;
        let result = test(&browser).await;
        let result = browser.screenshot_on_error(failure, result).await;
        browser.close().await?;
        result
    }

    /// [`Browser::run`] in headless Chromium, then in Firefox ESR: `test(browser, label)`, the label
    /// `"chromium"` or `"firefox"`; a failure's screenshot is `{prefix}-{label}-failure`, and the first
    /// failure ends it.
    pub async fn run_in_each(
        prefix: &str,
        test: impl AsyncFn(&Browser, &'static str) -> Result<()>,
    ) -> Result<()> {
        for label in ["chromium", "firefox"] {
            let browser = if label == "chromium" {
                Browser::start().await?
            } else {
                Browser::start_firefox().await?
            };
            let result = test(&browser, label).await;
            let result = browser
                .screenshot_on_error(&format!("{prefix}-{label}-failure"), result)
                .await;
            browser.close().await?;
            result?;
        }
        Ok(())
    }

    /// `result`, after saving the screenshot `name` when it is an error.
    pub async fn screenshot_on_error<T>(&self, name: &str, result: Result<T>) -> Result<T> {
        if result.is_err() {
            let _ = self.screenshot(name).await;
        }
        result
    }

    /// Runs a script and returns its value.
    pub async fn js(&self, script: &str) -> Result<serde_json::Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    /// Waits until `script` returns true, or fails after `timeout` with the last value seen.
    pub async fn wait_for(&self, what: &str, script: &str, timeout: Duration) -> Result<()> {
        self.wait_for_state(what, script, timeout, |value| {
            *value == serde_json::Value::Bool(true)
        })
        .await
        .map(drop)
    }

    /// Runs `script` (it returns a state, e.g. a player's `{t, ...}`) every 250 ms until `done` holds
    /// for the value, and returns that value; fails after `timeout` naming `what` and the last value
    /// seen (a script that throws counts as not done). Use it instead of a fixed sleep between two samples of a state: it waits exactly as long as
    /// the condition takes, and a failure says what was awaited.
    pub async fn wait_for_state(
        &self,
        what: &str,
        script: &str,
        timeout: Duration,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> Result<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        loop {
            // A script that throws (the page is still loading: an element not there yet) is a state
            // that is not done yet; the last error is the value a timeout reports.
            let value = match self.js(script).await {
                Ok(value) => value,
                Err(e) => serde_json::Value::String(format!("script failed: {e}")),
            };
            if done(&value) {
                return Ok(value);
            }
            if Instant::now() > deadline {
                bail!("timed out after {timeout:?} waiting for {what} (last value: {value})");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Saves a PNG screenshot of the current window to `tests/artifacts/NAME.png`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let png = self.client.screenshot().await?;
        let path = artifacts_dir().join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Ends the session and chromedriver.
    pub async fn close(mut self) -> Result<()> {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        Ok(())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

impl Browser {
    /// The broadcaster's side, as a person does it: opens `{base}/go-live` (`base` is `http://HOST:PORT`),
    /// waits for the fake camera's preview and an enabled **Go live** button (screenshot
    /// `{screenshot}-camera-ready`), enters `title`, presses **Go live**, and answers the stream id from
    /// the watch link that appears once the stream is live.
    pub async fn go_live(&self, base: &str, title: &str, screenshot: &str) -> Result<String> {
        self.go_live_with(base, title, "", "", screenshot).await
    }

    /// [`Browser::go_live`] with a description and tags (`"jazz, live set"`) typed in as well (empty:
    /// left blank).
    pub async fn go_live_with(
        &self,
        base: &str,
        title: &str,
        description: &str,
        tags: &str,
        screenshot: &str,
    ) -> Result<String> {
        use fantoccini::Locator;
        let c = &self.client;
        c.goto(&format!("{base}/go-live")).await?;
        self.wait_for(
            "the camera preview and an enabled Go live button",
            "const v = document.querySelector('#preview'); const b = document.querySelector('#go-live');
             return !!(v && b && v.readyState >= 2 && v.videoWidth > 0 && !b.disabled);",
            Duration::from_secs(30),
        )
        .await?;
        self.screenshot(&format!("{screenshot}-camera-ready"))
            .await?;
        let field = c.find(Locator::Css("#title")).await?;
        field.clear().await?;
        field.send_keys(title).await?;
        for (selector, text) in [("#description", description), ("#tags", tags)] {
            if !text.is_empty() {
                c.find(Locator::Css(selector))
                    .await?
                    .send_keys(text)
                    .await?;
            }
        }
        self.press_go_live().await
    }

    /// On the /go-live page as it is (its source and fields already chosen): presses **Go live** and
    /// answers the stream's id, once the watch link appears.
    pub async fn press_go_live(&self) -> Result<String> {
        use fantoccini::Locator;
        let c = &self.client;
        c.find(Locator::Css("#go-live")).await?.click().await?;
        let link = c
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css("#watch-link"))
            .await
            .context("the watch link appears once live")?;
        let href = link.attr("href").await?.context("watch link has an href")?;
        let id = href
            .rsplit('/')
            .next()
            .filter(|s| !s.is_empty())
            .with_context(|| format!("a stream id at the end of the watch link {href}"))?;
        Ok(id.to_owned())
    }

    /// On the /go-live page of a live stream: presses **End stream**, waits until the page says it has
    /// ended, and saves the screenshot `screenshot`.
    pub async fn end_stream_on_page(&self, screenshot: &str) -> Result<()> {
        let end = fantoccini::Locator::Css("#end-stream");
        self.client.find(end).await?.click().await?;
        self.wait_for(
            "the stream to end",
            "return (document.querySelector('#status')?.textContent || '').includes('Ended');",
            Duration::from_secs(20),
        )
        .await?;
        self.screenshot(screenshot).await?;
        Ok(())
    }
}
