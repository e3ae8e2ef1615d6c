//! The header navigation.

use leptos::prelude::*;

/// Site header with the main links.
#[component]
pub fn Nav() -> impl IntoView {
    view! {
        <header class="site-header">
            <a class="brand" href="/">
                <span class="dot" aria-hidden="true"></span>
                "OnAir"
            </a>
            <nav>
                <a href="/">"Home"</a>
                <a href="/go-live">"Go Live"</a>
                <a href="/help">"Help"</a>
                <a href="/about">"About"</a>
            </nav>
        </header>
    }
}
