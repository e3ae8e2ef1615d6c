//! ISOBMFF bytes box by box: the top-level boxes (which tell an init segment, a segment and a whole
//! fragmented file apart), a whole fragmented MP4 file cut into its fragments, and its `mfra` read.
//! Pure and bounded: bytes in, offsets and values out; nothing is allocated from a size field. The
//! walker demuxes each fragment with `onair_media::parse_segment_at`.

use std::ops::Range;

/// Most top-level boxes a file may have (a fragmented file has two or three per fragment).
pub const MAX_BOXES: usize = 100_000;
/// Most `mfra` entries read.
pub const MAX_MFRA_ENTRIES: usize = 100_000;

/// One top-level box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopBox {
    /// Its type.
    pub fourcc: [u8; 4],
    /// Offset of its first byte.
    pub start: usize,
    /// Offset of its body's first byte (after the 8 or 16 bytes of its header).
    pub body: usize,
    /// Offset one past its last byte.
    pub end: usize,
}

/// Where the bytes stopped making boxes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// Offset of the first byte that is not part of a whole box.
    pub at: usize,
    /// The type in the header found there, when there is a printable one.
    pub fourcc: Option<[u8; 4]>,
    /// Why, for people.
    pub reason: String,
}

/// The top-level boxes of some bytes, in order, as far as they hold together.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scan {
    /// The whole boxes.
    pub boxes: Vec<TopBox>,
    /// What follows the last whole box, when that is not the end of the bytes.
    pub broken: Option<Broken>,
}

/// `fourcc` for people: printable characters, `?` for the rest.
pub fn fourcc_text(fourcc: &[u8; 4]) -> String {
    fourcc
        .iter()
        .map(|&b| if is_fourcc_byte(b) { b as char } else { '?' })
        .collect()
}

fn is_fourcc_byte(b: u8) -> bool {
    b.is_ascii_graphic() || b == b' '
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let word = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(<[u8; 4]>::try_from(word).ok()?))
}

fn be_u64(bytes: &[u8], at: usize) -> Option<u64> {
    let word = bytes.get(at..at.checked_add(8)?)?;
    Some(u64::from_be_bytes(<[u8; 8]>::try_from(word).ok()?))
}

/// The top-level boxes of `bytes` (which start at offset `base` of the file: offsets are the file's), at
/// most `max` of them.
pub fn scan(bytes: &[u8], base: usize, max: usize) -> Scan {
    let mut out = Scan::default();
    let mut at = 0usize;
    while at < bytes.len() {
        let broken = |fourcc, reason: String| Broken {
            at: base + at,
            fourcc,
            reason,
        };
        if out.boxes.len() == max {
            out.broken = Some(broken(None, format!("more than {max} boxes")));
            break;
        }
        let rest = bytes.len() - at;
        let (Some(size), Some(fourcc)) = (
            be_u32(bytes, at),
            bytes
                .get(at + 4..at + 8)
                .and_then(|f| <[u8; 4]>::try_from(f).ok()),
        ) else {
            out.broken = Some(broken(
                None,
                format!("{rest} bytes left, too few for a box header"),
            ));
            break;
        };
        if !fourcc.iter().all(|&b| is_fourcc_byte(b)) {
            out.broken = Some(broken(
                None,
                format!("no box type in the header (bytes {fourcc:02x?})"),
            ));
            break;
        }
        let (size, header) = match size {
            0 => (rest as u64, 8),
            1 => match be_u64(bytes, at + 8) {
                Some(large) => (large, 16),
                None => {
                    out.broken = Some(broken(
                        Some(fourcc),
                        format!(
                            "box '{}' has a 64-bit size but only {rest} bytes are left",
                            fourcc_text(&fourcc)
                        ),
                    ));
                    break;
                }
            },
            n => (u64::from(n), 8),
        };
        if size < header {
            out.broken = Some(broken(
                Some(fourcc),
                format!(
                    "box '{}' declares {size} bytes, less than its header",
                    fourcc_text(&fourcc)
                ),
            ));
            break;
        }
        let Some(size) = usize::try_from(size).ok().filter(|&s| s <= rest) else {
            out.broken = Some(broken(
                Some(fourcc),
                format!(
                    "box '{}' declares {size} bytes, {rest} are left",
                    fourcc_text(&fourcc)
                ),
            ));
            break;
        };
        out.boxes.push(TopBox {
            fourcc,
            start: base + at,
            body: base + at + header as usize,
            end: base + at + size,
        });
        at += size;
    }
    out
}

