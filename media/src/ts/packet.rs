//! Transport stream packets (ISO/IEC 13818-1 2.4.3.2, table 2-2) and their adaptation field (2.4.3.4,
//! table 2-6), and finding them in a byte stream.
//!
//! "sync_byte – The sync_byte is a fixed 8-bit field whose value is '0100 0111' (0x47)." A packet is 188
//! bytes; the framer cuts a byte stream into packets, and when a sync byte is not where the previous packet
//! says it must be, skips to the next offset that has a sync byte with another one 188 bytes later.

/// Bytes in a transport stream packet.
pub const PACKET_SIZE: usize = 188;
/// The first byte of every packet.
pub const SYNC_BYTE: u8 = 0x47;
/// The null packet PID (2.4.3.3: "PID value 0x1FFF is reserved for null packets").
pub const NULL_PID: u16 = 0x1fff;

/// The adaptation field's flags and PCR that the demuxer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AdaptationField {
    /// discontinuity_indicator: "the discontinuity state is true for the current Transport Stream packet"
    /// (the continuity counter or the PCR may jump).
    pub discontinuity: bool,
    /// random_access_indicator: "the current Transport Stream packet, and possibly subsequent ... contain
    /// some information to aid random access at this point" (a keyframe starts here).
    pub random_access: bool,
    /// program_clock_reference in 27 MHz units: "PCR(i) = PCR_base(i) × 300 + PCR_ext(i)" (2.4.2.2).
    pub pcr: Option<u64>,
}

/// One parsed packet, borrowing its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// The 13-bit PID.
    pub pid: u16,
    /// payload_unit_start_indicator: a PES packet or a PSI section starts in this payload.
    pub payload_unit_start: bool,
    /// transport_error_indicator: "at least 1 uncorrectable bit error exists in the associated Transport
    /// Stream packet".
    pub transport_error: bool,
    /// transport_scrambling_control (0: not scrambled).
    pub scrambling: u8,
    /// continuity_counter, 4 bits.
    pub continuity_counter: u8,
    /// True when adaptation_field_control says a payload follows ('01' or '11').
    pub has_payload: bool,
    /// The adaptation field, when there is one.
    pub adaptation: Option<AdaptationField>,
    /// The payload bytes (empty without a payload).
    pub payload: &'a [u8],
}

/// Reads one 188-byte packet.
pub fn parse_packet(p: &[u8; PACKET_SIZE]) -> Result<Packet<'_>, String> {
    if p[0] != SYNC_BYTE {
        return Err(format!("sync byte 0x{:02x}", p[0]));
    }
    let pid = (u16::from(p[1] & 0x1f) << 8) | u16::from(p[2]);
    let control = (p[3] >> 4) & 0x03;
    // "'00' Reserved for future use by ISO/IEC ... Transport Stream packets with the value '00' in the
    // adaptation_field_control field shall be discarded" (table 2-5 and 2.4.3.3).
    if control == 0 {
        return Err("adaptation_field_control '00' (reserved)".into());
    }
    let has_adaptation = control & 0x02 != 0;
    let has_payload = control & 0x01 != 0;
    let mut payload_start = 4;
    let mut adaptation = None;
    if has_adaptation {
        let len = usize::from(p[4]);
        // "The value of the adaptation_field_length shall be in the range 0 to 182 for Transport Stream
        // packets carrying PES packets or PSI sections and 183 for those without payload" (2.4.3.5).
        let max = if has_payload { 182 } else { 183 };
        if len > max {
            return Err(format!("adaptation_field_length {len} (at most {max})"));
        }
        adaptation = Some(parse_adaptation_field(&p[5..5 + len]));
        payload_start = 5 + len;
    }
    Ok(Packet {
        pid,
        payload_unit_start: p[1] & 0x40 != 0,
        transport_error: p[1] & 0x80 != 0,
        scrambling: p[3] >> 6,
        continuity_counter: p[3] & 0x0f,
        has_payload,
        adaptation,
        payload: if has_payload {
            &p[payload_start..]
        } else {
            &[]
        },
    })
}

