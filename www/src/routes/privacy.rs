//! `/privacy`: what OnAir stores and for how long, as the code does it (server/src/store, the
//! audience's tables, the beacons, the web app's localStorage).

use leptos::prelude::*;

/// The privacy page.
#[component]
pub fn Privacy() -> impl IntoView {
    view! {
        <section class="prose">
            <h1>"Privacy"</h1>
            <p>"OnAir has no accounts, no cookies and no third-party scripts. Here is everything it keeps."</p>
            <h2>"When you go live"</h2>
            <ul>
                <li>
                    "Your stream: its title, description, tags, category and when it was created, started "
                    "and ended; and the video and audio you sent. They stay until you delete the stream from "
                    "your dashboard (the server's operator may also set a retention period)."
                </li>
                <li>
                    "A picture of your stream for its card in the directory: the Go Live page sends a "
                    "small snapshot of your camera every 5 seconds while you are live (for a stream pushed "
                    "from OBS or ffmpeg, the server takes one from the video). Only the latest is kept; it "
                    "stays with the recording and is deleted with it."
                </li>
                <li>
                    "The stream key and the owner token are stored only as SHA-256 hashes: the server cannot "
                    "show them again."
                </li>
                <li>
                    "Your browser keeps the owner tokens of the streams you created (in its localStorage, "
                    "under " <code>"onair.owned"</code> "), so that your dashboard finds them. Clearing the "
                    "site's data removes them."
                </li>
            </ul>
            <h2>"When you watch"</h2>
            <ul>
                <li>
                    "The player sends a report every 5 seconds while it plays: a random id for this playback "
                    "(new on every page load, not linked to you), and how playback goes: time to the first "
                    "frame, stalls, the quality playing, the delay behind live, errors."
                </li>
                <li>
                    "Your IP address is used to look up your country from a free IP-to-country database; the "
                    "country is kept with the report, the address is not."
                </li>
                <li>
                    "The stream's owner sees these figures added up: viewers over time, countries, quality. "
                    "They are deleted with the stream."
                </li>
            </ul>
            <h2>"Messages"</h2>
            <p>
                "What you send through the " <a href="/contact">"contact form"</a>
                " (your name, email address and message) is kept until we have answered it."
            </p>
        </section>
    }
}
