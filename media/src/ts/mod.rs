//! MPEG-2 transport streams (ISO/IEC 13818-1 | ITU-T H.222.0): a demuxer and a transmuxer to CMAF, so that
//! the player can play HLS whose segments are TS (ffmpeg's default, most encoders and archives) through
//! Media Source Extensions, which takes fragmented MP4.
//!
//! One file per job: [`packet`] (188-byte packets, the adaptation field, resync), [`psi`] (PAT and PMT),
//! `pes` (PES reassembly across packets), [`demux`] (continuity counters, PIDs → [`TsEvent`]s), `annexb`,
//! `avc` and `hevc` (H.264/H.265 access units → length-prefixed samples and `avcC`/`hvcC` from the
//! parameter sets), `adts` and `mpa` (AAC frames + AudioSpecificConfig, MP3 frame headers), `audio`
//! (frames across PES), [`time`] (33-bit PTS/DTS unwrapping, PCR), [`transmux`] (segments →
//! [`write_init`](crate::write_init) / [`write_fragment`](crate::write_fragment) output) and [`wire`]
//! (that output as one byte array, for the player's transmuxer worker).
//!
//! Like the rest of the crate it is pure (bytes in, bytes out), never panics on any input and never
//! allocates from a size field it has not bounded (a PES is at most [`pes::MAX_PES_BYTES`], a section
//! 1024 bytes, an audio frame 8 KiB). Broken input is dropped at the smallest unit that contains the
//! damage (a packet, a PES, a frame) and reported as a [`TsError`] warning with its packet index and byte
//! offset; only input with no packets or no program at all is an error.
//!
//! ## Why our own, not a crate (checked 2026-12-02)
//!
//! Two crates read TS on crates.io; neither fits, and neither does the part that is most of the work here
//! (H.264/H.265/ADTS/MP3 parsing and the CMAF mapping):
//! - `mpeg2ts-reader` 0.18.2 (last release 2025-01-29; 6.2 k lines; depends on `encoding_rs`, `log`,
//!   `fixedbitset`, `smptera-format-identifiers-rust`, `four-cc`): a zero-copy push API built from macros
//!   (`packet_filter_switch!`, `demux_context!`) and callbacks, with continuity-error callbacks and
//!   incremental PES. But `Demultiplex::push` cuts its input with `chunks_exact(188)` and stops at the first
//!   packet without a sync byte: one damaged sync byte at packet 10 of a 1 s ffmpeg fixture lost 24 of its
//!   25 video PES, and 5 junk bytes at the start lost all of them (no resync, and a packet split across
//!   two `push` calls is lost).
//! - `mpeg2ts` 0.6.1 (2026, no dependencies, 3 k lines; also writes TS): a pull reader over `std::io::Read`
//!   whose every error ends the stream: the same damaged sync byte or a truncated last packet gives an
//!   error and no more PES. It does not check continuity counters: with one packet removed it returned the
//!   damaged PES as if whole. `Vec::with_capacity(PES_packet_length)` and `expect("Never fails")` sit on
//!   the input path.
//!
//! What this module needs of the TS layer is small (packets, PAT/PMT, PES, continuity; about 900 lines
//! here with tests), and the player carries it in its wasm, so it is written here, with resync, warnings
//! instead of stops, and no dependencies beyond the crate's own.
//!
//! ## MSE and the codec strings (measured with `MediaSource.isTypeSupported` and an append)
//!
//! Debian Chromium 156 takes `video/mp4; codecs="avc1.64000b,mp4a.40.2"` (our transmux of the H.264 + AAC
//! fixture appended, buffered 1.48–2.48 s and played) and `audio/mpeg`, but no MP3 in MP4 under any name
//! (`mp3`, `mp4a.6B`, `mp4a.69`, `mp4a.40.34`) and no HEVC (`hvc1.*`, `hev1.*`). Firefox ESR 153 takes
//! `hvc1.*`/`hev1.*` and, for MP3 in MP4, only `mp3`, not `audio/mpeg`. So MP3 is written as `mp4a` with
//! objectTypeIndication 0x6B (MP4RA's MPEG-1 audio) under the codec string `mp3`
//! ([`MP3_CODEC_STRING`](crate::track::MP3_CODEC_STRING)); for Chromium the player must append the MP3 frames
//! themselves to an `audio/mpeg` `SourceBuffer`, as hls.js does.

mod adts;
mod annexb;
mod audio;
mod avc;
mod bits;
pub mod demux;
mod error;
mod hevc;
mod mpa;
pub mod packet;
pub mod pes;
pub mod psi;
pub mod time;
pub mod transmux;
mod video;
pub mod wire;

pub use demux::{TsDemuxer, TsEvent};
pub use error::TsError;
pub use pes::Pes;
pub use psi::{EsInfo, Program};
pub use transmux::{
    CmafChunk, TrackSpan, Transmuxed, TsTransmuxer, AUDIO_TRACK_ID, VIDEO_TRACK_ID,
};
