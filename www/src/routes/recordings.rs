//! `/recordings`: streams that ended and still have media, newest first: each plays as VOD at its
//! watch page and downloads as one MP4 file; the owner (this browser holds its token, [`crate::owned`])
//! may delete it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_protocol::paths;

use crate::api::{self, StreamView};
use crate::components::error_view::ErrorView;
use crate::components::thumb::Thumb;
use crate::error::AppError;
use crate::owned;

/// `3:05` or `1:02:03` from seconds.
fn duration_text(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        s if s < 3600 => format!("{}:{:02}", s / 60, s % 60),
        s => format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60),
    }
}

/// The recordings.
#[component]
pub fn Recordings() -> impl IntoView {
    let (tick, set_tick) = signal(0_u64);
    let list = LocalResource::new(move || {
        tick.track();
        api::list_recordings()
    });
    let (error, set_error) = signal(None::<AppError>);
    let shown = Signal::derive(move || error.get().or_else(|| list.get().and_then(|r| r.err())));
    let items = move || list.get().and_then(|r| r.ok()).unwrap_or_default();
    // The streams this browser owns, read from storage once per list rather than once per card.
    let owned_ids = Memo::new(move |_| {
        list.track();
        owned::load().into_iter().map(|s| s.id).collect::<Vec<_>>()
    });
    let delete = move |id: String| {
        let Some(mine) = owned::load().into_iter().find(|s| s.id == id) else {
            return;
        };
        let confirmed = web_sys::window()
            .and_then(|w| w.confirm_with_message("Delete this recording?").ok())
            .unwrap_or(false);
        if !confirmed {
            return;
        }
        spawn_local(async move {
            match api::delete_stream(&mine.id, &mine.owner_token).await {
                Ok(()) => {
                    owned::forget(&mine.id);
                    set_tick.update(|t| *t += 1);
                }
                Err(e) => set_error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="recordings">
            <h1>"Recordings"</h1>
            <p class="muted">"Streams that ended. Watch them from the start, or download them as MP4."</p>
            <ErrorView error=shown />
            <ul id="recordings" class="cards">
                <For each=items key=|s: &StreamView| s.id.clone() let:stream>
                    {
                        let id = stream.id.clone();
                        let mine = owned_ids.with_untracked(|ids| ids.contains(&id));
                        let length = match (stream.started_at, stream.ended_at) {
                            (Some(start), Some(end)) => duration_text(end - start),
                            _ => String::new(),
                        };
                        let on_delete = {
                            let id = id.clone();
                            move |_| delete(id.clone())
                        };
                        view! {
                            <li class="card recording" data-id=id.clone()>
                                <a class="card-link" href=paths::watch_page(&id)>
                                    <Thumb url=stream.thumbnail_url.clone()>
                                        <span class="viewers">{length}</span>
                                    </Thumb>
                                    <h2 class="card-title">{api::display_title(&stream)}</h2>
                                </a>
                                <p class="meta">
                                    <a class="download" href=paths::recording_download(&id) download="">
                                        "Download MP4"
                                    </a>
                                </p>
                                <Show when=move || mine>
                                    <p class="meta">
                                        <button class="delete" on:click=on_delete.clone()>"Delete"</button>
                                    </p>
                                </Show>
                            </li>
                        }
                    }
                </For>
            </ul>
            <Show when=move || list.get().is_some_and(|r| r.as_ref().is_ok_and(Vec::is_empty))>
                <p id="no-recordings" class="empty">"No recordings yet."</p>
            </Show>
        </section>
    }
}
