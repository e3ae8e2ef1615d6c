//! One stream's ffmpeg, supervised: a run feeds it the source from where the rungs stopped, muxes what
//! it writes into the rungs and uploads them; a run that fails is followed by another after a backoff
//! (1 s, doubling to 30 s, back to 1 s after a run that lasted a minute); the stream's end ends it.
//!
//! Within a run, a feeder task writes the source's fragments to ffmpeg's standard input, each announced
//! to the muxer first (so the muxer knows a segment's start before ffmpeg's frames of it come back),
//! and this task reads ffmpeg's standard output, muxes and uploads. A source segment that starts a new
//! period ends the run cleanly (ffmpeg flushes every frame); the next run starts there. Each rung
//! segment takes its source segment's period (`Origin::align_transcoded_period`): a discontinuity exactly
//! where the source has one, whatever a server restart decided for the rung.

use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use onair_media::parse_segment;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{ChildStdin, Command};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::command::ffmpeg_args;
use super::feed::{self, Cursor, Next};
use super::rungs::{RungMuxer, RungUpload, SourceEvent};
use super::{Plan, RungLabels, Running, TranscodeError};
use crate::error::AppError;
use crate::live::LiveStream;
use crate::names::RenditionName;
use crate::origin::{InitSource, Origin};
use crate::store::StreamStatus;
use onair_media::demux::stream::Splitter;

/// The first wait before a failed run is followed by another.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A run that lasted this long resets the backoff.
const STEADY_RUN: Duration = Duration::from_secs(60);

/// How a run ended, when it did not fail.
#[derive(Debug, PartialEq, Eq)]
enum RunEnd {
    /// The stream ended.
    Done,
    /// The stream has a second video rendition of its own: it is a ladder, not to be transcoded.
    Ladder,
    /// The source's next segment starts a new period.
    NewPeriod,
    /// The source sent nothing for a while after a whole segment: ffmpeg was flushed so that the
    /// rungs hold every frame fed (a B-frame source's last frames wait in the decoder for the next
    /// segment's), and the next run starts with segment `next`.
    Idle {
        /// The first segment not fed.
        next: u64,
    },
}

/// How long a source may send nothing after a whole segment before ffmpeg is flushed: twice its
/// last segment's duration, from 3 to 12 s.
fn idle_after(stream: &LiveStream, source: &RenditionName) -> Duration {
    let last = stream
        .read()
        .renditions
        .get(source)
        .and_then(|r| r.segments().last().map(|s| s.duration_secs))
        .unwrap_or(2.0);
    Duration::from_secs_f64((2.0 * last).clamp(3.0, 12.0))
}

/// Waits until the source has segment `next` (or a part of it), or the stream ended.
async fn await_source(stream: &LiveStream, source: &RenditionName, next: u64) {
    let mut changes = stream.subscribe();
    loop {
        let ready = {
            let state = stream.read();
            state.record.status == StreamStatus::Ended
                || state.renditions.get(source).is_some_and(|r| {
                    r.next_msn() > next || r.open_segment().is_some_and(|o| o.msn >= next)
                })
        };
        if ready || changes.changed().await.is_err() {
            return;
        }
    }
}

/// Starts the transcodes the origin asks for until `shutdown` completes; then ends them all and waits
/// until they have ended (their ffmpegs killed).
pub(crate) async fn start_requested(
    origin: Arc<Origin>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let Some(mut requests) = origin.transcoders().take_requests() else {
        return;
    };
    let mut transcodes = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let id = tokio::select! {
            () = &mut shutdown => break,
            Some(id) = requests.recv() => id,
            Some(_) = transcodes.join_next(), if !transcodes.is_empty() => continue,
        };
        let Some(settings) = origin.transcoders().settings().cloned() else {
            continue;
        };
        let Ok(stream) = origin.stream(&id) else {
            continue;
        };
        let Some(plan) = super::plan(&stream.read(), &settings.heights) else {
            continue;
        };
        let Some(running) = origin.transcoders().claim(&id) else {
            continue;
        };
        tracing::info!(
            stream = %id, source = %plan.source,
            rungs = ?plan.rungs.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>(),
            "transcoding"
        );
        let pending = plan.rungs.iter().any(|(name, _)| {
            stream
                .read()
                .renditions
                .get(name)
                .is_none_or(|r| r.init().is_none())
        });
        set_pending(&stream, pending);
        transcodes.spawn(supervise(Arc::clone(&origin), stream, plan, running));
    }
    transcodes.shutdown().await;
}

