//! Where things are: the workspace, the artifacts a person looks at, the built web app.

use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

/// The workspace root (the folder with the root `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Where tests put what a person should look at: screenshots and logs (`tests/artifacts/`).
pub fn artifacts_dir() -> PathBuf {
    let dir = workspace_root().join("tests").join("artifacts");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// The built web app: `ONAIR_WEB_DIR`, else `dist/` at the workspace root. The README's test command
/// builds it first with `trunk build`.
pub fn web_dir() -> Result<PathBuf> {
    let dir = std::env::var_os("ONAIR_WEB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("dist"));
    if !dir.join("index.html").is_file() {
        bail!(
            "the web app is not built: {} has no index.html (run `bash scripts/build-web.sh` or the README's test command)",
            dir.display()
        );
    }
    Ok(dir)
}

/// The free IP-to-country MMDB file `scripts/setup.sh` installs (`@ip-location-db/geo-whois-asn-country-mmdb`),
/// which every [`crate::TestServer`] reads when it is there. The tests of viewers' countries fail
/// without it.
pub fn geoip_db() -> PathBuf {
    workspace_root().join(
        "scripts/geoip/node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb",
    )
}
