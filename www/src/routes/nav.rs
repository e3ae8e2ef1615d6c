//! The header and footer navigation, on every page but the embed.

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
            <nav aria-label="Main">
                <a href="/">"Watch Live"</a>
                <a href="/go-live">"Go Live"</a>
                <a href="/recordings">"Recordings"</a>
                <a href="/dashboard">"Dashboard"</a>
                <a href="/help">"Help"</a>
            </nav>
        </header>
    }
}

/// Site footer: every page of the site.
#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <nav aria-label="Site">
                <a href="/about">"About"</a>
                <a href="/privacy">"Privacy"</a>
                <a href="/help">"Help"</a>
                <a href="/faq">"FAQ"</a>
                <a href="/contact">"Contact"</a>
                <a href="/blog">"Blog"</a>
                <a href="/go-live">"Go Live"</a>
                <a href="/">"Watch Live"</a>
            </nav>
            <p>"OnAir: live from the browser, in Rust and WebAssembly."</p>
        </footer>
    }
}
