//! The widget: a `<video>` and its controls written into the page, kept in step with the player's
//! status and the element's events. What they show is decided in [`crate::controls`].

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Reflect};
use onair_player::PlayerStatus;
use wasm_bindgen::prelude::*;
use web_sys::{
    Document, Element, Event, HtmlElement, HtmlInputElement, HtmlSelectElement, HtmlVideoElement,
    KeyboardEvent, TextTrackMode,
};

use crate::api::SharedPlayer;
use crate::controls::{self, decimal, KeyAction, LiveBadge, SeekBar};

const STYLE: &str = include_str!("style.css");
const STYLE_ID: &str = "onair-player-style";

const ICON_PLAY: &str =
    r#"<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M8 5v14l11-7z"/></svg>"#;
const ICON_PAUSE: &str =
    r#"<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6 5h4v14H6zm8 0h4v14h-4z"/></svg>"#;
const ICON_SOUND: &str = r#"<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 9v6h4l5 5V4L7 9zm13.5 3A4.5 4.5 0 0014 8v8a4.5 4.5 0 002.5-4zM14 3.2v2.1a7 7 0 010 13.4v2.1a9 9 0 000-17.6z"/></svg>"#;
const ICON_MUTED: &str = r#"<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 9v6h4l5 5V4L7 9zm13.6 3l2.9-2.9-1.4-1.4-2.9 2.9-2.9-2.9-1.4 1.4 2.9 2.9-2.9 2.9 1.4 1.4 2.9-2.9 2.9 2.9 1.4-1.4z"/></svg>"#;

const TEMPLATE: &str = concat!(
    r#"<video playsinline></video><div class="onair-overlay" aria-live="polite"></div>"#,
    r#"<div class="onair-controls">"#,
    r#"<button type="button" class="onair-play" aria-label="Play"></button>"#,
    r#"<button type="button" class="onair-mute" aria-label="Mute"></button>"#,
    r#"<input class="onair-volume" type="range" min="0" max="1" step="0.05" aria-label="Volume">"#,
    r#"<button type="button" class="onair-live" hidden>LIVE</button>"#,
    r#"<span class="onair-time" hidden></span>"#,
    r#"<input class="onair-seek" type="range" min="0" max="1" step="any" value="0" aria-label="Seek" hidden>"#,
    r#"<span class="onair-spacer"></span>"#,
    r#"<select class="onair-quality" aria-label="Quality" hidden></select>"#,
    r#"<select class="onair-captions" aria-label="Captions" hidden></select>"#,
    r#"<button type="button" class="onair-pip" aria-label="Picture in picture"><svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 5h18v14H3zm2 2v10h14V7zm6 5h7v4h-7z" fill-rule="evenodd"/></svg></button>"#,
    r#"<button type="button" class="onair-fullscreen" aria-label="Fullscreen"><svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h6v2H6v4H4zm10 0h6v6h-2V6h-4zM4 14h2v4h4v2H4zm14 0h2v6h-6v-2h4z"/></svg></button>"#,
    r#"</div>"#
);

type Listener = Closure<dyn FnMut(Event)>;

/// The widget's elements and listeners.
pub(crate) struct Widget {
    root: HtmlElement,
    pub video: HtmlVideoElement,
    overlay: Element,
    play: Element,
    mute: Element,
    volume: HtmlInputElement,
    live: Element,
    time: HtmlElement,
    seek: HtmlInputElement,
    /// The seek bar is being dragged: the element's time does not move it meanwhile.
    seeking_by_hand: std::cell::Cell<bool>,
    /// The player measures a latency: live, so no seek bar but for a DVR window.
    live_stream: std::cell::Cell<bool>,
    /// The live window the player reports (element seconds), for the DVR seek bar, and how far
    /// behind its edge the bar says `Live`.
    live_window: std::cell::Cell<Option<(f64, f64)>>,
    live_within: std::cell::Cell<f64>,
    /// Where the media starts (the first buffered time seen since the source was set).
    media_start: std::cell::Cell<Option<f64>>,
    quality: HtmlSelectElement,
    captions: HtmlSelectElement,
    player: SharedPlayer,
    /// The quality menu as last written, so it is rewritten only when it changes.
    quality_options: RefCell<Vec<(i32, String)>>,
    /// The quality chosen in the menu (-1: Auto), kept across rewrites of the menu.
    chosen_level: std::cell::Cell<i32>,
    badge: RefCell<Option<LiveBadge>>,
    listeners: RefCell<Vec<Listener>>,
}

fn find<T: JsCast>(root: &HtmlElement, selector: &str) -> Result<T, JsValue> {
    root.query_selector(selector)?
        .and_then(|e| e.dyn_into::<T>().ok())
        .ok_or_else(|| JsValue::from_str("OnAirPlayer: the widget's markup is incomplete"))
}

