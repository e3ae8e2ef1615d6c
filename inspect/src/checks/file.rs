//! Checks on a whole fragmented MP4 file beyond its fragments: bytes that are not boxes, media outside
//! the movie fragments, and the random access box (`mfra`) against the file's `moof`s. Each fragment is
//! checked by the demuxer, and two consecutive ones by [`super::media::check_continuity`].

use crate::file::{Layout, Mfra, TopBox};
use crate::report::{Location, Violation};
use crate::rules;

/// Violations of the file's box layout at `at` (the file).
pub fn check_layout(at: &Location, layout: &Layout) -> Vec<Violation> {
    let mut out = Vec::new();
    for mdat in &layout.loose_mdats {
        out.push(rules::SAMPLES_OUTSIDE_FRAGMENTS.at(
            at.clone().at_byte(mdat.start),
            format!(
                "the 'mdat' at byte {} ({} bytes) follows no 'moof': the 'moov' sample tables describe it, and its samples are not checked",
                mdat.start,
                mdat.len()
            ),
        ));
    }
    if let Some(broken) = &layout.broken {
        out.push(rules::FILE_INVALID.at(
            at.clone().at_byte(broken.at),
            format!("at byte {}: {}", broken.at, broken.reason),
        ));
    }
    out
}

/// Violations of the `mfra` (`mfra_box`, read as `mfra`) of a file whose `moof`s start at `moofs` (in
/// order) and whose `moov` has `tracks`.
pub fn check_mfra(
    at: &Location,
    mfra_box: &TopBox,
    mfra: &Mfra,
    moofs: &[usize],
    tracks: &[u32],
) -> Vec<Violation> {
    let at = at.clone().at_byte(mfra_box.start);
    let mut out = Vec::new();
    let mut track_ids: Vec<u32> = Vec::new();
    for e in &mfra.entries {
        if !track_ids.contains(&e.track_id) {
            track_ids.push(e.track_id);
        }
    }
    for track_id in track_ids {
        let entries: Vec<u64> = mfra
            .entries
            .iter()
            .filter(|e| e.track_id == track_id)
            .map(|e| e.moof_offset)
            .collect();
        if !tracks.contains(&track_id) {
            out.push(rules::MFRA_INVALID.at(
                at.clone(),
                format!("a 'tfra' for track {track_id}, which the 'moov' does not have"),
            ));
        }
        let stray: Vec<u64> = entries
            .iter()
            .copied()
            .filter(|&offset| {
                usize::try_from(offset).map_or(true, |offset| moofs.binary_search(&offset).is_err())
            })
            .collect();
        if let Some(first) = stray.first() {
            out.push(rules::MFRA_INVALID.at(
                at.clone(),
                format!(
                    "{} of the {} 'tfra' entries of track {track_id} point at no 'moof' (the first: moof_offset {first})",
                    stray.len(),
                    entries.len()
                ),
            ));
        }
    }
    let size = mfra_box.end.saturating_sub(mfra_box.start);
    match mfra.mfro_size {
        None => out.push(rules::MFRA_INVALID.at(at, "the 'mfra' has no 'mfro'")),
        Some(said) if usize::try_from(said).ok() != Some(size) => out.push(rules::MFRA_INVALID.at(
            at,
            format!("the 'mfro' gives the 'mfra' {said} bytes, it has {size}"),
        )),
        Some(_) => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::{Broken, MfraEntry};

    fn codes(violations: &[Violation]) -> Vec<&'static str> {
        violations.iter().map(|v| v.code).collect()
    }

    #[test]
    fn layout_table() {
        let at = Location::of("f.mp4");
        assert!(check_layout(&at, &Layout::default()).is_empty());
        let layout = Layout {
            loose_mdats: std::iter::once(40..100).collect(),
            broken: Some(Broken {
                at: 500,
                fourcc: None,
                reason: "3 bytes left, too few for a box header".into(),
            }),
            ..Layout::default()
        };
        let found = check_layout(&at, &layout);
        assert_eq!(codes(&found), ["samples-outside-fragments", "file-invalid"]);
        assert_eq!(found[0].location.byte, Some(40));
        assert!(
            found[0].message.contains("(60 bytes)"),
            "{}",
            found[0].message
        );
        assert_eq!(found[1].location.to_string(), "f.mp4 (byte 500)");
        assert!(found[1].message.contains("too few"), "{}", found[1].message);
    }

    #[test]
    fn mfra_table() {
        let at = Location::of("f.mp4");
        let mfra_box = TopBox {
            fourcc: *b"mfra",
            start: 900,
            body: 908,
            end: 960,
        };
        let entry = |track_id, moof_offset| MfraEntry {
            track_id,
            time: 0,
            moof_offset,
        };
        let moofs = [100, 400, 700];
        let good = Mfra {
            entries: vec![entry(1, 100), entry(1, 700)],
            mfro_size: Some(60),
        };
        assert!(check_mfra(&at, &mfra_box, &good, &moofs, &[1, 2]).is_empty());

        let bad = Mfra {
            entries: vec![
                entry(1, 100),
                entry(1, 101),
                entry(3, 400),
                entry(1, u64::MAX),
            ],
            mfro_size: Some(61),
        };
        let found = check_mfra(&at, &mfra_box, &bad, &moofs, &[1, 2]);
        assert_eq!(codes(&found), ["mfra-invalid"; 3]);
        assert!(
            found[0]
                .message
                .contains("2 of the 3 'tfra' entries of track 1"),
            "{}",
            found[0].message
        );
        assert!(
            found[0].message.contains("moof_offset 101"),
            "{}",
            found[0].message
        );
        assert!(
            found[1]
                .message
                .contains("track 3, which the 'moov' does not have"),
            "{}",
            found[1].message
        );
        assert!(
            found[2].message.contains("61 bytes, it has 60"),
            "{}",
            found[2].message
        );
        assert_eq!(found[2].location.byte, Some(900));
        let no_mfro = Mfra {
            mfro_size: None,
            ..good
        };
        assert_eq!(
            check_mfra(&at, &mfra_box, &no_mfro, &moofs, &[1])[0].message,
            "the 'mfra' has no 'mfro'"
        );
    }
}
