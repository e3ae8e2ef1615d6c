//! The transport stream demuxer: packets → continuity checks → PAT/PMT → PES packets per elementary stream.
//!
//! "continuity_counter – The continuity_counter is a 4-bit field incrementing with each Transport Stream
//! packet with the same PID ... The continuity_counter shall not be incremented when the
//! adaptation_field_control of the packet equals '00' or '10'. In Transport Streams, duplicate packets may
//! be sent as two, and only two, consecutive Transport Stream packets of the same PID. The duplicate
//! packets shall have the same continuity_counter value as the original packet" (ISO/IEC 13818-1 2.4.3.3).
//! A gap means packets were lost: the PES (or section) they belonged to is dropped and reported, and
//! reading goes on at the PID's next unit start.

use super::error::TsError;
use super::packet::{parse_packet, Framed, Framer, Packet, NULL_PID, PACKET_SIZE};
use super::pes::{Pes, PesAssembler};
use super::psi::{parse_pat, parse_pmt, Program, SectionAssembler};
use std::collections::BTreeMap;

/// What the demuxer found, in stream order.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TsEvent {
    /// A new or changed program (its PMT).
    Program(Program),
    /// A complete PES packet of one of the program's elementary streams.
    Pes(Pes),
    /// A program clock reference on the program's PCR_PID, in 27 MHz ticks.
    Pcr {
        /// Packet index.
        packet: usize,
        /// The PCR (not unwrapped: it wraps with its 33-bit base).
        pcr: u64,
    },
    /// Something was dropped; reading went on.
    Warning(TsError),
}

/// What a PID carries.
#[derive(Debug)]
enum PidState {
    Psi {
        table: &'static str,
        sections: SectionAssembler,
    },
    Pes(PesAssembler),
}

#[derive(Debug)]
struct PidEntry {
    /// continuity_counter of the last packet with a payload.
    last_cc: Option<u8>,
    /// True when the last packet was a duplicate (a third copy is an error).
    duplicate_seen: bool,
    state: PidState,
}

/// Demuxes one program of a transport stream, fed in pieces of any size. Pure: no I/O, and its memory is
/// bounded by the PES sizes it allows ([`MAX_PES_BYTES`](super::pes::MAX_PES_BYTES)).
#[derive(Debug, Default)]
pub struct TsDemuxer {
    framer: Framer,
    pids: BTreeMap<u16, PidEntry>,
    pmt_pid: Option<u16>,
    program: Option<Program>,
    /// Packets framed since the start (or the last [`TsDemuxer::start_segment`]).
    packets: usize,
}

impl TsDemuxer {
    /// A demuxer that has seen nothing yet.
    pub fn new() -> Self {
        TsDemuxer::default()
    }

    /// The program of the last PMT, if any.
    pub fn program(&self) -> Option<&Program> {
        self.program.as_ref()
    }

    /// Packets framed since the start or the last segment start.
    pub fn packet_count(&self) -> usize {
        self.packets
    }

    /// Starts counting packets and bytes of a new segment from 0, so that errors name places in it. What
    /// is known of the program is kept; PES still open are completed first, and continuity counters start
    /// again (the next segment need not follow this one: a player seeks and switches levels).
    pub fn start_segment(&mut self) -> Vec<TsEvent> {
        let events = self.push(&[], true);
        self.framer = Framer::default();
        self.packets = 0;
        // Continuity does not carry across segments: a player may skip or switch between them.
        for entry in self.pids.values_mut() {
            entry.last_cc = None;
        }
        events
    }

    /// Demuxes the stream's next bytes. With `last`, the stream (or segment) ends here: every PES still
    /// open is completed (a PES cannot tell it has ended before the next one starts).
    pub fn push(&mut self, data: &[u8], last: bool) -> Vec<TsEvent> {
        let mut events = Vec::new();
        let mut framer = std::mem::take(&mut self.framer);
        framer.push(data, last, &mut |f| match f {
            Framed::Packet(p, offset) => {
                self.packet(p, offset, &mut events);
                self.packets += 1;
            }
            Framed::Skipped(offset, skipped) => {
                events.push(TsEvent::Warning(TsError::LostSync { offset, skipped }));
            }
        });
        self.framer = framer;
        if last {
            self.flush_into(&mut events);
        }
        events
    }

    /// Completes every open PES.
    fn flush_into(&mut self, events: &mut Vec<TsEvent>) {
        for (&pid, entry) in self.pids.iter_mut() {
            if let PidState::Pes(a) = &mut entry.state {
                if let Some(done) = a.finish() {
                    events.push(pes_event(pid, done));
                }
            }
        }
    }

