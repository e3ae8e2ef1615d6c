//! A running broadcast: readers -> encoders -> packager -> upload queue -> `fetch`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use js_sys::{Function, Object, Uint8Array};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    AudioData, AudioEncoder, AudioEncoderConfig, AudioEncoderInit, CodecState, EncodedAudioChunk,
    EncodedVideoChunk, EncodedVideoChunkType, LatencyMode, MediaStreamTrack,
    MediaStreamTrackProcessor, MediaStreamTrackProcessorInit, ReadableStreamDefaultReader, Request,
    RequestInit, Response, VideoEncoder, VideoEncoderConfig, VideoEncoderEncodeOptions,
    VideoEncoderInit, VideoFrame,
};

use onair_browser::{log, now_ms, wall_clock_us, JsError};

use super::camera::Camera;
use super::js::{buffer_source_to_vec, get, set};
use crate::codec::{avc_codec_string, AudioCodec, AUDIO_BITRATE, AUDIO_CANDIDATES, VIDEO_BITRATE};
use crate::error::server_reason;
use crate::keyframe::KeyframeSchedule;
use crate::packager::{live_config, AudioConfig, EncodedChunk, Output, Packager, TrackKind};
use crate::stats::{BroadcastState, BroadcastStats};
use crate::upload::{Attempt, Settled, UploadItem, UploadKind, UploadQueue, UploadTarget};
use crate::BroadcastError;

/// Raw frames waiting in the video encoder beyond which new frames are skipped.
const MAX_VIDEO_ENCODE_QUEUE: u32 = 8;
/// Minimum time between two stats callbacks that carry no state change, in milliseconds.
const STATS_INTERVAL_MS: f64 = 500.0;

type StatsCallback = Rc<dyn Fn(BroadcastStats)>;

/// State shared by the reader loops, the encoder callbacks and the upload loop.
struct Core {
    target: UploadTarget,
    on_stats: StatsCallback,
    shared: RefCell<Shared>,
    stopping: Cell<bool>,
    /// Number of reader loops still running.
    readers_running: Cell<u32>,
}

struct Shared {
    packager: Packager,
    queue: UploadQueue,
    stats: BroadcastStats,
    schedule: KeyframeSchedule,
    video_size: (u16, u16),
    audio_codec: Option<AudioCodec>,
    last_emit_ms: f64,
}

impl Core {
    /// Calls `on_stats` with a snapshot, at most every [`STATS_INTERVAL_MS`] unless `force`.
    fn emit(&self, force: bool) {
        let snapshot = {
            let Ok(mut shared) = self.shared.try_borrow_mut() else {
                return;
            };
            let now = now_ms();
            if !force && now - shared.last_emit_ms < STATS_INTERVAL_MS {
                return;
            }
            shared.last_emit_ms = now;
            let counters = shared.queue.counters().clone();
            shared.stats.record_uploads(&counters);
            shared.stats.queue_depth = shared.queue.depth();
            shared.stats.backlog_secs = shared.queue.backlog_secs();
            shared.stats.backpressured = shared.queue.is_backpressured();
            shared.stats.dropped_chunks = shared.packager.dropped();
            shared.stats.clone()
        };
        (self.on_stats)(snapshot);
    }

    /// Records a fatal error: the broadcast stops and says why.
    fn fail(&self, error: &BroadcastError) {
        log(&format!("broadcast failed: {error}"));
        if let Ok(mut shared) = self.shared.try_borrow_mut() {
            shared.stats.last_error = Some(error.to_string());
            shared.stats.state = BroadcastState::Failed(error.to_string());
        }
        self.stopping.set(true);
        self.emit(true);
    }

    fn is_failed(&self) -> bool {
        self.shared
            .try_borrow()
            .map(|s| matches!(s.stats.state, BroadcastState::Failed(_)))
            .unwrap_or(false)
    }

