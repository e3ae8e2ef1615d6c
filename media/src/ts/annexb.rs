//! H.264 and H.265 byte streams (ITU-T H.264 Annex B, H.265 Annex B): NAL units behind start codes, and
//! the emulation prevention bytes removed to read their syntax.
//!
//! "start_code_prefix_one_3bytes is a fixed-value sequence of 3 bytes equal to 0x000001 ... zero_byte ...
//! trailing_zero_8bits" (B.1.1); "emulation_prevention_three_byte is a byte equal to 0x03. When an
//! emulation_prevention_three_byte is present in the NAL unit, it shall be discarded by the decoding
//! process" (7.4.1).

/// The NAL units of an Annex B byte stream, without start codes or trailing zero bytes. Bytes before the
/// first start code are ignored.
pub(crate) fn nal_units(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut pos = find_start_code(data, 0).map(|(_, end)| end);
    std::iter::from_fn(move || {
        let start = pos?;
        let (nal_end, next) = match find_start_code(data, start) {
            Some((code_start, code_end)) => (code_start, Some(code_end)),
            None => (data.len(), None),
        };
        pos = next;
        let mut nal = &data[start..nal_end];
        while let [rest @ .., 0] = nal {
            nal = rest;
        }
        Some(nal)
    })
    .filter(|nal| !nal.is_empty())
}

/// The next `00 00 01` at or after `from`: (its first byte, the byte after it).
fn find_start_code(data: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut i = from;
    while i + 3 <= data.len() {
        // Skip ahead by what the byte at i + 2 allows: a start code needs a 1 there, and zeros before it.
        match data[i + 2] {
            1 if data[i] == 0 && data[i + 1] == 0 => return Some((i, i + 3)),
            0 => i += 1,
            _ => i += 3,
        }
    }
    None
}

/// The RBSP of a NAL unit: its bytes with every emulation_prevention_three_byte (a 0x03 after two zero
/// bytes) removed.
pub(crate) fn unescape(nal: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &b in nal {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_three_and_four_byte_start_codes() {
        let stream = [
            0xff, 0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 0, 1, 0x68, 3, 0, 0, 1,
            0x65, 0, 0, 3, 1, 0,
        ];
        let nals: Vec<&[u8]> = nal_units(&stream).collect();
        assert_eq!(
            nals,
            vec![
                &[0x09, 0xf0][..],
                &[0x67, 1, 2],
                &[0x68, 3],
                &[0x65, 0, 0, 3, 1]
            ]
        );
        assert_eq!(nal_units(&[1, 2, 3]).count(), 0);
        assert_eq!(nal_units(&[0, 0, 1]).count(), 0);
    }

    #[test]
    fn removes_emulation_prevention_bytes() {
        assert_eq!(
            unescape(&[0x67, 0, 0, 3, 1, 0, 0, 3, 0, 0, 3]),
            vec![0x67, 0, 0, 1, 0, 0, 0, 0]
        );
        assert_eq!(unescape(&[0, 3, 0, 3]), vec![0, 3, 0, 3]);
    }
}
