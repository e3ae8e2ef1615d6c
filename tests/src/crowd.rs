//! Simulated viewers, for the cache tests: many clients at once ([`Crowd`]), each resolving a
//! playlist's URIs as a player does ([`resolve`]).

use anyhow::{Context, Result};
use std::future::Future;
use tokio::task::JoinHandle;

/// Viewers running at once, one tokio task each.
pub struct Crowd<T> {
    viewers: Vec<JoinHandle<T>>,
}

impl<T: Send + 'static> Crowd<T> {
    /// Starts `viewers` viewers, each running the future `watch` makes for it.
    pub fn spawn<F>(viewers: usize, mut watch: impl FnMut() -> F) -> Crowd<T>
    where
        F: Future<Output = T> + Send + 'static,
    {
        Crowd {
            viewers: (0..viewers).map(|_| tokio::spawn(watch())).collect(),
        }
    }

    /// Waits for every viewer to finish, and answers what each one returned, in the order they started.
    pub async fn join(self) -> Result<Vec<T>> {
        let mut done = Vec::with_capacity(self.viewers.len());
        for viewer in self.viewers {
            done.push(viewer.await.context("a viewer task failed")?);
        }
        Ok(done)
    }
}

/// The URL of `uri` as listed in the playlist at `playlist_url`: relative to the playlist's folder,
/// unless it is a URL itself.
pub fn resolve(playlist_url: &str, uri: &str) -> String {
    if uri.contains("://") {
        return uri.to_owned();
    }
    let folder = playlist_url
        .rsplit_once('/')
        .map_or("", |(folder, _)| folder);
    format!("{folder}/{uri}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_resolve_against_the_playlist_folder() {
        let playlist = "http://127.0.0.1:1/live/abc/r0/index.m3u8";
        assert_eq!(
            resolve(playlist, "3.1.m4s"),
            "http://127.0.0.1:1/live/abc/r0/3.1.m4s"
        );
        assert_eq!(resolve(playlist, "http://cdn/x.m4s"), "http://cdn/x.m4s");
    }
}