    /// Queues what the packager produced: the init segment and the parts. A segment's end is only
    /// counted; the server builds it from its parts.
    fn enqueue(&self, outputs: Result<Vec<Output>, BroadcastError>) {
        match outputs {
            Ok(outputs) => {
                if let Ok(mut shared) = self.shared.try_borrow_mut() {
                    for output in outputs {
                        let item = match output {
                            Output::Init(body) => UploadItem::init(body),
                            Output::Part(part) => UploadItem::part(part),
                            Output::Segment(_) => {
                                shared.stats.segments_packaged += 1;
                                continue;
                            }
                        };
                        let dropped = shared.queue.push(item);
                        if !dropped.is_empty() {
                            log(&format!(
                                "upload falling behind: dropped segments {dropped:?} unsent"
                            ));
                        }
                    }
                }
            }
            Err(e) => self.fail(&e),
        }
    }
}

/// A live broadcast of a [`Camera`] to an OnAir server.
///
/// Dropping it without [`Broadcast::stop`] abandons the stream (the server keeps it "live" until it
/// times out or is ended); call `stop` to upload the last segment and end it properly.
pub struct Broadcast {
    core: Rc<Core>,
    video_encoder: VideoEncoder,
    audio_encoder: Option<AudioEncoder>,
    readers: Vec<ReadableStreamDefaultReader>,
    /// Cloned tracks fed to the processors; stopped at the end (the camera's own tracks keep running).
    tracks: Vec<MediaStreamTrack>,
    _closures: Vec<Closure<dyn FnMut(JsValue, JsValue)>>,
    _error_closures: Vec<Closure<dyn FnMut(JsValue)>>,
}

impl std::fmt::Debug for Broadcast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broadcast")
            .field("target", &self.core.target)
            .finish_non_exhaustive()
    }
}

