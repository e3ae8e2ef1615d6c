//! Any bytes, in chunks whose sizes the input's first byte picks, given to the fragmented-stream
//! splitter: an error or pieces that together are a prefix of the input, never a panic, a hang or a
//! huge allocation; each piece then goes to the init or segment reader.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onair_media::demux::stream::{Piece, Splitter};
use onair_media::Limits;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, data)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let mut splitter = Splitter::default();
    let mut out = Vec::new();
    let mut init = None;
    let limits = Limits { max_bytes: 1 << 20, max_samples: 10_000 };
    for bytes in data.chunks(chunk) {
        let Ok(pieces) = splitter.push(bytes) else {
            return;
        };
        for piece in pieces {
            match piece {
                Piece::Init(b) => {
                    init = onair_media::parse_init(&b).ok();
                    out.extend(b);
                }
                Piece::Fragment(b) => {
                    if let Some(init) = &init {
                        let _ = onair_media::parse_segment(init, &b, &limits);
                    }
                    out.extend(b);
                }
            }
        }
    }
    assert!(data.starts_with(&out));
});
