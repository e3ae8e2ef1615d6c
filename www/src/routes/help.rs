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
                "Pick a stream on the " <a href="/">"home page"</a> ". Playback starts about a second "
                "behind live. If the browser blocks sound, the video starts muted: press "
                <em>"Unmute"</em> "."
            </p>
            <h2>"Playing other HLS streams"</h2>
            <p>
                <a href="/play">"Play a URL"</a>
                " plays any HLS playlist with our player: fMP4 or MPEG-TS segments, byte ranges and "
                "AES-128 encryption, with WebVTT subtitles as captions. The stream's server must allow "
                "this site (CORS), and AES-128 "
                "needs the page on HTTPS (browsers offer WebCrypto only there and on localhost). "
                "SAMPLE-AES and DRM-protected streams do not play; MP3 audio plays in Firefox only. "
                "MPEG-TS segments are turned into fMP4 by a transmuxer that the player loads only for "
                "such a stream and runs in a Web Worker, off the page's thread."
            </p>
            <h2>"Embedding"</h2>
            <p>
                "Add the player to any page with one line: "
                <code>"<script src=\"…/player/onair-player.js\" data-stream=\"ID\"></script>"</code>
                ", or the element " <code>"<onair-player stream=\"ID\">"</code>
                ", or an iframe of " <code>"/embed/{id}"</code>
                " (its events reach your page by postMessage). The JS API, "
                <code>"new OnAirPlayer(video, config)"</code>
                ", is in the README. With the player focused: k or space plays and pauses, m mutes, "
                "f is fullscreen, up and down change the volume, left and right seek 5 s in a "
                "recording or VOD (which has a seek bar), l jumps to live."
            </p>
            <h2>"Browser support"</h2>
            <p>
                "Going live needs WebCodecs and MediaStreamTrackProcessor (recent Chrome or Edge). "
                "Watching needs Media Source Extensions, available in every current desktop browser. "
                "The embedded player offers picture-in-picture where the browser has its API "
                "(Chromium, and Firefox ESR from version 153 here), and hides the button elsewhere."
            </p>
        </section>
    }
}