impl Broadcast {
    /// Starts encoding the camera and uploading to `server_base` (empty for the page's origin) as
    /// stream `id` with `key`. `on_stats` is called with fresh counters whenever they change (at most
    /// twice a second, plus on every state change).
    pub fn start(
        camera: &Camera,
        server_base: &str,
        id: &str,
        key: &str,
        on_stats: impl Fn(BroadcastStats) + 'static,
    ) -> Result<Broadcast, BroadcastError> {
        let video_track = camera
            .video_track()
            .ok_or_else(|| BroadcastError::Unsupported {
                what: "a camera (no video track)".to_owned(),
            })?;
        // Feed the processors clones, so stopping them leaves the camera preview running.
        let video_track = MediaStreamTrack::clone(&video_track);
        let audio_track = camera.audio_track().map(|t| MediaStreamTrack::clone(&t));
        if js_sys::Reflect::get(
            &js_sys::global(),
            &JsValue::from_str("MediaStreamTrackProcessor"),
        )
        .map(|v| v.is_undefined())
        .unwrap_or(true)
        {
            return Err(BroadcastError::Unsupported {
                what: "MediaStreamTrackProcessor".to_owned(),
            });
        }

        let core = Rc::new(Core {
            target: UploadTarget::new(server_base, id, key),
            on_stats: Rc::new(on_stats),
            shared: RefCell::new(Shared {
                packager: Packager::new(audio_track.is_some(), live_config()),
                queue: UploadQueue::default(),
                stats: BroadcastStats::default(),
                schedule: KeyframeSchedule::default(),
                video_size: (0, 0),
                audio_codec: None,
                last_emit_ms: 0.0,
            }),
            stopping: Cell::new(false),
            readers_running: Cell::new(0),
        });

        let mut closures: Vec<Closure<dyn FnMut(JsValue, JsValue)>> = Vec::new();
        let mut error_closures: Vec<Closure<dyn FnMut(JsValue)>> = Vec::new();

        // Video encoder.
        let video_output = {
            let core = core.clone();
            Closure::<dyn FnMut(JsValue, JsValue)>::new(move |chunk: JsValue, meta: JsValue| {
                on_video_output(&core, chunk.unchecked_into(), &meta);
            })
        };
        let video_error = {
            let core = core.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
                core.fail(&BroadcastError::js("video encoder", e));
            })
        };
        let video_encoder = VideoEncoder::new(&VideoEncoderInit::new(
            video_error.as_ref().unchecked_ref::<Function>(),
            video_output.as_ref().unchecked_ref::<Function>(),
        ))
        .map_err(|e| BroadcastError::js("new VideoEncoder", e))?;
        closures.push(video_output);
        error_closures.push(video_error);

        // Audio encoder, when there is a microphone.
        let audio_encoder = match &audio_track {
            Some(_) => {
                let output = {
                    let core = core.clone();
                    Closure::<dyn FnMut(JsValue, JsValue)>::new(
                        move |chunk: JsValue, meta: JsValue| {
                            on_audio_output(&core, chunk.unchecked_into(), &meta);
                        },
                    )
                };
                let error = {
                    let core = core.clone();
                    Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
                        // Audio is optional: carry on with video.
                        log(&format!("audio encoder failed: {}", JsError::from(&e)));
                        let outputs = core
                            .shared
                            .try_borrow_mut()
                            .map(|mut s| {
                                s.stats.last_error = Some(format!("audio: {}", JsError::from(&e)));
                                s.packager.give_up_audio()
                            })
                            .unwrap_or_else(|_| Ok(Vec::new()));
                        core.enqueue(outputs);
                    })
                };
                let encoder = AudioEncoder::new(&AudioEncoderInit::new(
                    error.as_ref().unchecked_ref::<Function>(),
                    output.as_ref().unchecked_ref::<Function>(),
                ))
                .map_err(|e| BroadcastError::js("new AudioEncoder", e))?;
                closures.push(output);
                error_closures.push(error);
                Some(encoder)
            }
            None => None,
        };

        // Readers.
        let mut readers = Vec::new();
        let mut tracks = vec![video_track.clone()];
        let video_reader = reader_for(&video_track)?;
        readers.push(video_reader.clone());
        core.readers_running.set(core.readers_running.get() + 1);
        spawn_local(video_loop(
            core.clone(),
            video_reader,
            video_encoder.clone(),
            video_track,
        ));
        if let (Some(track), Some(encoder)) = (audio_track, audio_encoder.clone()) {
            let reader = reader_for(&track)?;
            readers.push(reader.clone());
            tracks.push(track);
            core.readers_running.set(core.readers_running.get() + 1);
            spawn_local(audio_loop(core.clone(), reader, encoder));
        }
        spawn_local(upload_loop(core.clone()));
        core.emit(true);

        Ok(Broadcast {
            core,
            video_encoder,
            audio_encoder,
            readers,
            tracks,
            _closures: closures,
            _error_closures: error_closures,
        })
    }

    /// The latest counters.
    pub fn stats(&self) -> BroadcastStats {
        self.core
            .shared
            .try_borrow()
            .map(|s| s.stats.clone())
            .unwrap_or_default()
    }

    /// Stops capturing, flushes the encoders, uploads the last parts, posts the end of the stream (which
    /// completes the last segment on the server) and waits until everything is uploaded (or a fatal
    /// upload error).
    pub async fn stop(&self) -> Result<(), BroadcastError> {
        if self.core.stopping.replace(true) && !self.core.is_failed() {
            return Err(BroadcastError::State("stop was already called"));
        }
        if let Ok(mut s) = self.core.shared.try_borrow_mut() {
            if !matches!(s.stats.state, BroadcastState::Failed(_)) {
                s.stats.state = BroadcastState::Stopping;
            }
        }
        self.core.emit(true);
        for reader in &self.readers {
            let _ = JsFuture::from(reader.cancel()).await;
        }
        // Let the reader loops see the cancellation and finish their last encode() call.
        for _ in 0..100 {
            if self.core.readers_running.get() == 0 {
                break;
            }
            TimeoutFuture::new(10).await;
        }
        if self.video_encoder.state() == CodecState::Configured {
            if let Err(e) = JsFuture::from(self.video_encoder.flush()).await {
                log(&format!("video flush: {}", JsError::from(&e)));
            }
        }
        if let Some(audio) = &self.audio_encoder {
            if audio.state() == CodecState::Configured {
                if let Err(e) = JsFuture::from(audio.flush()).await {
                    log(&format!("audio flush: {}", JsError::from(&e)));
                }
            }
        }
        let outputs = match self.core.shared.try_borrow_mut() {
            Ok(mut s) => s.packager.finish(),
            Err(_) => Err(BroadcastError::State("packager busy")),
        };
        self.core.enqueue(outputs);
        if let Ok(mut s) = self.core.shared.try_borrow_mut() {
            s.queue.push(UploadItem::end());
        }
        // The upload loop drains the queue and sets the state to Ended (or Failed).
        let result = loop {
            let state = self
                .core
                .shared
                .try_borrow()
                .map(|s| s.stats.state.clone())
                .unwrap_or_default();
            match state {
                BroadcastState::Ended => break Ok(()),
                BroadcastState::Failed(reason) => break Err(BroadcastError::Failed(reason)),
                _ => TimeoutFuture::new(50).await,
            }
        };
        self.close();
        self.core.emit(true);
        result
    }

    fn close(&self) {
        if self.video_encoder.state() != CodecState::Closed {
            let _ = self.video_encoder.close();
        }
        if let Some(audio) = &self.audio_encoder {
            if audio.state() != CodecState::Closed {
                let _ = audio.close();
            }
        }
        for track in &self.tracks {
            track.stop();
        }
    }
}

