//! Posting the playback's QoE ([`crate::qoe`]) to the origin's beacon URL: `navigator.sendBeacon` with
//! a `text/plain` body (no CORS preflight from an embedding site, and it is sent even as the page
//! closes), every [`BEACON_INTERVAL_MS`] from the moment the multivariant playlist names the URL, and a
//! last one (`ended`) when the player is destroyed or the page goes away (`pagehide`).

use std::rc::{Rc, Weak};

use gloo_timers::callback::Interval;
use onair_browser::now_ms;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::JsCast;

use super::driver::Driver;
use crate::buffer::buffered_ahead;
use crate::qoe::{session_id, BEACON_INTERVAL_MS};

/// The beacons of one playback.
pub(super) struct Beacons {
    url: String,
    /// The playback's id; a new one after an `ended` beacon (a page restored from the back/forward
    /// cache plays on as a new playback: the origin stopped counting the old one).
    sid: std::cell::RefCell<String>,
    ended_sent: std::cell::Cell<bool>,
    _interval: Interval,
    pagehide: Closure<dyn FnMut()>,
}

impl Beacons {
    /// Starts beaconing to `url` (a first beacon now, then one per interval).
    pub fn start(driver: &Rc<Driver>, url: String) -> Beacons {
        let weak: Weak<Driver> = Rc::downgrade(driver);
        let tick = weak.clone();
        let interval = Interval::new(BEACON_INTERVAL_MS as u32, move || {
            if let Some(driver) = tick.upgrade() {
                send(&driver, false);
            }
        });
        let pagehide = Closure::<dyn FnMut()>::new(move || {
            if let Some(driver) = weak.upgrade() {
                send(&driver, true);
            }
        });
        if let Some(window) = web_sys::window() {
            let _ = window
                .add_event_listener_with_callback("pagehide", pagehide.as_ref().unchecked_ref());
        }
        Beacons {
            url,
            sid: std::cell::RefCell::new(session_id(js_sys::Math::random)),
            ended_sent: std::cell::Cell::new(false),
            _interval: interval,
            pagehide,
        }
    }
}

impl Drop for Beacons {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            let _ = window.remove_event_listener_with_callback(
                "pagehide",
                self.pagehide.as_ref().unchecked_ref(),
            );
        }
    }
}

/// Sends the report of now (`ended`: the last one).
pub(super) fn send(driver: &Driver, ended: bool) {
    let beacons = driver.beacons.borrow();
    let Some(beacons) = beacons.as_ref() else {
        return;
    };
    let snapshot = super::media::snapshot(driver);
    let ahead = buffered_ahead(snapshot.current_time, &snapshot.buffered);
    let throughput = driver
        .engine
        .try_borrow()
        .ok()
        .and_then(|engine| engine.bandwidth_estimate());
    let report = driver
        .qoe
        .borrow_mut()
        .report(now_ms(), Some(ahead), throughput, ended);
    if beacons.ended_sent.replace(ended) && !ended {
        *beacons.sid.borrow_mut() = session_id(js_sys::Math::random);
    }
    let body = report.to_json(&beacons.sid.borrow());
    if let Some(window) = web_sys::window() {
        let _ = window
            .navigator()
            .send_beacon_with_opt_str(&beacons.url, Some(&body));
    }
}