/// The adaptation field after its length byte (table 2-6). An empty one (length 0, used for stuffing
/// a single byte) has no flags.
fn parse_adaptation_field(af: &[u8]) -> AdaptationField {
    let Some(&flags) = af.first() else {
        return AdaptationField::default();
    };
    let pcr = if flags & 0x10 != 0 {
        af.get(1..7).map(|b| {
            // program_clock_reference_base 33 bits, reserved 6 bits, program_clock_reference_extension 9.
            let base = (u64::from(b[0]) << 25)
                | (u64::from(b[1]) << 17)
                | (u64::from(b[2]) << 9)
                | (u64::from(b[3]) << 1)
                | u64::from(b[4] >> 7);
            let ext = (u64::from(b[4] & 0x01) << 8) | u64::from(b[5]);
            base * 300 + ext
        })
    } else {
        None
    };
    AdaptationField {
        discontinuity: flags & 0x80 != 0,
        random_access: flags & 0x40 != 0,
        pcr,
    }
}

/// What [`Framer::push`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Framed<'a> {
    /// A packet's 188 bytes and its byte offset in the stream.
    Packet(&'a [u8; PACKET_SIZE], usize),
    /// Bytes skipped to find the next sync byte: (offset, count).
    Skipped(usize, usize),
}

/// Cuts a byte stream, given in pieces of any size, into packets. Holds at most two packets' worth of bytes
/// between pieces.
#[derive(Debug, Default)]
pub(crate) struct Framer {
    /// Bytes of the previous piece not yet framed.
    carry: Vec<u8>,
    /// Stream offset of `carry[0]`.
    offset: usize,
    /// True while packets follow each other every 188 bytes.
    locked: bool,
    /// Skipped bytes not reported yet (more may follow in the next piece).
    skip: Option<(usize, usize)>,
}

impl Framer {
    /// Frames `data`, the stream's next bytes. With `last`, the stream ends here: a final packet need not
    /// be followed by a sync byte, and an incomplete one is reported as skipped. Skipped bytes that follow
    /// one another are reported once.
    pub(crate) fn push(&mut self, data: &[u8], last: bool, out: &mut impl FnMut(Framed<'_>)) {
        let mut skip = self.skip.take();
        let mut merged = |f: Framed<'_>| match f {
            Framed::Skipped(offset, n) => match &mut skip {
                Some((start, len)) if *start + *len == offset => *len += n,
                _ => {
                    if let Some((start, len)) = skip.replace((offset, n)) {
                        out(Framed::Skipped(start, len));
                    }
                }
            },
            packet => {
                if let Some((start, len)) = skip.take() {
                    out(Framed::Skipped(start, len));
                }
                out(packet);
            }
        };
        if self.carry.is_empty() {
            let used = self.frame(data, self.offset, last, &mut merged);
            self.offset += used;
            self.carry.extend_from_slice(&data[used..]);
        } else {
            let mut joined = std::mem::take(&mut self.carry);
            joined.extend_from_slice(data);
            let used = self.frame(&joined, self.offset, last, &mut merged);
            self.offset += used;
            joined.drain(..used);
            self.carry = joined;
        }
        if last && !self.carry.is_empty() {
            merged(Framed::Skipped(self.offset, self.carry.len()));
            self.offset += self.carry.len();
            self.carry.clear();
        }
        if last {
            if let Some((start, len)) = skip.take() {
                out(Framed::Skipped(start, len));
            }
        }
        self.skip = skip;
    }

