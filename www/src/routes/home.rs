//! `/`: who is live now, refreshed every 5 s.

use std::time::Duration;

use leptos::prelude::*;

use onair_protocol::paths;

use crate::api::{self, StreamView};
use crate::components::error_view::ErrorView;

/// How often the list is refreshed.
const REFRESH: Duration = Duration::from_secs(5);

/// The list of live streams.
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
    let error = Signal::derive(move || streams.get().and_then(|r| r.err()));
    let list = move || streams.get().and_then(|r| r.ok());
    view! {
        <section class="home">
            <h1>"Live now"</h1>
            <ErrorView error=error />
            <ul id="streams" class="streams">
                <For
                    each=move || list().unwrap_or_default()
                    key=|s: &StreamView| (s.id.clone(), s.title.clone())
                    let:stream
                >
                    <li>
                        <a class="stream-link" href=paths::watch_page(&stream.id)>
                            {api::display_title(&stream)}
                        </a>
                        <span class="badge">"LIVE"</span>
                    </li>
                </For>
            </ul>
            <Show when=move || list().is_some_and(|l| l.is_empty())>
                <p id="no-streams" class="empty">
                    "No one is live right now. " <a href="/go-live">"Go live"</a> " yourself!"
                </p>
            </Show>
            <Show when=move || streams.get().is_none()>
                <p class="loading">"Loading…"</p>
            </Show>
        </section>
    }
}
