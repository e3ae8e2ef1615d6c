//! Transmuxes MPEG-TS segments into one fragmented MP4 (init segment, then a fragment per segment, a new
//! init wherever the configuration changes), printing what it wrote and every warning:
//! `cargo run --release -p onair-media --example ts_to_fmp4 -- OUT.mp4 SEGMENT.ts [SEGMENT.ts ...]`.

use onair_media::{CmafChunk, TsTransmuxer};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((out_path, inputs)) = args.split_first().filter(|(_, i)| !i.is_empty()) else {
        eprintln!("usage: ts_to_fmp4 OUT.mp4 SEGMENT.ts [SEGMENT.ts ...]");
        std::process::exit(2);
    };
    let mut transmuxer = TsTransmuxer::new();
    let mut out = Vec::new();
    for input in inputs {
        let ts = std::fs::read(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        let result = transmuxer
            .push_segment(&ts)
            .unwrap_or_else(|e| panic!("{input}: {e}"));
        for w in &result.warnings {
            eprintln!("{input}: warning: {w}");
        }
        for chunk in result.chunks {
            match chunk {
                CmafChunk::Init { init, bytes } => {
                    eprintln!("{input}: init {} ({} bytes)", init.codecs(), bytes.len());
                    out.extend(bytes);
                }
                CmafChunk::Fragment {
                    sequence_number,
                    tracks,
                    bytes,
                } => {
                    eprintln!(
                        "{input}: fragment {sequence_number} ({} bytes) {tracks:?}",
                        bytes.len()
                    );
                    out.extend(bytes);
                }
            }
        }
    }
    std::fs::write(out_path, out).unwrap_or_else(|e| panic!("{out_path}: {e}"));
}
