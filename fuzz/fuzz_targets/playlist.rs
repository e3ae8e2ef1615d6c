//! Any bytes given to the playlist parsers: OnAir's media playlist model (low-latency tags included),
//! m3u8-rs underneath it, and OnAir's multivariant playlist model (variants and audio renditions). An
//! error or a playlist, never a panic; what parses renders and parses again.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onair_media::{MediaPlaylist, MultivariantPlaylist};

fuzz_target!(|data: &[u8]| {
    let _ = onair_media::m3u8_rs::parse_playlist_res(data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(p) = MediaPlaylist::parse(text) {
            let _ = MediaPlaylist::parse(&p.render());
        }
        if let Ok(m) = MultivariantPlaylist::parse(text) {
            let _ = MultivariantPlaylist::parse(&m.render());
        }
    }
});
