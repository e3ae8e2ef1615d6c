//! The content digest behind every entity tag: computed once where bytes are accepted (segments, parts,
//! init segments in [`crate::live`]) or rendered (playlists, [`crate::live::rendered`]), and turned into
//! `ETag`s by [`crate::cache::Validators`].

/// 64-bit FNV-1a of `data`. Not cryptographic (it need not be: a tag only has to change when the bytes
/// do), stable across builds and platforms.
pub fn digest(data: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    data.iter().fold(OFFSET, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(digest(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(digest(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(digest(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
