//! `/watch/:id`: the player, the stream's title, description, tags and category, its status and how
//! many watch it (refreshed every 10 s, so an edit by the owner or a viewer joining shows up).

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use onair_protocol::{paths, StreamStatus};

use crate::api;
use crate::components::error_view::ErrorView;
use crate::components::player_view::PlayerView;
use crate::error::AppError;
use crate::routes::go_live::category_label;

/// How often the stream's details (viewers, title) are read again.
const REFRESH: Duration = Duration::from_secs(10);

/// Watches one stream.
#[component]
pub fn Watch() -> impl IntoView {
    let params = use_params_map();
    let id = Signal::derive(move || params.read().get("id").unwrap_or_default());
    let (info, url) = api::stream_and_playback_url(id);
    // The details, read again while the page is open (the player itself loads once).
    let (tick, set_tick) = signal(0_u64);
    let details = LocalResource::new(move || {
        tick.track();
        let id = id.get();
        async move { api::get_stream(&id).await }
    });
    if let Ok(handle) = set_interval_with_handle(move || set_tick.update(|t| *t += 1), REFRESH) {
        on_cleanup(move || handle.clear());
    }
    let current = move || match details.get() {
        Some(Ok(stream)) => Some(stream),
        _ => match info.get() {
            Some(Ok(stream)) => Some(stream),
            _ => None,
        },
    };
    let title =
        move || current().map_or_else(|| "Live stream".to_owned(), |s| api::display_title(&s));
    // The tab's title follows the stream's.
    Effect::new(move |_| {
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(&format!("{} · OnAir", title()));
        }
    });
    let error = Signal::derive(move || match info.get() {
        Some(Err(AppError::NotFound)) => Some(AppError::NotFound),
        _ => None,
    });
    let ended = move || current().is_some_and(|s| s.status == StreamStatus::Ended);
    let live = move || current().is_some_and(|s| s.status == StreamStatus::Live);
    let viewers = move || {
        current().map(|s| match s.viewers {
            1 => "1 watching".to_owned(),
            n => format!("{n} watching"),
        })
    };
    let since = move || {
        current()
            .and_then(|s| s.started_at)
            .map(|t| format!("live for {}", api::live_for(t, api::now_unix())))
    };
    let description = move || current().map(|s| s.description).unwrap_or_default();
    let tags = move || current().map(|s| s.tags).unwrap_or_default();
    let category = move || current().and_then(|s| s.category);
    view! {
        <section class="watch">
            <h1 id="stream-title">{title}</h1>
            <ErrorView error=error />
            <PlayerView url=url poster=Signal::derive(move || current().and_then(|s| s.thumbnail_url)) />
            <div class="watch-meta">
                <Show when=live>
                    <span class="badge">"LIVE"</span>
                    <span id="viewer-count" class="viewer-count">{viewers}</span>
                    <span class="muted">{since}</span>
                </Show>
                {move || {
                    category()
                        .map(|c| {
                            view! {
                                <a class="category" href=format!("/?tag={c}")>
                                    {category_label(&c)}
                                </a>
                            }
                        })
                }}
                <span class="tags">
                    {move || {
                        tags()
                            .into_iter()
                            .map(|t| {
                                view! {
                                    <a class="tag" href=format!("/?tag={t}")>
                                        {format!("#{t}")}
                                    </a>
                                }
                            })
                            .collect_view()
                    }}
                </span>
            </div>
            <Show when=move || !description().is_empty()>
                <p id="stream-description" class="description">{description}</p>
            </Show>
            <Show when=ended>
                <p class="note">
                    "This stream has ended. You are watching the recording. "
                    <a id="download" href=move || paths::recording_download(&id.get()) download="">
                        "Download it as MP4"
                    </a>
                </p>
            </Show>
            <p class="embed-hint">
                "Embed: " <code>{move || paths::embed_page(&id.get())}</code>
            </p>
        </section>
    }
}
