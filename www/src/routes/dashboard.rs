//! `/dashboard`: the streams this browser created ([`crate::owned`]) with what their owner can do:
//! see who watches (viewers now, peak, unique, watch time, a chart of concurrent viewers, countries,
//! the players' QoE), edit the title, description, tags and category, make a new stream key (shown
//! once), end and delete. Refreshed every
//! 10 s. Everything goes through the owner-only API with the stream's owner token.

use std::time::Duration;

use leptos::html::{Input, Select, Textarea};
use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_protocol::{
    paths, Distribution, StreamAnalytics, StreamStatus, StreamView, UpdateStreamRequest, CATEGORIES,
};

use crate::api;
use crate::components::chart::LineChart;
use crate::components::error_view::ErrorView;
use crate::error::AppError;
use crate::owned::{self, OwnedStream};
use crate::routes::go_live::category_label;

/// How often the figures are read again.
const REFRESH: Duration = Duration::from_secs(10);

/// One owned stream as the dashboard shows it.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    owned: OwnedStream,
    view: Option<StreamView>,
    analytics: Option<StreamAnalytics>,
}

/// Reads every owned stream's view and analytics; streams the server no longer has are forgotten.
async fn load_rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for owned in owned::load() {
        let view = match api::get_stream(&owned.id).await {
            Ok(view) => Some(view),
            Err(AppError::NotFound) => {
                owned::forget(&owned.id);
                continue;
            }
            Err(_) => None,
        };
        let analytics = api::analytics(&owned.id, &owned.owner_token).await.ok();
        rows.push(Row {
            owned,
            view,
            analytics,
        });
    }
    rows
}

/// The owner's dashboard.
#[component]
pub fn Dashboard() -> impl IntoView {
    let (tick, set_tick) = signal(0_u64);
    let rows = LocalResource::new(move || {
        tick.track();
        load_rows()
    });
    // While an editor is open the figures wait: a refresh rebuilds the panels and would lose the typing.
    let (editing, set_editing) = signal(false);
    let refresh = move || {
        if !editing.get_untracked() {
            set_tick.update(|t| *t += 1);
        }
    };
    if let Ok(handle) = set_interval_with_handle(refresh, REFRESH) {
        on_cleanup(move || handle.clear());
    }
    let reload = move || {
        set_editing.set(false);
        set_tick.update(|t| *t += 1);
    };
    let (error, set_error) = signal(None::<AppError>);
    // A rotated stream key, shown once (the server keeps only its hash): `(stream id, key)`. Kept
    // here, since a refresh rebuilds the panels.
    let (new_key, set_new_key) = signal(None::<(String, String)>);
    let list = move || rows.get().unwrap_or_default();
    view! {
        <section class="dashboard">
            <h1>"Your streams"</h1>
            <p class="muted">
                "Streams created in this browser. Their owner tokens are kept in this browser's storage: "
                "clearing the site's data gives up managing them."
            </p>
            <ErrorView error=error />
            <Show when=move || rows.get().is_some_and(|r| r.is_empty())>
                <p id="no-owned" class="empty">
                    "You have not gone live from this browser yet. " <a href="/go-live">"Go live"</a>
                </p>
            </Show>
            <Show when=move || rows.get().is_none()>
                <p class="loading">"Loading…"</p>
            </Show>
            <For
                each=list
                key=|row: &Row| (row.owned.id.clone(), format!("{:?}{:?}", row.view, row.analytics))
                let:row
            >
                <StreamPanel
                    row=row
                    on_change=reload
                    on_error=move |e| set_error.set(Some(e))
                    on_edit=move |open| set_editing.set(open)
                    new_key=new_key
                    set_new_key=set_new_key
                />
            </For>
        </section>
    }
}

