//! Media Source Extensions and the `<video>` element: the media source (made again after a decode
//! error), one `SourceBuffer` per track whose `updateend`/`error` become events, and the element's
//! events as snapshots.

use std::rc::Rc;

use onair_browser::{log, JsError};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    Event as DomEvent, EventTarget, HtmlMediaElement, MediaSource, MediaSourceReadyState,
    SourceBuffer, TimeRanges, Url,
};

use super::driver::{Buffer, Driver, Listener};
use crate::buffer::Range;
use crate::engine::{Event, MediaSnapshot, TextCue, TrackKind};
use crate::error::PlayerError;
use crate::status::Phase;
use onair_media::webvtt::CueLine;

/// The ranges of `ranges`, as pairs.
pub(super) fn ranges(ranges: &TimeRanges) -> Vec<Range> {
    (0..ranges.length())
        .filter_map(|i| Some((ranges.start(i).ok()?, ranges.end(i).ok()?)))
        .collect()
}

fn listen(
    target: &EventTarget,
    event: &'static str,
    f: impl FnMut(DomEvent) + 'static,
) -> Listener {
    let closure = Closure::<dyn FnMut(DomEvent)>::new(f);
    let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
    (event, closure)
}

/// Attaches the driver's media source to the element; `sourceopen` creates any buffers asked for
/// before it, or answers a rebuild.
pub(super) fn attach_source(driver: &Rc<Driver>) -> Result<(), PlayerError> {
    let source = driver.media_source.borrow().clone();
    let url = Url::create_object_url_with_source(&source)
        .map_err(|e| PlayerError::js("URL.createObjectURL", &e))?;
    let weak = Rc::downgrade(driver);
    let open = listen(source.unchecked_ref(), "sourceopen", move |_| {
        let Some(driver) = weak.upgrade() else {
            return;
        };
        if driver.source_open.replace(true) {
            return;
        }
        if driver.rebuilding.replace(false) {
            driver.dispatch(Event::MediaRebuilt);
        }
        let pending = driver.pending_buffers.borrow_mut().take();
        if let Some(tracks) = pending {
            create_buffers(&driver, tracks);
        }
    });
    *driver.source_listeners.borrow_mut() = vec![open];
    driver.video.set_src(&url);
    if let Some(old) = driver.object_url.borrow_mut().replace(url) {
        let _ = Url::revoke_object_url(&old);
    }
    Ok(())
}

