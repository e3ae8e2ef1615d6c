//! `/embed/{id}`: only the player, full size, for an `<iframe>` on another site. The player's events
//! go to the parent page by `postMessage`, as `{source: "onair", event, detail}` (the JS API's event
//! names and details), so a site that prefers an iframe to the script still hears them.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use onair_player::{event_detail, PlayerEvent};
use wasm_bindgen::JsValue;

use crate::api;
use crate::components::player_view::PlayerView;

/// What `event.data.source` says in the messages.
pub const MESSAGE_SOURCE: &str = "onair";

/// Posts `event` to the page that framed this one (nothing when not framed).
fn post_to_parent(event: &PlayerEvent) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(Some(parent)) = window.parent() else {
        return;
    };
    if js_sys::Object::is(&parent, &window) {
        return;
    }
    let message = js_sys::Object::new();
    for (key, value) in [
        ("source", JsValue::from_str(MESSAGE_SOURCE)),
        ("event", JsValue::from_str(event.name())),
        ("detail", event_detail(event).into()),
    ] {
        let _ = js_sys::Reflect::set(&message, &JsValue::from_str(key), &value);
    }
    // Events carry nothing private: any parent may hear them.
    let _ = parent.post_message(&message, "*");
}

/// The player alone, filling the frame.
#[component]
pub fn Embed() -> impl IntoView {
    let params = use_params_map();
    let id = Signal::derive(move || params.read().get("id").unwrap_or_default());
    let (_info, url) = api::stream_and_playback_url(id);
    view! { <PlayerView url=url show_status=false on_event=post_to_parent /> }
}