fn document() -> Result<Document, JsValue> {
    web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("OnAirPlayer: no document"))
}

/// Calls `object.name()` if it is a function (APIs web-sys does not bind everywhere, such as
/// picture-in-picture).
fn call_method(object: &JsValue, name: &str) {
    if let Ok(f) = Reflect::get(object, &JsValue::from_str(name)) {
        if let Some(f) = f.dyn_ref::<Function>() {
            let _ = f.call0(object);
        }
    }
}

fn truthy(object: &JsValue, name: &str) -> bool {
    Reflect::get(object, &JsValue::from_str(name)).is_ok_and(|v| v.is_truthy())
}

impl Widget {
    /// Writes the widget into `container` and wires its controls to `player`.
    pub fn mount(container: &HtmlElement, player: SharedPlayer) -> Result<Rc<Widget>, JsValue> {
        let document = document()?;
        if document.get_element_by_id(STYLE_ID).is_none() {
            let style = document.create_element("style")?;
            style.set_id(STYLE_ID);
            style.set_text_content(Some(STYLE));
            if let Some(head) = document.head() {
                head.append_child(&style)?;
            }
        }
        let root: HtmlElement = document.create_element("div")?.dyn_into()?;
        root.set_class_name("onair-player");
        root.set_tab_index(0);
        root.set_attribute("role", "region")?;
        root.set_attribute("aria-label", "Video player")?;
        root.set_inner_html(TEMPLATE);
        container.set_inner_html("");
        container.append_child(&root)?;
        let widget = Rc::new(Widget {
            video: find(&root, "video")?,
            overlay: find(&root, ".onair-overlay")?,
            play: find(&root, ".onair-play")?,
            mute: find(&root, ".onair-mute")?,
            volume: find(&root, ".onair-volume")?,
            live: find(&root, ".onair-live")?,
            time: find(&root, ".onair-time")?,
            seek: find(&root, ".onair-seek")?,
            seeking_by_hand: std::cell::Cell::new(false),
            live_stream: std::cell::Cell::new(false),
            live_window: std::cell::Cell::new(None),
            live_within: std::cell::Cell::new(0.0),
            media_start: std::cell::Cell::new(None),
            quality: find(&root, ".onair-quality")?,
            captions: find(&root, ".onair-captions")?,
            root,
            player,
            quality_options: RefCell::new(Vec::new()),
            chosen_level: std::cell::Cell::new(-1),
            badge: RefCell::new(None),
            listeners: RefCell::new(Vec::new()),
        });
        let pip = Reflect::get(&widget.video, &JsValue::from_str("requestPictureInPicture"))
            .is_ok_and(|f| f.is_function());
        if !pip || !truthy(&document, "pictureInPictureEnabled") {
            find::<HtmlElement>(&widget.root, ".onair-pip")?.set_hidden(true);
        }
        widget.wire()?;
        widget.sync_media();
        Ok(widget)
    }