/// A whole fragmented MP4 file cut into its parts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Layout {
    /// Every fragment in order: a `moof` and the `mdat` after it, with the `styp`, `sidx`, `prft` and
    /// `emsg` boxes just before the `moof`. A broken end of the file that holds (or may hold) a fragment
    /// is the last fragment, so that demuxing it names what is wrong.
    pub fragments: Vec<Range<usize>>,
    /// Where every `moof` starts.
    pub moofs: Vec<usize>,
    /// `mdat`s with no `moof` before them: media the `moov`'s sample tables describe, not fragments.
    pub loose_mdats: Vec<Range<usize>>,
    /// The movie fragment random access box.
    pub mfra: Option<TopBox>,
    /// Bytes after the last whole box that belong to no fragment.
    pub broken: Option<Broken>,
}

/// Boxes that belong to the fragment whose `moof` follows them.
fn leads_a_fragment(fourcc: &[u8; 4]) -> bool {
    matches!(fourcc, b"styp" | b"sidx" | b"prft" | b"emsg")
}

impl Layout {
    /// The layout of `bytes`, a whole file.
    pub fn of(bytes: &[u8]) -> Layout {
        let scan = scan(bytes, 0, MAX_BOXES);
        let mut layout = Layout::default();
        // The first box of the run that leads the next moof, and the start of a fragment whose moof has
        // no mdat yet.
        let mut lead: Option<usize> = None;
        let mut open: Option<usize> = None;
        for b in &scan.boxes {
            match &b.fourcc {
                f if leads_a_fragment(f) => {
                    if open.is_none() {
                        lead.get_or_insert(b.start);
                    }
                }
                b"moof" => {
                    if let Some(start) = open.take() {
                        // A moof without its mdat: demuxing it says so.
                        layout.fragments.push(start..b.start);
                    }
                    open = Some(lead.take().unwrap_or(b.start));
                    layout.moofs.push(b.start);
                }
                b"mdat" => {
                    match open.take() {
                        Some(start) => layout.fragments.push(start..b.end),
                        None => layout.loose_mdats.push(b.start..b.end),
                    }
                    lead = None;
                }
                b"mfra" => {
                    if let Some(start) = open.take() {
                        layout.fragments.push(start..b.start);
                    }
                    layout.mfra = Some(*b);
                    lead = None;
                }
                // Other boxes inside an open fragment stay in it (the demuxer decides); between fragments
                // they end a leading run.
                _ => {
                    if open.is_none() {
                        lead = None;
                    }
                }
            }
        }
        match scan.broken {
            Some(broken) => {
                let fragment_box = broken
                    .fourcc
                    .is_some_and(|f| &f == b"moof" || &f == b"mdat" || leads_a_fragment(&f));
                match open.or(lead) {
                    Some(start) => layout.fragments.push(start..bytes.len()),
                    None if fragment_box => layout.fragments.push(broken.at..bytes.len()),
                    None => layout.broken = Some(broken),
                }
            }
            None => {
                if let Some(start) = open {
                    layout.fragments.push(start..bytes.len());
                }
            }
        }
        layout
    }
}

/// One entry of a `tfra`: a random access point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MfraEntry {
    /// The track (`tfra` `track_ID`).
    pub track_id: u32,
    /// Presentation time of the sample, in the track's timescale.
    pub time: u64,
    /// Offset of the `moof` that holds it, from the start of the file.
    pub moof_offset: u64,
}

/// A movie fragment random access box (`mfra`: `tfra` boxes and an `mfro`), read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mfra {
    /// Every `tfra` entry in order (at most [`MAX_MFRA_ENTRIES`]).
    pub entries: Vec<MfraEntry>,
    /// The `mfro` size field: the size of the enclosing `mfra`.
    pub mfro_size: Option<u32>,
}

