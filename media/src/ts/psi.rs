//! Program specific information: the Program Association Table (ISO/IEC 13818-1 2.4.4.3, table 2-30) and
//! the Program Map Table (2.4.4.8, table 2-33), assembled from sections that may span packets.
//!
//! "pointer_field – This is an 8-bit field whose value shall be the number of bytes, immediately following
//! the pointer_field until the first byte of the first section that is present in the payload of the
//! Transport Stream packet" (2.4.4.2). Each section ends with a CRC_32 that "gives a zero output of the
//! registers in the decoder defined in Annex A after processing the entire ... section" (2.4.4.5).

/// The largest PSI section: "section_length ... shall not exceed 1021" plus the 3 bytes before it.
const MAX_SECTION: usize = 1024;
/// table_id of a PAT section.
pub const PAT_TABLE_ID: u8 = 0x00;
/// table_id of a PMT section (TS_program_map_section).
pub const PMT_TABLE_ID: u8 = 0x02;

/// `stream_type` values (table 2-34) the transmuxer carries.
pub mod stream_type {
    /// ISO/IEC 11172-3 audio (MPEG-1 audio: MP3 and layers I/II).
    pub const MPEG1_AUDIO: u8 = 0x03;
    /// ISO/IEC 13818-3 audio (MPEG-2 audio, the low sample rates).
    pub const MPEG2_AUDIO: u8 = 0x04;
    /// ISO/IEC 13818-7 audio with ADTS transport syntax (AAC).
    pub const AAC_ADTS: u8 = 0x0f;
    /// AVC video stream (ITU-T H.264).
    pub const H264: u8 = 0x1b;
    /// HEVC video stream (ITU-T H.265).
    pub const H265: u8 = 0x24;
}

/// One elementary stream of a program (one entry of the PMT's loop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EsInfo {
    /// stream_type (table 2-34).
    pub stream_type: u8,
    /// elementary_PID.
    pub pid: u16,
}

/// A program, as its PMT describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// program_number.
    pub program_number: u16,
    /// The PID of the PMT.
    pub pmt_pid: u16,
    /// PCR_PID: the packets that carry this program's clock.
    pub pcr_pid: u16,
    /// version_number of the PMT.
    pub version: u8,
    /// The elementary streams, in PMT order.
    pub streams: Vec<EsInfo>,
}

/// MPEG-2 CRC-32 (Annex A: polynomial 0x04C11DB7, initial value all ones, no reflection, no final xor).
pub(crate) fn crc32_mpeg2(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04c1_1db7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Assembles the sections of one PSI PID from its packets' payloads.
#[derive(Debug, Default)]
pub(crate) struct SectionAssembler {
    buf: Vec<u8>,
    /// True while a section is being collected.
    open: bool,
}

impl SectionAssembler {
    /// Bytes of an unfinished section (thrown away on a continuity error).
    pub(crate) fn drop_partial(&mut self) -> usize {
        let n = if self.open { self.buf.len() } else { 0 };
        self.buf.clear();
        self.open = false;
        n
    }

    /// Feeds one payload; calls `out` with every section completed by it (header and CRC included).
    pub(crate) fn push(
        &mut self,
        payload: &[u8],
        unit_start: bool,
        out: &mut impl FnMut(Result<&[u8], String>),
    ) {
        let mut rest = payload;
        if unit_start {
            let Some((&pointer, after)) = rest.split_first() else {
                out(Err("empty payload where a pointer_field must be".into()));
                return;
            };
            let pointer = usize::from(pointer);
            if pointer > after.len() {
                out(Err(format!(
                    "pointer_field {pointer} past the packet's {} bytes",
                    after.len()
                )));
                self.drop_partial();
                return;
            }
            if self.open {
                self.buf.extend_from_slice(&after[..pointer]);
                self.finish(out);
            }
            self.buf.clear();
            self.open = true;
            rest = &after[pointer..];
        } else if !self.open {
            return;
        }
        self.buf.extend_from_slice(rest);
        self.finish(out);
    }

    /// Emits the complete sections at the start of the buffer; keeps an unfinished one.
    fn finish(&mut self, out: &mut impl FnMut(Result<&[u8], String>)) {
        let mut start = 0;
        loop {
            let b = &self.buf[start..];
            // "stuffing_byte ... 0xFF ... Once a packet is found to contain a stuffing byte, the remaining
            // bytes of that packet are stuffing" (2.4.4).
            if b.first().is_none_or(|&t| t == 0xff) {
                self.buf.clear();
                self.open = false;
                return;
            }
            if b.len() < 3 {
                break;
            }
            let len = 3 + ((usize::from(b[1] & 0x0f) << 8) | usize::from(b[2]));
            if len > MAX_SECTION {
                out(Err(format!("section_length {} over 1021", len - 3)));
                self.buf.clear();
                self.open = false;
                return;
            }
            if b.len() < len {
                break;
            }
            out(Ok(&b[..len]));
            start += len;
        }
        self.buf.drain(..start);
    }
}

/// The fields of the long section syntax both tables share, after checking the CRC.
struct LongSection<'a> {
    table_id: u8,
    /// table_id_extension: transport_stream_id (PAT) or program_number (PMT).
    id: u16,
    version: u8,
    current: bool,
    /// The bytes after last_section_number, before the CRC.
    body: &'a [u8],
}

