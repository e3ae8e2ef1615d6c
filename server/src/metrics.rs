//! `/metrics`: the server's figures in the Prometheus (OpenMetrics) text format, written by the
//! Prometheus project's Rust client (`prometheus-client`).
//!
//! Counted as requests are answered ([`track`], a layer on every route): `onair_http_requests_total`
//! by route pattern (`/live/:id/:file`, [`route_label`]), method and status, and `onair_http_errors_total` (status 400 and up) by route and
//! status. Read from the live state at each scrape: `onair_viewers` per stream, `onair_live_streams`,
//! `onair_ingest_bitrate_bits_per_second` per stream and rendition (its last segments' bytes over their
//! duration), `onair_blocking_waiters` (requests parked for a part), `onair_segment_cache_bytes` (the
//! segments held in memory), and `onair_thumbnails_total` by source with
//! `onair_thumbnail_decode_failures_total` ([`crate::thumbnails`]); the transcoder's
//! `onair_transcodes`, `onair_transcoder_restarts_total`, `onair_transcodes_refused_total` and the
//! histogram `onair_transcode_added_latency_seconds` by rung ([`crate::transcode`]).

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::time::Instant;

use crate::origin::Origin;

/// The content type of the exposition.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StreamLabels {
    stream: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RenditionLabels {
    stream: String,
    rendition: String,
}

/// The counters that live across scrapes. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    requests: Family<RequestLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
}

impl Metrics {
    /// Counts one answered request.
    fn count(&self, route: &str, method: &str, status: StatusCode) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                method: method.to_owned(),
                status: status.as_u16(),
            })
            .inc();
        if status.is_client_error() || status.is_server_error() {
            self.errors
                .get_or_create(&ErrorLabels {
                    route: route.to_owned(),
                    status: status.as_u16(),
                })
                .inc();
        }
    }

    /// The exposition: the counters, and the gauges read from `origin` now.
    pub fn render(&self, origin: &Origin) -> Result<String, std::fmt::Error> {
        let mut registry = Registry::with_prefix("onair");
        registry.register(
            "http_requests",
            "Requests answered, by route pattern, method and status",
            self.requests.clone(),
        );
        registry.register(
            "http_errors",
            "Requests answered with status 400 or more, by route pattern and status",
            self.errors.clone(),
        );
        let viewers = Family::<StreamLabels, Gauge>::default();
        for (stream, count) in origin.audience().all_viewers(Instant::now()) {
            viewers
                .get_or_create(&StreamLabels {
                    stream: stream.to_string(),
                })
                .set(i64::from(count));
        }
        registry.register(
            "viewers",
            "Viewers watching now, from the players' beacons",
            viewers,
        );
        let bitrates =
            Family::<RenditionLabels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
        let live = origin.ingest_bitrates();
        for (stream, rendition, bits_per_second) in &live.renditions {
            bitrates
                .get_or_create(&RenditionLabels {
                    stream: stream.to_string(),
                    rendition: rendition.to_string(),
                })
                .set(*bits_per_second);
        }
        registry.register(
            "ingest_bitrate_bits_per_second",
            "Bitrate of each live rendition's last segments as uploaded",
            bitrates,
        );
        let gauge = |value: usize| {
            let gauge = Gauge::<i64>::default();
            gauge.set(i64::try_from(value).unwrap_or(i64::MAX));
            gauge
        };
        registry.register("live_streams", "Streams live now", gauge(live.streams));
        registry.register(
            "blocking_waiters",
            "Requests parked until their part or segment exists",
            gauge(origin.waiting_requests()),
        );
        registry.register(
            "segment_cache_bytes",
            "Bytes of segments held in memory for viewers",
            gauge(origin.hot_bytes()),
        );
        let thumbnails = Family::<SourceLabels, Counter>::default();
        let counts = origin.thumbnail_counts();
        for (source, count) in [("snapshot", counts.snapshots), ("decoded", counts.decoded)] {
            thumbnails
                .get_or_create(&SourceLabels {
                    source: source.to_owned(),
                })
                .inc_by(count);
        }
        registry.register(
            "thumbnails",
            "Live thumbnails kept, by source: the broadcaster's snapshot or decoded from a segment",
            thumbnails,
        );
        let failures = Counter::<u64>::default();
        failures.inc_by(counts.failed);
        registry.register(
            "thumbnail_decode_failures",
            "Decodes of a segment's picture that made no thumbnail",
            failures,
        );
        let transcoders = origin.transcoders();
        registry.register(
            "transcodes",
            "Streams whose lower rungs the origin is making now",
            gauge(transcoders.running()),
        );
        let figures = transcoders.figures();
        let counter = |value: &std::sync::atomic::AtomicU64| {
            let counter = Counter::<u64>::default();
            counter.inc_by(value.load(std::sync::atomic::Ordering::Relaxed));
            counter
        };
        registry.register(
            "transcoder_restarts",
            "Transcoder runs started again after a failure",
            counter(&figures.restarts),
        );
        registry.register(
            "transcodes_refused",
            "Streams left with their one rendition because the transcode limit was reached",
            counter(&figures.refused),
        );
        registry.register(
            "transcode_added_latency_seconds",
            "How much later than its source segment a transcoded rung's segment was accepted, by rung",
            figures.added_latency.clone(),
        );
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry)?;
        Ok(text)
    }
}

/// A route pattern as a label: axum's `{id}` and `{*path}` written `:id` and `*path`, the form most
/// dashboards and parsers expect (braces inside a label value trip some text parsers).
pub fn route_label(pattern: &str) -> String {
    pattern
        .split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) if name.starts_with('*') => name.to_owned(),
                Some(name) => format!(":{name}"),
                None => segment.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// The layer that counts every answered request by its route pattern (`/live/:id/:file`, not the
/// path, so the labels stay few); requests no route matched count as `fallback`.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "fallback".to_owned(), |path| route_label(path.as_str()));
    // Standard methods by name; anything else one label, so made-up methods cannot grow the series.
    let method = match request.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m.to_owned(),
        _ => "other".to_owned(),
    };
    let response = next.run(request).await;
    metrics.count(&route, &method, response.status());
    response
}

/// `GET /metrics`.
pub fn answer(metrics: &Metrics, origin: &Origin) -> Response {
    match metrics.render(origin) {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_labels() {
        assert_eq!(route_label("/live/{id}/{file}"), "/live/:id/:file");
        assert_eq!(
            route_label("/ingest/{stream_key}/{*path}"),
            "/ingest/:stream_key/*path"
        );
        assert_eq!(route_label("/metrics"), "/metrics");
    }
}
