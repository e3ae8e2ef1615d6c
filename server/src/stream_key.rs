//! The stream key: the secret for a stream's media uploads, shown once when the stream is created
//! (`POST /api/streams`) and presented with every upload (`Authorization: Bearer`, or the path of encoder
//! ingest). It uploads and ends; it does not edit, delete or read analytics (that is the
//! [`crate::owner_token`]). Only its hash is kept ([`crate::secret`]).

use crate::secret::secret_type;

/// Prefix of every stream key.
pub const STREAM_KEY_PREFIX: &str = "sk_";
/// Number of random alphanumeric characters after [`STREAM_KEY_PREFIX`].
pub const STREAM_KEY_RANDOM_LEN: usize = 32;

secret_type!(
    /// A stream key, generated or as presented by a request. Its `Debug` is redacted and it has no
    /// `Display`; it compares in constant time.
    StreamKey,
    STREAM_KEY_PREFIX,
    STREAM_KEY_RANDOM_LEN
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_keys() {
        let key = StreamKey::generate();
        let text = key.expose();
        assert!(text.starts_with(STREAM_KEY_PREFIX));
        assert_eq!(text.len(), STREAM_KEY_PREFIX.len() + STREAM_KEY_RANDOM_LEN);
        assert!(text[STREAM_KEY_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(key, StreamKey::generate());
        assert_eq!(key, StreamKey::new(text));
        assert_eq!(key.hash(), StreamKey::new(text).hash());
    }

    #[test]
    fn never_shown() {
        let key = StreamKey::new("sk_secret");
        assert_eq!(format!("{key:?}"), "StreamKey(<redacted>)");
        assert!(!format!("{:?}", Some(&key)).contains("secret"));
    }
}