/// One stream: its figures, its charts and its controls.
#[component]
fn StreamPanel(
    row: Row,
    on_change: impl Fn() + Copy + Send + Sync + 'static,
    on_error: impl Fn(AppError) + Copy + Send + Sync + 'static,
    on_edit: impl Fn(bool) + Copy + Send + Sync + 'static,
    new_key: ReadSignal<Option<(String, String)>>,
    set_new_key: WriteSignal<Option<(String, String)>>,
) -> impl IntoView {
    let id = row.owned.id.clone();
    let token = row.owned.owner_token.clone();
    let view = row.view.clone();
    let title = view
        .as_ref()
        .map_or_else(|| row.owned.title.clone(), api::display_title);
    let status = view.as_ref().map(|v| v.status);
    let live = status == Some(StreamStatus::Live);
    let ended = status == Some(StreamStatus::Ended);
    let status_text = match status {
        Some(StreamStatus::Live) => "Live",
        Some(StreamStatus::Ended) => "Ended",
        Some(StreamStatus::Created) => "Not started",
        None => "Unknown",
    };
    let analytics = row.analytics.clone().unwrap_or_default();
    let series: Vec<(f64, f64)> = analytics
        .series
        .iter()
        .map(|s| (s.at as f64, f64::from(s.viewers)))
        .collect();
    let (editing, set_editing) = signal(false);
    let (busy, set_busy) = signal(false);

    let credentials = StoredValue::new((id.clone(), token.clone()));
    let act = move |action: Action| {
        let (id, token) = credentials.get_value();
        set_busy.set(true);
        spawn_local(async move {
            let result = match &action {
                Action::End => api::end_stream(&id, &token).await,
                Action::Delete => api::delete_stream(&id, &token)
                    .await
                    .map(|()| owned::forget(&id)),
                Action::Save(body) => api::update_stream(&id, &token, body).await.map(drop),
                Action::NewKey => api::rotate_key(&id, &token)
                    .await
                    .map(|key| set_new_key.set(Some((id.clone(), key)))),
            };
            set_busy.set(false);
            match result {
                Ok(()) => {
                    set_editing.set(false);
                    on_change();
                }
                Err(e) => on_error(e),
            }
        });
    };
    let end = move |_| act(Action::End);
    let delete = move |_| {
        if confirmed("Delete this stream and its recording?") {
            act(Action::Delete);
        }
    };
    let panel_id = id.clone();
    let rotate = move |_| {
        if confirmed(
            "Make a new stream key? The current one stops working at once: an encoder using it \
             must restart with the new one.",
        ) {
            act(Action::NewKey);
        }
    };
    let watch = paths::watch_page(&id);
    let qoe = analytics.qoe.clone();
    let countries = analytics.countries.clone();
    let editor_view = view.clone();
    view! {
        <article class="panel" data-id=id.clone()>
            <header class="panel-head">
                <div>
                    <h2 class="panel-title">{title}</h2>
                    <p class="muted">
                        <span class=if live { "badge" } else { "badge off" }>{status_text}</span>
                        " " <a href=watch.clone()>{watch.clone()}</a>
                    </p>
                </div>
                <div class="buttons">
                    <button class="edit" on:click=move |_| {
                        let open = !editing.get_untracked();
                        set_editing.set(open);
                        on_edit(open);
                    }>"Edit"</button>
                    <Show when=move || live>
                        <button class="end danger" on:click=end prop:disabled=busy>"End"</button>
                    </Show>
                    <Show when=move || !ended>
                        <button class="new-key" on:click=rotate prop:disabled=busy>"New stream key"</button>
                    </Show>
                    <button class="delete" on:click=delete prop:disabled=busy>"Delete"</button>
                </div>
            </header>
            {move || new_key.get().filter(|(of, _)| *of == panel_id).map(|(_, key)| view! {
                <p class="notice new-key-shown" role="status">
                    "New stream key (shown this once, keep it secret): " <code class="stream-key">{key}</code>
                    ". The old key no longer works; restart your encoder with this one."
                </p>
            })}
            <Show when=move || editing.get()>
                <Editor
                    view=editor_view.clone()
                    on_save=move |body| act(Action::Save(body))
                />
            </Show>
            <dl class="tiles">
                <div><dt>"Watching now"</dt><dd class="viewers-now">{analytics.viewers_now}</dd></div>
                <div><dt>"Peak"</dt><dd class="peak">{analytics.peak_viewers}</dd></div>
                <div><dt>"Unique viewers"</dt><dd class="unique">{analytics.unique_viewers}</dd></div>
                <div><dt>"Watch time"</dt><dd class="watch-time">{watch_time(analytics.watch_secs)}</dd></div>
            </dl>
            <h3>"Concurrent viewers"</h3>
            <LineChart points=Signal::derive(move || series.clone()) label="Concurrent viewers over time" />
            <div class="two-columns">
                <div>
                    <h3>"Where viewers watch from"</h3>
                    <table class="countries">
                        <thead><tr><th scope="col">"Country"</th><th scope="col">"Viewers"</th></tr></thead>
                        <tbody>
                            {countries
                                .iter()
                                .map(|c| view! { <tr><td>{country_name(&c.country)}</td><td>{c.viewers}</td></tr> })
                                .collect_view()}
                        </tbody>
                    </table>
                    <Show when=move || countries.is_empty()>
                        <p class="muted">"No viewers yet."</p>
                    </Show>
                </div>
                <div>
                    <h3>"Quality of experience"</h3>
                    <table class="qoe">
                        <thead>
                            <tr><th scope="col">""</th><th scope="col">"Median"</th><th scope="col">"90th %"</th></tr>
                        </thead>
                        <tbody>
                            {qoe_row("Time to first frame", &qoe.first_frame_ms, |v| format!("{:.2} s", v / 1000.0))}
                            {qoe_row("Time stalled", &qoe.rebuffer_ratio, |v| format!("{:.1} %", v * 100.0))}
                            {qoe_row("Behind live", &qoe.latency_ms, |v| format!("{:.1} s", v / 1000.0))}
                            {qoe_row("Bitrate", &qoe.bitrate_kbps, |v| format!("{:.0} kbit/s", v))}
                        </tbody>
                    </table>
                    <p class="muted qoe-counts">
                        {format!("{} stalls, {} quality switches, {} errors", qoe.rebuffers, qoe.switches, qoe.errors)}
                    </p>
                </div>
            </div>
            <Show when=move || ended>
                <p class="note">"Ended. The recording plays at the watch page."</p>
            </Show>
        </article>
    }
}

