//! A big-endian bit reader with the Exp-Golomb codes of H.264 and H.265 (ITU-T H.264 9.1: "ue(v)" and
//! "se(v)"). Every read returns `None` past the end instead of panicking.

/// Reads bits, most significant first, from a byte slice.
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    /// Position in bits.
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        BitReader { data, pos: 0 }
    }

    /// One bit.
    pub(crate) fn bit(&mut self) -> Option<bool> {
        let byte = *self.data.get(self.pos / 8)?;
        let bit = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Some(bit == 1)
    }

    /// `n` bits (at most 32) as an unsigned number: "u(n)".
    pub(crate) fn bits(&mut self, n: u32) -> Option<u32> {
        debug_assert!(n <= 32);
        let mut v: u64 = 0;
        for _ in 0..n {
            v = (v << 1) | u64::from(self.bit()?);
        }
        u32::try_from(v).ok()
    }

    /// Skips `n` bits.
    pub(crate) fn skip(&mut self, n: usize) -> Option<()> {
        let end = self.pos.checked_add(n)?;
        if end > self.data.len() * 8 {
            return None;
        }
        self.pos = end;
        Some(())
    }

    /// "ue(v)": Exp-Golomb, "leadingZeroBits ... codeNum = 2^leadingZeroBits − 1 + read_bits(leadingZeroBits)".
    pub(crate) fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while !self.bit()? {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        let rest = self.bits(zeros)?;
        u32::try_from((1u64 << zeros) - 1 + u64::from(rest)).ok()
    }

    /// "se(v)": the signed mapping of ue(v) (H.264 9.1.1, table 9-3).
    pub(crate) fn se(&mut self) -> Option<i32> {
        let k = i64::from(self.ue()?);
        let v = if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) };
        i32::try_from(v).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_and_exp_golomb_codes() {
        // 1 | 010 | 011 | 00100 | 00101 | 1...: ue = 0, 1, 2, 3, 4
        let mut r = BitReader::new(&[0b1010_0110, 0b0100_0010, 0b1100_0000]);
        assert_eq!(r.ue(), Some(0));
        assert_eq!(r.ue(), Some(1));
        assert_eq!(r.ue(), Some(2));
        assert_eq!(r.ue(), Some(3));
        assert_eq!(r.ue(), Some(4));
        let mut r = BitReader::new(&[0b0100_1100, 0b1000_0000]);
        assert_eq!(r.se(), Some(1)); // 010 -> k=1 -> +1
        assert_eq!(r.se(), Some(-1)); // 011 -> k=2 -> -1
        assert_eq!(r.bits(2), Some(0b00));
        assert_eq!(r.bits(8), Some(0b1000_0000));
        assert_eq!(r.bit(), None);
        // 32 zeros never end: None, not a panic or an overflow.
        assert_eq!(BitReader::new(&[0; 8]).ue(), None);
        assert_eq!(BitReader::new(&[0xff]).skip(9), None);
    }
}
