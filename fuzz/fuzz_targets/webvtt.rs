//! Any bytes as a WebVTT subtitle segment: parsing never panics, and every cue it keeps is bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onair_media::webvtt::{parse, MAX_CUES, MAX_CUE_TEXT};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(vtt) = parse(&text) {
        assert!(vtt.cues.len() <= MAX_CUES);
        for cue in &vtt.cues {
            assert!(cue.text.len() <= MAX_CUE_TEXT);
            assert!(cue.start.is_finite() && cue.end.is_finite());
        }
    }
});
