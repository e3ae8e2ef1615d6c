//! `onair inspect` as the tests run it: the server binary of this tree, its JSON report.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::paths::workspace_root;

/// Runs `onair inspect --json URL` (or a file) and answers its exit code and JSON report.
pub async fn onair_inspect(url: &str) -> Result<(i32, serde_json::Value)> {
    let bin = onair_binary()?;
    let output = tokio::process::Command::new(&bin)
        .args(["inspect", "--json", url])
        .output()
        .await
        .with_context(|| format!("running {}", bin.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = serde_json::from_str(&stdout).with_context(|| {
        format!(
            "onair inspect printed no JSON report: {stdout}\nstderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    Ok((output.status.code().unwrap_or(-1), report))
}

/// The server binary: `ONAIR_BIN`, else `onair` built now by `cargo build -p onair-server --bin onair`
/// into this test's target directory and profile (nothing to do when it is up to date), so the
/// inspector that runs is the one in this tree. For tests in `tests/tests/` (it finds the target
/// directory from the running test's own path).
pub fn onair_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("ONAIR_BIN") {
        return Ok(PathBuf::from(path));
    }
    // This test runs from `$CARGO_TARGET_DIR/{profile}/deps/`.
    let exe = std::env::current_exe().context("this test's own path")?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .context("this test's binary is not in a target directory")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let mut build = Command::new(cargo);
    build.current_dir(workspace_root()).args([
        "build",
        "--quiet",
        "-p",
        "onair-server",
        "--bin",
        "onair",
    ]);
    if let Some(target_dir) = profile_dir.parent() {
        build.env("CARGO_TARGET_DIR", target_dir);
    }
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let status = build.status().context("running cargo build")?;
    anyhow::ensure!(
        status.success(),
        "cargo build -p onair-server failed: {status}"
    );
    let path = profile_dir.join("onair");
    anyhow::ensure!(path.is_file(), "no server binary at {}", path.display());
    Ok(path)
}