impl Drop for Broadcast {
    fn drop(&mut self) {
        self.core.stopping.set(true);
        for reader in &self.readers {
            let _ = reader.cancel();
        }
        self.close();
    }
}

fn reader_for(track: &MediaStreamTrack) -> Result<ReadableStreamDefaultReader, BroadcastError> {
    let processor = MediaStreamTrackProcessor::new(&MediaStreamTrackProcessorInit::new(track))
        .map_err(|e| BroadcastError::js("new MediaStreamTrackProcessor", e))?;
    Ok(processor.readable().get_reader().unchecked_into())
}

/// Reads one item from a reader: `Ok(None)` at the end of the stream.
async fn read(reader: &ReadableStreamDefaultReader) -> Result<Option<JsValue>, JsValue> {
    let result = JsFuture::from(reader.read()).await?;
    if get(&result, "done")
        .and_then(|d| d.as_bool())
        .unwrap_or(false)
    {
        return Ok(None);
    }
    Ok(get(&result, "value"))
}

async fn video_loop(
    core: Rc<Core>,
    reader: ReadableStreamDefaultReader,
    encoder: VideoEncoder,
    track: MediaStreamTrack,
) {
    let frame_rate = track.get_settings().get_frame_rate().unwrap_or(30.0);
    loop {
        let frame: VideoFrame = match read(&reader).await {
            Ok(Some(v)) => v.unchecked_into(),
            Ok(None) => break,
            Err(e) => {
                if !core.stopping.get() {
                    core.fail(&BroadcastError::js("reading camera frames", e));
                }
                break;
            }
        };
        // The frame was captured just before it could be read: its wall clock, taken before any await.
        let read_at_us = wall_clock_us();
        if core.stopping.get() {
            frame.close();
            break;
        }
        if encoder.state() == CodecState::Unconfigured {
            if let Err(e) = configure_video(&core, &encoder, &frame, frame_rate).await {
                frame.close();
                core.fail(&e);
                break;
            }
        }
        if encoder.state() != CodecState::Configured {
            frame.close();
            break;
        }
        if encoder.encode_queue_size() > MAX_VIDEO_ENCODE_QUEUE {
            frame.close();
            if let Ok(mut s) = core.shared.try_borrow_mut() {
                s.stats.skipped_frames += 1;
            }
            continue;
        }
        let timestamp = frame.timestamp() as i64;
        let key = core
            .shared
            .try_borrow_mut()
            .map(|mut s| {
                // Anchor the capture clock to the wall clock once, for the parts' prft.
                if let (false, Some(unix_micros)) = (s.packager.has_wall_clock(), read_at_us) {
                    s.packager.set_wall_clock(timestamp, unix_micros);
                }
                s.schedule.should_force(timestamp)
            })
            .unwrap_or(false);
        let options = VideoEncoderEncodeOptions::new();
        options.set_key_frame(key);
        let result = encoder.encode_with_options(&frame, &options);
        // Close right away: holding camera frames starves the capturer.
        frame.close();
        if let Err(e) = result {
            core.fail(&BroadcastError::js("VideoEncoder.encode", e));
            break;
        }
    }
    core.readers_running
        .set(core.readers_running.get().saturating_sub(1));
}

