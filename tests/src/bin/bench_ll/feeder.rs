//! The feeder: a broadcaster elsewhere. It uploads the init segment, then each part at its media time
//! (real time) with `PUT .../parts/{msn}.{index}.m4s`, on a thread and runtime of its own so that its
//! timers and the instants it records do not queue behind thousands of viewer tasks. A part's *arrival*
//! is the instant its PUT is answered.

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use hyper::{Method, StatusCode};
use onair_protocol::{bearer, paths, DEFAULT_RENDITION, PART_TARGET_HEADER};
use onair_tests::CreatedStream;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::conn::Conn;
use crate::figures::ms;
use crate::lock;
use crate::source::{FeedPart, Media, PartId, PART_TARGET};

/// Where the feeder's parts are recorded as they arrive: part → when its PUT was answered.
pub type Arrivals = Arc<Mutex<HashMap<PartId, Instant>>>;

/// Starts the feeder's thread, and returns once it has uploaded the init segment. It uploads `media`'s
/// parts at their media times from `epoch`, recording each one in `arrivals`, until `done` is set (or
/// the parts run out).
pub async fn start(
    addr: SocketAddr,
    stream: &CreatedStream,
    media: &Media,
    epoch: Instant,
    done: &Arc<AtomicBool>,
    arrivals: &Arrivals,
) -> Result<JoinHandle<Result<Fed>>> {
    let (stream, media_init, parts) =
        (stream.clone(), media.init.clone(), Arc::clone(&media.parts));
    let (done, arrivals) = (Arc::clone(done), Arc::clone(arrivals));
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let thread = std::thread::Builder::new()
        .name("feeder".into())
        .spawn(move || -> Result<Fed> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("the feeder's runtime")?;
            runtime.block_on(async move {
                let mut conn = Conn::new(addr);
                let init = upload_init(&mut conn, &stream, &media_init).await;
                let failed = init.is_err();
                let _ = ready_tx.send(init);
                if failed {
                    return Ok(Fed::default());
                }
                feed(conn, stream, parts, epoch, done, arrivals).await
            })
        })
        .context("starting the feeder thread")?;
    ready_rx
        .await
        .context("the feeder stopped before uploading the init segment")??;
    Ok(thread)
}

/// `PUT`s the init segment.
async fn upload_init(conn: &mut Conn, stream: &CreatedStream, init: &Bytes) -> Result<()> {
    let path = paths::init_upload(&stream.id, DEFAULT_RENDITION);
    let auth = bearer(&stream.stream_key);
    let reply = conn
        .send(
            Method::PUT,
            &path,
            &[("authorization", &auth)],
            init.clone(),
            true,
        )
        .await
        .map_err(|e| anyhow::anyhow!("PUT {path}: {e}"))?;
    if !reply.status.is_success() {
        bail!(
            "PUT {path}: {} {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
    }
    Ok(())
}

/// What the feeder did.
#[derive(Debug, Default)]
pub struct Fed {
    pub parts: u64,
    /// The last part uploaded.
    pub last: Option<PartId>,
    /// Time to answer each PUT, in ms.
    pub put_ms: Vec<f64>,
    /// How late the latest PUT started against its part's media time.
    pub max_late_ms: f64,
    pub errors: BTreeMap<String, u64>,
}

/// Uploads each part at its media time (from `epoch`) until the viewers are done (the last blocking
/// reloads they sent are answered by the next part), recording when each was answered.
async fn feed(
    mut conn: Conn,
    stream: CreatedStream,
    parts: Arc<Vec<FeedPart>>,
    epoch: Instant,
    viewers_done: Arc<AtomicBool>,
    arrivals: Arrivals,
) -> Result<Fed> {
    let auth = bearer(&stream.stream_key);
    let part_target = PART_TARGET.to_string();
    let mut fed = Fed::default();
    for part in parts.iter() {
        let due = epoch + Duration::from_secs_f64(part.due_secs);
        tokio::time::sleep_until(due.into()).await;
        if viewers_done.load(Ordering::Relaxed) {
            break;
        }
        let sent = Instant::now();
        fed.max_late_ms = fed.max_late_ms.max(ms(sent - due));
        let path = paths::part_upload(&stream.id, DEFAULT_RENDITION, part.id.msn, part.id.index);
        let result = conn
            .send(
                Method::PUT,
                &path,
                &[("authorization", &auth), (PART_TARGET_HEADER, &part_target)],
                part.data.clone(),
                true,
            )
            .await;
        let answered = Instant::now();
        match result {
            Ok(reply) if reply.status == StatusCode::CREATED || reply.status == StatusCode::OK => {
                lock(&arrivals).insert(part.id, answered);
                fed.put_ms.push(ms(answered - sent));
                fed.parts += 1;
                fed.last = Some(part.id);
            }
            Ok(reply) => {
                let body = String::from_utf8_lossy(&reply.body);
                let key = format!("upload: {} {}", reply.status.as_u16(), body.trim());
                *fed.errors.entry(key).or_default() += 1;
                if reply.status == StatusCode::NOT_FOUND && fed.parts == 0 {
                    bail!("PUT {path}: 404: this server has no LL-HLS part uploads");
                }
            }
            Err(e) => *fed.errors.entry(format!("upload: {e}")).or_default() += 1,
        }
    }
    Ok(fed)
}