/// Reads the `mfra` at `range` of `bytes`; an error names the box and its byte offset.
pub fn read_mfra(bytes: &[u8], mfra: &TopBox) -> Result<Mfra, String> {
    let body = bytes.get(mfra.body..mfra.end).unwrap_or_default();
    let children = scan(body, mfra.body, MAX_BOXES);
    if let Some(broken) = children.broken {
        return Err(format!(
            "in 'mfra' at byte {}: {}",
            broken.at, broken.reason
        ));
    }
    let mut mfra = Mfra::default();
    for child in &children.boxes {
        let child_body = bytes.get(child.body..child.end).unwrap_or_default();
        let short = |field: &str| {
            format!(
                "box '{}' at byte {} ends before its field '{field}'",
                fourcc_text(&child.fourcc),
                child.start
            )
        };
        match &child.fourcc {
            b"tfra" => read_tfra(child_body, &mut mfra.entries, &short, child.start)?,
            b"mfro" => mfra.mfro_size = Some(be_u32(child_body, 4).ok_or_else(|| short("size"))?),
            _ => {}
        }
    }
    Ok(mfra)
}

/// A `tfra` body (ISO/IEC 14496-12 8.8.10): version and flags, track, field sizes, entries.
fn read_tfra(
    body: &[u8],
    entries: &mut Vec<MfraEntry>,
    short: &dyn Fn(&str) -> String,
    start: usize,
) -> Result<(), String> {
    let version = *body.first().ok_or_else(|| short("version"))?;
    let track_id = be_u32(body, 4).ok_or_else(|| short("track_ID"))?;
    let sizes = be_u32(body, 8).ok_or_else(|| short("length_size_of_traf_num"))?;
    let count = be_u32(body, 12).ok_or_else(|| short("number_of_entry"))?;
    let wide = if version == 1 { 8 } else { 4 };
    // traf_number, trun_number and sample_number: 1 to 4 bytes each.
    let numbers: usize = [4, 2, 0]
        .iter()
        .map(|shift| ((sizes >> shift) & 3) as usize + 1)
        .sum();
    let entry_len = 2 * wide + numbers;
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let available = body.len().saturating_sub(16);
    if count.saturating_mul(entry_len) > available {
        return Err(format!(
            "'tfra' at byte {start}: {count} entries of {entry_len} bytes need {} bytes, {available} remain",
            count.saturating_mul(entry_len)
        ));
    }
    if entries.len().saturating_add(count) > MAX_MFRA_ENTRIES {
        return Err(format!(
            "'tfra' at byte {start}: more than {MAX_MFRA_ENTRIES} random access entries"
        ));
    }
    let read = |at: usize| {
        if wide == 8 {
            be_u64(body, at)
        } else {
            be_u32(body, at).map(u64::from)
        }
    };
    for i in 0..count {
        let at = 16 + i * entry_len;
        let (Some(time), Some(moof_offset)) = (read(at), read(at + wide)) else {
            return Err(short("moof_offset"));
        };
        entries.push(MfraEntry {
            track_id,
            time,
            moof_offset,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A box of this type around this body.
    fn boxed(fourcc: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(body.len() + 8)
            .expect("small")
            .to_be_bytes()
            .to_vec();
        out.extend_from_slice(fourcc);
        out.extend_from_slice(body);
        out
    }

    fn file(boxes: &[(&[u8; 4], usize)]) -> Vec<u8> {
        boxes
            .iter()
            .flat_map(|(f, len)| boxed(f, &vec![0; *len]))
            .collect()
    }

    #[test]
    fn scans_stop_where_boxes_stop() {
        let bytes = file(&[(b"ftyp", 8), (b"moov", 0)]);
        let whole = scan(&bytes, 100, MAX_BOXES);
        assert_eq!(
            whole.boxes,
            vec![
                TopBox {
                    fourcc: *b"ftyp",
                    start: 100,
                    body: 108,
                    end: 116
                },
                TopBox {
                    fourcc: *b"moov",
                    start: 116,
                    body: 124,
                    end: 124
                }
            ]
        );
        assert_eq!(whole.broken, None);
        let cut = scan(&bytes[..20], 0, MAX_BOXES);
        assert_eq!(cut.boxes.len(), 1);
        let broken = cut.broken.expect("broken");
        assert_eq!((broken.at, broken.fourcc), (16, None));
        let mut lying = bytes.clone();
        lying[16..20].copy_from_slice(&9u32.to_be_bytes());
        let broken = scan(&lying, 0, MAX_BOXES).broken.expect("broken");
        assert_eq!(broken.fourcc, Some(*b"moov"));
        assert!(
            broken.reason.contains("declares 9 bytes, 8 are left"),
            "{}",
            broken.reason
        );
        assert_eq!(scan(&bytes, 0, 1).boxes.len(), 1);
    }

    #[test]
    fn a_file_is_cut_into_its_fragments() {
        let bytes = file(&[
            (b"ftyp", 8),
            (b"moov", 8),
            (b"mdat", 4),
            (b"prft", 4),
            (b"moof", 8),
            (b"mdat", 8),
            (b"free", 0),
            (b"moof", 8),
            (b"mdat", 8),
            (b"mfra", 0),
        ]);
        let layout = Layout::of(&bytes);
        assert_eq!(layout.loose_mdats, vec![32..44]);
        assert_eq!(layout.fragments, vec![44..88, 96..128]);
        assert_eq!(layout.moofs, vec![56, 96]);
        assert_eq!(layout.mfra.map(|b| b.start..b.end), Some(128..136));
        assert_eq!(layout.broken, None);

        // Truncated in the last mdat: the last fragment runs to the end, for the demuxer to name.
        let cut = Layout::of(&bytes[..120]);
        assert_eq!(cut.fragments, vec![44..88, 96..120]);
        // A moof without its mdat, then another fragment.
        let lonely = file(&[(b"moov", 0), (b"moof", 8), (b"moof", 8), (b"mdat", 0)]);
        assert_eq!(Layout::of(&lonely).fragments, vec![8..24, 24..48]);
        // Garbage after the last fragment belongs to none.
        let mut tail = file(&[(b"moov", 0), (b"moof", 0), (b"mdat", 0)]);
        tail.extend_from_slice(&[0xff; 5]);
        let layout = Layout::of(&tail);
        assert_eq!(layout.fragments, vec![8..24]);
        assert_eq!(layout.broken.map(|b| b.at), Some(24));
    }

    fn tfra(version: u8, track_id: u32, entries: &[(u64, u64)]) -> Vec<u8> {
        let mut body = vec![version, 0, 0, 0];
        body.extend_from_slice(&track_id.to_be_bytes());
        body.extend_from_slice(&0u32.to_be_bytes()); // 1-byte traf, trun and sample numbers
        body.extend_from_slice(&u32::try_from(entries.len()).expect("few").to_be_bytes());
        for &(time, offset) in entries {
            if version == 1 {
                body.extend_from_slice(&time.to_be_bytes());
                body.extend_from_slice(&offset.to_be_bytes());
            } else {
                body.extend_from_slice(&u32::try_from(time).expect("small").to_be_bytes());
                body.extend_from_slice(&u32::try_from(offset).expect("small").to_be_bytes());
            }
            body.extend_from_slice(&[1, 1, 1]);
        }
        boxed(b"tfra", &body)
    }

    #[test]
    fn mfra_entries_are_read_and_bounded() {
        let mut body = tfra(1, 1, &[(0, 40), (24_000, 900)]);
        body.extend(tfra(0, 2, &[(0, 40)]));
        body.extend(boxed(b"mfro", &[0, 0, 0, 0, 0, 0, 0, 99]));
        let mut bytes = boxed(b"free", &[0; 2]);
        bytes.extend(boxed(b"mfra", &body));
        let whole = |bytes: &[u8]| scan(bytes, 0, 2).boxes.last().copied().expect("mfra");
        let mfra = read_mfra(&bytes, &whole(&bytes)).expect("reads");
        let offsets: Vec<(u32, u64)> = mfra
            .entries
            .iter()
            .map(|e| (e.track_id, e.moof_offset))
            .collect();
        assert_eq!(offsets, vec![(1, 40), (1, 900), (2, 40)]);
        assert_eq!(mfra.entries[1].time, 24_000);
        assert_eq!(mfra.mfro_size, Some(99));

        // An entry count the box cannot hold is refused before reading.
        let mut lying = tfra(0, 1, &[(0, 40)]);
        lying[20..24].copy_from_slice(&u32::MAX.to_be_bytes());
        let lying = boxed(b"mfra", &lying);
        let err = read_mfra(&lying, &whole(&lying)).expect_err("refused");
        assert!(err.contains("'tfra' at byte 8"), "{err}");
        // Every truncation is an error or a shorter read, never a panic.
        let mfra = whole(&bytes);
        for len in 0..bytes.len() {
            let _ = read_mfra(&bytes[..len], &mfra);
        }
    }
}
