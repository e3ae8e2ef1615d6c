//! [`PlayerEvent`]s as JavaScript objects.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;

use crate::events::PlayerEvent;

fn set(object: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(object, &JsValue::from_str(key), &value.into());
}

/// The event's detail object, as the JS API's listeners and the embed page's `postMessage` give it,
/// with hls.js's field names where it has the like.
pub fn event_detail(event: &PlayerEvent) -> Object {
    let d = Object::new();
    match event {
        PlayerEvent::Levels(levels) => {
            let list = Array::new();
            for level in levels {
                let l = Object::new();
                set(&l, "bitrate", level.bandwidth as f64);
                set(&l, "width", level.width.map(f64::from));
                set(&l, "height", level.height.map(f64::from));
                set(&l, "codecs", level.codecs.clone());
                set(&l, "playable", level.playable);
                list.push(&l);
            }
            set(&d, "levels", list);
        }
        PlayerEvent::LevelSwitched { level } => set(&d, "level", *level as f64),
        PlayerEvent::Latency {
            latency,
            target,
            rate,
        } => {
            set(&d, "latency", *latency);
            set(&d, "target", *target);
            set(&d, "rate", *rate);
        }
        PlayerEvent::Error {
            kind,
            message,
            fatal,
        } => {
            set(&d, "type", kind.as_str());
            set(&d, "fatal", *fatal);
            set(&d, "details", message.as_str());
        }
        PlayerEvent::Playing | PlayerEvent::Waiting | PlayerEvent::Paused | PlayerEvent::Ended => {}
    }
    d
}
