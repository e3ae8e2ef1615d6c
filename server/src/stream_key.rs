//! The stream key: the one secret of a stream, shown once when the stream is created
//! (`POST /api/streams`) and presented with every upload. A [`StreamKey`] never shows itself in logs or
//! debug output, and compares in constant time; only [`StreamKey::expose`] gives the text, for that one
//! answer and the database.

use std::fmt;
use std::hash::{Hash, Hasher};

use rand::distributions::Alphanumeric;
use rand::Rng;

/// Prefix of every stream key.
pub const STREAM_KEY_PREFIX: &str = "sk_";
/// Number of random alphanumeric characters after [`STREAM_KEY_PREFIX`].
pub const STREAM_KEY_RANDOM_LEN: usize = 32;

/// A stream key, generated or as presented by a request. Its `Debug` is redacted and it has no
/// `Display`.
#[derive(Clone)]
pub struct StreamKey(String);

impl StreamKey {
    /// A fresh key: [`STREAM_KEY_PREFIX`] followed by [`STREAM_KEY_RANDOM_LEN`] alphanumeric characters.
    pub fn generate() -> Self {
        let random: String = rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(STREAM_KEY_RANDOM_LEN)
            .map(char::from)
            .collect();
        Self(format!("{STREAM_KEY_PREFIX}{random}"))
    }

    /// A key as a request presents it (a bearer token, the `/ingest/{stream_key}/` path segment) or as
    /// the database holds it. Its form is not checked: a key that is no stream's simply matches none.
    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    /// The secret itself: only for the answer that creates the stream and for the database.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for StreamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StreamKey(<redacted>)")
    }
}

/// In time that depends only on the lengths, so that a wrong key tells nothing of the right one.
impl PartialEq for StreamKey {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl Eq for StreamKey {}

/// As the text hashes (the same keys are equal), for the map of streams by key.
impl Hash for StreamKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

/// Compares two secrets in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

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
    }

    #[test]
    fn never_shown() {
        let key = StreamKey::new("sk_secret");
        assert_eq!(format!("{key:?}"), "StreamKey(<redacted>)");
        assert!(!format!("{:?}", Some(&key)).contains("secret"));
    }

    #[test]
    fn constant_time() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