/// Whether the person answers OK to `question` (no window: no).
fn confirmed(question: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(question).ok())
        .unwrap_or(false)
}

/// What a panel's buttons ask of the API.
enum Action {
    End,
    Delete,
    Save(UpdateStreamRequest),
    NewKey,
}

/// The metadata form.
#[component]
fn Editor(
    view: Option<StreamView>,
    on_save: impl Fn(UpdateStreamRequest) + Copy + 'static,
) -> impl IntoView {
    let title = NodeRef::<Input>::new();
    let description = NodeRef::<Textarea>::new();
    let tags = NodeRef::<Input>::new();
    let category = NodeRef::<Select>::new();
    let current = view.unwrap_or_else(|| StreamView {
        id: String::new(),
        title: String::new(),
        description: String::new(),
        tags: Vec::new(),
        category: None,
        viewers: 0,
        status: StreamStatus::Created,
        created_at: 0,
        started_at: None,
        ended_at: None,
        playback_url: String::new(),
        watch_url: String::new(),
        thumbnail_url: None,
    });
    let chosen = current.category.clone().unwrap_or_default();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        on_save(UpdateStreamRequest {
            title: title.get().map(|t| t.value()),
            description: description.get().map(|d| d.value()),
            tags: tags.get().map(|t| api::split_tags(&t.value())),
            category: category.get().map(|c| c.value()),
        });
    };
    view! {
        <form class="editor" on:submit=save>
            <label>"Title" <input class="edit-title" node_ref=title type="text" maxlength="200" value=current.title.clone() /></label>
            <label>"Description" <textarea class="edit-description" node_ref=description rows="3" maxlength="2000" prop:value=current.description.clone()></textarea></label>
            <label>"Tags" <input class="edit-tags" node_ref=tags type="text" value=current.tags.join(", ") /></label>
            <label>
                "Category"
                <select class="edit-category" node_ref=category>
                    <option value="" selected=chosen.is_empty()>"None"</option>
                    {CATEGORIES
                        .iter()
                        .map(|c| view! { <option value=*c selected=chosen == *c>{category_label(c)}</option> })
                        .collect_view()}
                </select>
            </label>
            <button class="primary save" type="submit">"Save"</button>
        </form>
    }
}

/// One QoE figure's row: median and 90th percentile, or dashes without data.
fn qoe_row(name: &'static str, d: &Distribution, show: fn(f64) -> String) -> impl IntoView {
    let (p50, p90) = if d.count == 0 {
        ("–".to_owned(), "–".to_owned())
    } else {
        (show(d.p50), show(d.p90))
    };
    view! { <tr><th scope="row">{name}</th><td>{p50}</td><td>{p90}</td></tr> }
}

/// `3 h 05 min`, `12 min`, `40 s`.
fn watch_time(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
    }
}

/// A country's name for people, from its code (`GB` → `United Kingdom (GB)`), through the browser's own
/// `Intl.DisplayNames`; the code alone where that is missing.
fn country_name(code: &str) -> String {
    if code == "??" {
        return "Unknown".to_owned();
    }
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"type".into(), &"region".into());
    let locales = js_sys::Array::of1(&"en".into());
    let name: String = js_sys::Intl::DisplayNames::new(&locales, &options)
        .of(code)
        .map(String::from)
        .unwrap_or_default();
    if name.is_empty() || name == code {
        code.to_owned()
    } else {
        format!("{name} ({code})")
    }
}
