//! The viewers: simulated LL-HLS clients, each on its own HTTP/1.1 keep-alive connection, doing a
//! blocking playlist reload for the next part (`?_HLS_msn=N&_HLS_part=M`), then a GET of every part it
//! newly lists, then the next reload; and recording, for each part, when the reload that listed it and
//! its GET were answered.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use hyper::StatusCode;

use crate::conn::Conn;
use crate::listing::list_parts;
use crate::source::PartId;

/// A viewer waits this long after a failed request before its next one.
const ERROR_PAUSE: Duration = Duration::from_millis(500);

/// What every viewer shares.
pub struct ViewerContext {
    pub addr: SocketAddr,
    /// The media playlist's path, `/live/{id}/r0/index.m3u8`.
    pub playlist: String,
    /// Its folder, `/live/{id}/r0/`: what part URIs are relative to.
    pub base: String,
    pub epoch: Instant,
    pub hold_start: Instant,
    pub hold_end: Instant,
    /// Viewers stop at this instant even if they have not caught up.
    pub give_up: Instant,
    /// The last part that arrived during the hold, set just after it: a viewer that has it stops.
    pub last_of_hold: OnceLock<PartId>,
    pub progress: Progress,
}

/// Live counters for the progress lines.
#[derive(Default)]
pub struct Progress {
    pub joined: AtomicU64,
    pub requests: AtomicU64,
    pub errors: AtomicU64,
}

/// What a viewer saw of a part: listed by a playlist reload, or its GET completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    Listed,
    Delivered,
}

/// One observation: a part, how, and when (microseconds from the epoch).
#[derive(Debug, Clone, Copy)]
pub struct Observation {
    pub part: PartId,
    pub seen: Seen,
    pub at_us: u64,
}

/// What one viewer did.
#[derive(Debug)]
pub struct ViewerOutcome {
    pub observations: Vec<Observation>,
    /// Requests answered during the hold: playlist reloads, part GETs; their bytes.
    pub reloads: u64,
    pub part_gets: u64,
    pub bytes: u64,
    pub connections: u64,
    pub errors: BTreeMap<String, u64>,
    /// When it stopped.
    pub finished: Instant,
    /// Segments it GET whole because their parts were no longer listed.
    pub fallbacks: Vec<u64>,
    /// The first part after its join: the parts it is expected to see start here.
    pub joined_before: Option<PartId>,
}

impl ViewerOutcome {
    fn error(&mut self, ctx: &ViewerContext, what: &str, kind: String) {
        *self.errors.entry(format!("{what}: {kind}")).or_default() += 1;
        ctx.progress.errors.fetch_add(1, Ordering::Relaxed);
    }
}

pub fn micros_since(epoch: Instant, at: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(epoch).as_micros()).unwrap_or(u64::MAX)
}

