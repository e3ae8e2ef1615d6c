//! PES packets (ISO/IEC 13818-1 2.4.3.6, table 2-21) reassembled from the payloads of one PID's packets.
//!
//! "payload_unit_start_indicator ... When the payload of the Transport Stream packet contains PES packet
//! data ... a '1' indicates that the payload of this Transport Stream packet will commence with the first
//! byte of a PES packet" (2.4.3.3). A PES ends where the next one starts, where its PES_packet_length says
//! ("A value of 0 indicates that the PES packet length is neither specified nor bounded and is allowed only
//! in PES packets whose payload consists of bytes from a video elementary stream"), or at the end of the
//! segment.

/// The largest PES accepted (a PES of unbounded length is dropped past it): 8 MiB, far above any access
/// unit a segment of a live stream carries.
pub const MAX_PES_BYTES: usize = 8 * 1024 * 1024;

/// A complete PES packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pes {
    /// The PID it came on.
    pub pid: u16,
    /// stream_id (0xE0–0xEF video, 0xC0–0xDF audio).
    pub stream_id: u8,
    /// PTS, 33 bits in 90 kHz units, as in the stream (not unwrapped).
    pub pts: Option<u64>,
    /// DTS, 33 bits in 90 kHz units (when absent it equals the PTS: "If the DTS is not present, the DTS
    /// shall be inferred to be equal to the PTS", 2.7.5).
    pub dts: Option<u64>,
    /// random_access_indicator of its first packet's adaptation field.
    pub random_access: bool,
    /// Index of its first packet.
    pub packet: usize,
    /// Byte offset of its first packet.
    pub offset: usize,
    data: Vec<u8>,
    payload_start: usize,
}

impl Pes {
    /// The elementary stream bytes (PES_packet_data_byte).
    pub fn payload(&self) -> &[u8] {
        self.data.get(self.payload_start..).unwrap_or(&[])
    }
}

/// The PES being collected on one PID.
#[derive(Debug)]
pub(crate) struct PesAssembler {
    pid: u16,
    buf: Vec<u8>,
    /// (packet, offset, random access) of the PES in `buf`; `None` while waiting for a start.
    start: Option<(usize, usize, bool)>,
    /// Data without a start was reported since the last start.
    orphan_reported: bool,
}

/// Why a PES could not be used: (its first packet, its offset, the reason).
pub(crate) type PesFailure = (usize, usize, String);

impl PesAssembler {
    pub(crate) fn new(pid: u16) -> Self {
        PesAssembler {
            pid,
            buf: Vec::new(),
            start: None,
            orphan_reported: false,
        }
    }

    /// Throws away the PES being collected (packets were lost); returns how many bytes it had.
    pub(crate) fn drop_partial(&mut self) -> usize {
        let n = self.buf.len();
        self.buf.clear();
        self.start = None;
        self.orphan_reported = true;
        n
    }

    /// Feeds one packet's payload; gives `out` every PES it completed (the previous one at a start, and
    /// a bounded one that this payload fills).
    pub(crate) fn push(
        &mut self,
        payload: &[u8],
        unit_start: bool,
        at: (usize, usize, bool),
        out: &mut impl FnMut(Result<Pes, PesFailure>),
    ) {
        if unit_start {
            if let Some(done) = self.finish() {
                out(done);
            }
            self.start = Some(at);
        } else if self.start.is_none() {
            // The middle of a PES whose start was lost (or before the first start): nothing to do with it.
            // Reported once (a continuity error already reported the loss it follows).
            if !self.orphan_reported && !payload.is_empty() {
                self.orphan_reported = true;
                out(Err((
                    at.0,
                    at.1,
                    "PES data without its start: dropped".into(),
                )));
            }
            return;
        }
        self.orphan_reported = false;
        if self.buf.len() + payload.len() > MAX_PES_BYTES {
            let (packet, offset, _) = self.start.unwrap_or(at);
            self.drop_partial();
            out(Err((
                packet,
                offset,
                format!("longer than {MAX_PES_BYTES} bytes: dropped"),
            )));
            return;
        }
        self.buf.extend_from_slice(payload);
        // A bounded PES is complete once it has its PES_packet_length bytes.
        if declared_len(&self.buf).is_some_and(|total| self.buf.len() >= total) {
            if let Some(done) = self.finish() {
                out(done);
            }
        }
    }

