//! The broadcast handle: starts capture, the encoders and an uploader per rendition around one shared
//! state, and stops them in order (flush, last parts of every rendition, end of stream).

use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{MediaStreamTrack, ReadableStreamDefaultReader};

use super::audio_encoder::AudioEncoding;
use super::camera::Camera;
use super::capture::{check_supported, reader_for};
use super::state::Core;
use super::uploader::{fetch, upload_loop};
use super::video_encoder::VideoEncoding;
use crate::ladder::{self, Qualities, AUDIO_RENDITION};
use crate::packager::live_config;
use crate::renditions::Renditions;
use crate::stats::{BroadcastState, BroadcastStats};
use crate::upload::{UploadItem, UploadKind, UploadTarget};
use crate::BroadcastError;

/// A live broadcast of a [`Camera`] to an OnAir server.
///
/// Dropping it without [`Broadcast::stop`] abandons the stream (the server keeps it "live" until it
/// times out or is ended); call `stop` to upload the last segment and end it properly.
pub struct Broadcast {
    core: Rc<Core>,
    video: VideoEncoding,
    audio: Option<AudioEncoding>,
    readers: Vec<ReadableStreamDefaultReader>,
    /// Cloned tracks fed to the processors; stopped at the end (the camera's own tracks keep running).
    tracks: Vec<MediaStreamTrack>,
}

impl std::fmt::Debug for Broadcast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broadcast")
            .field("targets", &self.core.targets)
            .finish_non_exhaustive()
    }
}

impl Broadcast {
    /// Starts encoding the camera as one rendition and uploading to `server_base` (empty for the
    /// page's origin) as stream `id` with `key`. `on_stats` is called with fresh counters whenever they
    /// change (at most twice a second, plus on every state change).
    pub fn start(
        camera: &Camera,
        server_base: &str,
        id: &str,
        key: &str,
        on_stats: impl Fn(BroadcastStats) + 'static,
    ) -> Result<Broadcast, BroadcastError> {
        Self::start_with(camera, server_base, id, key, Qualities::One, on_stats)
    }

    /// [`Broadcast::start`] with the renditions asked for: with [`Qualities::Ladder`] the capture and
    /// its lower rungs, as many as this device's cores allow ([`ladder::max_rungs`]), each uploading
    /// beside the others, with the audio as a rendition of its own.
    pub fn start_with(
        camera: &Camera,
        server_base: &str,
        id: &str,
        key: &str,
        qualities: Qualities,
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
        check_supported()?;

        let settings = video_track.get_settings();
        let size = |v: Option<i32>| v.and_then(|v| u16::try_from(v).ok()).unwrap_or(0);
        let cores = web_sys::window()
            .map(|w| w.navigator().hardware_concurrency())
            .unwrap_or(1.0);
        let rungs = ladder::rungs(
            size(settings.get_width()),
            size(settings.get_height()),
            settings.get_frame_rate().unwrap_or(30.0),
            qualities,
            ladder::max_rungs(cores as u32),
        );
        let with_audio = audio_track.is_some();
        let (renditions, audio_rendition) = if rungs.len() > 1 {
            let renditions = Renditions::ladder(rungs.len(), with_audio, live_config());
            (renditions, with_audio.then_some(AUDIO_RENDITION))
        } else {
            (Renditions::single(with_audio, live_config()), None)
        };
        let targets: Vec<UploadTarget> = rungs
            .iter()
            .map(|rung| rung.name.as_str())
            .chain(audio_rendition)
            .map(|name| UploadTarget {
                rendition: name.to_owned(),
                ..UploadTarget::new(server_base, id, key)
            })
            .collect();
        let uploaders = targets.len();
        let rung_count = rungs.len();
        let core = Core::new(targets, on_stats, renditions, rungs);
        let video = VideoEncoding::new(&core, rung_count)?;
        // Audio encoder, when there is a microphone.
        let audio = match &audio_track {
            Some(_) => Some(AudioEncoding::new(&core)?),
            None => None,
        };

        // Readers.
        let mut readers = Vec::new();
        let mut tracks = vec![video_track.clone()];
        let video_reader = reader_for(&video_track)?;
        readers.push(video_reader.clone());
        video.run(&core, video_reader, video_track);
        if let (Some(track), Some(audio)) = (audio_track, &audio) {
            let reader = reader_for(&track)?;
            readers.push(reader.clone());
            tracks.push(track);
            audio.run(&core, reader);
        }
        for index in 0..uploaders {
            spawn_local(upload_loop(core.clone(), index));
        }
        core.emit(true);

        Ok(Broadcast {
            core,
            video,
            audio,
            readers,
            tracks,
        })
    }

    /// Turns the camera off (black frames go out; the stream, its timeline and its parts go on) or
    /// back on.
    pub fn set_camera_off(&self, off: bool) {
        self.core.camera_off.set(off);
    }

    /// Mutes the microphone (silence goes out) or unmutes it.
    pub fn set_muted(&self, muted: bool) {
        self.core.muted.set(muted);
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
        self.video.flush().await;
        if let Some(audio) = &self.audio {
            audio.flush().await;
        }
        let outputs = match self.core.shared.try_borrow_mut() {
            Ok(mut s) => s.renditions.finish(),
            Err(_) => Err(BroadcastError::State("packager busy")),
        };
        self.core.enqueue(outputs);
        // The end of the stream completes every rendition's last segment: it goes after their last
        // parts (the first rendition's queue sends it after its own).
        while !self.core.others_drained() {
            TimeoutFuture::new(50).await;
        }
        if let Ok(mut s) = self.core.shared.try_borrow_mut() {
            if let Some(queue) = s.queues.first_mut() {
                queue.push(UploadItem::end());
            }
        }
        // The first upload loop drains its queue and sets the state to Ended (or Failed).
        let result = loop {
            match self.core.state() {
                BroadcastState::Ended => break Ok(()),
                BroadcastState::Failed(reason) => break Err(BroadcastError::Failed(reason)),
                _ => TimeoutFuture::new(50).await,
            }
        };
        self.close();
        self.core.emit(true);
        result
    }

    /// The page is going away (`pagehide`): posts the end of the stream with a `keepalive` fetch, which
    /// the browser finishes after the page is gone, so viewers learn at once that it ended instead of
    /// after the server's idle timeout. The parts not yet uploaded are lost; use [`Broadcast::stop`]
    /// when there is time.
    pub fn end_now(&self) {
        if matches!(
            self.core.state(),
            BroadcastState::Ended | BroadcastState::Failed(_)
        ) {
            return;
        }
        self.core.stopping.set(true);
        let Some(target) = self.core.target(0) else {
            return;
        };
        // Not awaited: the page is going.
        if let Err(e) = fetch(&target, UploadKind::End, None, true) {
            onair_browser::log(&format!(
                "ending on pagehide: {}",
                onair_browser::JsError::from(&e)
            ));
        }
    }

    fn close(&self) {
        self.video.close();
        if let Some(audio) = &self.audio {
            audio.close();
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