fn long_section(section: &[u8]) -> Result<LongSection<'_>, String> {
    if section.len() < 12 {
        return Err(format!(
            "{} bytes is too short for a section",
            section.len()
        ));
    }
    if section[1] & 0x80 == 0 {
        return Err("section_syntax_indicator 0".into());
    }
    if crc32_mpeg2(section) != 0 {
        return Err("CRC_32 mismatch".into());
    }
    Ok(LongSection {
        table_id: section[0],
        id: u16::from_be_bytes([section[3], section[4]]),
        version: (section[5] >> 1) & 0x1f,
        current: section[5] & 0x01 != 0,
        body: &section[8..section.len() - 4],
    })
}

fn pid_of(hi: u8, lo: u8) -> u16 {
    (u16::from(hi & 0x1f) << 8) | u16::from(lo)
}

/// The programs of a PAT section: (program_number, program_map_PID), without the network PID entry
/// (program_number 0). `Ok(None)` for a section that is not current or not a PAT.
pub(crate) fn parse_pat(section: &[u8]) -> Result<Option<Vec<(u16, u16)>>, String> {
    let s = long_section(section)?;
    if s.table_id != PAT_TABLE_ID || !s.current {
        return Ok(None);
    }
    if s.body.len() % 4 != 0 {
        return Err(format!("program loop of {} bytes", s.body.len()));
    }
    Ok(Some(
        s.body
            .chunks_exact(4)
            .map(|e| (u16::from_be_bytes([e[0], e[1]]), pid_of(e[2], e[3])))
            .filter(|&(number, _)| number != 0)
            .collect(),
    ))
}