    /// Completes the PES being collected (the next one starts, or the segment ends).
    pub(crate) fn finish(&mut self) -> Option<Result<Pes, PesFailure>> {
        let (packet, offset, random_access) = self.start.take()?;
        let data = std::mem::take(&mut self.buf);
        Some(
            parse_pes(self.pid, data, packet, offset, random_access)
                .map_err(|reason| (packet, offset, reason)),
        )
    }
}

/// The total size a PES header declares (6 + PES_packet_length), `None` when unbounded or not yet known.
fn declared_len(buf: &[u8]) -> Option<usize> {
    let len = usize::from(u16::from_be_bytes([*buf.get(4)?, *buf.get(5)?]));
    (len != 0).then_some(6 + len)
}

/// Reads a 33-bit PTS or DTS from its 5 bytes ('0010'/'0011'/'0001' then 3 + 15 + 15 bits with markers).
pub(crate) fn read_timestamp(b: &[u8]) -> u64 {
    (u64::from(b[0] >> 1 & 0x07) << 30)
        | (u64::from(b[1]) << 22)
        | (u64::from(b[2] >> 1) << 15)
        | (u64::from(b[3]) << 7)
        | u64::from(b[4] >> 1)
}

/// stream_ids without the optional PES header (table 2-22: program_stream_map, padding_stream,
/// private_stream_2, ECM, EMM, program_stream_directory, DSMCC_stream, H.222.1 type E).
fn has_optional_header(stream_id: u8) -> bool {
    !matches!(
        stream_id,
        0xbc | 0xbe | 0xbf | 0xf0 | 0xf1 | 0xff | 0xf2 | 0xf8
    )
}

