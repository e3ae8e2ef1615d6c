//! [`Command::Decrypt`](crate::engine::Command::Decrypt) through WebCrypto: AES-128-CBC, PKCS7 padding
//! removed by the browser. WebCrypto exists only in secure contexts (HTTPS, or `localhost`/`127.0.0.1`);
//! elsewhere the fragment fails with that said.

use std::rc::Rc;

use js_sys::{Array, Uint8Array};
use onair_browser::JsError;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{AesCbcParams, CryptoKey};

use super::driver::Driver;
use crate::engine::{Event, RequestId};
use crate::error::PlayerError;

/// Decrypts `data`; the answer goes to `driver` (the engine ignores it if it no longer waits for it).
pub(super) fn decrypt(
    driver: &Rc<Driver>,
    id: RequestId,
    key: [u8; 16],
    iv: [u8; 16],
    data: Vec<u8>,
) {
    let driver = driver.clone();
    spawn_local(async move {
        match run(key, iv, &data).await {
            Ok(data) => driver.dispatch(Event::Decrypted { id, data }),
            Err(error) => driver.dispatch(Event::DecryptFailed { id, error }),
        }
    });
}

async fn run(key: [u8; 16], iv: [u8; 16], data: &[u8]) -> Result<Vec<u8>, PlayerError> {
    let failed = |e: JsValue| PlayerError::Media(format!("AES-128: {}", JsError::from(&e)));
    let window = web_sys::window().ok_or_else(|| PlayerError::Unsupported {
        what: "a window".to_owned(),
    })?;
    let subtle = window.crypto().map_err(failed)?.subtle();
    if JsValue::from(subtle.clone()).is_undefined() {
        return Err(PlayerError::Unsupported {
            what: "WebCrypto outside a secure context (serve the page over HTTPS)".to_owned(),
        });
    }
    let usages = Array::of1(&JsValue::from_str("decrypt"));
    let key_data = Uint8Array::from(&key[..]);
    let imported = JsFuture::from(
        subtle
            .import_key_with_str("raw", &key_data, "AES-CBC", false, &usages)
            .map_err(failed)?,
    )
    .await
    .map_err(failed)?;
    let key: CryptoKey = imported.dyn_into().map_err(failed)?;
    let params = AesCbcParams::new_with_u8_array("AES-CBC", &Uint8Array::from(&iv[..]));
    let plain = JsFuture::from(
        subtle
            .decrypt_with_object_and_u8_array(&params, &key, data)
            .map_err(failed)?,
    )
    .await
    .map_err(failed)?;
    Ok(Uint8Array::new(&plain).to_vec())
}
