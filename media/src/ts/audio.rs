//! Audio elementary streams (AAC in ADTS, MP3) cut into frames. A frame may start in one PES and end in
//! the next ("PES packets ... need not be aligned with audio frames" unless data_alignment_indicator says
//! so, ISO/IEC 13818-1 2.4.3.7), so the bytes of an unfinished frame wait for the next PES.

use crate::track::Codec;

/// What a frame header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    /// Bytes of the whole frame, header included.
    pub(crate) frame_len: usize,
    /// Where the sample's bytes start in the frame (after an ADTS header; 0 for MP3, whose header is
    /// part of the sample).
    pub(crate) payload_start: usize,
    /// PCM samples per channel in the frame.
    pub(crate) samples: u32,
    /// Sample rate in Hz.
    pub(crate) sample_rate: u32,
    /// Channels.
    pub(crate) channels: u16,
    /// The codec configuration it implies.
    pub(crate) codec: Codec,
}

/// One frame cut out of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AudioFrame {
    pub(crate) header: FrameHeader,
    /// The sample's bytes.
    pub(crate) data: Vec<u8>,
    /// True when the frame started in an earlier PES (its time follows the frame before it rather than
    /// this PES's PTS).
    pub(crate) continued: bool,
}

/// Reads a frame header at the start of its argument.
pub(crate) type HeaderParser = fn(&[u8]) -> Result<FrameHeader, String>;

/// Cuts an audio elementary stream into frames.
#[derive(Debug)]
pub(crate) struct AudioSplitter {
    parse: HeaderParser,
    /// The start of a frame the last PES did not finish (at most one frame: ADTS frames are under 8 KiB).
    carry: Vec<u8>,
}

impl AudioSplitter {
    pub(crate) fn new(parse: HeaderParser) -> Self {
        AudioSplitter {
            parse,
            carry: Vec::new(),
        }
    }

    /// Forgets an unfinished frame (after lost data or a discontinuity).
    pub(crate) fn clear(&mut self) {
        self.carry.clear();
    }

    /// The frames that complete in this PES payload. Returns how many bytes had to be skipped to find a
    /// frame header (with the first reason a header was refused).
    pub(crate) fn push(
        &mut self,
        payload: &[u8],
        out: &mut Vec<AudioFrame>,
    ) -> Option<(usize, String)> {
        let carried = self.carry.len();
        let joined;
        let buf: &[u8] = if carried == 0 {
            payload
        } else {
            let mut j = std::mem::take(&mut self.carry);
            j.extend_from_slice(payload);
            joined = j;
            &joined
        };
        let mut pos = 0;
        let mut skipped: Option<(usize, String)> = None;
        while pos < buf.len() {
            match (self.parse)(&buf[pos..]).and_then(|h| {
                if h.frame_len > h.payload_start {
                    Ok(h)
                } else {
                    Err(format!("frame length {}", h.frame_len))
                }
            }) {
                Ok(h) => {
                    let end = pos + h.frame_len;
                    if end > buf.len() {
                        break;
                    }
                    out.push(AudioFrame {
                        data: buf[pos + h.payload_start..end].to_vec(),
                        continued: pos < carried,
                        header: h,
                    });
                    pos = end;
                }
                // A header cut by the end of the PES: wait for the rest.
                Err(_) if buf.len() - pos < 9 && buf[pos] == 0xff => break,
                Err(reason) => {
                    let next = buf[pos + 1..]
                        .iter()
                        .position(|&b| b == 0xff)
                        .map_or(buf.len(), |k| pos + 1 + k);
                    let s = skipped.get_or_insert((0, reason));
                    s.0 += next - pos;
                    pos = next;
                }
            }
        }
        self.carry = buf[pos..].to_vec();
        skipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ts::adts::parse_adts;
    use crate::ts::adts::tests::adts_header;

    fn adts_frame(len: usize, fill: u8) -> Vec<u8> {
        let mut f = adts_header(4, 2, len).to_vec();
        f.resize(len, fill);
        f
    }

    #[test]
    fn frames_across_pes_and_junk() {
        let mut stream = adts_frame(100, 1);
        stream.extend(adts_frame(50, 2));
        stream.extend(adts_frame(80, 3));
        let mut s = AudioSplitter::new(parse_adts);
        let mut out = Vec::new();
        // The second frame is cut by the PES boundary, inside its header.
        assert!(s.push(&stream[..103], &mut out).is_none());
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, vec![1; 93]);
        // With the rest: the carried frame, then the one that starts here.
        assert!(s.push(&stream[103..], &mut out).is_none());
        assert_eq!(out.len(), 3);
        assert!(out[1].continued && !out[2].continued);
        assert_eq!(out[1].data, vec![2; 43]);
        assert_eq!(out[2].data, vec![3; 73]);
        // Junk before a header is skipped and counted.
        let mut out = Vec::new();
        let mut data = vec![0, 0xff, 7];
        data.extend(adts_frame(20, 4));
        let skipped = AudioSplitter::new(parse_adts).push(&data, &mut out);
        assert_eq!(skipped.map(|s| s.0), Some(3));
        assert_eq!(out.len(), 1);
    }
}
