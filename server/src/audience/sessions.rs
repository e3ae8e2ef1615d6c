//! The live sessions of every stream, in memory: each beacon merged into its session (counters only grow,
//! so a lost or repeated beacon changes nothing), the viewers counted, and the sessions that changed
//! handed to the recorder.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

use onair_protocol::PlaybackBeacon;
use tokio::time::Instant;

use super::VIEWER_TIMEOUT;
use crate::names::StreamId;

/// Most sessions one stream keeps in memory; a beacon of a new session past it is refused (a flood of
/// made-up session ids cannot grow memory without bound).
pub const MAX_SESSIONS_PER_STREAM: usize = 50_000;
/// Most sessions one client address may hold on one stream (an office or a campus behind one address
/// is many viewers; a script inventing session ids is more).
pub const MAX_SESSIONS_PER_ADDRESS: usize = 200;
/// Sessions are forgotten from memory this long after their last beacon (they are in the database).
const FORGET_AFTER: std::time::Duration = std::time::Duration::from_secs(120);
/// Largest figure a beacon may claim for a duration, ms (a day); more is a broken or hostile player.
const MAX_MS: u64 = 24 * 3600 * 1000;

/// Why a beacon was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BeaconRefused {
    /// The `sid` is not 8 to 64 letters, digits or `-`.
    #[error("sid must be 8 to 64 letters, digits or '-'")]
    BadSessionId,
    /// The stream already has [`MAX_SESSIONS_PER_STREAM`] sessions.
    #[error("too many playback sessions on this stream")]
    TooManySessions,
}

/// One session as the database keeps it (`viewer_sessions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The stream watched.
    pub stream: StreamId,
    /// The session id (`sid`).
    pub session_id: String,
    /// ISO 3166 alpha-2 country of the viewer, if known.
    pub country: Option<String>,
    /// Unix seconds of the first beacon.
    pub first_seen: i64,
    /// Unix seconds of the last beacon.
    pub last_seen: i64,
    /// Time played, ms.
    pub watch_ms: u64,
    /// Time to first frame, ms.
    pub first_frame_ms: Option<u32>,
    /// Stalls after the first frame.
    pub rebuffers: u32,
    /// Time stalled, ms.
    pub rebuffer_ms: u64,
    /// Bitrate of the last report, kbit/s.
    pub bitrate_kbps: Option<u32>,
    /// Level switches.
    pub switches: u32,
    /// Distance behind live of the last report, ms.
    pub latency_ms: Option<u32>,
    /// Errors.
    pub errors: u32,
}

#[derive(Debug)]
struct Session {
    row: SessionRow,
    address: Option<IpAddr>,
    last_beacon: Instant,
    ended: bool,
    /// Changed since the recorder last took it.
    dirty: bool,
}

#[derive(Debug, Default)]
struct StreamSessions {
    sessions: HashMap<String, Session>,
    /// Sessions in memory per client address (a flood of made-up session ids from one address is
    /// refused past [`MAX_SESSIONS_PER_ADDRESS`]).
    by_address: HashMap<IpAddr, usize>,
}

/// Every stream's live sessions. Shared behind an `Arc`.
#[derive(Debug, Default)]
pub struct Audience {
    streams: Mutex<HashMap<StreamId, StreamSessions>>,
    /// Held while the recorder writes (the task and an analytics request may both ask).
    pub(crate) recording: tokio::sync::Mutex<()>,
}

