//! The playback's quality of experience as the viewer lived it, for the origin's analytics: time to
//! first frame, stalls and their time, time played, level switches, the bitrate playing, the distance
//! behind live, errors. Pure: it hears the same [`PlayerEvent`]s the page does, with the time, and writes
//! the beacon the glue posts to the URL the multivariant playlist names
//! ([`crate::engine::Notice::Beacons`]), every [`BEACON_INTERVAL_MS`] and once when the player goes.
//!
//! The beacon's JSON uses CTA-5004 (CMCD) keys where one fits (`sid`, `br`, `bl`, `mtp`, `su`, `bs`);
//! counters are totals since the playback began, so a lost or repeated beacon changes nothing. It is
//! written by hand (a few fields of numbers) rather than through serde, which would weigh more in the
//! bundle than the player's whole QoE.

use std::fmt::Write as _;

use crate::events::PlayerEvent;

/// How often a playing player sends a beacon (the origin counts a viewer for about three of these).
pub const BEACON_INTERVAL_MS: f64 = 5000.0;

/// The QoE of one playback so far.
#[derive(Debug, Clone, Default)]
pub struct QoeTracker {
    started_ms: f64,
    first_frame_ms: Option<f64>,
    playing_since: Option<f64>,
    played_ms: f64,
    stalled_since: Option<f64>,
    rebuffers: u32,
    rebuffer_ms: f64,
    /// A stall began since the last report (CMCD `bs`).
    starved: bool,
    bandwidths: Vec<u64>,
    level: Option<usize>,
    switches: u32,
    latency_secs: Option<f64>,
    errors: u32,
}

/// What one beacon says, as numbers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QoeReport {
    /// Bitrate of the level loading, kbit/s.
    pub br: Option<u32>,
    /// Buffer ahead of the playhead, ms.
    pub bl: Option<u32>,
    /// Measured throughput, kbit/s.
    pub mtp: Option<u32>,
    /// No frame shown yet.
    pub su: bool,
    /// A stall began since the last beacon.
    pub bs: bool,
    /// Time to first frame, ms.
    pub first_frame_ms: Option<u32>,
    /// Time played, ms.
    pub played_ms: u64,
    /// Stalls after the first frame.
    pub rebuffers: u32,
    /// Time stalled after the first frame, ms.
    pub rebuffer_ms: u64,
    /// Level switches after the first choice.
    pub switches: u32,
    /// Distance behind live, ms.
    pub latency_ms: Option<u32>,
    /// Errors heard.
    pub errors: u32,
    /// The playback is over.
    pub ended: bool,
}

/// Milliseconds as the beacon's whole number (negative or not finite: 0).
fn ms(value: f64) -> u64 {
    if value.is_finite() && value > 0.0 {
        value.round() as u64
    } else {
        0
    }
}

fn small(value: f64) -> u32 {
    u32::try_from(ms(value)).unwrap_or(u32::MAX)
}

impl QoeTracker {
    /// A playback that began at `now_ms` (when the player was attached).
    pub fn new(now_ms: f64) -> Self {
        Self {
            started_ms: now_ms,
            ..Self::default()
        }
    }

    /// What an event tells about the playback; `seeking` is the element's state then (a wait while it
    /// seeks, the viewer's or the latency controller's, is not a stall).
    pub fn on_event(&mut self, event: &PlayerEvent, now_ms: f64, seeking: bool) {
        match event {
            PlayerEvent::Levels(levels) => {
                self.bandwidths = levels.iter().map(|l| l.bandwidth).collect();
            }
            PlayerEvent::LevelSwitched { level } => {
                if self.level.is_some_and(|before| before != *level) {
                    self.switches += 1;
                }
                self.level = Some(*level);
            }
            PlayerEvent::Latency { latency, .. } => self.latency_secs = Some(*latency),
            PlayerEvent::Playing => {
                if self.first_frame_ms.is_none() {
                    self.first_frame_ms = Some(now_ms - self.started_ms);
                }
                self.end_stall(now_ms);
                self.playing_since.get_or_insert(now_ms);
            }
            PlayerEvent::Waiting => {
                self.end_playing(now_ms);
                if self.first_frame_ms.is_some() && self.stalled_since.is_none() && !seeking {
                    self.rebuffers += 1;
                    self.starved = true;
                    self.stalled_since = Some(now_ms);
                }
            }
            PlayerEvent::Paused | PlayerEvent::Ended => {
                self.end_playing(now_ms);
                self.end_stall(now_ms);
            }
            PlayerEvent::Error { .. } => self.errors += 1,
        }
    }