/// Listens to the element: its events update the phase and go to the engine as snapshots.
pub(super) fn install_element_listeners(driver: &Rc<Driver>) {
    let events: [(&'static str, Option<Phase>); 11] = [
        ("playing", Some(Phase::Playing)),
        ("waiting", Some(Phase::Buffering)),
        ("pause", Some(Phase::Paused)),
        ("ended", Some(Phase::Ended)),
        ("timeupdate", None),
        ("seeked", None),
        ("seeking", None),
        ("progress", None),
        ("resize", None),
        ("ratechange", None),
        ("error", None),
    ];
    let mut listeners = Vec::new();
    for (event, phase) in events {
        let weak = Rc::downgrade(driver);
        listeners.push(listen(driver.video.unchecked_ref(), event, move |_| {
            let Some(driver) = weak.upgrade() else {
                return;
            };
            if let Some(phase) = phase {
                // A pause at the end of a finished stream is the end, not a pause.
                let phase = if phase == Phase::Paused && driver.video.ended() {
                    Phase::Ended
                } else {
                    phase
                };
                driver.set_phase(phase, None);
            }
            if event == "timeupdate" || event == "seeked" {
                let current = driver.status.borrow().phase;
                let (paused, ready) = (driver.video.paused(), driver.video.ready_state());
                if let Some(phase) = Phase::after_time_update(current, paused, ready) {
                    driver.set_phase(phase, None);
                }
            }
            if event == "error" {
                let message = driver
                    .video
                    .error()
                    .map(|e| format!("media error {}: {}", e.code(), e.message()))
                    .unwrap_or_else(|| "media error".into());
                driver.dispatch(Event::MediaError { message });
                return;
            }
            driver.dispatch(Event::Media(snapshot(&driver)));
        }));
    }
    driver.listeners.borrow_mut().extend(listeners);
}

/// What the element looks like now.
pub(super) fn snapshot(driver: &Driver) -> MediaSnapshot {
    let media: &HtmlMediaElement = &driver.video;
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let (w, h) = (driver.video.client_width(), driver.video.client_height());
    MediaSnapshot {
        current_time: media.current_time(),
        buffered: ranges(&media.buffered()),
        paused: media.paused(),
        seeking: media.seeking(),
        ended: media.ended(),
        playback_rate: media.playback_rate(),
        size: (w > 0 && h > 0).then_some(((w as f64 * ratio) as u32, (h as f64 * ratio) as u32)),
    }
}

pub(super) fn create_buffers(driver: &Rc<Driver>, tracks: Vec<(TrackKind, String)>) {
    if !driver.source_open.get() {
        *driver.pending_buffers.borrow_mut() = Some(tracks);
        return;
    }
    let source = driver.media_source.borrow().clone();
    let mut buffers = Vec::new();
    for (kind, mime) in tracks {
        let source_buffer = match source.add_source_buffer(&mime) {
            Ok(sb) => sb,
            Err(e) => {
                driver.dispatch(Event::MediaError {
                    message: format!("addSourceBuffer({mime}): {}", JsError::from(&e)),
                });
                return;
            }
        };
        log(&format!("player: {} buffer {mime}", kind.name()));
        let weak = Rc::downgrade(driver);
        let sb = source_buffer.clone();
        let updated = listen(source_buffer.unchecked_ref(), "updateend", move |_| {
            if let Some(driver) = weak.upgrade() {
                apply_duration(&driver);
                let buffered = sb.buffered().map(|r| ranges(&r)).unwrap_or_default();
                driver.dispatch(Event::BufferUpdated {
                    track: kind,
                    buffered,
                });
            }
        });
        let weak = Rc::downgrade(driver);
        let failed = listen(source_buffer.unchecked_ref(), "error", move |_| {
            if let Some(driver) = weak.upgrade() {
                driver.dispatch(Event::MediaError {
                    message: format!("{} buffer error", kind.name()),
                });
            }
        });
        buffers.push(Buffer {
            kind,
            source_buffer,
            _listeners: vec![updated, failed],
        });
    }
    *driver.buffers.borrow_mut() = buffers;
    driver.dispatch(Event::BuffersCreated);
}

fn buffer(driver: &Driver, kind: TrackKind) -> Option<SourceBuffer> {
    driver
        .buffers
        .borrow()
        .iter()
        .find(|b| b.kind == kind)
        .map(|b| b.source_buffer.clone())
}

pub(super) fn append(driver: &Rc<Driver>, kind: TrackKind, mut data: Vec<u8>) {
    let Some(sb) = buffer(driver, kind) else {
        return;
    };
    if let Err(e) = sb.append_buffer_with_u8_array(&mut data) {
        let error = JsError::from(&e);
        let quota = error.is("QuotaExceededError");
        driver.dispatch(Event::BufferFailed {
            track: kind,
            quota,
            error: PlayerError::js("appendBuffer", error),
        });
    }
}

pub(super) fn remove(driver: &Rc<Driver>, kind: TrackKind, start: f64, end: f64) {
    let Some(sb) = buffer(driver, kind) else {
        return;
    };
    if sb.remove(start, end).is_err() {
        // Nothing will fire updateend: say it is done.
        let buffered = sb.buffered().map(|r| ranges(&r)).unwrap_or_default();
        driver.dispatch(Event::BufferUpdated {
            track: kind,
            buffered,
        });
    }
}

pub(super) fn reset_parser(driver: &Driver, kind: TrackKind) {
    if let Some(sb) = buffer(driver, kind) {
        if driver.media_source.borrow().ready_state() == MediaSourceReadyState::Open {
            let _ = sb.abort();
        }
    }
}

pub(super) fn change_type(driver: &Driver, kind: TrackKind, mime: &str) {
    if let Some(sb) = buffer(driver, kind) {
        if let Err(e) = sb.change_type(mime) {
            log(&format!(
                "player: changeType({mime}): {}",
                JsError::from(&e)
            ));
        }
    }
}

pub(super) fn set_offset(driver: &Driver, kind: TrackKind, offset: f64) {
    if let Some(sb) = buffer(driver, kind) {
        sb.set_timestamp_offset(offset);
    }
}

/// Sets the media source's duration asked for, once it is open and no `SourceBuffer` is updating
/// (else `InvalidStateError`; the next `updateend` tries again). Never below what is buffered.
pub(super) fn apply_duration(driver: &Driver) {
    let Some(secs) = driver.pending_duration.get() else {
        return;
    };
    let source = driver.media_source.borrow();
    let buffers = driver.buffers.borrow();
    if source.ready_state() != MediaSourceReadyState::Open
        || buffers.is_empty()
        || buffers.iter().any(|b| b.source_buffer.updating())
    {
        return;
    }
    driver.pending_duration.set(None);
    let buffered_end = buffers
        .iter()
        .filter_map(|b| b.source_buffer.buffered().ok())
        .filter_map(|r| r.length().checked_sub(1).and_then(|last| r.end(last).ok()))
        .fold(0.0, f64::max);
    // A duration not set yet is NaN, unequal to any.
    if secs > buffered_end && source.duration() != secs {
        // Through Reflect, which catches what the setter throws (web-sys's setter does not).
        let set = js_sys::Reflect::set(&source, &JsValue::from_str("duration"), &secs.into());
        if let Err(e) = set {
            log(&format!("player: duration: {}", JsError::from(&e)));
        }
    }
}

pub(super) fn end_of_stream(driver: &Driver) {
    let source = driver.media_source.borrow();
    if source.ready_state() == MediaSourceReadyState::Open {
        if let Err(e) = source.end_of_stream() {
            log(&format!("player: endOfStream: {}", JsError::from(&e)));
        }
    }
}

/// A new media source in place of the old one.
pub(super) fn rebuild(driver: &Rc<Driver>) {
    driver.buffers.borrow_mut().clear();
    let Ok(source) = MediaSource::new() else {
        driver.set_phase(
            Phase::Failed,
            Some("unsupported: Media Source Extensions".into()),
        );
        return;
    };
    *driver.media_source.borrow_mut() = source;
    driver.source_open.set(false);
    driver.rebuilding.set(true);
    if let Err(e) = attach_source(driver) {
        driver.set_phase(Phase::Failed, Some(e.to_string()));
    }
}

/// `play()`; if autoplay with sound is refused, mutes and tries again, and tells the page to offer an
/// unmute control.
pub(super) fn play(driver: &Rc<Driver>) {
    let driver = driver.clone();
    spawn_local(async move {
        let media: &HtmlMediaElement = &driver.video;
        match try_play(media).await {
            Ok(()) => {}
            Err(e) if JsError::from(&e).is("NotAllowedError") => {
                media.set_muted(true);
                match try_play(media).await {
                    Ok(()) => driver.update_status(|s| s.autoplay_muted = true),
                    Err(e) => log(&format!(
                        "player: play() refused even muted: {}",
                        JsError::from(&e)
                    )),
                }
            }
            // AbortError: a seek or a new load interrupted play(); playback continues on its own.
            Err(e) => log(&format!("player: play(): {}", JsError::from(&e))),
        }
    });
}

async fn try_play(media: &HtmlMediaElement) -> Result<(), JsValue> {
    let promise = media.play()?;
    JsFuture::from(promise).await.map(|_| ())
}

/// Makes the text track of subtitle rendition `index` (they come in order).
pub(super) fn add_text_track(
    driver: &Driver,
    index: usize,
    name: &str,
    language: &str,
    default: bool,
) {
    let track = driver.video.add_text_track_with_label_and_language(
        web_sys::TextTrackKind::Subtitles,
        name,
        language,
    );
    track.set_mode(if default {
        web_sys::TextTrackMode::Showing
    } else {
        web_sys::TextTrackMode::Hidden
    });
    let mut tracks = driver.text_tracks.borrow_mut();
    if tracks.len() == index {
        tracks.push(track);
    }
}

/// Adds cues to text track `index`, with their settings (set as properties: web-sys deprecates its
/// setters for the union-typed ones).
pub(super) fn add_cues(driver: &Driver, index: usize, cues: &[TextCue]) {
    let tracks = driver.text_tracks.borrow();
    let Some(track) = tracks.get(index) else {
        return;
    };
    let set = |cue: &JsValue, key: &str, value: JsValue| {
        let _ = js_sys::Reflect::set(cue, &JsValue::from_str(key), &value);
    };
    for c in cues {
        let Ok(cue) = web_sys::VttCue::new(c.start, c.end, &c.text) else {
            continue;
        };
        let s = &c.settings;
        match s.line {
            Some(CueLine::Number(n)) => set(&cue, "line", n.into()),
            Some(CueLine::Percent(p)) => {
                set(&cue, "snapToLines", false.into());
                set(&cue, "line", p.into());
            }
            None => {}
        }
        if let Some(p) = s.position {
            set(&cue, "position", p.into());
        }
        if let Some(size) = s.size {
            set(&cue, "size", size.into());
        }
        if let Some(align) = &s.align {
            set(&cue, "align", JsValue::from_str(align));
        }
        track.add_cue(&cue);
    }
}
