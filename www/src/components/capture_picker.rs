//! The Go Live page's capture controls: the picture (camera, or a screen, window or tab), camera,
//! microphone and resolution pickers. Each change is handed to `on_change` with the whole new choice;
//! the page reopens the capture with it.

use leptos::prelude::*;
use onair_broadcaster::source::{CaptureChoice, Device, Resolution, SourceKind};

/// One `<option>`: its value, its text, whether it is the one in use.
type Choice = (String, String, bool);

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
    let device_options = |list: Vec<Device>, kind: &'static str, current: Option<String>| {
        list.into_iter()
            .enumerate()
            .map(|(i, d)| {
                let selected = current.as_deref() == Some(d.id.as_str());
                let name = d.name(kind, i);
                (d.id, name, selected)
            })
            .collect::<Vec<Choice>>()
    };
    // Each picker: its id, label, options, and how a picked value changes the choice.
    let source = move || {
        let current = choice.get().source;
        SourceKind::ALL
            .into_iter()
            .map(|k| (k.as_str().to_owned(), k.label().to_owned(), k == current))
            .collect::<Vec<Choice>>()
    };
    let cameras = move || device_options(devices.get().0, "Camera", choice.get().camera);
    let microphones =
        move || device_options(devices.get().1, "Microphone", choice.get().microphone);
    let resolutions = move || {
        let current = choice.get().resolution;
        Resolution::ALL
            .into_iter()
            .map(|r| (r.height().to_string(), r.label(), r == current))
            .collect::<Vec<Choice>>()
    };
    let change = move |apply: fn(&mut CaptureChoice, &str)| {
        move |ev: leptos::ev::Event| {
            let mut next = choice.get_untracked();
            apply(&mut next, &event_target_value(&ev));
            on_change.run(next);
        }
    };
    view! {
        <div class="row capture">
            <Picker id="source-select" label="Picture" options=Signal::derive(source) disabled=disabled
                on_pick=change(|c, v| c.source = SourceKind::parse(v).unwrap_or_default()) />
            // A camera for the camera only; a microphone unless a file brings its own sound.
            <Show when=move || choice.get().source == SourceKind::Camera>
                <Picker id="camera-select" label="Camera" options=Signal::derive(cameras)
                    disabled=disabled
                    on_pick=change(|c, v| c.camera = Some(v.to_owned()).filter(|v| !v.is_empty())) />
            </Show>
            <Show when=move || choice.get().source != SourceKind::File>
                <Picker id="microphone-select" label="Microphone" options=Signal::derive(microphones)
                    disabled=disabled
                    on_pick=change(|c, v| c.microphone = Some(v.to_owned()).filter(|v| !v.is_empty())) />
            </Show>
            <Picker id="resolution-select" label="Resolution" options=Signal::derive(resolutions)
                disabled=disabled
                on_pick=change(|c, v| {
                    c.resolution = v.parse().ok().and_then(Resolution::from_height).unwrap_or_default();
                }) />
        </div>
    }
}

/// A labelled `<select>` of `options`.
#[component]
fn Picker(
    id: &'static str,
    label: &'static str,
    options: Signal<Vec<Choice>>,
    disabled: Signal<bool>,
    on_pick: impl Fn(leptos::ev::Event) + 'static,
) -> impl IntoView {
    view! {
        <div>
            <label for=id>{label}</label>
            <select id=id on:change=on_pick prop:disabled=disabled>
                {move || {
                    options
                        .get()
                        .into_iter()
                        .map(|(value, text, selected)| view! { <option value=value selected=selected>{text}</option> })
                        .collect_view()
                }}
            </select>
        </div>
    }
}
