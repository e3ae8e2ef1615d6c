//! Any bytes given to the TS demuxer and transmuxer, as two segments cut where the first byte says and fed
//! to the demuxer in pieces: never a panic, a hang or a huge allocation, and every init segment and
//! fragment the transmuxer writes reads back with our own CMAF demuxer.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onair_media::ts::{CmafChunk, TsDemuxer, TsEvent, TsTransmuxer};
use onair_media::{parse_init, parse_segment, Limits};

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    let cut = (usize::from(cut) * 188).min(rest.len());
    let mut transmuxer = TsTransmuxer::new();
    let mut init = None;
    for segment in [&rest[..cut], &rest[cut..]] {
        let Ok(out) = transmuxer.push_segment(segment) else {
            continue;
        };
        for chunk in out.chunks {
            match chunk {
                CmafChunk::Init {
                    init: tracks,
                    bytes,
                } => {
                    assert_eq!(parse_init(&bytes).as_ref(), Ok(&tracks));
                    init = Some(tracks);
                }
                CmafChunk::Fragment { bytes, .. } => {
                    let init = init.as_ref().expect("an init segment before any fragment");
                    parse_segment(init, &bytes, &Limits::default())
                        .expect("a fragment that parses");
                }
            }
        }
    }
    // The same bytes in pieces give the same PES as in one piece.
    let whole: Vec<_> = pes_of(TsDemuxer::new().push(rest, true));
    let mut demuxer = TsDemuxer::new();
    let mut events = demuxer.push(&rest[..cut], false);
    events.extend(demuxer.push(&rest[cut..], true));
    assert_eq!(pes_of(events), whole);
});

fn pes_of(events: Vec<TsEvent>) -> Vec<(u16, Option<u64>, Vec<u8>)> {
    events
        .into_iter()
        .filter_map(|e| match e {
            TsEvent::Pes(p) => Some((p.pid, p.pts, p.payload().to_vec())),
            _ => None,
        })
        .collect()
}
