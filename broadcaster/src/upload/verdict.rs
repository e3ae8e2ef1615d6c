//! How one upload attempt ended and what that means for the queue: the one place where retries are
//! decided, on the shared policy of `onair-browser` (retryable statuses, `Retry-After`).

use onair_browser::retry::{parse_retry_after, status_retryable};

use super::UploadKind;

/// How one attempt ended, as the network reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The server answered.
    Status {
        /// HTTP status code.
        status: u16,
        /// The `Retry-After` header, if any.
        retry_after: Option<String>,
    },
    /// No answer: `fetch` rejected (connection refused, reset, offline...).
    NetworkError,
}

/// What to do about an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Uploaded.
    Success,
    /// Try the same item again, not before the backoff nor before `at_least_ms` (`Retry-After`).
    Retry {
        /// The server's `Retry-After`, in milliseconds.
        at_least_ms: Option<u64>,
    },
    /// The server will never take this item; drop it and go on (a 409 on a part).
    Skip,
    /// Retrying cannot help and going on would be wrong: stop.
    Fatal,
}

/// Decides what an attempt means; the one place where retries are decided.
pub fn verdict(kind: UploadKind, attempt: &Attempt) -> Verdict {
    match attempt {
        Attempt::NetworkError => Verdict::Retry { at_least_ms: None },
        Attempt::Status { status, .. } if (200..=299).contains(status) => Verdict::Success,
        Attempt::Status { status: 409, .. } if matches!(kind, UploadKind::Part { .. }) => {
            Verdict::Skip
        }
        Attempt::Status {
            status,
            retry_after,
        } if status_retryable(*status) => Verdict::Retry {
            at_least_ms: retry_after.as_deref().and_then(parse_retry_after),
        },
        Attempt::Status { .. } => Verdict::Fatal,
    }
}

#[cfg(test)]
impl Attempt {
    /// An answer with `status` and no `Retry-After`.
    pub(crate) fn answered(status: u16) -> Self {
        Self::Status {
            status,
            retry_after: None,
        }
    }

    /// An answer with `status` and a `Retry-After`.
    pub(crate) fn busy(status: u16, retry_after: &str) -> Self {
        Self::Status {
            status,
            retry_after: Some(retry_after.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> Attempt {
        Attempt::answered(status)
    }

    fn busy(status: u16, retry_after: &str) -> Attempt {
        Attempt::busy(status, retry_after)
    }

    #[test]
    fn verdicts() {
        let p = UploadKind::Part { msn: 0, index: 0 };
        for s in [200, 201, 204] {
            assert_eq!(verdict(p, &status(s)), Verdict::Success, "{s}");
        }
        assert_eq!(verdict(p, &status(409)), Verdict::Skip);
        assert_eq!(verdict(UploadKind::Init, &status(409)), Verdict::Fatal);
        assert_eq!(verdict(UploadKind::End, &status(409)), Verdict::Fatal);
        for s in [400, 401, 403, 404, 413, 415] {
            assert_eq!(verdict(p, &status(s)), Verdict::Fatal, "{s}");
        }
        for s in [408, 429, 500, 502, 503, 504] {
            assert_eq!(
                verdict(p, &status(s)),
                Verdict::Retry { at_least_ms: None },
                "{s}"
            );
        }
        assert_eq!(
            verdict(p, &Attempt::NetworkError),
            Verdict::Retry { at_least_ms: None }
        );
        assert_eq!(
            verdict(p, &busy(503, " 3 ")),
            Verdict::Retry {
                at_least_ms: Some(3_000)
            }
        );
        // Retry-After on a status that is not retryable changes nothing.
        assert_eq!(verdict(p, &busy(400, "1")), Verdict::Fatal);
    }
}
