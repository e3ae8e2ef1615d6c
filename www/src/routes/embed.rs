//! `/embed/:id`: only the player, full size.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::player_view::PlayerView;

/// The player alone, filling the frame.
#[component]
pub fn Embed() -> impl IntoView {
    let params = use_params_map();
    let url = Signal::derive(move || {
        let id = params.read().get("id").unwrap_or_default();
        format!("/live/{id}/index.m3u8")
    });
    view! { <PlayerView url=url show_status=false /> }
}