/// True for a `sid` a player makes: 8 to 64 ASCII letters, digits or `-`.
fn valid_session_id(sid: &str) -> bool {
    (8..=64).contains(&sid.len()) && sid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl Audience {
    /// Merges one beacon into its session: `now` and `unix` are the time it arrived, `address` and
    /// `country` where it came from.
    pub fn record(
        &self,
        stream: &StreamId,
        beacon: &PlaybackBeacon,
        (address, country): (Option<IpAddr>, Option<String>),
        now: Instant,
        unix: i64,
    ) -> Result<(), BeaconRefused> {
        if !valid_session_id(&beacon.sid) {
            return Err(BeaconRefused::BadSessionId);
        }
        let mut streams = self.streams.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = streams.entry(stream.clone()).or_default();
        if !entry.sessions.contains_key(&beacon.sid) {
            let from_address =
                address.map_or(0, |a| entry.by_address.get(&a).copied().unwrap_or(0));
            if entry.sessions.len() >= MAX_SESSIONS_PER_STREAM
                || from_address >= MAX_SESSIONS_PER_ADDRESS
            {
                return Err(BeaconRefused::TooManySessions);
            }
            if let Some(address) = address {
                *entry.by_address.entry(address).or_default() += 1;
            }
        }
        let session = entry
            .sessions
            .entry(beacon.sid.clone())
            .or_insert_with(|| Session {
                row: SessionRow {
                    stream: stream.clone(),
                    session_id: beacon.sid.clone(),
                    country: None,
                    first_seen: unix,
                    last_seen: unix,
                    watch_ms: 0,
                    first_frame_ms: None,
                    rebuffers: 0,
                    rebuffer_ms: 0,
                    bitrate_kbps: None,
                    switches: 0,
                    latency_ms: None,
                    errors: 0,
                },
                address,
                last_beacon: now,
                ended: false,
                dirty: true,
            });
        merge(&mut session.row, beacon, country, unix);
        session.last_beacon = now;
        session.ended |= beacon.ended;
        session.dirty = true;
        Ok(())
    }

    /// Viewers of a stream at `now`: sessions that beaconed within [`VIEWER_TIMEOUT`] and did not end.
    pub fn viewers(&self, stream: &StreamId, now: Instant) -> u32 {
        let streams = self.streams.lock().unwrap_or_else(PoisonError::into_inner);
        streams.get(stream).map_or(0, |s| count_viewers(s, now))
    }

    /// Viewers of every stream that has sessions in memory.
    pub fn all_viewers(&self, now: Instant) -> Vec<(StreamId, u32)> {
        let streams = self.streams.lock().unwrap_or_else(PoisonError::into_inner);
        streams
            .iter()
            .map(|(id, s)| (id.clone(), count_viewers(s, now)))
            .collect()
    }

    /// The sessions changed since the last call (for the database), and forgets those that have been
    /// silent for long: their last state is in what this returns or returned before.
    pub fn take_changed(&self, now: Instant) -> Vec<SessionRow> {
        let mut streams = self.streams.lock().unwrap_or_else(PoisonError::into_inner);
        let mut changed = Vec::new();
        for sessions in streams.values_mut() {
            for session in sessions.sessions.values_mut() {
                if std::mem::take(&mut session.dirty) {
                    changed.push(session.row.clone());
                }
            }
            let by_address = &mut sessions.by_address;
            sessions.sessions.retain(|_, s| {
                let keep = now.saturating_duration_since(s.last_beacon) < FORGET_AFTER;
                if let (false, Some(address)) = (keep, s.address) {
                    if let Some(count) = by_address.get_mut(&address) {
                        *count = count.saturating_sub(1);
                    }
                }
                keep
            });
            by_address.retain(|_, count| *count > 0);
        }
        streams.retain(|_, s| !s.sessions.is_empty());
        changed
    }

    /// Forgets a stream's sessions (deleted).
    pub fn forget(&self, stream: &StreamId) {
        self.streams
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(stream);
    }
}

fn count_viewers(sessions: &StreamSessions, now: Instant) -> u32 {
    let live = sessions
        .sessions
        .values()
        .filter(|s| !s.ended && now.saturating_duration_since(s.last_beacon) < VIEWER_TIMEOUT)
        .count();
    u32::try_from(live).unwrap_or(u32::MAX)
}

/// A beacon into its session's row: totals only grow, the last report's figures replace the old ones.
fn merge(row: &mut SessionRow, beacon: &PlaybackBeacon, country: Option<String>, unix: i64) {
    row.last_seen = row.last_seen.max(unix);
    if country.is_some() {
        row.country = country;
    }
    row.watch_ms = row.watch_ms.max(beacon.played_ms.min(MAX_MS));
    if let Some(first_frame) = beacon.first_frame_ms {
        row.first_frame_ms
            .get_or_insert(first_frame.min(MAX_MS as u32));
    }
    row.rebuffers = row.rebuffers.max(beacon.rebuffers);
    row.rebuffer_ms = row.rebuffer_ms.max(beacon.rebuffer_ms.min(MAX_MS));
    row.switches = row.switches.max(beacon.switches);
    row.errors = row.errors.max(beacon.errors);
    if beacon.br.is_some() {
        row.bitrate_kbps = beacon.br;
    }
    if let Some(latency) = beacon.latency_ms {
        row.latency_ms = Some(latency.min(MAX_MS as u32));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn id() -> StreamId {
        StreamId::parse("abcdefghij").unwrap()
    }

    fn beacon(sid: &str) -> PlaybackBeacon {
        PlaybackBeacon {
            sid: sid.into(),
            ..PlaybackBeacon::default()
        }
    }

    #[test]
    fn viewers_come_and_go() {
        let audience = Audience::default();
        let t0 = Instant::now();
        audience
            .record(
                &id(),
                &beacon("session-a"),
                (None, Some("GB".into())),
                t0,
                100,
            )
            .unwrap();
        audience
            .record(&id(), &beacon("session-b"), (None, None), t0, 100)
            .unwrap();
        audience
            .record(&id(), &beacon("session-a"), (None, None), t0, 101)
            .unwrap();
        assert_eq!(audience.viewers(&id(), t0), 2);
        // b ends; a goes silent.
        let ended = PlaybackBeacon {
            ended: true,
            ..beacon("session-b")
        };
        audience
            .record(&id(), &ended, (None, None), t0, 102)
            .unwrap();
        assert_eq!(audience.viewers(&id(), t0), 1);
        assert_eq!(audience.viewers(&id(), t0 + VIEWER_TIMEOUT), 0);
        let changed = audience.take_changed(t0);
        assert_eq!(changed.len(), 2);
        let a = changed
            .iter()
            .find(|r| r.session_id == "session-a")
            .unwrap();
        assert_eq!(
            (a.country.as_deref(), a.first_seen, a.last_seen),
            (Some("GB"), 100, 101)
        );
        assert!(
            audience.take_changed(t0).is_empty(),
            "nothing changed since"
        );
        audience.take_changed(t0 + Duration::from_secs(600));
        assert_eq!(audience.all_viewers(t0), []);
    }

    #[test]
    fn totals_only_grow() {
        let audience = Audience::default();
        let t0 = Instant::now();
        let later = PlaybackBeacon {
            played_ms: 9000,
            rebuffers: 2,
            first_frame_ms: Some(800),
            br: Some(2500),
            ..beacon("session-a")
        };
        let stale = PlaybackBeacon {
            played_ms: 4000,
            rebuffers: 1,
            first_frame_ms: Some(5000),
            ..beacon("session-a")
        };
        audience
            .record(&id(), &later, (None, None), t0, 100)
            .unwrap();
        audience
            .record(&id(), &stale, (None, None), t0, 100)
            .unwrap();
        let row = audience.take_changed(t0).remove(0);
        assert_eq!(
            (
                row.watch_ms,
                row.rebuffers,
                row.first_frame_ms,
                row.bitrate_kbps
            ),
            (9000, 2, Some(800), Some(2500))
        );
    }

    #[test]
    fn bad_and_too_many_sessions() {
        let audience = Audience::default();
        let t0 = Instant::now();
        for sid in ["short", "has space in it", &"x".repeat(65)] {
            assert_eq!(
                audience.record(&id(), &beacon(sid), (None, None), t0, 0),
                Err(BeaconRefused::BadSessionId)
            );
        }
        for n in 0..MAX_SESSIONS_PER_STREAM {
            audience
                .record(&id(), &beacon(&format!("session-{n}")), (None, None), t0, 0)
                .unwrap();
        }
        assert_eq!(
            audience.record(&id(), &beacon("session-new"), (None, None), t0, 0),
            Err(BeaconRefused::TooManySessions)
        );
        // A known session still reports.
        let one = Audience::default();
        let address: IpAddr = "203.0.113.5".parse().unwrap();
        for n in 0..MAX_SESSIONS_PER_ADDRESS {
            one.record(
                &id(),
                &beacon(&format!("session-{n}")),
                (Some(address), None),
                t0,
                0,
            )
            .unwrap();
        }
        assert_eq!(
            one.record(&id(), &beacon("session-x"), (Some(address), None), t0, 0),
            Err(BeaconRefused::TooManySessions),
            "one address cannot invent sessions without end"
        );
        let elsewhere: IpAddr = "198.51.100.5".parse().unwrap();
        assert!(one
            .record(&id(), &beacon("session-x"), (Some(elsewhere), None), t0, 0)
            .is_ok());
        assert!(audience
            .record(&id(), &beacon("session-7"), (None, None), t0, 0)
            .is_ok());
    }
}