/// A change of `rungs_pending`, only when it changes (a change wakes every waiting viewer).
fn set_pending(stream: &LiveStream, pending: bool) {
    if stream.read().rungs_pending != pending {
        stream.change(|state| state.rungs_pending = pending);
    }
}

/// Failed runs in a row, without a rung going further, after which the transcoder gives up.
const MAX_FRUITLESS_RUNS: u32 = 5;

async fn supervise(origin: Arc<Origin>, stream: Arc<LiveStream>, plan: Plan, _running: Running) {
    let id = stream.read().record.id.clone();
    let mut backoff = FIRST_BACKOFF;
    let mut fruitless = 0;
    loop {
        if stream.read().record.status == StreamStatus::Ended {
            break;
        }
        let started = Instant::now();
        let before = resume_msns(&stream, &plan);
        match run(&origin, &stream, &plan).await {
            Ok(RunEnd::Done) => break,
            Ok(RunEnd::Ladder) => {
                give_up(&stream, "the stream sends a ladder of its own now");
                break;
            }
            // A new timeline: a new ffmpeg (the rungs' period follows the source's, per segment).
            Ok(RunEnd::NewPeriod) => {}
            Ok(RunEnd::Idle { next }) => {
                tracing::info!(stream = %id, next, "source idle: transcoder flushed");
                await_source(&stream, &plan.source, next).await;
            }
            Err(TranscodeError::CodecChanged { rung, reason }) => {
                give_up(&stream, &format!("rung {rung}: {reason}"));
                break;
            }
            Err(error) => {
                set_pending(&stream, false);
                if stream.read().record.status == StreamStatus::Ended {
                    break;
                }
                fruitless = if resume_msns(&stream, &plan) == before {
                    fruitless + 1
                } else {
                    0
                };
                if fruitless >= MAX_FRUITLESS_RUNS {
                    give_up(
                        &stream,
                        &format!("{fruitless} runs in a row made nothing: {error}"),
                    );
                    break;
                }
                if started.elapsed() >= STEADY_RUN {
                    backoff = FIRST_BACKOFF;
                }
                origin
                    .transcoders()
                    .figures()
                    .restarts
                    .fetch_add(1, Ordering::Relaxed);
                tracing::warn!(stream = %id, %error, ?backoff, "transcoder failed: starting it again");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
    set_pending(&stream, false);
    tracing::info!(stream = %id, "transcoding ended");
}

/// Stops listing a stream's rungs for good: they stopped.
fn give_up(stream: &LiveStream, why: &str) {
    let id = stream.read().record.id.clone();
    tracing::error!(stream = %id, why, "transcoder gives up: the stream keeps its own renditions only");
    stream.change(|state| {
        state.rungs_stopped = true;
        state.rungs_pending = false;
    });
}

/// Where each rung goes on: the msn after its segment in parts (those parts stay), else its next one.
fn resume_msns(stream: &LiveStream, plan: &Plan) -> Vec<u64> {
    let state = stream.read();
    plan.rungs
        .iter()
        .map(|(name, _)| {
            state
                .renditions
                .get(name)
                .map_or(0, |r| match r.open_segment() {
                    Some(open) => open.msn + 1,
                    None => r.next_msn(),
                })
        })
        .collect()
}

async fn run(
    origin: &Arc<Origin>,
    stream: &Arc<LiveStream>,
    plan: &Plan,
) -> Result<RunEnd, TranscodeError> {
    let id = stream.read().record.id.clone();
    let resume = resume_msns(stream, plan);
    let first_msn = resume.iter().copied().min().unwrap_or(0);
    let ffmpeg = origin
        .transcoders()
        .ffmpeg()
        .cloned()
        .ok_or_else(|| TranscodeError::Process("no ffmpeg".into()))?;
    let rungs: Vec<_> = plan.rungs.iter().map(|(_, rung)| *rung).collect();
    let label = super::process_label(&id);
    let mut child = Command::new(&ffmpeg)
        .args(ffmpeg_args(&rungs, plan.tracks.video.timescale, &label))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| TranscodeError::Process(format!("starting {}: {e}", ffmpeg.display())))?;
    let (Some(stdin), Some(mut stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(TranscodeError::Process("no pipes".into()));
    };
    let log_id = id.clone();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            tracing::warn!(stream = %log_id, "transcoder ffmpeg: {line}");
        }
    });
    let (events, mut fed) = mpsc::unbounded_channel();
    let feeder = tokio::spawn(feed_source(
        Arc::clone(origin),
        Arc::clone(stream),
        plan.source.clone(),
        first_msn,
        stdin,
        events,
    ));
    let _abort_feeder = AbortOnDrop(feeder.abort_handle());

    let mut muxer = RungMuxer::new(plan.tracks.clone(), plan.rungs.len(), origin.limits());
    let mut splitter = Splitter::default();
    let uploader = Uploader {
        origin,
        stream,
        plan,
        resume: &resume,
    };
    let mut buffer = vec![0u8; 64 * 1024];
    let mut feeding = true;
    loop {
        tokio::select! {
            event = fed.recv(), if feeding => match event {
                Some(event) => uploader.send(muxer.source(event)?).await?,
                None => feeding = false,
            },
            read = stdout.read(&mut buffer) => {
                let n = read.map_err(|e| TranscodeError::Process(format!("reading its output: {e}")))?;
                if n == 0 {
                    break;
                }
                while let Ok(event) = fed.try_recv() {
                    uploader.send(muxer.source(event)?).await?;
                }
                let pieces = splitter
                    .push(buffer.get(..n).unwrap_or_default())
                    .map_err(|e| TranscodeError::Output(e.to_string()))?;
                for piece in pieces {
                    uploader.send(muxer.output(piece)?).await?;
                }
            }
        }
    }
    let status = child
        .wait()
        .await
        .map_err(|e| TranscodeError::Process(e.to_string()))?;
    if !status.success() {
        // The feeder may be waiting for the source: it is aborted when this returns.
        return Err(TranscodeError::Process(format!("exited: {status}")));
    }
    let end = match feeder.await {
        Ok(Ok(end)) => end,
        Ok(Err(error)) => return Err(error),
        Err(_) => return Err(TranscodeError::Process("the feeder stopped".into())),
    };
    while let Ok(event) = fed.try_recv() {
        uploader.send(muxer.source(event)?).await?;
    }
    uploader.send(muxer.finish()?).await?;
    Ok(end)
}

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Writes the source to ffmpeg from segment `first_msn` on, announcing each fragment first; returns
/// (closing ffmpeg's input, so that it finishes) when the stream ends, a new period starts, the source
/// has been quiet for a while after a whole segment ([`RunEnd::Idle`]) or the stream turns out to be a
/// ladder.
async fn feed_source(
    origin: Arc<Origin>,
    stream: Arc<LiveStream>,
    source: RenditionName,
    first_msn: u64,
    mut stdin: ChildStdin,
    events: mpsc::UnboundedSender<SourceEvent>,
) -> Result<RunEnd, TranscodeError> {
    let mut changes = stream.subscribe();
    let id = stream.read().record.id.clone();
    let mut cursor = Cursor {
        msn: first_msn,
        parts: 0,
    };
    let (init, init_bytes) = {
        let state = stream.read();
        let init = state
            .renditions
            .get(&source)
            .and_then(|r| r.init())
            .ok_or_else(|| TranscodeError::Process("the source has no init".into()))?;
        (init.parsed.clone(), init.bytes.clone())
    };
    write(&mut stdin, &init_bytes).await?;
    let idle = idle_after(&stream, &source);
    let mut last_fed = Instant::now();
    loop {
        let (step, ended) = {
            let state = stream.read();
            let ended = state.record.status == StreamStatus::Ended;
            let own_videos = state
                .renditions
                .iter()
                .filter(|(name, r)| {
                    !name.is_transcoded() && r.init().is_some_and(|i| i.parsed.video().is_some())
                })
                .count();
            if own_videos > 1 {
                return Ok(RunEnd::Ladder);
            }
            let step = state
                .renditions
                .get(&source)
                .map_or(Next::Wait, |r| feed::next(r, cursor, first_msn));
            (step, ended)
        };
        match &step {
            Next::Wait if ended => return Ok(RunEnd::Done),
            Next::Lost { msn } => {
                return Err(TranscodeError::Source {
                    msn: *msn,
                    reason: "its parts were dropped before they were fed".into(),
                })
            }
            Next::Wait => {
                // Quiet since the last fragment fed, whatever else changed meanwhile.
                match tokio::time::timeout_at(last_fed + idle, changes.changed()).await {
                    Ok(Ok(())) => continue,
                    Ok(Err(_)) => return Ok(RunEnd::Done),
                    // Flush only between whole segments, and once something was fed.
                    Err(_) if cursor.parts == 0 && cursor.msn > first_msn => {
                        return Ok(RunEnd::Idle { next: cursor.msn })
                    }
                    Err(_) => {
                        last_fed = Instant::now();
                        continue;
                    }
                }
            }
            Next::NewPeriod { .. } => return Ok(RunEnd::NewPeriod),
            Next::Closed { msn } => {
                let _ = events.send(SourceEvent::Closed { msn: *msn });
            }
            Next::Part { msn, index, bytes } => {
                announce(&events, &init, *msn, *index == 0, bytes, &origin)?;
                write(&mut stdin, bytes).await?;
            }
            Next::Segment { msn } => {
                let bytes = origin
                    .media_segment(&id, &source, *msn)
                    .await
                    .map_err(|e| TranscodeError::Source {
                        msn: *msn,
                        reason: e.to_string(),
                    })?
                    .bytes;
                announce(&events, &init, *msn, true, &bytes, &origin)?;
                write(&mut stdin, &bytes).await?;
                let _ = events.send(SourceEvent::Closed { msn: *msn });
            }
        }
        last_fed = Instant::now();
        cursor = cursor.after(&step);
    }
}

