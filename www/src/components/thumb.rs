//! A stream's picture on a card: its live thumbnail (`thumbnail_url`, which changes with each new
//! picture, so a refreshed list shows the new one) over the placeholder gradient, with the card's badges
//! on top.

use leptos::prelude::*;

/// The picture area of a card; `children` are the badges drawn over it.
#[component]
pub fn Thumb(
    /// The stream's `thumbnail_url`, if it has a picture yet.
    url: Option<String>,
    /// The badges.
    children: Children,
) -> impl IntoView {
    view! {
        <div class="thumb" aria-hidden="true">
            {url.map(|src| view! { <img class="thumb-img" src=src alt="" decoding="async"/> })}
            {children()}
        </div>
    }
}