    fn listen(
        self: &Rc<Self>,
        target: &web_sys::EventTarget,
        event: &str,
        f: impl Fn(&Rc<Widget>, Event) + 'static,
    ) -> Result<(), JsValue> {
        let weak = Rc::downgrade(self);
        let closure = Listener::new(move |e: Event| {
            if let Some(widget) = weak.upgrade() {
                f(&widget, e);
            }
        });
        target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref())?;
        self.listeners.borrow_mut().push(closure);
        Ok(())
    }

    fn wire(self: &Rc<Self>) -> Result<(), JsValue> {
        let root = self.root.clone();
        self.listen(&self.play, "click", |w, _| w.toggle_play())?;
        self.listen(&self.mute, "click", |w, _| w.toggle_mute())?;
        self.listen(&self.volume, "input", |w, _| {
            let volume = finite_or(w.volume.value_as_number(), 1.0);
            w.video.set_volume(volume.clamp(0.0, 1.0));
            w.video.set_muted(volume <= 0.0);
        })?;
        self.listen(&self.live, "click", |w, _| w.go_live())?;
        self.listen(&self.seek, "input", |w, _| {
            w.seeking_by_hand.set(true);
            let at = finite_or(w.seek.value_as_number(), 0.0);
            if let Some(bar) = w.bar_at(at) {
                w.time.set_text_content(Some(&bar.label));
            }
        })?;
        self.listen(&self.seek, "change", |w, _| {
            w.seeking_by_hand.set(false);
            let at = finite_or(w.seek.value_as_number(), 0.0);
            w.seek_to(at);
        })?;
        self.listen(&self.quality, "change", |w, _| {
            let level = w.quality.value().parse::<i32>().unwrap_or(-1);
            w.chosen_level.set(level);
            if let Ok(player) = w.player.try_borrow() {
                if let Some(player) = player.as_ref() {
                    player.set_level(usize::try_from(level).ok());
                }
            }
        })?;
        self.listen(&self.captions, "change", |w, _| w.choose_captions())?;
        let pip = find::<Element>(&root, ".onair-pip")?;
        self.listen(&pip, "click", |w, _| w.toggle_pip())?;
        let fullscreen = find::<Element>(&root, ".onair-fullscreen")?;
        self.listen(&fullscreen, "click", |w, _| w.toggle_fullscreen())?;
        self.listen(&self.video, "click", |w, _| w.toggle_play())?;
        for event in ["play", "pause", "volumechange", "playing"] {
            self.listen(&self.video, event, |w, _| w.sync_media())?;
        }
        self.listen(&self.video, "emptied", |w, _| {
            w.media_start.set(None);
            w.sync_time();
        })?;
        for event in ["timeupdate", "durationchange", "seeking"] {
            self.listen(&self.video, event, |w, _| w.sync_time())?;
        }
        let tracks = self.video.text_tracks();
        if let Some(tracks) = tracks {
            for event in ["addtrack", "removetrack", "change"] {
                self.listen(&tracks, event, |w, _| w.sync_captions())?;
            }
        }
        self.listen(&root, "keydown", |w, e| w.key(e))?;
        Ok(())
    }

    /// Follows the player's status: the overlay, the quality menu, the LIVE badge.
    pub fn update(&self, status: &PlayerStatus) {
        self.overlay
            .set_text_content(controls::overlay_text(status).as_deref());
        let options = controls::quality_options(status);
        if *self.quality_options.borrow() != options {
            let html: String = options
                .iter()
                .map(|(value, label)| format!("<option value=\"{value}\">{label}</option>"))
                .collect();
            self.quality.set_inner_html(&html);
            self.quality.set_value(&self.chosen_level.get().to_string());
            self.quality.set_hidden(options.is_empty());
            *self.quality_options.borrow_mut() = options;
        }
        let live = status.latency_secs.is_some();
        let window = status.live_window.filter(|_| live);
        self.live_within.set(controls::live_within(status));
        if self.live_stream.replace(live) != live || self.live_window.replace(window) != window {
            self.sync_time();
        }
        let badge = LiveBadge::of(status);
        if *self.badge.borrow() != Some(badge) {
            *self.badge.borrow_mut() = Some(badge);
            let _ = self
                .live
                .set_attribute("aria-label", badge.label())
                .and_then(|()| {
                    self.live
                        .class_list()
                        .toggle_with_force("onair-at-live", badge == LiveBadge::Live)
                        .map(|_| ())
                });
            if badge == LiveBadge::Hidden {
                let _ = self.live.set_attribute("hidden", "");
            } else {
                let _ = self.live.remove_attribute("hidden");
            }
        }
    }

    /// The play, mute and volume controls follow the element.
    fn sync_media(&self) {
        let paused = self.video.paused();
        self.play
            .set_inner_html(if paused { ICON_PLAY } else { ICON_PAUSE });
        let _ = self
            .play
            .set_attribute("aria-label", controls::play_label(paused));
        let muted = self.video.muted() || self.video.volume() <= 0.0;
        self.mute
            .set_inner_html(if muted { ICON_MUTED } else { ICON_SOUND });
        let _ = self
            .mute
            .set_attribute("aria-label", if muted { "Unmute" } else { "Mute" });
        let volume = if muted { 0.0 } else { self.video.volume() };
        self.volume.set_value(&decimal(volume, 2));
    }

    /// The seek bar and the time follow the element, for a stream with an end or a live DVR window.
    fn sync_time(&self) {
        let bar = self.bar_at(self.video.current_time());
        self.seek.set_hidden(bar.is_none());
        self.time.set_hidden(bar.is_none());
        let Some(bar) = bar else {
            return;
        };
        if self.seeking_by_hand.get() {
            return;
        }
        let (min, max) = (decimal(bar.min, 3), decimal(bar.max, 3));
        if self.seek.min() != min {
            self.seek.set_min(&min);
        }
        if self.seek.max() != max {
            self.seek.set_max(&max);
        }
        self.seek.set_value_as_number(bar.value);
        let _ = self.seek.set_attribute("aria-valuetext", &bar.label);
        self.time.set_text_content(Some(&bar.label));
    }

    /// Moves the playhead to `at` seconds, clamped into the seek bar's span (a stream with an end, or
    /// a live DVR window).
    fn seek_to(&self, at: f64) {
        if let Some(bar) = self.bar_at(at) {
            self.video.set_current_time(bar.value);
        }
    }

    /// The seek bar with its playhead at `at`, for this element and stream.
    fn bar_at(&self, at: f64) -> Option<SeekBar> {
        if self.live_stream.get() {
            let (start, edge) = self.live_window.get()?;
            return SeekBar::live(at, start, edge, self.live_within.get());
        }
        let start = self.media_start();
        SeekBar::of(at, start, self.video.duration(), false)
    }

    /// Where the media starts: the first buffered time, once there is one (0 before).
    fn media_start(&self) -> f64 {
        if let Some(start) = self.media_start.get() {
            return start;
        }
        let start = self
            .video
            .buffered()
            .start(0)
            .ok()
            .filter(|s| s.is_finite());
        self.media_start.set(start);
        start.unwrap_or(0.0)
    }

    fn toggle_play(&self) {
        if self.video.paused() {
            let _ = self.video.play();
        } else {
            let _ = self.video.pause();
        }
    }

    fn toggle_mute(&self) {
        if self.video.muted() {
            // Through the player, so a muted autoplay's status is cleared too.
            match self
                .player
                .try_borrow()
                .ok()
                .as_deref()
                .and_then(Option::as_ref)
            {
                Some(player) => player.unmute(),
                None => self.video.set_muted(false),
            }
            if self.video.volume() <= 0.0 {
                self.video.set_volume(1.0);
            }
        } else {
            self.video.set_muted(true);
        }
    }

    fn go_live(&self) {
        if let Ok(player) = self.player.try_borrow() {
            if let Some(player) = player.as_ref() {
                player.seek_to_live();
            }
        }
        if self.video.paused() {
            let _ = self.video.play();
        }
    }

    fn toggle_fullscreen(&self) {
        let Ok(document) = document() else {
            return;
        };
        if document.fullscreen_element().is_some() {
            document.exit_fullscreen();
        } else {
            let _ = self.root.request_fullscreen();
        }
    }

    fn toggle_pip(&self) {
        let Ok(document) = document() else {
            return;
        };
        if truthy(&document, "pictureInPictureElement") {
            call_method(&document, "exitPictureInPicture");
        } else {
            call_method(&self.video, "requestPictureInPicture");
        }
    }

    /// The captions menu lists the element's text tracks ("Off" first) and shows the one showing.
    fn sync_captions(&self) {
        let Some(tracks) = self.video.text_tracks() else {
            return;
        };
        let mut html = String::from("<option value=\"-1\">Captions off</option>");
        let mut selected = -1i64;
        for i in 0..tracks.length() {
            let Some(track) = tracks.get(i) else {
                continue;
            };
            let label = match track.label() {
                l if !l.is_empty() => l,
                _ => track.language(),
            };
            let label = label.replace('<', "&lt;");
            html.push_str(&format!("<option value=\"{i}\">{label}</option>"));
            if track.mode() == TextTrackMode::Showing {
                selected = i64::from(i);
            }
        }
        self.captions.set_inner_html(&html);
        self.captions.set_value(&selected.to_string());
        self.captions.set_hidden(tracks.length() == 0);
    }

    fn choose_captions(&self) {
        let Some(tracks) = self.video.text_tracks() else {
            return;
        };
        let chosen = self.captions.value().parse::<i64>().unwrap_or(-1);
        for i in 0..tracks.length() {
            if let Some(track) = tracks.get(i) {
                track.set_mode(if i64::from(i) == chosen {
                    TextTrackMode::Showing
                } else {
                    TextTrackMode::Disabled
                });
            }
        }
    }

    fn key(&self, e: Event) {
        let Some(e) = e.dyn_ref::<KeyboardEvent>() else {
            return;
        };
        // Menus and the volume slider keep their own keys, a focused button its space bar.
        let key = e.key();
        let in_field = e
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .is_some_and(|t| match t.tag_name().as_str() {
                "SELECT" | "INPUT" => true,
                "BUTTON" => key == " " || key == "Enter",
                _ => false,
            });
        if in_field || e.ctrl_key() || e.meta_key() || e.alt_key() {
            return;
        }
        let Some(action) = controls::key_action(&key) else {
            return;
        };
        e.prevent_default();
        match action {
            KeyAction::TogglePlay => self.toggle_play(),
            KeyAction::ToggleMute => self.toggle_mute(),
            KeyAction::ToggleFullscreen => self.toggle_fullscreen(),
            KeyAction::Volume(step) => {
                self.video.set_muted(false);
                self.video
                    .set_volume((self.video.volume() + step).clamp(0.0, 1.0));
            }
            KeyAction::GoLive => self.go_live(),
            KeyAction::Seek(step) => self.seek_to(self.video.current_time() + step),
        }
    }

    /// Takes the widget out of the page.
    pub fn remove(&self) {
        self.root.remove();
        self.listeners.borrow_mut().clear();
    }
}

/// A range input's number (NaN when it has none), else `default`.
fn finite_or(value: f64, default: f64) -> f64 {
    if value.is_finite() {
        value
    } else {
        default
    }
}