    fn packet(&mut self, bytes: &[u8; PACKET_SIZE], offset: usize, events: &mut Vec<TsEvent>) {
        let index = self.packets;
        let bad = |pid, reason: String| {
            TsEvent::Warning(TsError::BadPacket {
                packet: index,
                offset,
                pid,
                reason,
            })
        };
        let p = match parse_packet(bytes) {
            Ok(p) => p,
            Err(reason) => {
                let pid = (u16::from(bytes[1] & 0x1f) << 8) | u16::from(bytes[2]);
                events.push(bad(pid, reason));
                return;
            }
        };
        if p.pid == NULL_PID {
            return;
        }
        if p.transport_error {
            events.push(bad(p.pid, "transport_error_indicator set".into()));
            return;
        }
        if p.scrambling != 0 {
            events.push(bad(
                p.pid,
                "scrambled (transport_scrambling_control)".into(),
            ));
            return;
        }
        if let (Some(pcr), Some(program)) = (p.adaptation.and_then(|a| a.pcr), &self.program) {
            if program.pcr_pid == p.pid {
                events.push(TsEvent::Pcr { packet: index, pcr });
            }
        }
        if p.pid == 0 && !self.pids.contains_key(&0) {
            self.pids.insert(0, psi_entry("PAT"));
        }
        let Some(entry) = self.pids.get_mut(&p.pid) else {
            return; // a PID that is neither PSI nor one of the program's streams
        };
        if !continuity(entry, &p, index, offset, events) {
            return;
        }
        match &mut entry.state {
            PidState::Pes(a) => {
                let random_access = p.adaptation.is_some_and(|a| a.random_access);
                a.push(
                    p.payload,
                    p.payload_unit_start,
                    (index, offset, random_access),
                    &mut |done| events.push(pes_event(p.pid, done)),
                );
            }
            PidState::Psi { table, sections } => {
                let table = *table;
                let mut found = Vec::new();
                sections.push(p.payload, p.payload_unit_start, &mut |s| {
                    found.push(s.map(<[u8]>::to_vec))
                });
                for section in found {
                    let psi_error = |reason| {
                        TsEvent::Warning(TsError::Psi {
                            table,
                            pid: p.pid,
                            packet: index,
                            offset,
                            reason,
                        })
                    };
                    match section {
                        Ok(s) if table == "PAT" => match parse_pat(&s) {
                            Ok(Some(programs)) => self.pat(programs),
                            Ok(None) => {}
                            Err(reason) => events.push(psi_error(reason)),
                        },
                        Ok(s) => match parse_pmt(&s, p.pid) {
                            Ok(Some(program)) => self.pmt(program, events),
                            Ok(None) => {}
                            Err(reason) => events.push(psi_error(reason)),
                        },
                        Err(reason) => events.push(psi_error(reason)),
                    }
                }
            }
        }
    }

    /// A PAT: the first program's PMT PID is followed ("Transport Streams ... for HLS MUST contain a single
    /// MPEG-2 Program", RFC 8216 3.2).
    fn pat(&mut self, programs: Vec<(u16, u16)>) {
        let Some(&(_, pmt_pid)) = programs.first() else {
            return;
        };
        if self.pmt_pid != Some(pmt_pid) {
            if let Some(old) = self.pmt_pid.take() {
                self.pids.remove(&old);
            }
            self.pmt_pid = Some(pmt_pid);
            self.pids.insert(pmt_pid, psi_entry("PMT"));
        }
    }

    /// A PMT: the program's streams get PES assemblers (kept across PMT repeats).
    fn pmt(&mut self, program: Program, events: &mut Vec<TsEvent>) {
        if self.program.as_ref() == Some(&program) {
            return;
        }
        if let Some(old) = &self.program {
            for s in &old.streams {
                if !program.streams.iter().any(|n| n.pid == s.pid) {
                    self.pids.remove(&s.pid);
                }
            }
        }
        for s in &program.streams {
            let is_psi = s.pid == 0 || Some(s.pid) == self.pmt_pid;
            if !is_psi && !self.pids.contains_key(&s.pid) {
                self.pids.insert(
                    s.pid,
                    PidEntry {
                        last_cc: None,
                        duplicate_seen: false,
                        state: PidState::Pes(PesAssembler::new(s.pid)),
                    },
                );
            }
        }
        self.program = Some(program.clone());
        events.push(TsEvent::Program(program));
    }
}

fn psi_entry(table: &'static str) -> PidEntry {
    PidEntry {
        last_cc: None,
        duplicate_seen: false,
        state: PidState::Psi {
            table,
            sections: SectionAssembler::default(),
        },
    }
}

fn pes_event(pid: u16, done: Result<Pes, super::pes::PesFailure>) -> TsEvent {
    match done {
        Ok(pes) => TsEvent::Pes(pes),
        Err((packet, offset, reason)) => TsEvent::Warning(TsError::Pes {
            pid,
            packet,
            offset,
            reason,
        }),
    }
}

