//! The MPEG-TS transmuxer in a Web Worker of its own. It owns nothing but the binding: the media
//! crate's [`TsTransmuxer`] turns a segment into CMAF, [`wire`] packs what came of it into
//! one byte array for `postMessage`, and the player (`onair-player`'s `web/transmux.rs`) starts the
//! worker on the first TS segment and unpacks the answers. `js/worker.js` is the worker's message
//! loop; `scripts/build-player.sh` builds both into `onair-transmux.js` and
//! `onair-transmux-<hash>.wasm` beside the player.
//!
//! Kept out of the player's own wasm, which every viewer loads: most streams are fMP4, and this is
//! about an eighth of the player. In a worker, transmuxing a segment never holds up the page.

use onair_media::ts::{wire, TsTransmuxer};

/// One track's transmuxer: its timeline and codec configuration carry across segments.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen::prelude::wasm_bindgen)]
#[derive(Default)]
pub struct Transmuxer {
    inner: TsTransmuxer,
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen::prelude::wasm_bindgen)]
impl Transmuxer {
    /// A transmuxer for a new track (or after a level switch).
    #[cfg_attr(
        target_arch = "wasm32",
        wasm_bindgen::prelude::wasm_bindgen(constructor)
    )]
    pub fn new() -> Transmuxer {
        Transmuxer::default()
    }

    /// The next segment starts a new timeline (`EXT-X-DISCONTINUITY`).
    pub fn discontinuity(&mut self) {
        self.inner.discontinuity();
    }

    /// One whole TS segment in; [`wire::encode`]'s bytes out (its chunks, or why it failed).
    pub fn push(&mut self, segment: &[u8]) -> Vec<u8> {
        wire::encode(&self.inner.push_segment(segment))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onair_media::ts::wire::{decode, WireChunk, WireResult};

    #[test]
    fn a_segment_in_gives_its_init_and_fragments_out() {
        let path = format!(
            "{}/../media/tests/test_data/ts/wrap0.ts",
            env!("CARGO_MANIFEST_DIR")
        );
        let ts = std::fs::read(&path).unwrap();
        let mut t = Transmuxer::new();
        let WireResult::Chunks(chunks) = decode(&t.push(&ts)).unwrap() else {
            panic!("failed")
        };
        assert!(matches!(chunks.first(), Some(WireChunk::Init { .. })));
        assert!(chunks.iter().any(|c| matches!(c, WireChunk::Fragment(_))));
        t.discontinuity();
        assert!(matches!(
            decode(&t.push(b"not ts")).unwrap(),
            WireResult::Failed { not_ts: true, .. }
        ));
    }
}
