//! `/go-live`: camera preview, then broadcasting through [`onair_broadcaster::Broadcast`]. Once a
//! stream has ended (or failed), **Go live** starts a new one with the same camera, without a reload.

use std::rc::Rc;

use leptos::html::{Input, Select, Textarea, Video};
use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_broadcaster::ladder::Qualities;
use onair_broadcaster::source::{CaptureChoice, SourceKind};
use onair_broadcaster::stats::format_bytes;
use onair_broadcaster::{Broadcast, BroadcastState, BroadcastStats, Camera};
use onair_protocol::{paths, CreateStreamRequest, CATEGORIES};

use crate::api;
use crate::capture;
use crate::components::capture_picker::CapturePicker;
use crate::components::error_view::ErrorView;
use crate::components::renditions_table::RenditionsTable;
use crate::error::AppError;
use crate::owned::{self, OwnedStream};

/// Where the page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    OpeningCamera,
    CameraReady,
    Starting,
    Live,
    Stopping,
    Ended,
    Failed,
    /// This browser cannot go live from the page.
    Unsupported,
    /// The picture is a video file, not chosen yet.
    ChoosingFile,
}

/// The go-live page.
#[component]
pub fn GoLive() -> impl IntoView {
    let preview = NodeRef::<Video>::new();
    let title = NodeRef::<Input>::new();
    let description = NodeRef::<Textarea>::new();
    let tags = NodeRef::<Input>::new();
    let category = NodeRef::<Select>::new();
    let camera = StoredValue::new_local(None::<Camera>);
    let broadcast = StoredValue::new_local(None::<Rc<Broadcast>>);
    // Which broadcast the page follows: a previous one's late callbacks are ignored.
    let session = StoredValue::new(0_u64);
    let (stage, set_stage) = signal(Stage::OpeningCamera);
    let (stats, set_stats) = signal(BroadcastStats::default());
    let (stream_id, set_stream_id) = signal(None::<String>);
    let (error, set_error) = signal(None::<AppError>);
    // While live: the microphone muted (silence goes out) and the camera off (black frames), the
    // stream going on.
    let (muted, set_muted) = signal(false);
    let (camera_off, set_camera_off) = signal(false);
    // One rendition, or a ladder encoded here.
    let (qualities, set_qualities) = signal(capture::load_qualities());

    let fail = move |e: AppError| {
        set_error.set(Some(e));
        set_stage.set(Stage::Failed);
    };

    // What this browser cannot do is said before anyone tries: no camera, no stream created.
    let unsupported = onair_broadcaster::support::explain(&onair_broadcaster::missing_features());
    let (choice, set_choice) = signal(capture::load());
    // A video file played out live: a muted, hidden <video> plays it and its capture goes out.
    let file_video = NodeRef::<Video>::new();
    let (looping, set_looping) = signal(true);
    let file_url = StoredValue::new_local(None::<String>);
    let play_file = move |ev: leptos::ev::Event| {
        let Some(file) = event_target::<web_sys::HtmlInputElement>(&ev)
            .files()
            .and_then(|files| files.get(0))
        else {
            return;
        };
        let Some(video) = file_video.get_untracked() else {
            return;
        };
        if let Some(old) = file_url.get_value() {
            let _ = web_sys::Url::revoke_object_url(&old);
        }
        let Ok(url) = web_sys::Url::create_object_url_with_blob(&file) else {
            return fail(AppError::Camera("cannot read the file".to_owned()));
        };
        file_url.set_value(Some(url.clone()));
        video.set_muted(true);
        video.set_loop(looping.get_untracked());
        video.set_src(&url);
        set_stage.set(Stage::OpeningCamera);
        spawn_local(async move {
            let played = match video.play() {
                Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise)
                    .await
                    .map(drop),
                Err(e) => Err(e),
            };
            if let Err(e) = played {
                return fail(AppError::Camera(format!(
                    "this browser cannot play the file: {}",
                    onair_broadcaster::onair_browser::JsError::from(&e)
                )));
            }
            match Camera::from_element(&video) {
                Ok(cam) => {
                    camera.set_value(Some(cam));
                    set_stage.set(Stage::CameraReady);
                }
                Err(e) => fail(AppError::Camera(e.to_string())),
            }
        });
    };
    let (devices, set_devices) = signal((Vec::new(), Vec::new()));
    // Opens the camera chosen (the one before it is stopped first) and lists the devices, which the
    // browser names once the page may use the camera.
    let open_camera = move |wanted: CaptureChoice| {
        if let Some(old) = camera.try_get_value().flatten() {
            old.stop();
            camera.set_value(None);
        }
        if let Some(video) = file_video.get_untracked() {
            let _ = video.pause();
        }
        if wanted.source == SourceKind::File {
            // The file input comes next (a file is never remembered).
            set_choice.set(wanted);
            set_stage.set(Stage::ChoosingFile);
            return;
        }
        set_stage.set(Stage::OpeningCamera);
        spawn_local(async move {
            match Camera::open_with(&wanted).await {
                Ok(cam) => {
                    // What the browser gave (a device that was gone is replaced by the default).
                    let (camera_id, microphone_id) = cam.device_ids();
                    // (A screen's id is not a camera's: the camera picked stays.)
                    let camera_id = match wanted.source {
                        SourceKind::Camera => camera_id.or(wanted.camera),
                        SourceKind::Screen | SourceKind::File => wanted.camera,
                    };
                    let opened = CaptureChoice {
                        source: wanted.source,
                        camera: camera_id,
                        microphone: microphone_id.or(wanted.microphone),
                        resolution: wanted.resolution,
                    };
                    capture::save(&opened);
                    set_choice.set(opened);
                    camera.set_value(Some(cam));
                    set_stage.set(Stage::CameraReady);
                    if let Ok(listed) = Camera::devices().await {
                        set_devices.set(listed);
                    }
                }
                Err(e) => fail(AppError::Camera(e.to_string())),
            }
        });
    };
    if unsupported.is_some() {
        set_stage.set(Stage::Unsupported);
    } else {
        // Open the camera as soon as the page is shown.
        open_camera(choice.get_untracked());
    }
    // Show it in the preview once both exist.
    Effect::new(move |_| {
        if let (Some(video), Stage::CameraReady) = (preview.get(), stage.get()) {
            camera.with_value(|cam| {
                if let Some(cam) = cam {
                    video.set_muted(true);
                    video.set_src_object(Some(cam.stream()));
                    let _ = video.play();
                }
            });
        }
    });

    let go_live = move |_| {
        let Some(cam) = camera.get_value() else {
            return;
        };
        let text =
            |value: Option<String>| value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let request = CreateStreamRequest {
            title: text(title.get().map(|t| t.value())),
            description: text(description.get().map(|d| d.value())),
            tags: tags
                .get()
                .map(|t| api::split_tags(&t.value()))
                .filter(|t| !t.is_empty()),
            category: text(category.get().map(|c| c.value())),
        };
        let current = session.get_value().wrapping_add(1);
        session.set_value(current);
        let is_current = move || session.try_get_value() == Some(current);
        // A new stream: forget the previous one (dropping a failed broadcast releases its encoders).
        broadcast.set_value(None);
        set_stream_id.set(None);
        set_stats.set(BroadcastStats::default());
        set_muted.set(false);
        set_camera_off.set(false);
        set_error.set(None);
        set_stage.set(Stage::Starting);
        spawn_local(async move {
            let created = match api::create_stream(&request).await {
                Ok(c) => c,
                Err(e) => return fail(e),
            };
            // The owner token stays in this browser: the dashboard finds the stream again.
            owned::remember(OwnedStream {
                id: created.id.clone(),
                title: created.title.clone(),
                owner_token: created.owner_token.clone(),
                created_at: api::now_unix(),
            });
            if !is_current() {
                return;
            }
            let on_stats = move |s: BroadcastStats| {
                if !is_current() {
                    return;
                }
                match &s.state {
                    BroadcastState::Live => set_stage.update(|st| {
                        if *st == Stage::Starting {
                            *st = Stage::Live;
                        }
                    }),
                    BroadcastState::Failed(reason) => {
                        set_error.set(Some(AppError::Broadcast(reason.clone())));
                        set_stage.set(Stage::Failed);
                    }
                    _ => {}
                }
                set_stats.set(s);
            };
            let qualities = qualities.get_untracked();
            match Broadcast::start_with(
                &cam,
                "",
                &created.id,
                &created.stream_key,
                qualities,
                on_stats,
            ) {
                Ok(b) => {
                    broadcast.set_value(Some(Rc::new(b)));
                    set_stream_id.set(Some(created.id));
                }
                Err(e) => fail(AppError::Broadcast(e.to_string())),
            }
        });
    };

    let end_stream = move || {
        let Some(b) = broadcast.get_value() else {
            return;
        };
        let current = session.get_value();
        set_stage.set(Stage::Stopping);
        spawn_local(async move {
            let result = b.stop().await;
            if session.try_get_value() != Some(current) {
                return;
            }
            match result {
                Ok(()) => set_stage.set(Stage::Ended),
                Err(e) => fail(AppError::Broadcast(e.to_string())),
            }
        });
    };

    // The page going away (a reload, a link followed by a full load, the tab closed): the end is
    // posted with a request that outlives the page, so viewers see the end at once.
    let pagehide = window_event_listener(leptos::ev::pagehide, move |_| {
        if let Some(b) = broadcast.try_get_value().flatten() {
            b.end_now();
        }
    });
    // Leaving the page within the app: end the broadcast properly and turn the camera off.
    on_cleanup(move || {
        pagehide.remove();
        if let Some(b) = broadcast.try_get_value().flatten() {
            spawn_local(async move {
                let _ = b.stop().await;
            });
        }
        if let Some(cam) = camera.try_get_value().flatten() {
            cam.stop();
        }
    });

    let status_text = move || match stage.get() {
        Stage::OpeningCamera => "Opening camera…".to_owned(),
        Stage::CameraReady => "Camera ready".to_owned(),
        Stage::Starting => "Starting…".to_owned(),
        Stage::Live => "Live".to_owned(),
        Stage::Stopping => "Ending…".to_owned(),
        Stage::Ended => "Ended".to_owned(),
        Stage::Failed => error
            .get()
            .map_or_else(|| "Error".to_owned(), |e| format!("Error: {e}")),
        Stage::Unsupported => "Not available in this browser".to_owned(),
        Stage::ChoosingFile => "Choose a video file".to_owned(),
    };
    let is_live = move || matches!(stage.get(), Stage::Live | Stage::Starting);
    // Ready once the camera is open, and again after a stream ended or failed.
    let can_go_live = move || {
        matches!(
            stage.get(),
            Stage::CameraReady | Stage::Ended | Stage::Failed
        ) && camera.try_with_value(Option::is_some).unwrap_or(false)
    };
    let watch_href = move || stream_id.get().map(|id| paths::watch_page(&id));
    let toggle_mute = move |_| {
        let now = !muted.get_untracked();
        if let Some(b) = broadcast.get_value() {
            b.set_muted(now);
        }
        set_muted.set(now);
    };
    let toggle_camera = move |_| {
        let now = !camera_off.get_untracked();
        if let Some(b) = broadcast.get_value() {
            b.set_camera_off(now);
        }
        set_camera_off.set(now);
    };

    view! {
        <section class="go-live">
            <h1>"Go live"</h1>
            {unsupported.map(|text| view! {
                <p id="unsupported" class="notice" role="alert">
                    {text} " "
                    <a href="/help#from-an-encoder">"How to go live from OBS or ffmpeg"</a>
                </p>
            })}
            <ErrorView error=error />
            <div class="studio">
                <video
                    id="file-source"
                    class="offscreen"
                    node_ref=file_video
                    muted
                    playsinline
                    on:ended=move |_| {
                        // The file is over (not looping): so is the stream.
                        if is_live() {
                            end_stream();
                        }
                    }
                ></video>
                <div class="preview-box">
                    <video id="preview" node_ref=preview muted autoplay playsinline></video>
                    <Show when=move || camera_off.get() && is_live()>
                        <p id="camera-off-note" class="preview-note">"Camera off: viewers see black"</p>
                    </Show>
                </div>
                <div class="controls">
                    <CapturePicker
                        choice=choice.into()
                        devices=devices.into()
                        disabled=Signal::derive(move || !can_go_live())
                        on_change=Callback::new(open_camera)
                    />
                    <Show when=move || choice.get().source == SourceKind::File && !is_live()>
                        <div class="file-source">
                            <label for="file-input">"Video file"</label>
                            <input id="file-input" type="file" accept="video/*" on:change=play_file />
                            <label class="check">
                                <input
                                    id="file-loop"
                                    type="checkbox"
                                    prop:checked=looping
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        set_looping.set(on);
                                        if let Some(video) = file_video.get_untracked() {
                                            video.set_loop(on);
                                        }
                                    }
                                />
                                " Loop"
                            </label>
                        </div>
                    </Show>
                    <label for="qualities">"Qualities"</label>
                    <select
                        id="qualities"
                        prop:disabled=move || !can_go_live()
                        prop:value=move || qualities.get().as_str()
                        on:change=move |ev| {
                            if let Some(q) = Qualities::parse(&event_target_value(&ev)) {
                                capture::save_qualities(q);
                                set_qualities.set(q);
                            }
                        }
                    >
                        <option value="ladder">"Several, for viewers on slow links"</option>
                        <option value="one">"One: the capture's size"</option>
                    </select>
                    <label for="title">"Title"</label>
                    <input
                        id="title"
                        node_ref=title
                        type="text"
                        maxlength="100"
                        placeholder="What is this stream about?"
                        prop:disabled=move || !can_go_live()
                    />
                    <label for="description">"Description"</label>
                    <textarea
                        id="description"
                        node_ref=description
                        rows="3"
                        maxlength="2000"
                        placeholder="Tell viewers what to expect"
                        prop:disabled=move || !can_go_live()
                    ></textarea>
                    <div class="row">
                        <div>
                            <label for="tags">"Tags"</label>
                            <input
                                id="tags"
                                node_ref=tags
                                type="text"
                                placeholder="music, live set"
                                prop:disabled=move || !can_go_live()
                            />
                        </div>
                        <div>
                            <label for="category">"Category"</label>
                            <select id="category" node_ref=category prop:disabled=move || !can_go_live()>
                                <option value="">"None"</option>
                                {CATEGORIES
                                    .iter()
                                    .map(|c| view! { <option value=*c>{category_label(c)}</option> })
                                    .collect_view()}
                            </select>
                        </div>
                    </div>
                    <div class="buttons">
                        <Show
                            when=is_live
                            fallback=move || {
                                view! {
                                    <button
                                        id="go-live"
                                        class="primary"
                                        on:click=go_live
                                        prop:disabled=move || !can_go_live()
                                    >
                                        "Go live"
                                    </button>
                                }
                            }
                        >
                            <button id="end-stream" class="danger" on:click=move |_| end_stream()>
                                "End stream"
                            </button>
                            <button
                                id="mute"
                                aria-pressed=move || muted.get().to_string()
                                on:click=toggle_mute
                            >
                                {move || if muted.get() { "Unmute microphone" } else { "Mute microphone" }}
                            </button>
                            <button
                                id="camera-toggle"
                                aria-pressed=move || camera_off.get().to_string()
                                on:click=toggle_camera
                            >
                                {move || if camera_off.get() { "Turn camera on" } else { "Turn camera off" }}
                            </button>
                        </Show>
                    </div>
                    <p id="status" class="status" class:live=move || stage.get() == Stage::Live>
                        {status_text}
                    </p>
                    <Show when=move || matches!(stage.get(), Stage::Live | Stage::Stopping | Stage::Ended)>
                        <p>
                            "Viewers can watch at "
                            <a id="watch-link" href=watch_href target="_blank">
                                {watch_href}
                            </a>
                        </p>
                        <p class="note">
                            "Edit the title and tags, see who is watching and find the recording on your "
                            <a id="dashboard-link" href="/dashboard">"dashboard"</a>
                            "."
                        </p>
                    </Show>
                    <dl id="stats" class="stats">
                        <dt>"Frames encoded"</dt>
                        <dd class="frames">{move || stats.with(|s| s.video_frames)}</dd>
                        <dt>"Parts uploaded"</dt>
                        <dd class="parts">{move || stats.with(|s| s.parts_uploaded)}</dd>
                        <dt>"Last part upload"</dt>
                        <dd class="latency">{move || stats.with(BroadcastStats::latency_text)}</dd>
                        <dt>"Segments uploaded"</dt>
                        <dd class="segments">{move || stats.with(|s| s.segments_uploaded)}</dd>
                        <dt>"Uploaded"</dt>
                        <dd class="bytes">{move || stats.with(|s| format_bytes(s.bytes_uploaded))}</dd>
                        <dt>"Dropped"</dt>
                        <dd class="dropped">{move || stats.with(BroadcastStats::dropped_text)}</dd>
                        <dt>"Upload errors"</dt>
                        <dd class="errors">{move || stats.with(|s| s.upload_errors)}</dd>
                        <dt>"Upload queue"</dt>
                        <dd class="queue">{move || stats.with(|s| s.queue_depth)}</dd>
                    </dl>
                    <RenditionsTable stats=stats />
                </div>
            </div>
        </section>
    }
}

/// A category's name for people (`gaming` → `Gaming`).
pub fn category_label(category: &str) -> String {
    let mut chars = category.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
