//! The loop between the browser and the engine: [`Driver::dispatch`] hands an event to the engine and
//! runs the commands it answers with; the page hears about it through the status.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use onair_browser::{log, now_ms};
use wasm_bindgen::prelude::Closure;
use web_sys::{Event as DomEvent, HtmlVideoElement, MediaSource, SourceBuffer};

use super::beacon::Beacons;
use super::fetch::{self, InFlight};
use super::media;
use super::{crypto, transmux};
use crate::engine::{Command, Engine, Event, Notice, RequestId, TimerId, TrackKind};
use crate::events::PlayerEvent;
use crate::qoe::QoeTracker;
use crate::small_map::SmallMap;
use crate::status::{Phase, PlayerStatus};

pub(super) type StatusCallback = Rc<dyn Fn(PlayerStatus)>;
pub(super) type EventCallback = Rc<dyn Fn(&PlayerEvent)>;
pub(super) type Listener = (&'static str, Closure<dyn FnMut(DomEvent)>);

/// One `SourceBuffer` and its listeners.
pub(super) struct Buffer {
    pub kind: TrackKind,
    pub source_buffer: SourceBuffer,
    pub _listeners: Vec<Listener>,
}

/// Everything the glue holds.
pub(super) struct Driver {
    pub engine: RefCell<Engine>,
    pub video: HtmlVideoElement,
    pub media_source: RefCell<MediaSource>,
    pub object_url: RefCell<Option<String>>,
    pub source_open: Cell<bool>,
    /// `CreateBuffers` that came before `sourceopen`.
    pub pending_buffers: RefCell<Option<Vec<(TrackKind, String)>>>,
    pub rebuilding: Cell<bool>,
    /// The transmuxer's worker, once a TS segment started it, and where its script is.
    pub transmux: RefCell<Option<transmux::Worker>>,
    pub transmux_url: String,
    /// A [`Command::SetDuration`] waiting for the `SourceBuffer`s to be idle.
    pub pending_duration: Cell<Option<f64>>,
    pub buffers: RefCell<Vec<Buffer>>,
    /// The subtitle renditions' text tracks, by index.
    pub text_tracks: RefCell<Vec<web_sys::TextTrack>>,
    pub requests: RefCell<SmallMap<RequestId, InFlight>>,
    pub timers: RefCell<SmallMap<TimerId, Timeout>>,
    pub listeners: RefCell<Vec<Listener>>,
    pub source_listeners: RefCell<Vec<Listener>>,
    pub status: RefCell<PlayerStatus>,
    pub on_status: RefCell<Option<StatusCallback>>,
    pub on_event: RefCell<Option<EventCallback>>,
    pub destroyed: Cell<bool>,
    /// The playback's QoE, fed every event the page hears ([`Driver::emit`]).
    pub qoe: RefCell<QoeTracker>,
    /// The beacons to the origin, once its multivariant playlist names their URL.
    pub beacons: RefCell<Option<Beacons>>,
    inbox: RefCell<VecDeque<Event>>,
    running: Cell<bool>,
}

impl Driver {
    pub fn new(
        engine: Engine,
        video: HtmlVideoElement,
        media_source: MediaSource,
        transmux_url: String,
    ) -> Rc<Driver> {
        Rc::new(Driver {
            engine: RefCell::new(engine),
            video,
            media_source: RefCell::new(media_source),
            object_url: RefCell::new(None),
            source_open: Cell::new(false),
            pending_buffers: RefCell::new(None),
            rebuilding: Cell::new(false),
            pending_duration: Cell::new(None),
            transmux: RefCell::new(None),
            transmux_url,
            buffers: RefCell::new(Vec::new()),
            text_tracks: RefCell::new(Vec::new()),
            requests: RefCell::new(SmallMap::new()),
            timers: RefCell::new(SmallMap::new()),
            listeners: RefCell::new(Vec::new()),
            source_listeners: RefCell::new(Vec::new()),
            status: RefCell::new(PlayerStatus::default()),
            on_status: RefCell::new(None),
            on_event: RefCell::new(None),
            destroyed: Cell::new(false),
            qoe: RefCell::new(QoeTracker::new(now_ms())),
            beacons: RefCell::new(None),
            inbox: RefCell::new(VecDeque::new()),
            running: Cell::new(false),
        })
    }

    /// Hands `event` to the engine and runs what it decides. Events raised while commands run wait
    /// their turn (never re-entering the engine).
    pub fn dispatch(self: &Rc<Self>, event: Event) {
        if self.destroyed.get() {
            return;
        }
        self.inbox.borrow_mut().push_back(event);
        if self.running.replace(true) {
            return;
        }
        loop {
            let next = self.inbox.borrow_mut().pop_front();
            let Some(event) = next else {
                break;
            };
            let commands = {
                let Ok(mut engine) = self.engine.try_borrow_mut() else {
                    break;
                };
                engine.handle(event, now_ms());
                engine.take_commands()
            };
            for command in commands {
                if self.destroyed.get() {
                    break;
                }
                self.run(command);
            }
        }
        self.running.set(false);
    }

    /// Runs the engine's pending commands (the first ones, right after it was made).
    pub fn run_pending(self: &Rc<Self>) {
        let commands = self
            .engine
            .try_borrow_mut()
            .map(|mut e| e.take_commands())
            .unwrap_or_default();
        for command in commands {
            self.run(command);
        }
    }

    fn run(self: &Rc<Self>, command: Command) {
        match command {
            Command::Fetch {
                id,
                url,
                timeout_ms,
                stream,
                revalidate,
                range,
            } => fetch::start(self, id, url, timeout_ms, stream, revalidate, range),
            Command::Decrypt { id, key, iv, data } => crypto::decrypt(self, id, key, iv, data),
            Command::PrepareTransmux => transmux::prepare(self),
            Command::Transmux {
                id,
                track,
                reset,
                discontinuity,
                data,
            } => transmux::transmux(self, id, track, reset, discontinuity, data),
            Command::Abort { id } => {
                if let Some(request) = self.requests.borrow_mut().remove(&id) {
                    request.controller.abort();
                }
            }
            Command::Timer { id, after_ms } => {
                let weak = Rc::downgrade(self);
                let timeout = Timeout::new(after_ms.clamp(0.0, 600_000.0) as u32, move || {
                    if let Some(driver) = weak.upgrade() {
                        driver.timers.borrow_mut().remove(&id);
                        driver.dispatch(Event::Timer { id });
                    }
                });
                self.timers.borrow_mut().insert(id, timeout);
            }
            Command::CreateBuffers { tracks } => media::create_buffers(self, tracks),
            Command::Append { track, data } => media::append(self, track, data),
            Command::Remove { track, start, end } => media::remove(self, track, start, end),
            Command::ResetParser { track } => media::reset_parser(self, track),
            Command::ChangeType { track, mime } => media::change_type(self, track, &mime),
            Command::SetTimestampOffset { track, offset } => media::set_offset(self, track, offset),
            Command::EndOfStream => media::end_of_stream(self),
            Command::SetDuration(secs) => {
                self.pending_duration.set(Some(secs));
                media::apply_duration(self);
            }
            Command::Play => media::play(self),
            Command::Seek(t) => {
                if t.is_finite() {
                    self.video.set_current_time(t);
                }
            }
            Command::SetRate(rate) => {
                if rate.is_finite() && rate > 0.0 {
                    self.video.set_playback_rate(rate);
                }
            }
            Command::RebuildMedia => media::rebuild(self),
            Command::AddTextTrack {
                index,
                name,
                language,
                default,
            } => media::add_text_track(self, index, &name, &language, default),
            Command::AddCues { index, cues } => media::add_cues(self, index, &cues),
            Command::Notify(notice) => self.notice(notice),
        }
    }

    fn notice(self: &Rc<Self>, notice: Notice) {
        if let Some(event) = PlayerEvent::from_notice(&notice) {
            self.emit(&event);
        }
        match notice {
            Notice::Levels(levels) => self.update_status(|s| s.levels = levels),
            Notice::LevelSwitched { index } => {
                log(&format!("player: level {index}"));
                self.update_status(|s| s.level = Some(index));
            }
            Notice::Latency {
                distance,
                target,
                rate,
                window,
            } => self.update_status(|s| {
                s.latency_secs = Some(distance);
                s.latency_target_secs = Some(target);
                s.playback_rate = rate;
                s.live_window = window;
            }),
            Notice::Error { message, fatal, .. } => {
                log(&format!("player: {message}"));
                if fatal {
                    self.set_phase(Phase::Failed, Some(message));
                } else {
                    self.update_status(|s| s.detail = Some(message));
                }
            }
            Notice::WaitingForStream => self.set_phase(Phase::Waiting, None),
            Notice::Started => self.update_status(|s| s.detail = None),
            Notice::Ended => {}
            Notice::Beacons(url) => {
                let beacons = Beacons::start(self, url);
                *self.beacons.borrow_mut() = Some(beacons);
                super::beacon::send(self, false);
            }
            Notice::Appended => self.update_status(|s| {
                s.segments_appended += 1;
                // Media flows again: a retry that was shown is over.
                if s.detail
                    .as_deref()
                    .is_some_and(|d| d.ends_with("; retrying"))
                {
                    s.detail = None;
                }
            }),
        }
    }

    /// Changes the status with `f` and tells the page if that changed anything.
    pub fn update_status(&self, f: impl FnOnce(&mut PlayerStatus)) {
        let snapshot = {
            let Ok(mut status) = self.status.try_borrow_mut() else {
                return;
            };
            let before = status.clone();
            f(&mut status);
            if *status == before {
                return;
            }
            status.clone()
        };
        let callback = self.on_status.borrow().clone();
        if let Some(callback) = callback {
            callback(snapshot);
        }
    }

    /// Moves to `phase`, unless the player has failed (final).
    pub fn set_phase(&self, phase: Phase, detail: Option<String>) {
        let mut change = None;
        self.update_status(|s| {
            if matches!(s.phase, Phase::Failed) {
                return;
            }
            change = Some((s.phase, phase));
            s.phase = phase;
            s.detail = detail;
        });
        if let Some(event) =
            change.and_then(|(before, after)| PlayerEvent::from_phase(before, after))
        {
            self.emit(&event);
        }
    }

    /// Tells the page's event callback (and the QoE).
    fn emit(&self, event: &PlayerEvent) {
        self.qoe
            .borrow_mut()
            .on_event(event, now_ms(), self.video.seeking());
        let callback = self.on_event.borrow().clone();
        if let Some(callback) = callback {
            callback(event);
        }
    }
}