    /// Frames what it can of `buf` (which starts at stream offset `base`) and returns how many bytes it
    /// used; the rest must wait for more data.
    ///
    /// A missing sync byte where the previous packet says one must be is most often one damaged packet:
    /// when the byte 188 further on is a sync byte, that packet alone is skipped. Otherwise the next
    /// offset with a sync byte 188 bytes further on (or 376 and 564) starts the packets.
    /// A packet is only taken once the byte after it is known (or the stream ends), so bytes lost inside
    /// it are noticed.
    fn frame(
        &mut self,
        buf: &[u8],
        base: usize,
        last: bool,
        out: &mut impl FnMut(Framed<'_>),
    ) -> usize {
        let mut i = 0;
        while i < buf.len() {
            if self.locked {
                let next = buf.get(i + PACKET_SIZE).copied();
                let after = buf.get(i + 2 * PACKET_SIZE).copied();
                // Decide only with the bytes a decision reads (or at the end of the stream), so that any
                // split of the stream frames it the same way.
                let undecided = next.is_none() || (next != Some(SYNC_BYTE) && after.is_none());
                if undecided && !last {
                    return i;
                }
                if buf[i] == SYNC_BYTE {
                    // A packet whose next sync byte is missing is believed when the one after is there
                    // (the next packet is damaged); otherwise bytes were lost inside it.
                    let believed =
                        next.is_none() || next == Some(SYNC_BYTE) || after == Some(SYNC_BYTE);
                    if let (true, Some(p)) = (believed, packet_at(buf, i)) {
                        out(Framed::Packet(p, base + i));
                        i += PACKET_SIZE;
                        continue;
                    }
                } else if next == Some(SYNC_BYTE) {
                    out(Framed::Skipped(base + i, PACKET_SIZE));
                    i += PACKET_SIZE;
                    continue;
                }
                self.locked = false;
            }
            let mut j = i;
            let found = loop {
                if j >= buf.len() {
                    break None;
                }
                match confirmed(buf, j, last) {
                    Some(true) => break Some(j),
                    Some(false) => j += 1,
                    None => break None,
                }
            };
            match found {
                Some(j) => {
                    if j > i {
                        out(Framed::Skipped(base + i, j - i));
                    }
                    self.locked = true;
                    i = j;
                }
                None => {
                    // Skip up to where a packet may still start once more bytes come.
                    let keep_from = if last { buf.len() } else { j };
                    if keep_from > i {
                        out(Framed::Skipped(base + i, keep_from - i));
                    }
                    return keep_from;
                }
            }
        }
        i
    }
}

/// Whether a packet starts at `j`: its sync byte, and the next packet's, or else the two after that (one
/// damaged packet). `None`: it cannot be told before more bytes come.
fn confirmed(buf: &[u8], j: usize, last: bool) -> Option<bool> {
    if buf[j] != SYNC_BYTE {
        return Some(false);
    }
    let at = |k: usize| buf.get(j + k * PACKET_SIZE).copied();
    match (at(1), at(2), at(3)) {
        (Some(SYNC_BYTE), _, _) => Some(true),
        (Some(_), Some(a), Some(b)) => Some(a == SYNC_BYTE && b == SYNC_BYTE),
        (Some(_), _, _) if last => Some(false),
        (None, _, _) if last => Some(j + PACKET_SIZE == buf.len()),
        _ => None,
    }
}

fn packet_at(buf: &[u8], i: usize) -> Option<&[u8; PACKET_SIZE]> {
    buf.get(i..i.checked_add(PACKET_SIZE)?)?.try_into().ok()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A packet with this PID, counter, flags and payload (stuffed with an adaptation field to 188).
    pub(crate) fn packet(pid: u16, cc: u8, start: bool, payload: &[u8]) -> Vec<u8> {
        assert!(payload.len() <= 184);
        let mut p = vec![
            SYNC_BYTE,
            (u8::from(start) << 6) | (pid >> 8) as u8,
            pid as u8,
            0x10 | (cc & 0x0f),
        ];
        let stuffing = 184 - payload.len();
        if stuffing > 0 {
            p[3] |= 0x20;
            p.push((stuffing - 1) as u8);
            if stuffing > 1 {
                p.push(0);
                p.resize(4 + stuffing, 0xff);
            }
        }
        p.extend_from_slice(payload);
        assert_eq!(p.len(), PACKET_SIZE);
        p
    }

    /// (pid, offset) of each packet; (offset, length) of each run of skipped bytes.
    type Framing = (Vec<(u16, usize)>, Vec<(usize, usize)>);

    fn frame_all(pieces: &[&[u8]]) -> Framing {
        let mut framer = Framer::default();
        let (mut packets, mut skipped) = (Vec::new(), Vec::new());
        for (n, piece) in pieces.iter().enumerate() {
            framer.push(piece, n + 1 == pieces.len(), &mut |f| match f {
                Framed::Packet(p, offset) => packets.push((parse_packet(p).unwrap().pid, offset)),
                Framed::Skipped(offset, len) => skipped.push((offset, len)),
            });
        }
        (packets, skipped)
    }

    #[test]
    fn header_fields_and_pcr() {
        let mut p = packet(0x100, 7, true, &[1, 2, 3]);
        // Adaptation field with PCR: base 0x1_2345_6789, extension 0x123; random access.
        let base: u64 = 0x1_2345_6789;
        let ext: u64 = 0x123;
        p[5] = 0x50;
        p[6] = (base >> 25) as u8;
        p[7] = (base >> 17) as u8;
        p[8] = (base >> 9) as u8;
        p[9] = (base >> 1) as u8;
        p[10] = ((base & 1) << 7) as u8 | 0x7e | (ext >> 8) as u8;
        p[11] = ext as u8;
        let packet = parse_packet(p.as_slice().try_into().unwrap()).unwrap();
        assert_eq!(packet.pid, 0x100);
        assert!(packet.payload_unit_start);
        assert_eq!(packet.continuity_counter, 7);
        assert_eq!(packet.payload, &[1, 2, 3]);
        let af = packet.adaptation.unwrap();
        assert!(af.random_access && !af.discontinuity);
        assert_eq!(af.pcr, Some(base * 300 + ext));
    }

    #[test]
    fn bad_headers_are_errors() {
        let mut p = packet(0x100, 0, false, &[0; 184]);
        p[3] &= 0xcf; // adaptation_field_control '00'
        assert!(parse_packet(p.as_slice().try_into().unwrap()).is_err());
        let mut p = packet(0x100, 0, false, &[0; 10]);
        p[4] = 183; // too long with a payload
        assert!(parse_packet(p.as_slice().try_into().unwrap()).is_err());
        p[0] = 0;
        assert!(parse_packet(p.as_slice().try_into().unwrap()).is_err());
    }

    #[test]
    fn resyncs_after_lost_sync_bytes_and_junk() {
        // Payloads full of 0x47 (the sync byte) must not fool the resync.
        let mut stream = vec![0xaa; 5]; // junk before the first packet
        for cc in 0..4 {
            stream.extend(packet(0x100 + cc, cc as u8, false, &[0x47; 20]));
        }
        stream[5 + PACKET_SIZE] = 0; // packet 1 lost its sync byte
        stream.extend([0x47, 1, 2]); // a torn last packet
        let (packets, skipped) = frame_all(&[&stream]);
        assert_eq!(
            packets,
            vec![(0x100, 5), (0x102, 5 + 2 * 188), (0x103, 5 + 3 * 188)]
        );
        assert_eq!(skipped, vec![(0, 5), (5 + 188, 188), (5 + 4 * 188, 3)]);
        // Bytes lost (a shift): the packets after them are found again.
        let mut shifted = packet(0x100, 0, false, &[1; 20]);
        shifted.extend(&packet(0x101, 0, false, &[2; 20])[..100]);
        for pid in 0x102..0x105 {
            shifted.extend(packet(pid, 0, false, &[3; 20]));
        }
        let (packets, skipped) = frame_all(&[&shifted]);
        let pids: Vec<u16> = packets.iter().map(|p| p.0).collect();
        assert_eq!(pids, vec![0x100, 0x102, 0x103, 0x104]);
        assert_eq!(skipped, vec![(188, 100)]);
        // A damaged sync byte after the packets locked (a piece may end before the byte that decides).
        let mut later: Vec<u8> = (0..8)
            .flat_map(|n| packet(0x100 + n, 0, false, &[0x47; 20]))
            .collect();
        later[4 * PACKET_SIZE] = 0;
        later[6 * PACKET_SIZE] = 0;
        assert_eq!(frame_all(&[&later]).0.len(), 6);
        // Each stream in pieces of every size gives the same packets.
        for stream in [stream, shifted, later] {
            let whole = frame_all(&[&stream]);
            for size in [1, 7, 100, 187, 188, 189, 300, 400, 700] {
                let pieces: Vec<&[u8]> = stream.chunks(size).collect();
                assert_eq!(frame_all(&pieces), whole, "pieces of {size}");
            }
        }
    }
}
