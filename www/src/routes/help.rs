//! The help page: going live from the page and from encoders (ffmpeg, OBS), watching, playing other
//! HLS, embedding, the HTTP API in short (the README has all of it), and what each browser does. The
//! commands name this site's own origin, so they can be copied as they are.

use leptos::prelude::*;

/// This page's origin, e.g. `https://onair.example`, for the commands.
fn origin() -> String {
    window()
        .location()
        .origin()
        .unwrap_or_else(|_| "http://127.0.0.1:8080".to_owned())
}

/// How to go live and watch.
#[component]
pub fn Help() -> impl IntoView {
    let origin = origin();
    let create = format!(
        "curl -s -X POST {origin}/api/streams -H 'Content-Type: application/json' \\\n  -d '{{\"title\": \"My show\", \"tags\": [\"music\"]}}'"
    );
    let push = format!(
        "ffmpeg -re -i show.mp4 -c:v libx264 -preset veryfast -g 50 -keyint_min 50 \\\n  -c:a aac -f hls -hls_time 2 -hls_segment_type fmp4 -method PUT \\\n  {origin}/ingest/STREAM_KEY/index.m3u8"
    );
    let ladder = format!(
        "ffmpeg -re -i show.mp4 -filter_complex '[0:v]split=2[a][b];[b]scale=-2:360[c]' \\\n  -map '[a]' -map '[c]' -map 0:a -c:v libx264 -g 50 -keyint_min 50 -b:v:0 3M -b:v:1 800k \\\n  -c:a aac -f hls -hls_time 2 -hls_segment_type fmp4 -method PUT \\\n  -var_stream_map 'v:0,agroup:aud v:1,agroup:aud a:0,agroup:aud' \\\n  {origin}/ingest/STREAM_KEY/stream_%v/index.m3u8"
    );
    let end = format!(
        "curl -X POST {origin}/api/streams/STREAM_ID/end -H 'Authorization: Bearer STREAM_KEY'"
    );
    view! {
        <section class="prose help">
            <h1>"Help"</h1>
            <nav aria-label="On this page">
                <ul class="toc">
                    <li><a href="#from-the-page">"Going live from this site"</a></li>
                    <li><a href="#from-an-encoder">"Going live from ffmpeg or OBS"</a></li>
                    <li><a href="#watching">"Watching"</a></li>
                    <li><a href="#other-hls">"Playing other HLS streams"</a></li>
                    <li><a href="#embedding">"Embedding"</a></li>
                    <li><a href="#api">"The API"</a></li>
                    <li><a href="#browsers">"Browser support"</a></li>
                </ul>
            </nav>

            <h2 id="from-the-page">"Going live from this site"</h2>
            <ol>
                <li>
                    "Open " <a href="/go-live">"Go Live"</a> " and allow the camera and microphone. "
                    "Pick the picture: the camera (which one, and 1080p, 720p or 480p), a screen, "
                    "window or tab (with your microphone's sound), or a video file on your computer, "
                    "played out live with its own sound (looping, or ending the stream at its end). "
                    "This browser remembers the camera and microphone you chose."
                </li>
                <li>
                    "Pick the qualities. " <em>"Several"</em> " encodes your picture at its own size "
                    "and at 480p and 240p, in your browser, so viewers on slow links still watch "
                    "smoothly; it needs a fast computer and about a third more upload. "
                    <em>"One"</em> " sends your picture once and our server makes the smaller sizes."
                </li>
                <li>
                    "Give your stream a title; a description, tags (" <code>"music, live-set"</code>
                    ") and a category help people find it. You can change them while you are live, from "
                    "your " <a href="/dashboard">"dashboard"</a> "."
                </li>
                <li>
                    "Press " <em>"Go live"</em> ". The panel shows the upload rate, how far behind the "
                    "camera your viewers are and anything dropped on a slow connection. Share the watch "
                    "link. While live, " <em>"Mute microphone"</em> " sends silence and "
                    <em>"Turn camera off"</em> " sends a black picture; the stream goes on."
                </li>
                <li>
                    "Press " <em>"End stream"</em> " when you are done: the stream becomes a "
                    <a href="/recordings">"recording"</a> " that people can watch from the start and "
                    "download as an MP4 file. Closing or reloading the page ends the stream too."
                </li>
            </ol>
            <p>
                "This browser keeps the owner token of each stream you create, so your dashboard shows "
                "their viewers, countries and playback quality, and lets you edit, end or delete them. "
                "Clearing the site's data forgets them."
            </p>

            <h2 id="from-an-encoder">"Going live from ffmpeg or OBS"</h2>
            <p>
                "Any encoder that pushes HLS over HTTP PUT can stream to OnAir. First create a stream; "
                "the answer holds its " <code>"id"</code> ", its " <code>"stream_key"</code>
                " (for uploading) and its " <code>"owner_token"</code> " (for editing and analytics), "
                "shown this once:"
            </p>
            <pre tabindex="0"><code>{create}</code></pre>
            <p>"Then push to its ingest URL, with keyframes every 2 seconds (50 frames at 25 fps):"</p>
            <pre tabindex="0"><code>{push}</code></pre>
            <p>
                "Push one quality and OnAir makes the lower ones itself (from 720p: 480p and 240p, "
                "keyframe-aligned with yours, your sound copied in), so viewers on slow connections "
                "still watch; they come about one segment behind yours. Or push several qualities "
                "(a ladder) yourself, in folders of their own, one audio for all of them; OnAir then "
                "transcodes nothing, and viewers' players pick the quality their connection carries:"
            </p>
            <pre tabindex="0"><code>{ladder}</code></pre>
            <p>
                "In " <strong>"OBS"</strong> ": Settings → Output → Output Mode " <em>"Advanced"</em>
                " → Recording → Type " <em>"Custom Output (FFmpeg)"</em> ", " <em>"Output to URL"</em>
                " " <code>{format!("{origin}/ingest/STREAM_KEY/index.m3u8")}</code>
                ", container format " <code>"hls"</code> ", muxer settings "
                <code>"method=PUT hls_segment_type=fmp4 hls_time=2"</code>
                ", keyframe interval 2 s; then Start Recording."
            </p>
            <p>"The stream ends by itself a minute after the last upload, or at once with:"</p>
            <pre tabindex="0"><code>{end}</code></pre>
            <p>
                "OnAir checks every segment before a viewer gets it and takes H.264, H.265, VP9 and AV1 "
                "video with AAC or Opus audio in fMP4. It makes the stream's picture for the directory "
                "itself. To stream from two servers at once, ffmpeg's " <code>"tee"</code>
                " muxer sends the same output to both."
            </p>

            <h2 id="watching">"Watching"</h2>
            <p>
                "Pick a stream on the " <a href="/">"home page"</a> " (search titles and tags, or "
                "follow a tag). Playback starts about a second behind live and keeps that distance; "
                "on a slow connection it switches to a lower quality rather than stopping. If the "
                "browser blocks sound, the video starts muted: press " <em>"Unmute"</em> "."
            </p>

            <h2 id="other-hls">"Playing other HLS streams"</h2>
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

            <h2 id="embedding">"Embedding"</h2>
            <p>
                "Add the player to any page with one line: "
                <code>{format!("<script src=\"{origin}/player/onair-player.js\" data-stream=\"ID\"></script>")}</code>
                ", or the element " <code>"<onair-player stream=\"ID\">"</code>
                ", or an iframe of " <code>{format!("{origin}/embed/ID")}</code>
                " (its events reach your page by postMessage). The JS API, "
                <code>"new OnAirPlayer(video, config)"</code>
                ", is in the README. With the player focused: k or space plays and pauses, m mutes, "
                "f is fullscreen, up and down change the volume, left and right seek 5 s in a "
                "recording or VOD (which has a seek bar), l jumps to live."
            </p>

            <h2 id="api">"The API"</h2>
            <table class="api">
                <thead>
                    <tr><th scope="col">"Request"</th><th scope="col">"What it does"</th></tr>
                </thead>
                <tbody>
                    <tr><td><code>"POST /api/streams"</code></td><td>"Creates a stream: its id, stream key and owner token."</td></tr>
                    <tr><td><code>"GET /api/streams"</code></td><td>"The streams live now, with viewers and thumbnails."</td></tr>
                    <tr><td><code>"GET /api/recordings"</code></td><td>"Ended streams that can be watched."</td></tr>
                    <tr><td><code>"PATCH /api/streams/{id}"</code></td><td>"Edits the title, description, tags or category (owner token)."</td></tr>
                    <tr><td><code>"POST /api/streams/{id}/end"</code></td><td>"Ends it (stream key or owner token)."</td></tr>
                    <tr><td><code>"DELETE /api/streams/{id}"</code></td><td>"Deletes it with its recording (owner token)."</td></tr>
                    <tr><td><code>"GET /api/streams/{id}/analytics"</code></td><td>"Viewers over time, countries, playback quality (owner token)."</td></tr>
                    <tr><td><code>"PUT /ingest/{key}/…"</code></td><td>"Where encoders push HLS."</td></tr>
                    <tr><td><code>"GET /live/{id}/index.m3u8"</code></td><td>"The stream for any HLS player (Low-Latency HLS)."</td></tr>
                    <tr><td><code>"GET /live/{id}/recording.mp4"</code></td><td>"An ended stream as one MP4 file."</td></tr>
                    <tr><td><code>"GET /metrics"</code></td><td>"The server's figures for Prometheus."</td></tr>
                </tbody>
            </table>
            <p>"Credentials go in " <code>"Authorization: Bearer …"</code> ". The README lists every field and answer."</p>

            <h2 id="browsers">"Browser support"</h2>
            <p>
                "Going live needs WebCodecs and MediaStreamTrackProcessor (recent Chrome or Edge). "
                "Watching needs Media Source Extensions, available in every current desktop browser. "
                "The embedded player offers picture-in-picture where the browser has its API "
                "(Chromium, and Firefox ESR from version 153 here), and hides the button elsewhere."
            </p>
        </section>
    }
}
