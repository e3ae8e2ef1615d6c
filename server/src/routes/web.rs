//! The built web app from `--web-dir`, with the single-page-app fallback: any path that is not a file
//! (`/`, `/go-live`, `/watch/{id}`, ...) gets `index.html`, and the app's router takes it from there.

use std::path::Path;

use tower::Layer;
use tower_http::compression::{Compression, CompressionLayer};
use tower_http::services::{ServeDir, ServeFile};

/// Name of the web app's entry page.
pub const INDEX_FILE_NAME: &str = "index.html";

/// Static files under `web_dir`, falling back to `web_dir/index.html` (status 200), gzipped for a
/// client that accepts it: the app's wasm is 1.2 MB raw and 0.42 MB gzipped, which on a 4 Mbit/s link
/// is 2.5 s against 0.8 s before the first frame of a stream can load.
///
/// A file's `.gz` sibling (the build scripts write them with `gzip -9 -k`) is sent as it is; a file
/// without one is compressed per request, which costs the server about a second of CPU for the wasm in
/// a debug build, so the siblings matter for start-up time, not only for CPU.
pub fn service(web_dir: &Path) -> Compression<ServeDir<ServeFile>> {
    CompressionLayer::new().gzip(true).layer(
        ServeDir::new(web_dir)
            .precompressed_gzip()
            .append_index_html_on_directories(true)
            .fallback(ServeFile::new(web_dir.join(INDEX_FILE_NAME)).precompressed_gzip()),
    )
}
