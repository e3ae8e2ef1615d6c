//! The help page.

use leptos::prelude::*;

/// How to go live and watch.
#[component]
pub fn Help() -> impl IntoView {
    view! {
        <section class="prose">
            <h1>"Help"</h1>
            <h2>"Going live"</h2>
            <ol>
                <li>"Open " <a href="/go-live">"Go Live"</a> " and allow the camera and microphone."</li>
                <li>"Give your stream a title and press " <em>"Go live"</em> "."</li>
                <li>"Share the watch link. Press " <em>"End stream"</em> " when you are done."</li>
            </ol>
            <h2>"Watching"</h2>
            <p>
                "Pick a stream on the " <a href="/">"home page"</a> ". Playback starts a few seconds "
                "behind live. If the browser blocks sound, the video starts muted: press "
                <em>"Unmute"</em> "."
            </p>
            <h2>"Embedding"</h2>
            <p>
                "Use " <code>"/embed/{id}"</code> " in an iframe to show only the player."
            </p>
            <h2>"Browser support"</h2>
            <p>
                "Going live needs WebCodecs and MediaStreamTrackProcessor (recent Chrome or Edge). "
                "Watching needs Media Source Extensions, available in every current desktop browser."
            </p>
        </section>
    }
}
