//! What can go wrong reading a transport stream. Most of it is not fatal: a broken packet, PES or frame
//! is dropped and reported as a warning (the same type), and reading goes on, as a decoder does.

use crate::error::MuxError;
use thiserror::Error;

/// A problem in a transport stream, with where it is: the packet index and byte offset counted from the
/// start of the segment (or of the stream, for a [`TsDemuxer`](super::TsDemuxer) fed without segments).
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum TsError {
    /// No run of sync bytes 188 bytes apart: the input is not an MPEG transport stream.
    #[error("not an MPEG transport stream: no packet found in {searched} bytes")]
    NotTs {
        /// Bytes looked at.
        searched: usize,
    },
    /// Bytes that are not packets (a sync byte was missing): skipped up to the next packet.
    #[error("lost sync at byte {offset}: skipped {skipped} bytes to the next sync byte")]
    LostSync {
        /// Where the skipped bytes start.
        offset: usize,
        /// How many were skipped.
        skipped: usize,
    },
    /// A packet that cannot be read (reserved adaptation field control, a bad adaptation field length,
    /// transport_error_indicator or scrambling set): dropped.
    #[error("packet {packet} at byte {offset} (pid {pid}): {reason}")]
    BadPacket {
        /// Packet index.
        packet: usize,
        /// Byte offset of the packet.
        offset: usize,
        /// Its PID.
        pid: u16,
        /// What is wrong.
        reason: String,
    },
    /// A gap in a PID's continuity_counter: packets were lost, so the PES or section being assembled is
    /// dropped.
    #[error("continuity error on pid {pid} at packet {packet} (byte {offset}): counter {found}, expected {expected}; {dropped} bytes dropped")]
    Continuity {
        /// The PID.
        pid: u16,
        /// Packet index.
        packet: usize,
        /// Byte offset of the packet.
        offset: usize,
        /// The counter expected.
        expected: u8,
        /// The counter found.
        found: u8,
        /// Bytes of the unfinished PES or section thrown away.
        dropped: usize,
    },
    /// A PAT or PMT section that cannot be used (bad CRC, bad lengths).
    #[error("{table} on pid {pid} at packet {packet} (byte {offset}): {reason}")]
    Psi {
        /// `"PAT"` or `"PMT"`.
        table: &'static str,
        /// The PID.
        pid: u16,
        /// Packet index of the section's last packet.
        packet: usize,
        /// Byte offset of that packet.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// A PES packet that cannot be used (no start code, bad header, longer or shorter than it says):
    /// dropped.
    #[error("PES on pid {pid} starting at packet {packet} (byte {offset}): {reason}")]
    Pes {
        /// The PID.
        pid: u16,
        /// Packet index of the PES's first packet.
        packet: usize,
        /// Byte offset of that packet.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// Elementary stream data that cannot be used (no ADTS sync, an unparsable SPS, a sample before the
    /// first keyframe, a timestamp going backwards): those frames are dropped.
    #[error("{codec} on pid {pid}, PES at packet {packet} (byte {offset}): {reason}")]
    Stream {
        /// `"H.264"`, `"H.265"`, `"AAC"` or `"MP3"`.
        codec: &'static str,
        /// The PID.
        pid: u16,
        /// Packet index of the PES's first packet.
        packet: usize,
        /// Byte offset of that packet.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// A PMT stream that is not transmuxed (another stream type, or a second video or audio stream).
    #[error("pid {pid}: stream type 0x{stream_type:02x} is not transmuxed ({reason})")]
    UnsupportedStream {
        /// The PID.
        pid: u16,
        /// Its stream_type (ISO/IEC 13818-1 table 2-34).
        stream_type: u8,
        /// Why.
        reason: &'static str,
    },
    /// Neither this segment nor an earlier one had a PAT and a PMT.
    #[error("no program: no PAT and PMT in this segment or an earlier one")]
    NoProgram,
    /// Writing the CMAF output failed.
    #[error(transparent)]
    Mux(#[from] MuxError),
}
