//! `/embed/:id`: only the player, full size.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api;
use crate::components::player_view::PlayerView;

/// The player alone, filling the frame.
#[component]
pub fn Embed() -> impl IntoView {
    let params = use_params_map();
    let id = Signal::derive(move || params.read().get("id").unwrap_or_default());
    let (_info, url) = api::stream_and_playback_url(id);
    view! { <PlayerView url=url show_status=false /> }
}
