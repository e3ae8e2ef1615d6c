//! The audience: who is watching each stream, counted from the players' own beacons
//! (`POST /api/streams/{id}/beacons`, [`onair_protocol::PlaybackBeacon`]) and never from media requests,
//! which a CDN in front absorbs. A playback is a session (its `sid`); it counts as a viewer while its
//! beacons keep coming ([`VIEWER_TIMEOUT`]) and until it says it ended.
//!
//! Files, one job each: `sessions.rs` (the live sessions in memory, merged beacon by beacon), `report.rs`
//! (the owner's analytics from the stored sessions and samples, pure), `geo.rs` (the viewer's address
//! behind trusted proxies, and its country from an MMDB file), `recorder.rs` (the task that writes
//! sessions and concurrent-viewer samples to the database).

pub mod geo;
pub mod recorder;
pub mod report;
pub mod sessions;

use std::time::Duration;

pub use geo::{Countries, TrustedProxies};
pub use sessions::{Audience, BeaconRefused, SessionRow};

/// A session without a beacon for this long no longer counts as a viewer. Players beacon every
/// [`BEACON_INTERVAL`], so two may be lost.
pub const VIEWER_TIMEOUT: Duration = Duration::from_secs(16);
/// How often a player sends a beacon while it plays (the player crate uses the same figure).
pub const BEACON_INTERVAL: Duration = Duration::from_secs(5);