async fn configure_video(
    core: &Core,
    encoder: &VideoEncoder,
    frame: &VideoFrame,
    frame_rate: f64,
) -> Result<(), BroadcastError> {
    let (width, height) = (frame.display_width(), frame.display_height());
    let codec = avc_codec_string(width, height, frame_rate, VIDEO_BITRATE);
    let config = VideoEncoderConfig::new(&codec, height, width);
    config.set_bitrate(VIDEO_BITRATE);
    config.set_framerate(frame_rate);
    config.set_latency_mode(LatencyMode::Realtime);
    let avc = Object::new();
    set(&avc, "format", &JsValue::from_str("avc"));
    set(&config, "avc", &avc);
    let support = JsFuture::from(VideoEncoder::is_config_supported(&config))
        .await
        .map_err(|e| BroadcastError::js("VideoEncoder.isConfigSupported", e))?;
    if !get(&support, "supported")
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
    {
        return Err(BroadcastError::Unsupported {
            what: format!("H.264 encoding ({codec} at {width}x{height})"),
        });
    }
    encoder
        .configure(&config)
        .map_err(|e| BroadcastError::js("VideoEncoder.configure", e))?;
    log(&format!(
        "video encoder: {codec} {width}x{height} @ {frame_rate} fps"
    ));
    if let Ok(mut s) = core.shared.try_borrow_mut() {
        s.video_size = (
            u16::try_from(width).unwrap_or(u16::MAX),
            u16::try_from(height).unwrap_or(u16::MAX),
        );
        s.stats.video_codec = Some(codec);
    }
    Ok(())
}

fn on_video_output(core: &Core, chunk: EncodedVideoChunk, meta: &JsValue) {
    let mut data = vec![0; chunk.byte_length() as usize];
    if let Err(e) = chunk.copy_to_with_u8_slice(&mut data) {
        core.fail(&BroadcastError::js("EncodedVideoChunk.copyTo", e));
        return;
    }
    let keyframe = chunk.type_() == EncodedVideoChunkType::Key;
    let timestamp_us = chunk.timestamp() as i64;
    let description = get(meta, "decoderConfig")
        .and_then(|c| get(&c, "description"))
        .and_then(|d| buffer_source_to_vec(&d));
    let outputs = {
        let Ok(mut s) = core.shared.try_borrow_mut() else {
            return;
        };
        s.stats.video_frames += 1;
        if keyframe {
            s.stats.keyframes += 1;
            s.schedule.record_keyframe(timestamp_us);
        }
        let (width, height) = s.video_size;
        let mut outputs = Vec::new();
        if let Some(avcc) = description {
            match s.packager.set_video_config(width, height, avcc) {
                Ok(o) => outputs.extend(o),
                Err(e) => {
                    drop(s);
                    core.fail(&e);
                    return;
                }
            }
        }
        s.packager
            .push(EncodedChunk {
                kind: TrackKind::Video,
                timestamp_us,
                duration_us: chunk.duration().map(|d| d as i64),
                keyframe,
                data,
            })
            .map(|o| {
                outputs.extend(o);
                outputs
            })
    };
    core.enqueue(outputs);
    core.emit(false);
}

async fn audio_loop(core: Rc<Core>, reader: ReadableStreamDefaultReader, encoder: AudioEncoder) {
    loop {
        let data: AudioData = match read(&reader).await {
            Ok(Some(v)) => v.unchecked_into(),
            Ok(None) => break,
            Err(e) => {
                if !core.stopping.get() {
                    log(&format!("reading microphone: {}", JsError::from(&e)));
                }
                break;
            }
        };
        if core.stopping.get() {
            data.close();
            break;
        }
        if encoder.state() == CodecState::Unconfigured {
            if let Err(e) = configure_audio(&core, &encoder, &data).await {
                data.close();
                log(&format!("audio disabled: {e}"));
                let outputs = core
                    .shared
                    .try_borrow_mut()
                    .map(|mut s| {
                        s.stats.last_error = Some(e.to_string());
                        s.packager.give_up_audio()
                    })
                    .unwrap_or_else(|_| Ok(Vec::new()));
                core.enqueue(outputs);
                let _ = JsFuture::from(reader.cancel()).await;
                break;
            }
        }
        if encoder.state() != CodecState::Configured {
            data.close();
            break;
        }
        let result = encoder.encode(&data);
        data.close();
        if let Err(e) = result {
            log(&format!("AudioEncoder.encode: {}", JsError::from(&e)));
            break;
        }
    }
    core.readers_running
        .set(core.readers_running.get().saturating_sub(1));
}

