//! The about page.

use leptos::prelude::*;

/// What OnAir is.
#[component]
pub fn About() -> impl IntoView {
    view! {
        <section class="prose">
            <h1>"About OnAir"</h1>
            <p>
                "OnAir lets you go live from your browser and watch others live, with nothing to install. "
                "Your camera is encoded in the page with WebCodecs, packaged as CMAF and uploaded to the "
                "OnAir server, which serves it to viewers as HLS."
            </p>
            <p>"The whole path, from capture to playback, is written in Rust and compiled to WebAssembly."</p>
        </section>
    }
}