fn announce(
    events: &mpsc::UnboundedSender<SourceEvent>,
    init: &onair_media::InitSegment,
    msn: u64,
    starts_segment: bool,
    bytes: &Bytes,
    origin: &Origin,
) -> Result<(), TranscodeError> {
    let segment =
        parse_segment(init, bytes, &origin.limits()).map_err(|e| TranscodeError::Source {
            msn,
            reason: e.to_string(),
        })?;
    let _ = events.send(SourceEvent::Fed {
        msn,
        starts_segment,
        segment,
        bytes: bytes.clone(),
    });
    Ok(())
}

async fn write(stdin: &mut ChildStdin, bytes: &[u8]) -> Result<(), TranscodeError> {
    stdin
        .write_all(bytes)
        .await
        .map_err(|e| TranscodeError::Process(format!("writing its input: {e}")))
}

/// Uploads what the muxer made, through the origin's checked upload path.
struct Uploader<'a> {
    origin: &'a Arc<Origin>,
    stream: &'a Arc<LiveStream>,
    plan: &'a Plan,
    /// Per rung, the first msn it takes (the ones before are there already).
    resume: &'a [u64],
}

impl Uploader<'_> {
    async fn send(&self, uploads: Vec<RungUpload>) -> Result<(), TranscodeError> {
        for upload in uploads {
            self.one(upload).await?;
        }
        Ok(())
    }

    async fn one(&self, upload: RungUpload) -> Result<(), TranscodeError> {
        let (rung, closes) = match &upload {
            RungUpload::Init { rung, .. } => (*rung, None),
            RungUpload::Part {
                rung, msn, index, ..
            } => (*rung, (*index == 0).then(|| msn.checked_sub(1)).flatten()),
            RungUpload::Segment { rung, msn, .. } => (*rung, Some(*msn)),
        };
        let Some((name, plan_rung)) = self.plan.rungs.get(rung) else {
            return Ok(());
        };
        let first = self.resume.get(rung).copied().unwrap_or(0);
        let result = match upload {
            RungUpload::Init { bytes, .. } => {
                let result = self
                    .origin
                    .put_init(
                        self.stream,
                        name,
                        Bytes::from(bytes),
                        InitSource::Transcoder,
                    )
                    .await;
                match result {
                    Ok(()) if rung + 1 == self.plan.rungs.len() => set_pending(self.stream, false),
                    Ok(()) => {}
                    Err(AppError::Upload(refused))
                        if self.stream.read().record.status != StreamStatus::Ended =>
                    {
                        return Err(TranscodeError::CodecChanged {
                            rung: name.to_string(),
                            reason: refused.to_string(),
                        })
                    }
                    Err(_) => {}
                }
                result
            }
            RungUpload::Part {
                msn, index, bytes, ..
            } if msn >= first => {
                if index == 0 {
                    self.origin
                        .align_transcoded_period(self.stream, &self.plan.source, name, msn);
                }
                let target = self.plan.tracks.part_target.unwrap_or_default();
                self.origin
                    .put_part(self.stream, name, msn, index, target, Bytes::from(bytes))
                    .await
                    .map(|_| ())
            }
            RungUpload::Segment { msn, bytes, .. } if msn >= first => {
                self.origin
                    .align_transcoded_period(self.stream, &self.plan.source, name, msn);
                self.origin
                    .put_segment(self.stream, name, msn, Bytes::from(bytes))
                    .await
                    .map(|_| ())
            }
            RungUpload::Part { .. } | RungUpload::Segment { .. } => return Ok(()),
        };
        match result {
            Ok(()) => {
                if let Some(msn) = closes.filter(|&m| m >= first) {
                    self.added_latency(name, plan_rung.height, msn);
                }
                Ok(())
            }
            Err(_) if self.stream.read().record.status == StreamStatus::Ended => Ok(()),
            Err(AppError::NotFound { .. }) => Ok(()),
            Err(error) => Err(TranscodeError::Refused {
                rung: name.to_string(),
                reason: error.to_string(),
            }),
        }
    }

    /// Records how much later than its source segment rung segment `msn` was accepted.
    fn added_latency(&self, name: &RenditionName, height: u16, msn: u64) {
        let (source_at, rung_at) = {
            let state = self.stream.read();
            let at = |r: &RenditionName| {
                state
                    .renditions
                    .get(r)
                    .and_then(|r| r.segment(msn))
                    .map(|s| s.received_at)
            };
            (at(&self.plan.source), at(name))
        };
        let (Some(source_at), Some(rung_at)) = (source_at, rung_at) else {
            return;
        };
        let added = rung_at
            .duration_since(source_at)
            .unwrap_or_default()
            .as_secs_f64();
        self.origin
            .transcoders()
            .figures()
            .added_latency
            .get_or_create(&RungLabels {
                rung: format!("{height}p"),
            })
            .observe(added);
    }
}
