//! The Go Live page's capture controls: camera, microphone and resolution pickers. Each change is
//! handed to `on_change` with the whole new choice; the page reopens the camera with it.

use leptos::prelude::*;
use onair_broadcaster::source::{CaptureChoice, Device, Resolution};

/// The pickers; `disabled` while live (a source does not change mid-stream yet).
#[component]
pub fn CapturePicker(
    /// What is in use.
    choice: Signal<CaptureChoice>,
    /// The cameras and microphones the browser lists.
    devices: Signal<(Vec<Device>, Vec<Device>)>,
    /// Pickers are off (while live).
    disabled: Signal<bool>,
    /// Hears a new choice.
    on_change: Callback<CaptureChoice>,
) -> impl IntoView {
    let options = move |list: Vec<Device>, kind: &'static str, current: Option<String>| {
        list.into_iter()
            .enumerate()
            .map(|(i, d)| {
                let selected = current.as_deref() == Some(d.id.as_str());
                view! { <option value=d.id.clone() selected=selected>{d.name(kind, i)}</option> }
            })
            .collect_view()
    };
    let pick_camera = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev);
        on_change.run(CaptureChoice {
            camera: Some(id).filter(|id| !id.is_empty()),
            ..choice.get_untracked()
        });
    };
    let pick_microphone = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev);
        on_change.run(CaptureChoice {
            microphone: Some(id).filter(|id| !id.is_empty()),
            ..choice.get_untracked()
        });
    };
    let pick_resolution = move |ev: leptos::ev::Event| {
        let height = event_target_value(&ev).parse::<u32>().unwrap_or(720);
        on_change.run(CaptureChoice {
            resolution: Resolution::from_height(height).unwrap_or_default(),
            ..choice.get_untracked()
        });
    };
    view! {
        <div class="row capture">
            <div>
                <label for="camera-select">"Camera"</label>
                <select id="camera-select" on:change=pick_camera prop:disabled=disabled>
                    {move || options(devices.get().0, "Camera", choice.get().camera)}
                </select>
            </div>
            <div>
                <label for="microphone-select">"Microphone"</label>
                <select id="microphone-select" on:change=pick_microphone prop:disabled=disabled>
                    {move || options(devices.get().1, "Microphone", choice.get().microphone)}
                </select>
            </div>
            <div>
                <label for="resolution-select">"Resolution"</label>
                <select id="resolution-select" on:change=pick_resolution prop:disabled=disabled>
                    {move || {
                        let current = choice.get().resolution;
                        Resolution::ALL
                            .into_iter()
                            .map(|r| {
                                view! {
                                    <option value=r.height().to_string() selected=r == current>
                                        {r.label()}
                                    </option>
                                }
                            })
                            .collect_view()
                    }}
                </select>
            </div>
        </div>
    }
}