/// One simulated LL-HLS client: joins at `join_at` with a plain playlist GET, then blocking reloads for
/// the next part and GETs of each part they newly list, until it has every part that arrived during the
/// hold (or the context's `give_up`).
pub async fn viewer(ctx: Arc<ViewerContext>, join_at: Instant) -> ViewerOutcome {
    tokio::time::sleep_until(join_at.into()).await;
    ctx.progress.joined.fetch_add(1, Ordering::Relaxed);
    let mut out = ViewerOutcome {
        observations: Vec::new(),
        reloads: 0,
        part_gets: 0,
        bytes: 0,
        connections: 0,
        errors: BTreeMap::new(),
        finished: join_at,
        fallbacks: Vec::new(),
        joined_before: None,
    };
    let mut conn = Conn::new(ctx.addr);
    // The next part this viewer wants; None until it has joined.
    let mut next: Option<PartId> = None;
    loop {
        let now = Instant::now();
        let caught_up = ctx
            .last_of_hold
            .get()
            .is_some_and(|last| next.is_some_and(|n| n > *last));
        if now >= ctx.give_up || (now >= ctx.hold_end && caught_up) {
            break;
        }
        let (what, path) = match next {
            None => ("join", ctx.playlist.clone()),
            Some(p) => (
                "reload",
                format!("{}?_HLS_msn={}&_HLS_part={}", ctx.playlist, p.msn, p.index),
            ),
        };
        let result = conn.get(&path, true).await;
        let answered = Instant::now();
        ctx.progress.requests.fetch_add(1, Ordering::Relaxed);
        let in_hold = answered >= ctx.hold_start && answered < ctx.hold_end;
        let reply = match result {
            Ok(reply) if reply.status == StatusCode::OK => reply,
            Ok(reply) => {
                out.error(&ctx, what, reply.status.as_u16().to_string());
                tokio::time::sleep(ERROR_PAUSE).await;
                continue;
            }
            Err(e) => {
                out.error(&ctx, what, e.to_string());
                tokio::time::sleep(ERROR_PAUSE).await;
                continue;
            }
        };
        if in_hold {
            out.reloads += 1;
            out.bytes += reply.len;
        }
        let text = String::from_utf8_lossy(&reply.body);
        let from = next.unwrap_or(PartId {
            msn: u64::MAX,
            index: u32::MAX,
        });
        let listing = match list_parts(&text, from) {
            Ok(listing) => listing,
            Err(e) => {
                out.error(&ctx, what, format!("unreadable playlist: {e}"));
                tokio::time::sleep(ERROR_PAUSE).await;
                continue;
            }
        };
        if listing.ended {
            break;
        }
        if next.is_some() && listing.parts.is_empty() {
            out.error(&ctx, what, "answered without the requested part".into());
            tokio::time::sleep(ERROR_PAUSE).await;
        }
        let at_us = micros_since(ctx.epoch, answered);
        for (part, _) in &listing.parts {
            out.observations.push(Observation {
                part: *part,
                seen: Seen::Listed,
                at_us,
            });
        }
        for (msn, uri) in &listing.partless {
            // Fallen behind the parts window: the whole segment, as a client would.
            let result = conn.get(&resolve(&ctx.base, uri), false).await;
            ctx.progress.requests.fetch_add(1, Ordering::Relaxed);
            match result {
                Ok(reply) if reply.status == StatusCode::OK => out.fallbacks.push(*msn),
                Ok(reply) => out.error(&ctx, "segment", reply.status.as_u16().to_string()),
                Err(e) => out.error(&ctx, "segment", e.to_string()),
            }
        }
        for (part, uri) in &listing.parts {
            if Instant::now() >= ctx.give_up {
                break;
            }
            let result = conn.get(&resolve(&ctx.base, uri), false).await;
            let done = Instant::now();
            ctx.progress.requests.fetch_add(1, Ordering::Relaxed);
            match result {
                Ok(reply) if reply.status == StatusCode::OK => {
                    out.observations.push(Observation {
                        part: *part,
                        seen: Seen::Delivered,
                        at_us: micros_since(ctx.epoch, done),
                    });
                    if done >= ctx.hold_start && done < ctx.hold_end {
                        out.part_gets += 1;
                        out.bytes += reply.len;
                    }
                }
                Ok(reply) => out.error(&ctx, "part", reply.status.as_u16().to_string()),
                Err(e) => out.error(&ctx, "part", e.to_string()),
            }
        }
        if next.is_none() {
            out.joined_before = Some(listing.next);
        }
        next = Some(listing.next);
    }
    out.connections = conn.opened;
    out.finished = Instant::now();
    out
}

/// A URI from the playlist as a request path.
fn resolve(base: &str, uri: &str) -> String {
    if uri.starts_with('/') {
        uri.to_string()
    } else {
        format!("{base}{uri}")
    }
}

/// Prints a line to stderr every 10 s while the viewers run.
pub async fn report_progress(ctx: Arc<ViewerContext>, viewers: usize) {
    let start = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let phase = if Instant::now() < ctx.hold_start {
            "ramp"
        } else if Instant::now() < ctx.hold_end {
            "hold"
        } else {
            "catching up"
        };
        eprintln!(
            "  [{:>3} s, {phase}] {}/{viewers} viewers joined, {} requests, {} errors",
            start.elapsed().as_secs(),
            ctx.progress.joined.load(Ordering::Relaxed),
            ctx.progress.requests.load(Ordering::Relaxed),
            ctx.progress.errors.load(Ordering::Relaxed),
        );
    }
}
