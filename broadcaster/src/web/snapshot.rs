//! The live thumbnail's snapshot: a captured frame drawn into an `OffscreenCanvas` at card size (while
//! the frame is still open), encoded as a JPEG by the browser and `PUT` to the origin, off the media
//! upload queue. When is [`crate::snapshot`]'s decision; a failure is logged and the next one is tried.

use std::rc::Rc;

use onair_browser::log;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    Blob, ImageEncodeOptions, OffscreenCanvas, OffscreenCanvasRenderingContext2d, Request,
    RequestInit, Response,
};

use super::state::Core;
use crate::snapshot::{snapshot_size, SNAPSHOT_QUALITY};

/// Draws `frame` at snapshot size now and uploads it in the background.
pub(super) fn take(core: &Rc<Core>, frame: &web_sys::VideoFrame) {
    match draw(frame) {
        Ok(canvas) => spawn_local(upload(core.clone(), canvas)),
        Err(e) => {
            log(&format!("snapshot: {}", onair_browser::JsError::from(&e)));
            finished(core);
        }
    }
}

fn draw(frame: &web_sys::VideoFrame) -> Result<OffscreenCanvas, JsValue> {
    let (width, height) = snapshot_size(frame.display_width(), frame.display_height());
    let canvas = OffscreenCanvas::new(width, height)?;
    let context: OffscreenCanvasRenderingContext2d = canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("no 2d context"))?
        .dyn_into()?;
    context.draw_image_with_video_frame_and_dw_and_dh(
        frame,
        0.0,
        0.0,
        f64::from(width),
        f64::from(height),
    )?;
    Ok(canvas)
}

async fn upload(core: Rc<Core>, canvas: OffscreenCanvas) {
    if let Err(e) = encode_and_send(&core, &canvas).await {
        log(&format!("snapshot: {}", onair_browser::JsError::from(&e)));
    }
    finished(&core);
}

async fn encode_and_send(core: &Core, canvas: &OffscreenCanvas) -> Result<(), JsValue> {
    let options = ImageEncodeOptions::new();
    options.set_type("image/jpeg");
    options.set_quality(SNAPSHOT_QUALITY);
    let blob: Blob = JsFuture::from(canvas.convert_to_blob_with_options(&options)?)
        .await?
        .dyn_into()?;
    let target = core
        .target(0)
        .ok_or_else(|| JsValue::from_str("no upload target"))?;
    let init = RequestInit::new();
    init.set_method("PUT");
    init.set_body(&blob);
    let request = Request::new_with_str_and_init(&target.thumbnail_url(), &init)?;
    let headers = request.headers();
    headers.set("Authorization", &target.authorization())?;
    headers.set("Content-Type", "image/jpeg")?;
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await?
        .dyn_into()?;
    if !response.ok() {
        return Err(JsValue::from_str(&format!(
            "the origin answered {} to the snapshot",
            response.status()
        )));
    }
    Ok(())
}

fn finished(core: &Core) {
    if let Ok(mut s) = core.shared.try_borrow_mut() {
        s.snapshots.finished();
    }
}
