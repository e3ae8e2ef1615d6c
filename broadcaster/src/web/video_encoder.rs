//! The video encoders: a WebCodecs `VideoEncoder` per rendition of the ladder (one for a single
//! rendition), each configured for H.264 at its rung's size from the first camera frame and fed every
//! frame by the camera's reader loop (the encoder scales it to its size), with keyframes forced on one
//! schedule for all of them; their chunks go to their rendition's packager.

use std::rc::Rc;

use js_sys::Object;
use onair_browser::{log, wall_clock_us};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    CodecState, EncodedVideoChunk, EncodedVideoChunkType, LatencyMode, MediaStreamTrack,
    ReadableStreamDefaultReader, VideoEncoder, VideoEncoderConfig, VideoEncoderEncodeOptions,
    VideoEncoderInit, VideoFrame,
};

use super::capture::read;
use super::encoder::{self, Callbacks};
use super::js::{buffer_source_to_vec, get, set};
use super::state::Core;
use crate::codec::avc_codec_string;
use crate::ladder::RungSpec;
use crate::packager::{part_target_for, EncodedChunk, TrackKind};
use crate::BroadcastError;

/// Raw frames waiting in a video encoder beyond which new frames are skipped (by every rung, so their
/// keyframes stay aligned).
const MAX_VIDEO_ENCODE_QUEUE: u32 = 8;

/// The broadcast's `VideoEncoder`s, one per rung, and their callbacks.
pub(super) struct VideoEncoding {
    encoders: Vec<VideoEncoder>,
    _callbacks: Vec<Callbacks>,
}

impl VideoEncoding {
    /// `rungs` unconfigured encoders whose chunks go to their rung's packager; an encoder error fails
    /// the broadcast.
    pub fn new(core: &Rc<Core>, rungs: usize) -> Result<Self, BroadcastError> {
        let mut encoders = Vec::new();
        let mut callbacks = Vec::new();
        for rung in 0..rungs.max(1) {
            let these = Callbacks::new(
                core,
                move |core, chunk, meta| on_output(core, rung, chunk.unchecked_into(), meta),
                |core, e| core.fail(&BroadcastError::js("video encoder", e)),
            );
            let encoder = VideoEncoder::new(&VideoEncoderInit::new(these.error(), these.output()))
                .map_err(|e| BroadcastError::js("new VideoEncoder", e))?;
            encoders.push(encoder);
            callbacks.push(these);
        }
        Ok(Self {
            encoders,
            _callbacks: callbacks,
        })
    }

    /// Starts the loop that encodes the frames of `track` read by `reader`.
    pub fn run(
        &self,
        core: &Rc<Core>,
        reader: ReadableStreamDefaultReader,
        track: MediaStreamTrack,
    ) {
        core.readers_running.set(core.readers_running.get() + 1);
        spawn_local(frame_loop(
            core.clone(),
            reader,
            self.encoders.clone(),
            track,
        ));
    }

    /// Encodes what they hold (those configured).
    pub async fn flush(&self) {
        for encoder in &self.encoders {
            encoder::flush("video", encoder.state(), || encoder.flush()).await;
        }
    }

    /// Closes the encoders (unless closed already).
    pub fn close(&self) {
        for encoder in &self.encoders {
            encoder::close(encoder.state(), || encoder.close());
        }
    }
}

