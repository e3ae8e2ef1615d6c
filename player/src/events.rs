//! The events a page hears from the player: what the JS API's `on(name, …)` delivers and the embed
//! page posts to its parent, named as hls.js names the like ones. They are made here, from the
//! engine's notices and the element's phase changes, so every page that embeds the player hears the
//! same events.

use crate::engine::{LevelInfo, Notice};
use crate::error::ErrorKind;
use crate::status::Phase;

/// One event for the page.
#[derive(Debug, Clone, PartialEq)]
pub enum PlayerEvent {
    /// The levels (variants) are known.
    Levels(Vec<LevelInfo>),
    /// Loading switched to level `level` (an index into the levels).
    LevelSwitched {
        /// The level now loading.
        level: usize,
    },
    /// Where playback is against the live edge (about once a second while live).
    Latency {
        /// Seconds behind the live edge.
        latency: f64,
        /// The latency controller's target, seconds.
        target: f64,
        /// `playbackRate`.
        rate: f64,
    },
    /// Media plays (first frame, after a stall, after a pause).
    Playing,
    /// Playback waits for media.
    Waiting,
    /// The viewer paused.
    Paused,
    /// Something went wrong: `fatal` means playback stopped for good, else the player recovers.
    Error {
        /// What kind of trouble.
        kind: ErrorKind,
        /// What happened, for a person.
        message: String,
        /// Whether playback stopped for good.
        fatal: bool,
    },
    /// The stream ended and everything was played.
    Ended,
}

impl PlayerEvent {
    /// The event's name in the JS API.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Levels(_) => "levels",
            Self::LevelSwitched { .. } => "levelswitched",
            Self::Latency { .. } => "latency",
            Self::Playing => "playing",
            Self::Waiting => "waiting",
            Self::Paused => "paused",
            Self::Error { .. } => "error",
            Self::Ended => "ended",
        }
    }

    /// The event an engine notice makes, if any (appends, start and waiting for the stream are the
    /// status's business, not events).
    pub fn from_notice(notice: &Notice) -> Option<Self> {
        Some(match notice {
            Notice::Levels(levels) => Self::Levels(levels.clone()),
            Notice::LevelSwitched { index } => Self::LevelSwitched { level: *index },
            Notice::Latency {
                distance,
                target,
                rate,
                ..
            } => Self::Latency {
                latency: *distance,
                target: *target,
                rate: *rate,
            },
            Notice::Error {
                kind,
                message,
                fatal,
            } => Self::Error {
                kind: *kind,
                message: message.clone(),
                fatal: *fatal,
            },
            Notice::WaitingForStream
            | Notice::Started
            | Notice::Ended
            | Notice::Appended
            | Notice::Beacons(_) => return None,
        })
    }

    /// The event a change of phase makes, if any. A fatal failure is told by its error event.
    pub fn from_phase(before: Phase, after: Phase) -> Option<Self> {
        if before == after {
            return None;
        }
        match after {
            Phase::Playing => Some(Self::Playing),
            Phase::Buffering | Phase::Waiting => Some(Self::Waiting),
            Phase::Paused => Some(Self::Paused),
            Phase::Ended => Some(Self::Ended),
            Phase::Loading | Phase::Failed => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_become_events() {
        let e = PlayerEvent::from_notice(&Notice::LevelSwitched { index: 2 });
        assert_eq!(e, Some(PlayerEvent::LevelSwitched { level: 2 }));
        assert_eq!(e.map(|e| e.name()), Some("levelswitched"));
        let error = PlayerEvent::from_notice(&Notice::Error {
            kind: ErrorKind::Network,
            message: "HTTP 500 for x; retrying".into(),
            fatal: false,
        });
        assert!(matches!(
            error,
            Some(PlayerEvent::Error {
                kind: ErrorKind::Network,
                fatal: false,
                ..
            })
        ));
        assert_eq!(PlayerEvent::from_notice(&Notice::Appended), None);
        assert_eq!(PlayerEvent::from_notice(&Notice::Started), None);
    }

    #[test]
    fn phases_become_events_once() {
        use Phase::*;
        assert_eq!(
            PlayerEvent::from_phase(Loading, Playing),
            Some(PlayerEvent::Playing)
        );
        assert_eq!(PlayerEvent::from_phase(Playing, Playing), None);
        assert_eq!(
            PlayerEvent::from_phase(Playing, Buffering),
            Some(PlayerEvent::Waiting)
        );
        assert_eq!(
            PlayerEvent::from_phase(Playing, Ended),
            Some(PlayerEvent::Ended)
        );
        assert_eq!(PlayerEvent::from_phase(Playing, Failed), None);
        assert_eq!(
            PlayerEvent::from_phase(Playing, Paused).map(|e| e.name()),
            Some("paused")
        );
    }
}
