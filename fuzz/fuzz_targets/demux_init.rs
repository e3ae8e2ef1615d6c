//! Any bytes given to the init-segment reader: an error or a track list, never a panic or a hang.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(init) = onair_media::parse_init(data) {
        // What parses must write back and parse to the same tracks.
        if let Ok(bytes) = onair_media::write_init(&init) {
            assert_eq!(onair_media::parse_init(&bytes).ok(), Some(init));
        }
    }
});