    fn end_playing(&mut self, now_ms: f64) {
        if let Some(since) = self.playing_since.take() {
            self.played_ms += (now_ms - since).max(0.0);
        }
    }

    fn end_stall(&mut self, now_ms: f64) {
        if let Some(since) = self.stalled_since.take() {
            self.rebuffer_ms += (now_ms - since).max(0.0);
        }
    }

    /// The report at `now_ms` (an interval running now counts up to now), with the buffer ahead and the
    /// throughput estimate the glue reads; `ended` when the playback is over.
    pub fn report(
        &mut self,
        now_ms: f64,
        buffer_secs: Option<f64>,
        throughput_bps: Option<f64>,
        ended: bool,
    ) -> QoeReport {
        let playing = self.playing_since.map_or(0.0, |since| now_ms - since);
        let stalled = self.stalled_since.map_or(0.0, |since| now_ms - since);
        let bitrate = self
            .level
            .and_then(|level| self.bandwidths.get(level))
            .map(|bps| u32::try_from(bps / 1000).unwrap_or(u32::MAX));
        QoeReport {
            br: bitrate,
            bl: buffer_secs.map(|secs| small(secs * 1000.0)),
            mtp: throughput_bps.map(|bps| small(bps / 1000.0)),
            su: self.first_frame_ms.is_none(),
            bs: std::mem::take(&mut self.starved),
            first_frame_ms: self.first_frame_ms.map(small),
            played_ms: ms(self.played_ms + playing.max(0.0)),
            rebuffers: self.rebuffers,
            rebuffer_ms: ms(self.rebuffer_ms + stalled.max(0.0)),
            switches: self.switches,
            latency_ms: self.latency_secs.map(|secs| small(secs * 1000.0)),
            errors: self.errors,
            ended,
        }
    }
}

impl QoeReport {
    /// The beacon's JSON body for the playback `sid`.
    pub fn to_json(&self, sid: &str) -> String {
        // `sid` is made by the player from letters, digits and '-': nothing to escape.
        let mut out = format!("{{\"sid\":\"{sid}\"");
        let mut field = |name: &str, value: Option<u64>| {
            if let Some(value) = value {
                let _ = write!(out, ",\"{name}\":{value}");
            }
        };
        field("br", self.br.map(u64::from));
        field("bl", self.bl.map(u64::from));
        field("mtp", self.mtp.map(u64::from));
        field("first_frame_ms", self.first_frame_ms.map(u64::from));
        field("played_ms", Some(self.played_ms));
        field("rebuffers", Some(u64::from(self.rebuffers)));
        field("rebuffer_ms", Some(self.rebuffer_ms));
        field("switches", Some(u64::from(self.switches)));
        field("latency_ms", self.latency_ms.map(u64::from));
        field("errors", Some(u64::from(self.errors)));
        for (name, set) in [("su", self.su), ("bs", self.bs), ("ended", self.ended)] {
            if set {
                let _ = write!(out, ",\"{name}\":true");
            }
        }
        out.push('}');
        out
    }
}

