//! Low-Latency HLS parts on their way in: the bytes of a part upload, shared while they arrive with the
//! viewers who asked for that part before it existed (the part `EXT-X-PRELOAD-HINT` names).
//!
//! RFC 8216bis 6.2.6: a server answering a preload-hinted part "SHOULD" send its bytes as they become
//! available. An [`Arrival`] holds the chunks received so far and how the upload ended; every reader
//! ([`Arrival::reader`]) gets each chunk the moment it is pushed, so a viewer is never a whole part
//! behind the uploader.
//!
//! Nothing malformed reaches a viewer as a part: the upload is validated once it is complete, and only
//! then does a reader's body end normally ([`Outcome::Accepted`]). A part refused by validation, cut
//! short or abandoned ([`Outcome::Refused`], or the uploader gone without a word) ends each reader's
//! body with an error, so the HTTP answer stops without its last chunk: no player appends it and no
//! cache stores it.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::watch;

/// How a part upload ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Still arriving.
    Arriving,
    /// Validated and published: the chunks are the part.
    Accepted,
    /// Refused, cut short or abandoned: the chunks are not a part.
    Refused,
}

#[derive(Debug)]
struct Progress {
    chunks: Vec<Bytes>,
    outcome: Outcome,
}

/// One part upload in progress. Shared (`Arc`) between the upload and its readers.
#[derive(Debug)]
pub struct Arrival {
    progress: watch::Sender<Progress>,
}

/// Why a reader's body ended early.
#[derive(Debug, thiserror::Error)]
#[error("the part upload was refused or did not complete; reload the playlist")]
pub struct PartNotDelivered;

impl Arrival {
    /// An upload with nothing received yet.
    pub fn new() -> Arc<Self> {
        let (progress, _) = watch::channel(Progress {
            chunks: Vec::new(),
            outcome: Outcome::Arriving,
        });
        Arc::new(Self { progress })
    }

    /// Hands a received chunk to every reader. Ignored once the upload has an outcome.
    pub fn push(&self, chunk: Bytes) {
        if chunk.is_empty() {
            return;
        }
        self.progress.send_if_modified(|p| {
            if p.outcome != Outcome::Arriving {
                return false;
            }
            p.chunks.push(chunk);
            true
        });
    }

    /// Records how the upload ended (the first call counts) and wakes every reader.
    pub fn finish(&self, outcome: Outcome) {
        self.progress.send_if_modified(|p| {
            if p.outcome != Outcome::Arriving || outcome == Outcome::Arriving {
                return false;
            }
            p.outcome = outcome;
            true
        });
    }

    /// How the upload stands.
    #[cfg(test)]
    fn outcome(&self) -> Outcome {
        self.progress.borrow().outcome
    }

    /// Bytes received so far.
    #[cfg(test)]
    fn received(&self) -> usize {
        self.progress.borrow().chunks.iter().map(Bytes::len).sum()
    }

    /// The part's bytes from the first, each chunk as soon as it arrives; ends when the upload is
    /// accepted, or with [`PartNotDelivered`] when it is refused or its uploader goes away.
    pub fn reader(
        self: &Arc<Self>,
    ) -> impl Stream<Item = Result<Bytes, PartNotDelivered>> + 'static {
        struct Reader {
            progress: watch::Receiver<Progress>,
            // Keeps the sender alive for as long as a reader waits on it.
            _arrival: Arc<Arrival>,
            next: usize,
            done: bool,
        }
        let reader = Reader {
            progress: self.progress.subscribe(),
            _arrival: Arc::clone(self),
            next: 0,
            done: false,
        };
        futures_util::stream::unfold(reader, |mut r| async move {
            if r.done {
                return None;
            }
            loop {
                let step = {
                    let p = r.progress.borrow_and_update();
                    match (p.chunks.get(r.next), p.outcome) {
                        (Some(chunk), _) => Some(Ok(chunk.clone())),
                        (None, Outcome::Accepted) => return None,
                        (None, Outcome::Refused) => Some(Err(PartNotDelivered)),
                        (None, Outcome::Arriving) => None,
                    }
                };
                match step {
                    Some(Ok(chunk)) => {
                        r.next += 1;
                        return Some((Ok(chunk), r));
                    }
                    Some(Err(e)) => {
                        r.done = true;
                        return Some((Err(e), r));
                    }
                    None => {
                        if r.progress.changed().await.is_err() {
                            r.done = true;
                            return Some((Err(PartNotDelivered), r));
                        }
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt as _;
    use std::time::Duration;

    async fn next<S: Stream<Item = Result<Bytes, PartNotDelivered>> + Unpin>(
        s: &mut S,
    ) -> Option<Result<Bytes, PartNotDelivered>> {
        tokio::time::timeout(Duration::from_secs(2), s.next())
            .await
            .expect("the reader answers")
    }

    #[tokio::test]
    async fn readers_get_each_chunk_as_it_arrives_and_end_on_acceptance() {
        let arrival = Arrival::new();
        arrival.push(Bytes::from_static(b"early"));
        let mut late_joiner_before = Box::pin(arrival.reader());
        assert_eq!(
            next(&mut late_joiner_before).await.unwrap().unwrap(),
            "early"
        );
        // Nothing more yet: the reader waits.
        let waiting =
            tokio::time::timeout(Duration::from_millis(50), late_joiner_before.next()).await;
        assert!(waiting.is_err(), "a reader waits for the next chunk");
        arrival.push(Bytes::from_static(b"second"));
        assert_eq!(
            next(&mut late_joiner_before).await.unwrap().unwrap(),
            "second"
        );
        // A reader that comes later gets everything from the first byte.
        let mut later = Box::pin(arrival.reader());
        arrival.finish(Outcome::Accepted);
        let all: Vec<Bytes> = later.by_ref().map(|c| c.unwrap()).collect().await;
        assert_eq!(all, ["early", "second"]);
        assert!(
            next(&mut late_joiner_before).await.is_none(),
            "ends cleanly"
        );
        assert_eq!(arrival.received(), 11);
    }

    #[tokio::test]
    async fn a_refused_or_abandoned_upload_ends_readers_with_an_error() {
        let arrival = Arrival::new();
        let mut reader = Box::pin(arrival.reader());
        arrival.push(Bytes::from_static(b"bytes"));
        arrival.finish(Outcome::Refused);
        // The outcome is final: later pushes and outcomes change nothing.
        arrival.push(Bytes::from_static(b"more"));
        arrival.finish(Outcome::Accepted);
        assert_eq!(arrival.outcome(), Outcome::Refused);
        assert_eq!(next(&mut reader).await.unwrap().unwrap(), "bytes");
        assert!(next(&mut reader).await.unwrap().is_err());
        assert!(next(&mut reader).await.is_none());
    }
}