async fn configure_audio(
    core: &Core,
    encoder: &AudioEncoder,
    data: &AudioData,
) -> Result<(), BroadcastError> {
    let sample_rate = data.sample_rate() as u32;
    let channels = data.number_of_channels();
    for codec in AUDIO_CANDIDATES {
        let config = AudioEncoderConfig::new(codec.webcodecs_name(), channels, sample_rate);
        config.set_bitrate(AUDIO_BITRATE);
        let supported = match JsFuture::from(AudioEncoder::is_config_supported(&config)).await {
            Ok(support) => get(&support, "supported")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            Err(_) => false,
        };
        if !supported {
            continue;
        }
        encoder
            .configure(&config)
            .map_err(|e| BroadcastError::js("AudioEncoder.configure", e))?;
        log(&format!(
            "audio encoder: {} {channels} ch @ {sample_rate} Hz",
            codec.webcodecs_name()
        ));
        if let Ok(mut s) = core.shared.try_borrow_mut() {
            s.audio_codec = Some(codec);
            s.stats.audio_codec = Some(codec.webcodecs_name().to_owned());
        }
        return Ok(());
    }
    Err(BroadcastError::Unsupported {
        what: format!("AAC or Opus encoding of {channels} channels at {sample_rate} Hz"),
    })
}

fn on_audio_output(core: &Core, chunk: EncodedAudioChunk, meta: &JsValue) {
    let mut data = vec![0; chunk.byte_length() as usize];
    if chunk.copy_to_with_u8_slice(&mut data).is_err() {
        return;
    }
    let config = get(meta, "decoderConfig");
    let outputs = {
        let Ok(mut s) = core.shared.try_borrow_mut() else {
            return;
        };
        s.stats.audio_frames += 1;
        let mut outputs = Vec::new();
        if let (Some(config), Some(codec)) = (config, s.audio_codec) {
            let channels = get(&config, "numberOfChannels")
                .and_then(|v| v.as_f64())
                .map_or(2, |v| v as u16);
            let sample_rate = get(&config, "sampleRate")
                .and_then(|v| v.as_f64())
                .map_or(48_000, |v| v as u32);
            let description = get(&config, "description").and_then(|d| buffer_source_to_vec(&d));
            let audio_config = match codec {
                AudioCodec::Opus => Some(AudioConfig::Opus {
                    channels,
                    sample_rate,
                    opus_head: description,
                }),
                AudioCodec::Aac => description.map(|asc| AudioConfig::Aac {
                    channels,
                    sample_rate,
                    asc,
                }),
            };
            let result = match audio_config {
                Some(c) => s.packager.set_audio_config(c),
                None => s.packager.give_up_audio(),
            };
            match result {
                Ok(o) => outputs.extend(o),
                Err(e) => {
                    s.stats.last_error = Some(format!("audio: {e}"));
                    match s.packager.give_up_audio() {
                        Ok(o) => outputs.extend(o),
                        Err(e) => {
                            drop(s);
                            core.fail(&e);
                            return;
                        }
                    }
                }
            }
        }
        s.packager
            .push(EncodedChunk {
                kind: TrackKind::Audio,
                timestamp_us: chunk.timestamp() as i64,
                duration_us: chunk.duration().map(|d| d as i64),
                keyframe: true,
                data,
            })
            .map(|o| {
                outputs.extend(o);
                outputs
            })
    };
    core.enqueue(outputs);
    core.emit(false);
}

