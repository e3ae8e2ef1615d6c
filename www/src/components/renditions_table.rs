//! The Go Live page's table of what goes out, a row per rendition: its size and bitrate, what the
//! server took, the upload backlog and the last part's upload time.

use leptos::prelude::*;
use onair_broadcaster::stats::format_bytes;
use onair_broadcaster::BroadcastStats;

/// The renditions of the broadcast in `stats` (hidden before it starts).
#[component]
pub fn RenditionsTable(
    /// The broadcast's counters.
    stats: ReadSignal<BroadcastStats>,
) -> impl IntoView {
    view! {
        <Show when=move || stats.with(|s| !s.renditions.is_empty())>
            <table id="renditions" class="renditions">
                <caption>"What goes out"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Rendition"</th>
                        <th scope="col">"Encoded"</th>
                        <th scope="col">"Uploaded"</th>
                        <th scope="col">"Queued"</th>
                        <th scope="col">"Last part"</th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        stats
                            .with(|s| s.renditions.clone())
                            .into_iter()
                            .map(|r| {
                                let latency = r
                                    .last_part_latency_ms
                                    .map_or_else(|| "–".to_owned(), |ms| format!("{} ms", ms.round()));
                                view! {
                                    <tr data-rendition=r.name.clone()>
                                        <th scope="row">{r.name.clone()}</th>
                                        <td class="label">{r.label()}</td>
                                        <td class="bytes">{format_bytes(r.bytes_uploaded)}</td>
                                        <td class="backlog">{format!("{:.1} s", r.backlog_secs.max(0.0) + 0.0)}</td>
                                        <td class="latency">{latency}</td>
                                    </tr>
                                }
                            })
                            .collect_view()
                    }}
                </tbody>
            </table>
        </Show>
    }
}
