//! `/faq`: the questions people ask before and while they go live or watch.

use leptos::prelude::*;

/// One question and its answer.
#[component]
fn Question(question: &'static str, children: Children) -> impl IntoView {
    view! {
        <details class="faq-item">
            <summary>{question}</summary>
            <div>{children()}</div>
        </details>
    }
}

/// Frequently asked questions.
#[component]
pub fn Faq() -> impl IntoView {
    view! {
        <section class="prose">
            <h1>"Frequently asked questions"</h1>
            <Question question="Do I need to install anything to go live?">
                <p>
                    "No. Open " <a href="/go-live">"Go Live"</a> ", allow the camera and microphone, give the "
                    "stream a title and press Go live. Your browser encodes the video itself (WebCodecs) and "
                    "uploads it. Chromium-based browsers and Firefox work."
                </p>
            </Question>
            <Question question="Can I stream from OBS or ffmpeg instead?">
                <p>
                    "Yes: create a stream, then push HLS over HTTP to "
                    <code>"/ingest/{stream_key}/"</code> ". The " <a href="/help">"Help"</a>
                    " page has the exact command."
                </p>
            </Question>
            <Question question="How far behind live are viewers?">
                <p>
                    "About a second or two on a good connection: OnAir serves Low-Latency HLS and its player "
                    "keeps close to the live edge, speeding up a little when it falls behind."
                </p>
            </Question>
            <Question question="What are the stream key and the owner token?">
                <p>
                    "The stream key uploads video: give it to your encoder, no one else. The owner token "
                    "edits the title and tags, ends and deletes the stream and shows its analytics; this "
                    "browser keeps it, so your " <a href="/dashboard">"dashboard"</a>
                    " finds your streams again. Both are shown once and the server keeps only their hashes."
                </p>
            </Question>
            <Question question="How are viewers counted?">
                <p>
                    "Each player reports every few seconds while it plays; a viewer counts while those reports "
                    "keep coming. Caches in front of the server therefore change nothing in the count."
                </p>
            </Question>
            <Question question="Can I put the player on my own site?">
                <p>
                    "Yes, with an iframe of " <code>"/embed/{id}"</code>
                    " or the one-line script snippet; see " <a href="/help">"Help"</a> "."
                </p>
            </Question>
            <Question question="What happens when I end a stream?">
                <p>
                    "It becomes a recording that plays from the start at the same watch page, until you delete "
                    "it from your dashboard."
                </p>
            </Question>
        </section>
    }
}