/// Sends one upload: how it ended for the queue, and for the page what went wrong if it failed.
async fn send(
    target: &UploadTarget,
    kind: UploadKind,
    body: Option<Uint8Array>,
) -> (Attempt, Option<BroadcastError>) {
    match try_send(target, kind, body).await {
        Ok(response) => {
            let status = response.status();
            let retry_after = response.headers().get("Retry-After").ok().flatten();
            let attempt = Attempt::Status {
                status,
                retry_after,
            };
            if response.ok() {
                return (attempt, None);
            }
            let text = match response.text() {
                Ok(p) => JsFuture::from(p)
                    .await
                    .ok()
                    .and_then(|t| t.as_string())
                    .unwrap_or_default(),
                Err(_) => String::new(),
            };
            let error = BroadcastError::Rejected {
                what: kind.to_string(),
                status,
                reason: server_reason(&text),
            };
            (attempt, Some(error))
        }
        // fetch() rejects only for network failures.
        Err(e) => (Attempt::NetworkError, Some(BroadcastError::js("fetch", e))),
    }
}

async fn try_send(
    target: &UploadTarget,
    kind: UploadKind,
    body: Option<Uint8Array>,
) -> Result<Response, JsValue> {
    let init = RequestInit::new();
    init.set_method(kind.method());
    if let Some(body) = &body {
        init.set_body(body);
    }
    let request = Request::new_with_str_and_init(&target.url(kind), &init)?;
    let headers = request.headers();
    for (name, value) in target.headers(kind) {
        headers.set(name, &value)?;
    }
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let response = JsFuture::from(window.fetch_with_request(&request)).await?;
    response.dyn_into::<Response>()
}

async fn upload_loop(core: Rc<Core>) {
    loop {
        // Pick the next upload, copying its body into a JS buffer so no borrow is held across await.
        let next = {
            let Ok(mut s) = core.shared.try_borrow_mut() else {
                TimeoutFuture::new(10).await;
                continue;
            };
            if matches!(
                s.stats.state,
                BroadcastState::Failed(_) | BroadcastState::Ended
            ) {
                break;
            }
            let now = now_ms();
            match s.queue.start_next(now) {
                Some(item) => {
                    let body =
                        (!item.body.is_empty()).then(|| Uint8Array::from(item.body.as_slice()));
                    Ok((item.kind, body))
                }
                None => Err(s.queue.wait_ms(now)),
            }
        };
        let (kind, body) = match next {
            Ok(next) => next,
            Err(wait) => {
                let ms = wait.map_or(20.0, |w| w.clamp(5.0, 250.0));
                TimeoutFuture::new(ms as u32).await;
                continue;
            }
        };
        let (attempt, error) = send(&core.target, kind, body).await;
        let mut fatal = None;
        if let Ok(mut s) = core.shared.try_borrow_mut() {
            match s.queue.report(now_ms(), &attempt) {
                Settled::Uploaded { item, .. } => match item.kind {
                    UploadKind::Part { .. } => {
                        if s.stats.state == BroadcastState::Starting {
                            s.stats.state = BroadcastState::Live;
                        }
                    }
                    UploadKind::End => s.stats.state = BroadcastState::Ended,
                    UploadKind::Init => {}
                },
                Settled::Skipped { item } => {
                    let reason = error.map_or_else(|| "refused".to_owned(), |e| e.to_string());
                    log(&format!("{} dropped: {reason}", item.kind));
                    s.stats.last_error = Some(reason);
                }
                Settled::Retry { after_ms, failures } => {
                    let reason = error.map_or_else(|| "failed".to_owned(), |e| e.to_string());
                    log(&format!(
                        "upload of {kind}: {reason}; retry {failures} in {after_ms} ms"
                    ));
                    s.stats.last_error = Some(reason);
                }
                Settled::Halted => {
                    let error = error.unwrap_or(BroadcastError::State("upload queue halted"));
                    log(&format!("upload of {kind}: {error}"));
                    s.stats.last_error = Some(error.to_string());
                    fatal = Some(error);
                }
            }
        }
        if let Some(error) = fatal {
            core.fail(&error);
        }
        core.emit(true);
    }
}
