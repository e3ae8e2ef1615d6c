//! The capture a person picked on Go Live (camera, microphone, resolution; not a screen), remembered in
//! `localStorage` (`onair.capture`) so the next visit opens the same devices.

use onair_broadcaster::ladder::{ladder_by_default, Qualities};
use onair_broadcaster::source::{CaptureChoice, Resolution};
use serde::{Deserialize, Serialize};

/// The `localStorage` key.
const KEY: &str = "onair.capture";
/// The `localStorage` key of the qualities asked for (`one` or `ladder`).
const QUALITIES_KEY: &str = "onair.qualities";

#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    camera: Option<String>,
    microphone: Option<String>,
    height: Option<u32>,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The remembered choice; the defaults when there is none (or junk).
pub fn load() -> CaptureChoice {
    let stored = storage()
        .and_then(|s| s.get_item(KEY).ok().flatten())
        .and_then(|text| serde_json::from_str::<Stored>(&text).ok())
        .unwrap_or_default();
    // Always the camera first: a screen is shared only when the person picks it again (browsers ask
    // for it on a click).
    CaptureChoice {
        source: onair_broadcaster::source::SourceKind::Camera,
        camera: stored.camera,
        microphone: stored.microphone,
        resolution: stored
            .height
            .and_then(Resolution::from_height)
            .unwrap_or_default(),
    }
}

/// Remembers `choice`.
pub fn save(choice: &CaptureChoice) {
    let stored = Stored {
        camera: choice.camera.clone(),
        microphone: choice.microphone.clone(),
        height: Some(choice.resolution.height()),
    };
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(&stored)) {
        let _ = storage.set_item(KEY, &text);
    }
}

/// The qualities asked for last time; without a choice, the ladder where this device has the cores
/// for it ([`ladder_by_default`]).
pub fn load_qualities() -> Qualities {
    let stored = storage()
        .and_then(|s| s.get_item(QUALITIES_KEY).ok().flatten())
        .and_then(|text| Qualities::parse(&text));
    stored.unwrap_or_else(|| {
        let cores = web_sys::window().map_or(1.0, |w| w.navigator().hardware_concurrency());
        if ladder_by_default(cores as u32) {
            Qualities::Ladder
        } else {
            Qualities::One
        }
    })
}

/// Remembers the qualities asked for.
pub fn save_qualities(qualities: Qualities) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(QUALITIES_KEY, qualities.as_str());
    }
}
