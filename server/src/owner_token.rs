//! The owner token: the secret of whoever created a stream, shown once beside the stream key when the
//! stream is created. It edits the stream's metadata (`PATCH /api/streams/{id}`), ends and deletes it,
//! and reads its analytics; it cannot upload media (the key's job), so an encoder's configuration, which
//! holds the key, gives no one the stream. Presented as `Authorization: Bearer ot_...`. Only its hash is
//! kept ([`crate::secret`]). An account system would own tokens like this one per person instead of per
//! stream; the routes ask for an owner through one extractor ([`crate::routes::credential::OwnedStream`]).

use crate::secret::secret_type;

/// Prefix of every owner token: tells it from a stream key (`sk_`) at a glance.
pub const OWNER_TOKEN_PREFIX: &str = "ot_";
/// Number of random alphanumeric characters after [`OWNER_TOKEN_PREFIX`].
pub const OWNER_TOKEN_RANDOM_LEN: usize = 40;

secret_type!(
    /// An owner token, generated or as presented by a request. Its `Debug` is redacted and it has no
    /// `Display`; it compares in constant time.
    OwnerToken,
    OWNER_TOKEN_PREFIX,
    OWNER_TOKEN_RANDOM_LEN
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_tokens() {
        let token = OwnerToken::generate();
        assert!(token.expose().starts_with(OWNER_TOKEN_PREFIX));
        assert_eq!(
            token.expose().len(),
            OWNER_TOKEN_PREFIX.len() + OWNER_TOKEN_RANDOM_LEN
        );
        assert_ne!(token, OwnerToken::generate());
        assert_eq!(format!("{token:?}"), "OwnerToken(<redacted>)");
    }
}
