//! `/play?src=URL`: plays any HLS stream by its URL (fMP4 or MPEG-TS, AES-128, byte ranges), for
//! checking a stream made elsewhere before embedding it. The stream's server must allow this origin
//! (CORS), as for any player on a web page.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::components::player_view::PlayerView;

/// The URL form, and the player once a URL is given.
#[component]
pub fn Play() -> impl IntoView {
    let query = use_query_map();
    let src = Signal::derive(move || query.read().get("src").unwrap_or_default());
    let (typed, set_typed) = signal(String::new());
    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let url = typed.get_untracked();
        let url = url.trim();
        if !url.is_empty() {
            let encoded = js_sys::encode_uri_component(url);
            navigate(&format!("/play?src={encoded}"), Default::default());
        }
    };
    view! {
        <section class="play">
            <h1>"Play an HLS stream"</h1>
            <form class="play-form" on:submit=submit>
                <label for="play-url">"Playlist URL"</label>
                <input
                    id="play-url"
                    type="url"
                    placeholder="https://example.com/stream/index.m3u8"
                    prop:value=move || if typed.get().is_empty() { src.get() } else { typed.get() }
                    on:input=move |ev| set_typed.set(event_target_value(&ev))
                />
                <button id="play-submit" class="primary" type="submit">"Play"</button>
            </form>
            <Show
                when=move || !src.get().is_empty()
                fallback=|| {
                    view! {
                        <p class="note">
                            "Any HLS playlist: fMP4 or MPEG-TS segments, AES-128 encryption, byte ranges. Its server must allow this site (CORS)."
                        </p>
                    }
                }
            >
                <PlayerView url=src />
            </Show>
        </section>
    }
}