/// A PMT section. `Ok(None)` for a section that is not current or not a PMT.
pub(crate) fn parse_pmt(section: &[u8], pmt_pid: u16) -> Result<Option<Program>, String> {
    let s = long_section(section)?;
    if s.table_id != PMT_TABLE_ID || !s.current {
        return Ok(None);
    }
    let b = s.body;
    if b.len() < 4 {
        return Err("PMT shorter than its PCR_PID and program_info_length".into());
    }
    let pcr_pid = pid_of(b[0], b[1]);
    let info_len = (usize::from(b[2] & 0x0f) << 8) | usize::from(b[3]);
    let mut rest = b
        .get(4 + info_len..)
        .ok_or_else(|| format!("program_info_length {info_len} past the section"))?;
    let mut streams = Vec::new();
    while !rest.is_empty() {
        if rest.len() < 5 {
            return Err("truncated elementary stream entry".into());
        }
        let es_info_len = (usize::from(rest[3] & 0x0f) << 8) | usize::from(rest[4]);
        streams.push(EsInfo {
            stream_type: rest[0],
            pid: pid_of(rest[1], rest[2]),
        });
        rest = rest
            .get(5 + es_info_len..)
            .ok_or_else(|| format!("ES_info_length {es_info_len} past the section"))?;
    }
    Ok(Some(Program {
        program_number: s.id,
        pmt_pid,
        pcr_pid,
        version: s.version,
        streams,
    }))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A long-syntax section with this table id, extension and body, CRC appended.
    pub(crate) fn section(table_id: u8, id: u16, body: &[u8]) -> Vec<u8> {
        let len = 5 + body.len() + 4;
        let mut s = vec![table_id, 0xb0 | (len >> 8) as u8, len as u8];
        s.extend_from_slice(&id.to_be_bytes());
        s.extend_from_slice(&[0xc1, 0, 0]); // version 0, current, section 0 of 0
        s.extend_from_slice(body);
        let crc = crc32_mpeg2(&s);
        s.extend_from_slice(&crc.to_be_bytes());
        s
    }

    /// A PAT naming one program on this PMT PID.
    pub(crate) fn pat(pmt_pid: u16) -> Vec<u8> {
        section(
            PAT_TABLE_ID,
            1,
            &[0, 1, 0xe0 | (pmt_pid >> 8) as u8, pmt_pid as u8],
        )
    }

    /// A PMT with these (stream_type, pid) entries, the first PID carrying the PCR.
    pub(crate) fn pmt(streams: &[(u8, u16)]) -> Vec<u8> {
        let pcr = streams.first().map_or(0x1fff, |s| s.1);
        let mut body = vec![0xe0 | (pcr >> 8) as u8, pcr as u8, 0xf0, 0];
        for &(t, pid) in streams {
            body.extend_from_slice(&[t, 0xe0 | (pid >> 8) as u8, pid as u8, 0xf0, 0]);
        }
        section(PMT_TABLE_ID, 1, &body)
    }

    #[test]
    fn crc_of_the_standard_check_string() {
        // CRC-32/MPEG-2 check value of "123456789".
        assert_eq!(crc32_mpeg2(b"123456789"), 0x0376_e6e7);
    }

    #[test]
    fn pat_and_pmt() {
        assert_eq!(parse_pat(&pat(0x1000)).unwrap(), Some(vec![(1, 0x1000)]));
        let program = parse_pmt(&pmt(&[(0x1b, 0x100), (0x0f, 0x101)]), 0x1000)
            .unwrap()
            .unwrap();
        assert_eq!(program.pcr_pid, 0x100);
        assert_eq!(
            program.streams,
            vec![
                EsInfo {
                    stream_type: 0x1b,
                    pid: 0x100
                },
                EsInfo {
                    stream_type: 0x0f,
                    pid: 0x101
                }
            ]
        );
        let mut bad = pat(0x1000);
        bad[9] ^= 1;
        assert_eq!(parse_pat(&bad), Err("CRC_32 mismatch".into()));
        assert!(parse_pmt(&pat(0x1000), 0).unwrap().is_none());
        assert!(parse_pat(&[0; 5]).is_err());
    }

    #[test]
    fn sections_across_packets_and_after_a_pointer() {
        let section = pmt(&[(0x1b, 0x100); 40]); // 217 bytes: two packets
        let mut first = vec![3, 0xaa, 0xbb, 0xcc]; // pointer_field skips the end of an older section
        first.extend_from_slice(&section[..150]);
        let mut got = Vec::new();
        let mut a = SectionAssembler::default();
        a.push(&first, true, &mut |s| got.push(s.map(<[u8]>::to_vec)));
        assert!(got.is_empty());
        let mut second = section[150..].to_vec();
        second.resize(184, 0xff);
        a.push(&second, false, &mut |s| got.push(s.map(<[u8]>::to_vec)));
        assert_eq!(got, vec![Ok(section.clone())]);
        // Two sections in one payload.
        let mut both = vec![0];
        both.extend_from_slice(&pat(0x1000));
        both.extend_from_slice(&pat(0x1001));
        got.clear();
        a.push(&both, true, &mut |s| got.push(s.map(<[u8]>::to_vec)));
        assert_eq!(got, vec![Ok(pat(0x1000)), Ok(pat(0x1001))]);
        // A continuation without a start is ignored; a bad pointer is reported.
        got.clear();
        a.push(&[1, 2, 3], false, &mut |s| got.push(s.map(<[u8]>::to_vec)));
        a.push(&[200, 0], true, &mut |s| got.push(s.map(<[u8]>::to_vec)));
        assert_eq!(got.len(), 1);
        assert!(got[0].is_err());
    }
}
