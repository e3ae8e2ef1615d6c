//! Playlists as the player reads them: [`media`] (segments, parts, preload hints, server control,
//! rendition reports, delta updates merged), [`multivariant`] (levels and their audio rendition), and
//! [`reload`] (blocking reload URLs and RFC 8216 timing). Parsing itself is the media crate's
//! ([`onair_media::playlist`]), shared with the origin that writes them.

pub mod media;
pub mod multivariant;
pub mod reload;

pub use media::{FragmentRef, HintRef, KeyRef, MediaView, PartRef, Position, Report, SegmentRef};
pub use multivariant::{parse_manifest, AudioTrack, Level, Manifest, SubtitleInfo};
pub use reload::{blocking_timeout_ms, reload_delay_ms, reload_url, report_url};

#[cfg(test)]
mod tests;
