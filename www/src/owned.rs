//! The streams this browser created, kept in `localStorage` (`onair.owned`): each stream's id, title
//! and owner token, so that whoever went live finds their streams, recordings and analytics again at
//! `/dashboard` after a reload. There is no account: the token is the ownership, and it stays in this
//! browser (the Privacy page says so). An account system would keep the same list on the server.

use serde::{Deserialize, Serialize};

/// The `localStorage` key.
const KEY: &str = "onair.owned";

/// One stream this browser owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedStream {
    /// Its id.
    pub id: String,
    /// Its title when created (the dashboard shows the current one).
    pub title: String,
    /// The owner token.
    pub owner_token: String,
    /// Unix seconds of its creation.
    pub created_at: i64,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// Every stream owned here, newest first. Nothing when storage is off or holds junk.
pub fn load() -> Vec<OwnedStream> {
    storage()
        .and_then(|s| s.get_item(KEY).ok().flatten())
        .and_then(|text| serde_json::from_str::<Vec<OwnedStream>>(&text).ok())
        .unwrap_or_default()
}

fn save(streams: &[OwnedStream]) {
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(streams)) {
        let _ = storage.set_item(KEY, &text);
    }
}

/// Remembers a stream just created.
pub fn remember(stream: OwnedStream) {
    let mut streams = load();
    streams.retain(|s| s.id != stream.id);
    streams.insert(0, stream);
    save(&streams);
}

/// Forgets a stream (deleted, or gone from the server).
pub fn forget(id: &str) {
    let mut streams = load();
    streams.retain(|s| s.id != id);
    save(&streams);
}
