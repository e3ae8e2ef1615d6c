//! Segment GETs against the origin and against nginx serving the very same bytes as static files: the
//! same client code, a fixed number of connections, each GETting the completed segments in turn.

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use hyper::StatusCode;
use onair_protocol::DEFAULT_RENDITION;
use onair_tests::{CreatedStream, NginxCache};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::conn::Conn;
use crate::figures::{ms, summarize, Summary};
use crate::procfs::{proc_status_kb, Snapshot, Usage};
use crate::source::Media;

/// How the nginx copy of the segments was made.
pub struct Copied {
    pub segments: usize,
    pub bytes: u64,
    /// Segments whose origin bytes differ from the segmenter's (parts concatenated).
    pub differing: Vec<u64>,
}

/// GETs every completed segment from the origin once and writes it under nginx's root at the same path,
/// so that both serve the very same bytes.
pub async fn copy_segments(
    origin: SocketAddr,
    stream: &CreatedStream,
    completed: &[u64],
    media: &Media,
    nginx: &NginxCache,
) -> Result<Copied> {
    let expected: HashMap<u64, &Bytes> = media.segments.iter().map(|(m, b)| (*m, b)).collect();
    let mut conn = Conn::new(origin);
    let mut copied = Copied {
        segments: 0,
        bytes: 0,
        differing: Vec::new(),
    };
    for &msn in completed {
        let path = onair_protocol::paths::segment(&stream.id, DEFAULT_RENDITION, msn);
        let reply = conn
            .get(&path, true)
            .await
            .map_err(|e| anyhow::anyhow!("GET {path} from the origin: {e}"))?;
        if reply.status != StatusCode::OK {
            bail!("GET {path} from the origin: {}", reply.status);
        }
        if expected.get(&msn).is_none_or(|b| **b != reply.body) {
            copied.differing.push(msn);
        }
        let file = nginx.www().join(path.trim_start_matches('/'));
        let folder = file.parent().context("a segment's folder")?;
        std::fs::create_dir_all(folder)
            .with_context(|| format!("creating {}", folder.display()))?;
        std::fs::write(&file, &reply.body)
            .with_context(|| format!("writing {}", file.display()))?;
        copied.segments += 1;
        copied.bytes += reply.len;
    }
    Ok(copied)
}

/// Throughput of one side.
pub struct Gets {
    pub requests: u64,
    pub bytes: u64,
    pub secs: f64,
    pub latency: Option<Summary>,
    pub errors: BTreeMap<String, u64>,
    pub usage: Usage,
    pub connections: u64,
    /// The servers' resident memory at the end (all of `pids`).
    pub rss_kb: u64,
}

/// `connections` clients each GET the segments in turn (each starting at a different one) for `run`;
/// `pids` are the server's processes, whose CPU time is measured over the run.
pub async fn segment_gets(
    addr: SocketAddr,
    pids: &[u32],
    paths: Arc<Vec<String>>,
    connections: usize,
    run: Duration,
) -> Result<Gets> {
    let before = Snapshot::take(pids)?;
    let start = Instant::now();
    let deadline = start + run;
    let mut tasks = Vec::with_capacity(connections);
    for k in 0..connections {
        let paths = Arc::clone(&paths);
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(addr);
            let (mut requests, mut bytes) = (0u64, 0u64);
            let mut latencies = Vec::new();
            let mut errors: BTreeMap<String, u64> = BTreeMap::new();
            let mut i = k;
            while Instant::now() < deadline {
                let path = &paths[i % paths.len()];
                i += 1;
                let sent = Instant::now();
                match conn.get(path, false).await {
                    Ok(reply) if reply.status == StatusCode::OK => {
                        requests += 1;
                        bytes += reply.len;
                        latencies.push(ms(sent.elapsed()));
                    }
                    Ok(reply) => {
                        *errors
                            .entry(format!("segment: {}", reply.status.as_u16()))
                            .or_default() += 1
                    }
                    Err(e) => *errors.entry(format!("segment: {e}")).or_default() += 1,
                }
            }
            (requests, bytes, latencies, errors, conn.opened)
        }));
    }
    let mut gets = Gets {
        requests: 0,
        bytes: 0,
        secs: 0.0,
        latency: None,
        errors: BTreeMap::new(),
        usage: Usage::default(),
        connections: 0,
        rss_kb: 0,
    };
    let mut latencies = Vec::new();
    for task in tasks {
        let (requests, bytes, l, errors, opened) = task.await.context("a client task panicked")?;
        gets.requests += requests;
        gets.bytes += bytes;
        gets.connections += opened;
        latencies.extend(l);
        for (k, n) in errors {
            *gets.errors.entry(k).or_default() += n;
        }
    }
    gets.secs = start.elapsed().as_secs_f64();
    gets.usage = before.usage(&Snapshot::take(pids)?);
    gets.latency = summarize(latencies);
    gets.rss_kb = pids
        .iter()
        .filter_map(|&p| proc_status_kb(p, "VmRSS").ok())
        .sum();
    Ok(gets)
}
