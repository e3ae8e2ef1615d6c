//! What the player tells the page.

pub use crate::engine::LevelInfo;

/// Where playback is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Phase {
    /// Fetching playlists and the init segment.
    #[default]
    Loading,
    /// The stream has no segments yet (the playlist answers 404); retrying.
    Waiting,
    /// Media is playing.
    Playing,
    /// Paused by the viewer.
    Paused,
    /// Waiting for media (buffer ran dry).
    Buffering,
    /// The stream ended and everything was played or appended.
    Ended,
    /// A fatal error; see the detail.
    Failed,
}

impl Phase {
    /// The phase once the playhead moved or a seek ended (`timeupdate`, `seeked`) in phase `current`:
    /// buffering is over when the element plays with enough data (`readyState` at least
    /// `HAVE_FUTURE_DATA`), or has the frame at a paused playhead (`HAVE_CURRENT_DATA`). Firefox does
    /// not always fire `playing` after a `waiting` it fired around a seek or an append.
    pub fn after_time_update(current: Phase, paused: bool, ready_state: u16) -> Option<Phase> {
        const HAVE_CURRENT_DATA: u16 = 2;
        const HAVE_FUTURE_DATA: u16 = 3;
        if current != Phase::Buffering {
            return None;
        }
        match paused {
            false => (ready_state >= HAVE_FUTURE_DATA).then_some(Phase::Playing),
            true => (ready_state >= HAVE_CURRENT_DATA).then_some(Phase::Paused),
        }
    }
}

/// A status update.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlayerStatus {
    /// Phase.
    pub phase: Phase,
    /// Extra text: the error for `Failed`, the reason for `Waiting`.
    pub detail: Option<String>,
    /// Autoplay with sound was refused, so the player muted itself: show an unmute control.
    pub autoplay_muted: bool,
    /// Media segments appended so far.
    pub segments_appended: u64,
    /// The codecs string in use, once known.
    pub codecs: Option<String>,
    /// The levels (variants), once the multivariant playlist is read.
    pub levels: Vec<LevelInfo>,
    /// The level loading now.
    pub level: Option<usize>,
    /// Seconds behind the live edge, while live.
    pub latency_secs: Option<f64>,
    /// The latency controller's target, seconds.
    pub latency_target_secs: Option<f64>,
    /// `playbackRate` as the latency controller set it.
    pub playback_rate: f64,
    /// While live: the window a viewer may seek in (DVR), element seconds from the first listed
    /// segment to the live edge.
    pub live_window: Option<(f64, f64)>,
}

impl std::fmt::Display for PlayerStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self.phase {
            Phase::Loading => "Loading",
            Phase::Waiting => "Waiting for the stream to start",
            Phase::Playing => "Playing",
            Phase::Paused => "Paused",
            Phase::Buffering => "Buffering",
            Phase::Ended => "Stream ended",
            Phase::Failed => "Error",
        };
        f.write_str(text)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        if self.autoplay_muted && self.phase == Phase::Playing {
            f.write_str(" (muted)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffering_ends_when_the_playhead_moves_with_data() {
        assert_eq!(
            Phase::after_time_update(Phase::Buffering, false, 4),
            Some(Phase::Playing)
        );
        assert_eq!(Phase::after_time_update(Phase::Buffering, false, 2), None);
        assert_eq!(
            Phase::after_time_update(Phase::Buffering, true, 2),
            Some(Phase::Paused)
        );
        assert_eq!(Phase::after_time_update(Phase::Buffering, true, 1), None);
        assert_eq!(Phase::after_time_update(Phase::Paused, false, 4), None);
    }

    #[test]
    fn display() {
        let mut s = PlayerStatus::default();
        assert_eq!(s.to_string(), "Loading");
        s.phase = Phase::Playing;
        s.autoplay_muted = true;
        assert_eq!(s.to_string(), "Playing (muted)");
        s.phase = Phase::Failed;
        s.detail = Some("HTTP 500 for x".into());
        assert_eq!(s.to_string(), "Error: HTTP 500 for x");
    }
}
