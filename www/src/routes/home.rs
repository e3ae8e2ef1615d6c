//! `/`: the directory of who is live now, as cards (live thumbnail, title, tags, viewers, how long live), refreshed
//! every 5 s; a search over titles and a filter by tag (`/?tag=music`) or category.

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use onair_protocol::paths;

use crate::api::{self, StreamView};
use crate::components::error_view::ErrorView;
use crate::components::thumb::Thumb;
use crate::routes::go_live::category_label;

/// How often the list is refreshed.
const REFRESH: Duration = Duration::from_secs(5);

/// Whether `stream` passes the search text (trimmed and lowercased already) and the tag filter.
fn shown(stream: &StreamView, search: &str, tag: Option<&str>) -> bool {
    let matches_search = search.is_empty()
        || stream.title.to_lowercase().contains(search)
        || stream.tags.iter().any(|t| t.contains(search));
    let matches_tag = tag.is_none_or(|tag| {
        stream.tags.iter().any(|t| t == tag) || stream.category.as_deref() == Some(tag)
    });
    matches_search && matches_tag
}

/// The directory of live streams.
#[component]
pub fn Home() -> impl IntoView {
    let (tick, set_tick) = signal(0_u64);
    let streams = LocalResource::new(move || {
        tick.track();
        api::list_streams()
    });
    if let Ok(handle) = set_interval_with_handle(move || set_tick.update(|t| *t += 1), REFRESH) {
        on_cleanup(move || handle.clear());
    }
    let query = use_query_map();
    let tag = Memo::new(move |_| query.read().get("tag").filter(|t| !t.is_empty()));
    let (search, set_search) = signal(String::new());
    let error = Signal::derive(move || streams.get().and_then(|r| r.err()));
    let list = move || streams.get().and_then(|r| r.ok());
    let visible = move || {
        let tag = tag.get();
        let search = search.get().trim().to_lowercase();
        list()
            .unwrap_or_default()
            .into_iter()
            .filter(|s| shown(s, &search, tag.as_deref()))
            .collect::<Vec<_>>()
    };
    view! {
        <section class="home">
            <div class="home-head">
                <h1>"Live now"</h1>
                <input
                    id="search"
                    class="search"
                    type="search"
                    aria-label="Search live streams"
                    placeholder="Search titles and tags"
                    on:input=move |ev| set_search.set(event_target_value(&ev))
                />
            </div>
            <Show when=move || tag.get().is_some()>
                <p class="filter">
                    "Showing " <span class="tag">{move || tag.get().unwrap_or_default()}</span> " "
                    <a href="/">"Show all"</a>
                </p>
            </Show>
            <ErrorView error=error />
            <ul id="streams" class="cards">
                <For
                    each=visible
                    key=|s: &StreamView| {
                        (
                            s.id.clone(),
                            s.title.clone(),
                            s.viewers,
                            s.tags.clone(),
                            s.category.clone(),
                            s.started_at,
                            s.thumbnail_url.clone(),
                        )
                    }
                    let:stream
                >
                    <StreamCard stream=stream />
                </For>
            </ul>
            <Show when=move || list().is_some_and(|l| l.is_empty())>
                <p id="no-streams" class="empty">
                    "No one is live right now. " <a href="/go-live">"Go live"</a> " yourself!"
                </p>
            </Show>
            <Show when=move || {
                list().is_some_and(|l| !l.is_empty()) && visible().is_empty()
            }>
                <p class="empty">"No live stream matches."</p>
            </Show>
            <Show when=move || streams.get().is_none()>
                <p class="loading">"Loading…"</p>
            </Show>
        </section>
    }
}

/// One live stream in the directory.
#[component]
fn StreamCard(stream: StreamView) -> impl IntoView {
    let href = paths::watch_page(&stream.id);
    let since = stream
        .started_at
        .map(|t| api::live_for(t, api::now_unix()))
        .unwrap_or_default();
    let viewers = match stream.viewers {
        1 => "1 viewer".to_owned(),
        n => format!("{n} viewers"),
    };
    let category = stream.category.clone();
    view! {
        <li class="card" data-id=stream.id.clone()>
            <a class="card-link stream-link" href=href.clone()>
                <Thumb url=stream.thumbnail_url.clone()>
                    <span class="badge">"LIVE"</span>
                    <span class="viewers viewer-count">{viewers}</span>
                </Thumb>
                <h2 class="card-title">{api::display_title(&stream)}</h2>
            </a>
            <p class="meta">
                "Live for " {since}
                {category.map(|c| view! { " · " <a href=format!("/?tag={c}")>{category_label(&c)}</a> })}
            </p>
            <p class="tags">
                {stream
                    .tags
                    .iter()
                    .map(|t| view! { <a class="tag" href=format!("/?tag={t}")>{format!("#{t}")}</a> })
                    .collect_view()}
            </p>
        </li>
    }
}