/// Reads camera frames and encodes each with every rung's encoder until the end of the track, the
/// broadcast stopping or an error; configures the encoders from the first frame.
async fn frame_loop(
    core: Rc<Core>,
    reader: ReadableStreamDefaultReader,
    encoders: Vec<VideoEncoder>,
    track: MediaStreamTrack,
) {
    let frame_rate = track.get_settings().get_frame_rate().unwrap_or(30.0);
    loop {
        let frame: VideoFrame = match read(&reader).await {
            Ok(Some(v)) => super::blank::black_if(core.camera_off.get(), v.unchecked_into()),
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
        let Some(top) = encoders.first() else {
            frame.close();
            break;
        };
        if top.state() == CodecState::Unconfigured {
            if let Err(e) = configure_all(&core, &encoders, &frame, frame_rate).await {
                frame.close();
                core.fail(&e);
                break;
            }
        }
        if top.state() != CodecState::Configured {
            frame.close();
            break;
        }
        let configured: Vec<&VideoEncoder> = encoders
            .iter()
            .filter(|e| e.state() == CodecState::Configured)
            .collect();
        if configured
            .iter()
            .any(|e| e.encode_queue_size() > MAX_VIDEO_ENCODE_QUEUE)
        {
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
                if let (false, Some(unix_micros)) = (s.renditions.has_wall_clock(), read_at_us) {
                    s.renditions.set_wall_clock(timestamp, unix_micros);
                }
                let key = s.schedule.should_force(timestamp);
                if key {
                    s.renditions.forced(timestamp);
                }
                key
            })
            .unwrap_or(false);
        let snapshot = core
            .shared
            .try_borrow_mut()
            .map(|mut s| {
                let behind = s.queues.iter().any(|q| q.is_backpressured());
                s.snapshots.take(timestamp, behind)
            })
            .unwrap_or(false);
        if snapshot {
            super::snapshot::take(&core, &frame);
        }
        let options = VideoEncoderEncodeOptions::new();
        options.set_key_frame(key);
        let result = configured
            .iter()
            .try_for_each(|encoder| encoder.encode_with_options(&frame, &options));
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

/// Configures every rung's encoder from the first frame: the top at the frame's size, the lower rungs
/// at the ladder's sizes for it. The top must be encodable; a lower rung this browser cannot encode is
/// left out (its rendition never starts).
async fn configure_all(
    core: &Core,
    encoders: &[VideoEncoder],
    frame: &VideoFrame,
    frame_rate: f64,
) -> Result<(), BroadcastError> {
    let (width, height) = (frame.display_width(), frame.display_height());
    let planned = core
        .shared
        .try_borrow()
        .map(|s| s.rungs.clone())
        .unwrap_or_default();
    let qualities = if planned.len() > 1 {
        crate::ladder::Qualities::Ladder
    } else {
        crate::ladder::Qualities::One
    };
    let rungs = crate::ladder::rungs(
        u16::try_from(width).unwrap_or(u16::MAX),
        u16::try_from(height).unwrap_or(u16::MAX),
        frame_rate,
        qualities,
        planned.len(),
    );
    for (i, (encoder, rung)) in encoders.iter().zip(&rungs).enumerate() {
        match configure(encoder, rung, frame_rate).await {
            Ok(codec) if i == 0 => {
                if let Ok(mut s) = core.shared.try_borrow_mut() {
                    s.stats.video_codec = Some(codec);
                }
            }
            Ok(_) => {}
            Err(e) if i == 0 => return Err(e),
            Err(e) => log(&format!("rendition {} left out: {e}", rung.name)),
        }
    }
    if let Ok(mut s) = core.shared.try_borrow_mut() {
        // Parts of whole frames, about 0.2 s: the part target follows the camera's frame rate.
        let part_target = part_target_for(frame_rate);
        if s.renditions.set_part_target(part_target) {
            for target in core.targets.borrow_mut().iter_mut() {
                target.part_target_secs = part_target;
            }
        }
        s.rungs = rungs;
    }
    Ok(())
}

/// Configures `encoder` for H.264 at `rung`'s size and bitrate, if this browser can encode that;
/// answers the codec string.
async fn configure(
    encoder: &VideoEncoder,
    rung: &RungSpec,
    frame_rate: f64,
) -> Result<String, BroadcastError> {
    let (width, height) = (u32::from(rung.width), u32::from(rung.height));
    let codec = avc_codec_string(width, height, frame_rate, rung.bitrate_bps);
    let config = VideoEncoderConfig::new(&codec, height, width);
    config.set_bitrate(rung.bitrate_bps);
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
        "video encoder {}: {codec} {width}x{height} @ {frame_rate} fps, {} bit/s",
        rung.name, rung.bitrate_bps
    ));
    Ok(codec)
}

/// Hands an encoded chunk of `rung` (and, with the first one, the avcC) to its packager.
fn on_output(core: &Core, rung: usize, chunk: EncodedVideoChunk, meta: &JsValue) {
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
    core.package(|s| {
        if rung == 0 {
            s.stats.video_frames += 1;
            if keyframe {
                s.stats.keyframes += 1;
                // A single rendition cuts on any keyframe: the interval restarts from it. A ladder
                // cuts only on the ones asked for, on schedule.
                if s.renditions.rungs() == 1 {
                    s.schedule.record_keyframe(timestamp_us);
                }
            }
        }
        let (width, height) = s.rungs.get(rung).map_or((0, 0), |r| (r.width, r.height));
        let mut outputs = Vec::new();
        if let Some(avcc) = description {
            outputs.extend(s.renditions.set_video_config(rung, width, height, avcc)?);
        }
        outputs.extend(s.renditions.push_video(
            rung,
            EncodedChunk {
                kind: TrackKind::Video,
                timestamp_us,
                duration_us: chunk.duration().map(|d| d as i64),
                keyframe,
                data,
            },
        )?);
        Ok(outputs)
    });
    core.emit(false);
}
