//! The video encoder: WebCodecs `VideoEncoder` configured for H.264 from the first camera frame, fed
//! by the camera's reader loop with keyframes forced on schedule, its chunks handed to the packager.

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
use crate::codec::{avc_codec_string, VIDEO_BITRATE};
use crate::packager::{part_target_for, EncodedChunk, TrackKind};
use crate::BroadcastError;

/// Raw frames waiting in the video encoder beyond which new frames are skipped.
const MAX_VIDEO_ENCODE_QUEUE: u32 = 8;

/// The broadcast's `VideoEncoder` and its callbacks.
pub(super) struct VideoEncoding {
    encoder: VideoEncoder,
    _callbacks: Callbacks,
}

impl VideoEncoding {
    /// An unconfigured encoder whose chunks go to `core`'s packager; an encoder error fails the
    /// broadcast.
    pub fn new(core: &Rc<Core>) -> Result<Self, BroadcastError> {
        let callbacks = Callbacks::new(
            core,
            |core, chunk, meta| on_output(core, chunk.unchecked_into(), meta),
            |core, e| core.fail(&BroadcastError::js("video encoder", e)),
        );
        let encoder = VideoEncoder::new(&VideoEncoderInit::new(
            callbacks.error(),
            callbacks.output(),
        ))
        .map_err(|e| BroadcastError::js("new VideoEncoder", e))?;
        Ok(Self {
            encoder,
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
            self.encoder.clone(),
            track,
        ));
    }

    /// Encodes what it holds (when configured).
    pub async fn flush(&self) {
        encoder::flush("video", self.encoder.state(), || self.encoder.flush()).await;
    }

    /// Closes the encoder (unless closed already).
    pub fn close(&self) {
        encoder::close(self.encoder.state(), || self.encoder.close());
    }
}

/// Reads camera frames and encodes them until the end of the track, the broadcast stopping or an
/// error; configures the encoder from the first frame.
async fn frame_loop(
    core: Rc<Core>,
    reader: ReadableStreamDefaultReader,
    encoder: VideoEncoder,
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
        if encoder.state() == CodecState::Unconfigured {
            if let Err(e) = configure(&core, &encoder, &frame, frame_rate).await {
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
        let snapshot = core
            .shared
            .try_borrow_mut()
            .map(|mut s| {
                let behind = s.queue.is_backpressured();
                s.snapshots.take(timestamp, behind)
            })
            .unwrap_or(false);
        if snapshot {
            super::snapshot::take(&core, &frame);
        }
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

/// Configures `encoder` for H.264 at the size of `frame`, if this browser can encode that.
async fn configure(
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
        // Parts of whole frames, about 0.2 s: the part target follows the camera's frame rate.
        let part_target = part_target_for(frame_rate);
        if s.packager.set_part_target(part_target) {
            core.target.borrow_mut().part_target_secs = part_target;
        }
        s.video_size = (
            u16::try_from(width).unwrap_or(u16::MAX),
            u16::try_from(height).unwrap_or(u16::MAX),
        );
        s.stats.video_codec = Some(codec);
    }
    Ok(())
}

/// Hands an encoded chunk (and, with the first one, the avcC) to the packager.
fn on_output(core: &Core, chunk: EncodedVideoChunk, meta: &JsValue) {
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
        s.stats.video_frames += 1;
        if keyframe {
            s.stats.keyframes += 1;
            s.schedule.record_keyframe(timestamp_us);
        }
        let (width, height) = s.video_size;
        let mut outputs = Vec::new();
        if let Some(avcc) = description {
            outputs.extend(s.packager.set_video_config(width, height, avcc)?);
        }
        outputs.extend(s.packager.push(EncodedChunk {
            kind: TrackKind::Video,
            timestamp_us,
            duration_us: chunk.duration().map(|d| d as i64),
            keyframe,
            data,
        })?);
        Ok(outputs)
    });
    core.emit(false);
}
