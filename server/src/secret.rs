//! What the stream's two secrets share: how they are made ([`generate`]), compared ([`constant_time_eq`])
//! and kept ([`SecretHash`]). The stream key ([`crate::stream_key`]) uploads media; the owner token
//! ([`crate::owner_token`]) edits, ends and deletes the stream and reads its analytics. Neither is ever
//! stored: the database and the in-memory registry hold their SHA-256. Both are 32 random alphanumerics
//! or more (190 bits), so a plain hash is as strong as a slow one would be: there is no dictionary to try.

use std::fmt;

use rand::distributions::Alphanumeric;
use rand::Rng;
use sha2::{Digest, Sha256};

/// `prefix` followed by `len` random alphanumeric characters.
pub fn generate(prefix: &str, len: usize) -> String {
    let random: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect();
    format!("{prefix}{random}")
}

/// Compares two secrets in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The SHA-256 of a secret: what is stored and compared. Compares in constant time; shows itself as
/// hex only through [`SecretHash::to_hex`] (for the database), never in `Debug`.
#[derive(Clone, Copy, Eq)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    /// The hash of a secret's text.
    pub fn of(secret: &str) -> Self {
        Self(Sha256::digest(secret.as_bytes()).into())
    }

    /// 64 lowercase hex digits, as the database keeps it.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A hash read back from [`SecretHash::to_hex`]; `None` for anything else.
    pub fn from_hex(hex: &str) -> Option<Self> {
        let bytes = hex.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let mut hash = [0u8; 32];
        for (out, pair) in hash.iter_mut().zip(bytes.chunks_exact(2)) {
            let text = std::str::from_utf8(pair).ok()?;
            *out = u8::from_str_radix(text, 16).ok()?;
        }
        Some(Self(hash))
    }
}

impl PartialEq for SecretHash {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(&self.0, &other.0)
    }
}

/// The bytes hash alike when they are equal (a map keyed by hashes tells nothing of the secrets).
impl std::hash::Hash for SecretHash {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(<redacted>)")
    }
}

/// Declares a secret's newtype: generated with a prefix, built from a request's text, `Debug` redacted,
/// no `Display`, equal in constant time, hashed for storage.
macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident, $prefix:expr, $len:expr) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(String);

        impl $name {
            /// A fresh one: its prefix and random alphanumerics.
            pub fn generate() -> Self {
                Self($crate::secret::generate($prefix, $len))
            }

            /// One as a request presents it. Its form is not checked: a wrong one simply matches none.
            pub fn new(raw: impl Into<String>) -> Self {
                Self(raw.into())
            }

            /// The secret itself: only for the answer that creates the stream.
            pub fn expose(&self) -> &str {
                &self.0
            }

            /// What is stored and compared.
            pub fn hash(&self) -> $crate::secret::SecretHash {
                $crate::secret::SecretHash::of(&self.0)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}(<redacted>)", stringify!($name))
            }
        }

        /// In time that depends only on the lengths.
        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                $crate::secret::constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
            }
        }

        impl Eq for $name {}

        /// As the text hashes (equal secrets hash alike), for maps keyed by them.
        impl std::hash::Hash for $name {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.0.hash(state);
            }
        }
    };
}
pub(crate) use secret_type;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_round_trip_through_hex() {
        let hash = SecretHash::of("sk_abc");
        let hex = hash.to_hex();
        assert_eq!(hex.len(), 64);
        assert_eq!(SecretHash::from_hex(&hex), Some(hash));
        assert_ne!(SecretHash::of("sk_abd"), hash);
        for bad in ["", "zz", &hex[..62], &format!("{}g", &hex[..63])] {
            assert_eq!(SecretHash::from_hex(bad), None, "{bad:?}");
        }
        assert_eq!(format!("{hash:?}"), "SecretHash(<redacted>)");
        // A known vector: SHA-256("abc").
        assert_eq!(
            SecretHash::of("abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn constant_time() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn generated() {
        let a = generate("x_", 32);
        assert!(a.starts_with("x_") && a.len() == 34);
        assert_ne!(a, generate("x_", 32));
    }
}