/// A playback session id: 16 hex digits from `random` (two 32-bit draws in `[0, 1)`).
pub fn session_id(random: impl Fn() -> f64) -> String {
    let mut sid = String::with_capacity(16);
    for _ in 0..2 {
        let word = (random().clamp(0.0, 1.0) * f64::from(u32::MAX)) as u32;
        let _ = write!(sid, "{word:08x}");
    }
    sid
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::LevelInfo;
    use crate::error::ErrorKind;

    fn level(bandwidth: u64) -> LevelInfo {
        LevelInfo {
            bandwidth,
            width: None,
            height: None,
            codecs: None,
            playable: true,
        }
    }

    #[test]
    fn a_playback_with_a_stall_and_a_switch() {
        let mut qoe = QoeTracker::new(1000.0);
        qoe.on_event(
            &PlayerEvent::Levels(vec![level(2_500_000), level(800_000)]),
            1100.0,
            false,
        );
        qoe.on_event(&PlayerEvent::LevelSwitched { level: 0 }, 1200.0, false);
        let starting = qoe.report(1500.0, None, None, false);
        assert!(starting.su && starting.first_frame_ms.is_none());
        // A wait before the first frame is start-up, not a stall.
        qoe.on_event(&PlayerEvent::Waiting, 1600.0, false);
        qoe.on_event(&PlayerEvent::Playing, 1900.0, false);
        qoe.on_event(&PlayerEvent::Waiting, 5900.0, false);
        qoe.on_event(&PlayerEvent::LevelSwitched { level: 1 }, 6000.0, false);
        qoe.on_event(&PlayerEvent::Playing, 6400.0, false);
        qoe.on_event(
            &PlayerEvent::Latency {
                latency: 1.25,
                target: 1.0,
                rate: 1.0,
            },
            7000.0,
            false,
        );
        qoe.on_event(
            &PlayerEvent::Error {
                kind: ErrorKind::Network,
                message: "x".into(),
                fatal: false,
            },
            7100.0,
            false,
        );
        let report = qoe.report(8400.0, Some(2.5), Some(4_000_000.0), false);
        assert_eq!(
            report,
            QoeReport {
                br: Some(800),
                bl: Some(2500),
                mtp: Some(4000),
                su: false,
                bs: true,
                first_frame_ms: Some(900),
                played_ms: 4000 + 2000,
                rebuffers: 1,
                rebuffer_ms: 500,
                switches: 1,
                latency_ms: Some(1250),
                errors: 1,
                ended: false,
            }
        );
        // `bs` is reported once per stall.
        assert!(!qoe.report(8500.0, None, None, false).bs);
        qoe.on_event(&PlayerEvent::Paused, 9400.0, false);
        // A wait while seeking is no stall.
        qoe.on_event(&PlayerEvent::Playing, 9500.0, false);
        qoe.on_event(&PlayerEvent::Waiting, 9600.0, true);
        qoe.on_event(&PlayerEvent::Paused, 9700.0, false);
        let last = qoe.report(20_000.0, None, None, true);
        assert_eq!(
            (last.played_ms, last.rebuffers, last.ended),
            (7100, 1, true)
        );
    }

    #[test]
    fn the_json_is_the_origins_beacon() {
        let report = QoeReport {
            br: Some(800),
            first_frame_ms: Some(900),
            played_ms: 6000,
            bs: true,
            ended: true,
            ..QoeReport::default()
        };
        let json = report.to_json("0123abcd0123abcd");
        assert_eq!(
            json,
            "{\"sid\":\"0123abcd0123abcd\",\"br\":800,\"first_frame_ms\":900,\"played_ms\":6000,\
\"rebuffers\":0,\"rebuffer_ms\":0,\"switches\":0,\"errors\":0,\"bs\":true,\"ended\":true}"
        );
        let beacon: onair_protocol::PlaybackBeacon = serde_json::from_str(&json).unwrap();
        assert_eq!(
            (
                beacon.sid.as_str(),
                beacon.br,
                beacon.played_ms,
                beacon.bs,
                beacon.ended,
                beacon.su
            ),
            ("0123abcd0123abcd", Some(800), 6000, true, true, false)
        );
    }

    #[test]
    fn session_ids() {
        let sid = session_id(|| 0.5);
        assert_eq!(sid, "7fffffff7fffffff");
        assert_eq!(session_id(|| 2.0).len(), 16);
    }
}