fn parse_pes(
    pid: u16,
    data: Vec<u8>,
    packet: usize,
    offset: usize,
    random_access: bool,
) -> Result<Pes, String> {
    if data.len() < 6 || data[..3] != [0, 0, 1] {
        return Err("no packet_start_code_prefix 0x000001".into());
    }
    let stream_id = data[3];
    if let Some(total) = declared_len(&data) {
        // Longer is a muxer's stuffing mistake at worst; shorter means bytes were lost.
        if data.len() < total {
            return Err(format!(
                "{} bytes where PES_packet_length says {total}",
                data.len()
            ));
        }
    }
    let end = declared_len(&data).unwrap_or(data.len());
    let mut pes = Pes {
        pid,
        stream_id,
        pts: None,
        dts: None,
        random_access,
        packet,
        offset,
        data,
        payload_start: 6,
    };
    if !has_optional_header(stream_id) {
        pes.data.truncate(end);
        return Ok(pes);
    }
    let h = pes
        .data
        .get(6..9)
        .ok_or("PES header shorter than 9 bytes")?;
    if h[0] >> 6 != 0b10 {
        return Err("optional PES header does not start with '10'".into());
    }
    let pts_dts_flags = h[1] >> 6;
    let header_len = usize::from(h[2]);
    let payload_start = 9 + header_len;
    if payload_start > end {
        return Err(format!(
            "PES_header_data_length {header_len} past the PES's {end} bytes"
        ));
    }
    let fields = &pes.data[9..payload_start];
    match pts_dts_flags {
        0b10 => {
            let b = fields.get(..5).ok_or("PTS past the PES header")?;
            pes.pts = Some(read_timestamp(b));
        }
        0b11 => {
            let b = fields.get(..10).ok_or("PTS and DTS past the PES header")?;
            pes.pts = Some(read_timestamp(&b[..5]));
            pes.dts = Some(read_timestamp(&b[5..]));
        }
        0b01 => return Err("PTS_DTS_flags '01' (forbidden)".into()),
        _ => {}
    }
    pes.payload_start = payload_start;
    pes.data.truncate(end);
    Ok(pes)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn timestamp(prefix: u8, t: u64) -> [u8; 5] {
        [
            (prefix << 4) | (((t >> 30) as u8 & 0x07) << 1) | 1,
            (t >> 22) as u8,
            (((t >> 15) as u8) << 1) | 1,
            (t >> 7) as u8,
            ((t as u8) << 1) | 1,
        ]
    }

    /// A PES with this stream id, PTS/DTS and payload; `bounded` sets PES_packet_length.
    pub(crate) fn pes(
        stream_id: u8,
        pts: Option<u64>,
        dts: Option<u64>,
        payload: &[u8],
        bounded: bool,
    ) -> Vec<u8> {
        let mut header = Vec::new();
        let flags = match (pts, dts) {
            (Some(p), Some(d)) => {
                header.extend(timestamp(3, p));
                header.extend(timestamp(1, d));
                0xc0
            }
            (Some(p), None) => {
                header.extend(timestamp(2, p));
                0x80
            }
            _ => 0,
        };
        let len = 3 + header.len() + payload.len();
        let len = if bounded { len as u16 } else { 0 };
        let mut out = vec![0, 0, 1, stream_id];
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&[0x80, flags, header.len() as u8]);
        out.extend(header);
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn timestamps_use_all_33_bits() {
        for t in [0, 1, 90_000, (1 << 32) + 12345, (1 << 33) - 1] {
            assert_eq!(read_timestamp(&timestamp(2, t)), t);
        }
    }

    #[test]
    fn reassembles_across_packets() {
        let payload: Vec<u8> = (0..=255).cycle().take(500).collect();
        let bytes = pes(0xe0, Some(1000), Some(900), &payload, false);
        let mut a = PesAssembler::new(0x100);
        let mut got = Vec::new();
        let mut chunks = bytes.chunks(184);
        a.push(chunks.next().unwrap(), true, (0, 0, true), &mut |p| {
            got.push(p)
        });
        for c in chunks {
            a.push(c, false, (1, 188, false), &mut |p| got.push(p));
        }
        assert!(got.is_empty());
        let done = a.finish().unwrap().unwrap();
        assert_eq!((done.pts, done.dts), (Some(1000), Some(900)));
        assert!(done.random_access);
        assert_eq!(done.payload(), &payload[..]);
        // A bounded PES completes by itself, without waiting for the next start.
        let bytes = pes(0xc0, Some(5), None, &payload[..300], true);
        let mut chunks = bytes.chunks(184);
        a.push(chunks.next().unwrap(), true, (0, 0, false), &mut |p| {
            got.push(p)
        });
        assert!(got.is_empty());
        a.push(chunks.next().unwrap(), false, (1, 188, false), &mut |p| {
            got.push(p)
        });
        let done = got.pop().unwrap().unwrap();
        assert_eq!((done.pts, done.dts), (Some(5), None));
        assert_eq!(done.payload(), &payload[..300]);
        assert!(a.finish().is_none());
        // Two small bounded PES in one packet's worth of pushes: both come out.
        let mut two = pes(0xc0, Some(7), None, &[1; 10], true);
        a.push(&two, true, (2, 376, false), &mut |p| got.push(p));
        two[9] = 0x21; // another PTS
        a.push(&two, true, (3, 564, false), &mut |p| got.push(p));
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn broken_pes_is_an_error_not_a_panic() {
        let mut a = PesAssembler::new(0x100);
        let mut none = |_| panic!("nothing completes here");
        a.push(&[0, 0, 2, 0xe0, 0, 0], true, (3, 564, false), &mut none);
        assert_eq!(a.finish().unwrap().unwrap_err().0, 3);
        // Shorter than PES_packet_length.
        let bytes = pes(0xc0, Some(5), None, &[1; 100], true);
        a.push(&bytes[..50], true, (0, 0, false), &mut none);
        assert!(a.finish().unwrap().is_err());
        // A header length past the end, the forbidden '01' flags.
        for bad in [
            vec![0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 200],
            vec![0, 0, 1, 0xe0, 0, 0, 0x80, 0x40, 0],
            vec![0, 0, 1, 0xe0, 0, 0, 0x80, 0xc0, 5, 0, 0, 0, 0, 0],
        ] {
            a.push(&bad, true, (0, 0, false), &mut none);
            assert!(a.finish().unwrap().is_err(), "{bad:?}");
        }
        // Continuation bytes with no start are dropped, and reported once.
        let mut got = Vec::new();
        let mut fresh = PesAssembler::new(0x100);
        fresh.push(&[1, 2, 3], false, (0, 0, false), &mut |p| got.push(p));
        fresh.push(&[1, 2, 3], false, (1, 188, false), &mut |p| got.push(p));
        assert_eq!(got.len(), 1);
        assert!(fresh.finish().is_none());
    }
}
