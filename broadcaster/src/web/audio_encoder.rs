//! The audio encoder: WebCodecs `AudioEncoder` configured from the first microphone data (AAC where the
//! browser can, else Opus), fed by the microphone's reader loop, its chunks handed to the audio rendition's packager.
//! Audio is optional: whatever goes wrong here, the broadcast goes on with video only.

use std::rc::Rc;

use onair_browser::{log, wall_clock_us, JsError};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    AudioData, AudioEncoder, AudioEncoderConfig, AudioEncoderInit, CodecState, EncodedAudioChunk,
    ReadableStreamDefaultReader,
};

use super::capture::read;
use super::encoder::{self, Callbacks};
use super::js::{buffer_source_to_vec, get};
use super::state::Core;
use crate::audio_clock::AudioClock;
use crate::codec::{AUDIO_BITRATE, AUDIO_CANDIDATES};
use crate::packager::{AudioConfig, EncodedChunk, TrackKind};
use crate::BroadcastError;

/// The broadcast's `AudioEncoder` and its callbacks.
pub(super) struct AudioEncoding {
    encoder: AudioEncoder,
    _callbacks: Callbacks,
}

impl AudioEncoding {
    /// An unconfigured encoder whose chunks go to `core`'s packager; an encoder error makes the
    /// broadcast go on without audio.
    pub fn new(core: &Rc<Core>) -> Result<Self, BroadcastError> {
        let callbacks = Callbacks::new(
            core,
            |core, chunk, meta| on_output(core, chunk.unchecked_into(), meta),
            |core, e| {
                // Audio is optional: carry on with video.
                let error = JsError::from(&e);
                log(&format!("audio encoder failed: {error}"));
                core.give_up_audio(format!("audio: {error}"));
            },
        );
        let encoder = AudioEncoder::new(&AudioEncoderInit::new(
            callbacks.error(),
            callbacks.output(),
        ))
        .map_err(|e| BroadcastError::js("new AudioEncoder", e))?;
        Ok(Self {
            encoder,
            _callbacks: callbacks,
        })
    }

    /// Starts the loop that encodes the audio data read by `reader`.
    pub fn run(&self, core: &Rc<Core>, reader: ReadableStreamDefaultReader) {
        core.readers_running.set(core.readers_running.get() + 1);
        spawn_local(data_loop(core.clone(), reader, self.encoder.clone()));
    }

    /// Encodes what it holds (when configured).
    pub async fn flush(&self) {
        encoder::flush("audio", self.encoder.state(), || self.encoder.flush()).await;
    }

    /// Closes the encoder (unless closed already).
    pub fn close(&self) {
        encoder::close(self.encoder.state(), || self.encoder.close());
    }
}

/// Reads microphone data and encodes it until the end of the track, the broadcast stopping or an
/// error; configures the encoder from the first data, and gives up on audio if that fails.
async fn data_loop(core: Rc<Core>, reader: ReadableStreamDefaultReader, encoder: AudioEncoder) {
    loop {
        let data: AudioData = match read(&reader).await {
            Ok(Some(v)) => super::blank::silent_if(core.muted.get(), v.unchecked_into()),
            Ok(None) => break,
            Err(e) => {
                if !core.stopping.get() {
                    log(&format!("reading microphone: {}", JsError::from(&e)));
                }
                break;
            }
        };
        // Read right after capture: its wall clock, taken before any await (configuring the encoder
        // awaits), lines the microphone's clock up with the camera's.
        let read_at_us = wall_clock_us();
        if core.stopping.get() {
            data.close();
            break;
        }
        if encoder.state() == CodecState::Unconfigured {
            if let Err(e) = configure(&core, &encoder, &data).await {
                data.close();
                log(&format!("audio disabled: {e}"));
                core.give_up_audio(e.to_string());
                let _ = JsFuture::from(reader.cancel()).await;
                break;
            }
        }
        if encoder.state() != CodecState::Configured {
            data.close();
            break;
        }
        if let Ok(mut s) = core.shared.try_borrow_mut() {
            let (timestamp_us, rate) = (data.timestamp() as i64, data.sample_rate() as u32);
            // The first call anchors the microphone's clock; later ones are ignored.
            if let Some(unix_micros) = read_at_us {
                s.renditions.set_audio_wall_clock(timestamp_us, unix_micros);
            }
            s.audio_clock
                .get_or_insert_with(|| AudioClock::new(rate))
                .input(timestamp_us, data.number_of_frames());
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

/// Configures `encoder` for the first of [`AUDIO_CANDIDATES`] this browser can encode at the channel
/// count and sample rate of `data`.
async fn configure(
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

/// Hands an encoded chunk (and, with the first one, the audio configuration) to the packager; a
/// configuration it cannot use makes it go on without audio.
fn on_output(core: &Core, chunk: EncodedAudioChunk, meta: &JsValue) {
    let mut data = vec![0; chunk.byte_length() as usize];
    if chunk.copy_to_with_u8_slice(&mut data).is_err() {
        return;
    }
    let config = get(meta, "decoderConfig");
    core.package(|s| {
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
            let result = match AudioConfig::from_encoder(codec, channels, sample_rate, description)
            {
                Some(c) => s.renditions.set_audio_config(c),
                None => s.renditions.give_up_audio(),
            };
            match result {
                Ok(o) => outputs.extend(o),
                Err(e) => {
                    s.stats.last_error = Some(format!("audio: {e}"));
                    outputs.extend(s.renditions.give_up_audio()?);
                }
            }
        }
        let duration_us = chunk.duration().map(|d| d as i64);
        let encoder_us = chunk.timestamp() as i64;
        let timestamp_us = match s.audio_clock.as_mut() {
            // Opus frames are 20 ms; the clock needs a length to walk the samples.
            Some(clock) => clock.output(duration_us.unwrap_or(20_000), encoder_us),
            None => encoder_us,
        };
        outputs.extend(s.renditions.push_audio(EncodedChunk {
            kind: TrackKind::Audio,
            timestamp_us,
            duration_us,
            keyframe: true,
            data,
        })?);
        Ok(outputs)
    });
    core.emit(false);
}