/// Checks a packet's continuity_counter against the PID's last one. Returns false for a packet to skip (a
/// duplicate, or no payload); on a gap, drops what was being assembled and reports it.
fn continuity(
    entry: &mut PidEntry,
    p: &Packet<'_>,
    packet: usize,
    offset: usize,
    events: &mut Vec<TsEvent>,
) -> bool {
    if !p.has_payload {
        return false;
    }
    let cc = p.continuity_counter;
    let discontinuity = p.adaptation.is_some_and(|a| a.discontinuity);
    let previous = entry.last_cc.replace(cc);
    let Some(last) = previous.filter(|_| !discontinuity) else {
        entry.duplicate_seen = false;
        return true;
    };
    if cc == last && !entry.duplicate_seen {
        entry.duplicate_seen = true;
        return false;
    }
    entry.duplicate_seen = false;
    let expected = (last + 1) & 0x0f;
    if cc == expected {
        return true;
    }
    let dropped = match &mut entry.state {
        PidState::Pes(a) => a.drop_partial(),
        PidState::Psi { sections, .. } => sections.drop_partial(),
    };
    events.push(TsEvent::Warning(TsError::Continuity {
        pid: p.pid,
        packet,
        offset,
        expected,
        found: cc,
        dropped,
    }));
    // The packet itself is good: it may start the next PES.
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ts::packet::tests::packet;
    use crate::ts::pes::tests::pes;
    use crate::ts::psi::tests::{pat, pmt};

    /// Packets of one PES on `pid`, counters from `cc`.
    fn pes_packets(pid: u16, cc: &mut u8, bytes: &[u8]) -> Vec<Vec<u8>> {
        bytes
            .chunks(184)
            .enumerate()
            .map(|(i, c)| {
                let p = packet(pid, *cc, i == 0, c);
                *cc = (*cc + 1) & 0x0f;
                p
            })
            .collect()
    }

    fn psi_packet(pid: u16, section: &[u8]) -> Vec<u8> {
        let mut payload = vec![0];
        payload.extend_from_slice(section);
        packet(pid, 0, true, &payload)
    }

    fn stream(pes_count: u64) -> Vec<Vec<u8>> {
        let mut packets = vec![
            psi_packet(0, &pat(0x1000)),
            psi_packet(0x1000, &pmt(&[(0x1b, 0x100)])),
        ];
        let mut cc = 0;
        for n in 0..pes_count {
            let body = vec![n as u8; 400];
            packets.extend(pes_packets(
                0x100,
                &mut cc,
                &pes(0xe0, Some(n * 3600), None, &body, false),
            ));
        }
        packets
    }

    fn run(packets: &[Vec<u8>]) -> (Vec<Pes>, Vec<TsError>) {
        let mut d = TsDemuxer::new();
        let events = d.push(&packets.concat(), true);
        let (mut pes, mut warnings) = (Vec::new(), Vec::new());
        for e in events {
            match e {
                TsEvent::Pes(p) => pes.push(p),
                TsEvent::Warning(w) => warnings.push(w),
                _ => {}
            }
        }
        (pes, warnings)
    }

    #[test]
    fn pes_of_the_program_streams() {
        let (pes, warnings) = run(&stream(3));
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(pes.len(), 3);
        for (n, p) in pes.iter().enumerate() {
            assert_eq!(p.pts, Some(n as u64 * 3600));
            assert_eq!(p.payload(), &vec![n as u8; 400][..]);
        }
        assert_eq!(pes[1].packet, 2 + 3);
        assert_eq!(pes[1].offset, (2 + 3) * 188);
    }

    #[test]
    fn continuity_error_drops_only_the_broken_pes() {
        let mut packets = stream(3);
        // The second PES's middle packet is lost.
        packets.remove(2 + 3 + 1);
        let (pes, warnings) = run(&packets);
        assert_eq!(
            pes.iter().map(|p| p.pts.unwrap()).collect::<Vec<_>>(),
            vec![0, 7200]
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(matches!(
            warnings[0],
            TsError::Continuity {
                pid: 0x100,
                packet: 6,
                expected: 4,
                found: 5,
                dropped: 184,
                ..
            }
        ));
        // A duplicate packet is not an error and not data.
        let mut packets = stream(2);
        packets.insert(3, packets[2].clone());
        let (pes, warnings) = run(&packets);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(pes[0].payload(), &[0; 400][..]);
    }

    #[test]
    fn without_a_pat_nothing_is_demuxed() {
        let mut packets = stream(2);
        packets[0][187] ^= 0xff; // the PAT's CRC is damaged
        let (pes, warnings) = run(&packets);
        assert!(pes.is_empty());
        assert!(
            matches!(warnings[0], TsError::Psi { table: "PAT", .. }),
            "{warnings:?}"
        );
    }
}
