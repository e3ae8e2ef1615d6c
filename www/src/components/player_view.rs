//! A `<video>` element driven by [`onair_player::Player`], with its status line and unmute button.

use leptos::html::Video;
use leptos::prelude::*;
use onair_player::{Phase, Player, PlayerEvent, PlayerStatus};

/// The level and latency line: "720p · 2.8 Mbit/s · 1.1 s behind live (target 1.0 s)".
fn stats_line(s: &PlayerStatus) -> String {
    let mut parts = Vec::new();
    if let Some(level) = s.level.and_then(|i| s.levels.get(i)) {
        if let Some(h) = level.height {
            parts.push(format!("{h}p"));
        }
        if level.bandwidth > 0 {
            parts.push(format!("{:.1} Mbit/s", level.bandwidth as f64 / 1e6));
        }
    }
    if let Some(latency) = s.latency_secs {
        let mut text = format!("{latency:.1} s behind live");
        if let Some(target) = s.latency_target_secs {
            text.push_str(&format!(" (target {target:.1} s)"));
        }
        parts.push(text);
    }
    parts.join(" · ")
}

/// Plays the HLS stream at `url` (reactive: a new URL restarts the player).
#[component]
pub fn PlayerView(
    /// Playlist URL, e.g. `/live/{id}/index.m3u8`.
    #[prop(into)]
    url: Signal<String>,
    /// Show the status line (`#player-status`) under the video.
    #[prop(default = true)]
    show_status: bool,
    /// Hears the player's events (the embed page posts them to its parent).
    #[prop(optional)]
    on_event: Option<fn(&PlayerEvent)>,
    /// A picture shown until the first frame (the stream's live thumbnail).
    #[prop(optional, into)]
    poster: MaybeProp<String>,
) -> impl IntoView {
    let video = NodeRef::<Video>::new();
    let player = StoredValue::new_local(None::<Player>);
    let (status, set_status) = signal(PlayerStatus::default());

    Effect::new(move |_| {
        let url = url.get();
        let Some(element) = video.get() else {
            return;
        };
        // Drop (destroy) the previous player before attaching a new one.
        player.set_value(None);
        let p = Player::attach(element, &url);
        p.on_status(move |s| set_status.set(s));
        if let Some(on_event) = on_event {
            p.on_event(on_event);
        }
        player.set_value(Some(p));
    });
    on_cleanup(move || player.set_value(None));

    let unmute = move |_| {
        player.with_value(|p| {
            if let Some(p) = p {
                p.unmute();
            }
        })
    };
    let failed = move || status.with(|s| s.phase == Phase::Failed);

    view! {
        <div class="player">
            <video id="player" node_ref=video controls autoplay playsinline poster=move || poster.get()></video>
            <Show when=move || status.with(|s| s.autoplay_muted)>
                <button id="unmute" class="unmute" on:click=unmute>
                    "Unmute"
                </button>
            </Show>
        </div>
        <Show when=move || show_status>
            <p id="player-status" class="status" class:failed=failed>
                {move || status.with(|s| s.to_string())}
            </p>
            <p id="player-stats" class="status">
                {move || status.with(stats_line)}
            </p>
        </Show>
    }
}
