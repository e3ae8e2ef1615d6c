//! `/watch/:id`: the player, the stream's title and its status.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use onair_protocol::{paths, StreamStatus};

use crate::api;
use crate::components::error_view::ErrorView;
use crate::components::player_view::PlayerView;
use crate::error::AppError;

/// Watches one stream.
#[component]
pub fn Watch() -> impl IntoView {
    let params = use_params_map();
    let id = Signal::derive(move || params.read().get("id").unwrap_or_default());
    let (info, url) = api::stream_and_playback_url(id);
    let title = move || match info.get() {
        Some(Ok(stream)) => api::display_title(&stream),
        _ => "Live stream".to_owned(),
    };
    let error = Signal::derive(move || match info.get() {
        Some(Err(AppError::NotFound)) => Some(AppError::NotFound),
        _ => None,
    });
    let ended = move || matches!(info.get(), Some(Ok(s)) if s.status == StreamStatus::Ended);
    view! {
        <section class="watch">
            <h1 id="stream-title">{title}</h1>
            <ErrorView error=error />
            <PlayerView url=url />
            <Show when=ended>
                <p class="note">"This stream has ended."</p>
            </Show>
            <p class="embed-hint">
                "Embed: " <code>{move || paths::embed_page(&id.get())}</code>
            </p>
        </section>
    }
}
