//! The owner's analytics of one stream ([`onair_protocol::StreamAnalytics`]), computed from its stored
//! sessions and concurrent-viewer samples. Pure: the route reads the rows and calls [`analytics`].

use std::collections::HashMap;

use onair_protocol::{CountryCount, Distribution, QoeSummary, StreamAnalytics, ViewerSample};

use super::SessionRow;

/// Most points of the concurrent-viewers series; longer histories are thinned to the peak of each bucket.
pub const MAX_SERIES_POINTS: usize = 360;

/// The analytics of a stream: its sessions, its samples (oldest first) and its viewers now.
pub fn analytics(
    sessions: &[SessionRow],
    samples: &[ViewerSample],
    viewers_now: u32,
) -> StreamAnalytics {
    let peak_viewers = samples
        .iter()
        .map(|s| s.viewers)
        .chain([viewers_now])
        .max()
        .unwrap_or(0);
    let mut countries: HashMap<&str, u32> = HashMap::new();
    for session in sessions {
        *countries
            .entry(session.country.as_deref().unwrap_or("??"))
            .or_default() += 1;
    }
    let mut countries: Vec<CountryCount> = countries
        .into_iter()
        .map(|(country, viewers)| CountryCount {
            country: country.to_owned(),
            viewers,
        })
        .collect();
    countries.sort_by(|a, b| b.viewers.cmp(&a.viewers).then(a.country.cmp(&b.country)));
    StreamAnalytics {
        viewers_now,
        peak_viewers,
        unique_viewers: u32::try_from(sessions.len()).unwrap_or(u32::MAX),
        watch_secs: sessions.iter().map(|s| s.watch_ms).sum::<u64>() / 1000,
        series: thin(samples, MAX_SERIES_POINTS),
        countries,
        qoe: qoe(sessions),
    }
}

fn qoe(sessions: &[SessionRow]) -> QoeSummary {
    let figures = |f: &dyn Fn(&SessionRow) -> Option<f64>| {
        distribution(sessions.iter().filter_map(f).collect())
    };
    QoeSummary {
        first_frame_ms: figures(&|s| s.first_frame_ms.map(f64::from)),
        rebuffer_ratio: figures(&|s| {
            let total = s.watch_ms + s.rebuffer_ms;
            (total > 0).then(|| s.rebuffer_ms as f64 / total as f64)
        }),
        latency_ms: figures(&|s| s.latency_ms.map(f64::from)),
        bitrate_kbps: figures(&|s| s.bitrate_kbps.map(f64::from)),
        rebuffers: sessions.iter().map(|s| u64::from(s.rebuffers)).sum(),
        switches: sessions.iter().map(|s| u64::from(s.switches)).sum(),
        errors: sessions.iter().map(|s| u64::from(s.errors)).sum(),
    }
}

/// Median, 90th percentile (nearest rank) and largest of some figures.
pub fn distribution(mut values: Vec<f64>) -> Distribution {
    values.retain(|v| v.is_finite());
    values.sort_by(f64::total_cmp);
    let rank = |p: f64| -> f64 {
        let index = ((p * values.len() as f64).ceil() as usize).saturating_sub(1);
        values.get(index).copied().unwrap_or(0.0)
    };
    Distribution {
        count: u32::try_from(values.len()).unwrap_or(u32::MAX),
        p50: rank(0.5),
        p90: rank(0.9),
        max: values.last().copied().unwrap_or(0.0),
    }
}

/// At most `points` samples: consecutive ones grouped, each group's busiest kept (so a peak shows).
fn thin(samples: &[ViewerSample], points: usize) -> Vec<ViewerSample> {
    if samples.len() <= points || points == 0 {
        return samples.to_vec();
    }
    let per = samples.len().div_ceil(points);
    samples
        .chunks(per)
        .filter_map(|group| group.iter().max_by_key(|s| s.viewers).copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::StreamId;

    fn session(sid: &str, country: Option<&str>, watch_ms: u64, rebuffer_ms: u64) -> SessionRow {
        SessionRow {
            stream: StreamId::parse("abcdefghij").unwrap(),
            session_id: sid.into(),
            country: country.map(str::to_owned),
            first_seen: 0,
            last_seen: 10,
            watch_ms,
            first_frame_ms: Some(1000),
            rebuffers: 1,
            rebuffer_ms,
            bitrate_kbps: Some(2000),
            switches: 2,
            latency_ms: None,
            errors: 0,
        }
    }

    #[test]
    fn figures_of_two_viewers() {
        let sessions = [
            session("a", Some("GB"), 9000, 1000),
            session("b", None, 3000, 0),
            session("c", Some("GB"), 0, 0),
        ];
        let samples = [
            ViewerSample { at: 1, viewers: 1 },
            ViewerSample { at: 2, viewers: 3 },
            ViewerSample { at: 3, viewers: 2 },
        ];
        let report = analytics(&sessions, &samples, 2);
        assert_eq!(
            (
                report.viewers_now,
                report.peak_viewers,
                report.unique_viewers,
                report.watch_secs
            ),
            (2, 3, 3, 12)
        );
        assert_eq!(
            report.countries,
            [
                CountryCount {
                    country: "GB".into(),
                    viewers: 2
                },
                CountryCount {
                    country: "??".into(),
                    viewers: 1
                }
            ]
        );
        assert_eq!(report.qoe.rebuffer_ratio.count, 2, "c never played");
        assert!((report.qoe.rebuffer_ratio.max - 0.1).abs() < 1e-9);
        assert_eq!(report.qoe.latency_ms.count, 0);
        assert_eq!((report.qoe.rebuffers, report.qoe.switches), (3, 6));
    }

    #[test]
    fn distributions() {
        let d = distribution((1..=10).map(f64::from).collect());
        assert_eq!((d.count, d.p50, d.p90, d.max), (10, 5.0, 9.0, 10.0));
        assert_eq!(distribution(vec![]), Distribution::default());
        assert_eq!(distribution(vec![f64::NAN, 4.0]).count, 1);
    }

    #[test]
    fn long_series_keep_their_peaks() {
        let samples: Vec<ViewerSample> = (0..1000)
            .map(|n| ViewerSample {
                at: n,
                viewers: if n == 537 { 99 } else { 1 },
            })
            .collect();
        let thinned = thin(&samples, MAX_SERIES_POINTS);
        assert!(thinned.len() <= MAX_SERIES_POINTS);
        assert!(thinned.iter().any(|s| s.viewers == 99));
    }
}
