//! Chrome DevTools Protocol commands through chromedriver (`POST /session/{id}/goog/cdp/execute`), for
//! what WebDriver cannot do: throttling the network (`Network.emulateNetworkConditions`) or cutting it.

use anyhow::{Context, Result};
use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{json, Value};

use crate::browser::Browser;

/// One CDP command.
#[derive(Debug)]
struct Cdp {
    cmd: String,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

impl Browser {
    /// Runs the CDP command `cmd` with `params` in the current page's target.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Result<Value> {
        self.client
            .issue_cmd(Cdp {
                cmd: cmd.to_owned(),
                params,
            })
            .await
            .with_context(|| format!("CDP {cmd}"))
    }

    /// Throttles the page's network to `down_kbps` kilobits per second down (upload unthrottled) with
    /// `latency_ms` added to each request; `None` lifts the throttle.
    pub async fn throttle(&self, down: Option<(u32, u32)>) -> Result<()> {
        self.cdp("Network.enable", json!({})).await?;
        let (throughput, latency) = match down {
            Some((kbps, latency_ms)) => (f64::from(kbps) * 1000.0 / 8.0, f64::from(latency_ms)),
            None => (-1.0, 0.0),
        };
        self.cdp(
            "Network.emulateNetworkConditions",
            json!({ "offline": false, "latency": latency,
                    "downloadThroughput": throughput, "uploadThroughput": -1.0 }),
        )
        .await?;
        Ok(())
    }

    /// Cuts the page's network (`true`) or gives it back.
    pub async fn offline(&self, offline: bool) -> Result<()> {
        self.cdp("Network.enable", json!({})).await?;
        self.cdp(
            "Network.emulateNetworkConditions",
            json!({ "offline": offline, "latency": 0,
                    "downloadThroughput": -1.0, "uploadThroughput": -1.0 }),
        )
        .await?;
        Ok(())
    }
}
