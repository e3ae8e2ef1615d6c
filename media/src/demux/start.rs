//! A media segment's start time read from its first `moof` alone (`tfhd` track ids and `tfdt`s), without
//! reading its samples: what a player needs at a discontinuity, cheaply (the full
//! [`super::parse_segment`] is several kilobytes of a player's wasm bundle more).

use super::reader::{find, Boxes, Fields};
use crate::InitSegment;

/// The first fragment's decode time, in seconds, of the video track (else of the first track
/// fragment): the same time as [`super::MediaSegment::start_secs`]. `None` when there is no `moof`,
/// a box is malformed or the track is not in `init`.
pub fn segment_start_secs(init: &InitSegment, data: &[u8]) -> Option<f64> {
    let moof = Boxes::new(data, 0)
        .map_while(Result::ok)
        .find(|b| b.is(b"moof"))?;
    let video = init.video().map(|v| v.id);
    let mut first = None;
    for traf in Boxes::new(moof.body, moof.body_start).map_while(Result::ok) {
        if !traf.is(b"traf") {
            continue;
        }
        let tfhd = find(&traf, b"tfhd").ok()??;
        let mut f = Fields::new(&tfhd, "tfhd");
        f.version_flags().ok()?;
        let track_id = f.u32("track_ID").ok()?;
        let tfdt = find(&traf, b"tfdt").ok()??;
        let mut f = Fields::new(&tfdt, "tfdt");
        let time = match f.version_flags().ok()?.0 {
            1 => f.u64("baseMediaDecodeTime").ok()?,
            _ => u64::from(f.u32("baseMediaDecodeTime").ok()?),
        };
        if video == Some(track_id) {
            first = Some((track_id, time));
            break;
        }
        first.get_or_insert((track_id, time));
    }
    let (track_id, time) = first?;
    let timescale = init.track(track_id)?.timescale;
    Some(time as f64 / f64::from(timescale))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demux::{parse_init, parse_segment, Limits};
    use crate::testing::{audio_fragment, av_init_bytes, av_segment, fragment, video_fragment};

    #[test]
    fn agrees_with_the_full_parse() {
        let init = parse_init(&av_init_bytes()).unwrap();
        let audio_first = fragment(0, &[audio_fragment(48_000), video_fragment(180_000, true)]);
        for data in [av_segment(0), av_segment(3), audio_first.clone()] {
            let full = parse_segment(&init, &data, &Limits::default()).unwrap();
            assert_eq!(
                segment_start_secs(&init, &data),
                Some(full.start_secs(&init))
            );
        }
        // The video track's time, though its traf comes second.
        assert_eq!(segment_start_secs(&init, &audio_first), Some(2.0));
    }

    #[test]
    fn nothing_from_what_is_not_a_whole_fragment_header() {
        let init = parse_init(&av_init_bytes()).unwrap();
        assert_eq!(segment_start_secs(&init, b""), None);
        assert_eq!(segment_start_secs(&init, b"\0\0\0\x08mdat"), None);
        let data = av_segment(1);
        for cut in 0..64.min(data.len()) {
            assert_eq!(
                segment_start_secs(&init, &data[..cut]),
                None,
                "cut at {cut}"
            );
        }
    }
}
