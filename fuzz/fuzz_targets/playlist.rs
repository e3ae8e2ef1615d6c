//! Any bytes given to the playlist parser the player uses (m3u8-rs, through onair-media's re-export):
//! an error or a playlist, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = onair_media::m3u8_rs::parse_playlist_res(data);
});
