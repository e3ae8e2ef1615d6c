//! # onair-www
//!
//! OnAir's web app, a Leptos client-side-rendered single page served as static files by the server:
//! the list of live streams, the go-live page (camera preview and broadcasting through
//! `onair-broadcaster`), the watch and embed pages (playback through `onair-player`), a page that plays
//! any HLS URL (`/play?src=`), and short about and help pages.
//!
//! What it owns: pages, navigation, the JSON API client ([`api`], on the bodies and paths of the wire
//! contract, `onair-protocol`) and how errors are shown ([`components::error_view`]). It leaves
//! capture, encoding and upload to `onair-broadcaster` and playback to `onair-player`. The element ids the end-to-end tests use (`tests/`) are part of its
//! contract with them: rename one only together with its test.
#![warn(missing_docs)]

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::path;

pub mod api;
pub mod capture;
pub mod components;
pub mod error;
pub mod owned;
pub mod routes;

use routes::{
    about::About,
    blog::{Blog, BlogPost},
    contact::Contact,
    dashboard::Dashboard,
    embed::Embed,
    faq::Faq,
    go_live::GoLive,
    help::Help,
    home::Home,
    not_found::NotFound,
    play::Play,
    privacy::Privacy,
    recordings::Recordings,
    watch::Watch,
};

/// The whole app: header navigation and the routes.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Shell />
        </Router>
    }
}

/// Header plus routed page; the embed page gets the player alone, without header or margins.
#[component]
fn Shell() -> impl IntoView {
    let location = use_location();
    let is_embed = move || location.pathname.get().starts_with("/embed/");
    view! {
        <Show when=move || !is_embed()>
            <routes::nav::Nav />
        </Show>
        <main class=move || if is_embed() { "embed" } else { "page" }>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/") view=Home />
                <Route path=path!("/go-live") view=GoLive />
                <Route path=path!("/watch/:id") view=Watch />
                <Route path=path!("/embed/:id") view=Embed />
                <Route path=path!("/dashboard") view=Dashboard />
                <Route path=path!("/about") view=About />
                <Route path=path!("/faq") view=Faq />
                <Route path=path!("/contact") view=Contact />
                <Route path=path!("/blog") view=Blog />
                <Route path=path!("/blog/:slug") view=BlogPost />
                <Route path=path!("/recordings") view=Recordings />
                <Route path=path!("/privacy") view=Privacy />
                <Route path=path!("/help") view=Help />
                <Route path=path!("/play") view=Play />
            </Routes>
        </main>
        <Show when=move || !is_embed()>
            <routes::nav::Footer />
        </Show>
    }
}
