//! The release `onair` binary in a process of its own ([`ServerProcess`]), as a user runs it: what the
//! benchmarks measure, its CPU time and memory read from `/proc/{pid}`. The tests use the in-process
//! [`crate::TestServer`] instead.

use anyhow::{bail, Context, Result};
use onair_protocol::paths;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::process::{free_port, terminate};
use crate::waits::wait_for_ok;

/// The server binary on an ephemeral loopback port with a fresh data directory and a one-page web
/// directory, its stdout and stderr in a log file; stopped with SIGTERM when dropped.
pub struct ServerProcess {
    /// Where it listens.
    pub addr: SocketAddr,
    child: Child,
    log: PathBuf,
}

impl ServerProcess {
    /// The release `onair` binary: `ONAIR_BIN`, else beside the running program (a benchmark's binary;
    /// both are built into `$CARGO_TARGET_DIR/release`).
    pub fn release_binary() -> Result<PathBuf> {
        if let Some(path) = std::env::var_os("ONAIR_BIN") {
            let path = PathBuf::from(path);
            if !path.is_file() {
                bail!("ONAIR_BIN={} is not a file", path.display());
            }
            return Ok(path);
        }
        let exe = std::env::current_exe().context("where is this benchmark's binary")?;
        let path = exe
            .parent()
            .context("this benchmark's binary has no folder")?
            .join("onair");
        if !path.is_file() {
            bail!(
                "no server binary at {}: build it first with `cargo build --release -p onair-server` (same CARGO_TARGET_DIR), or set ONAIR_BIN",
                path.display()
            );
        }
        Ok(path)
    }

    /// The binary's path and how old it is (a stale build is easy to benchmark by mistake).
    pub fn describe_binary(path: &Path) -> String {
        let age = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .map_or_else(String::new, |d| {
                format!(" (built {} min ago)", d.as_secs() / 60)
            });
        format!("{}{age}", path.display())
    }

    /// Starts `bin` with its data in `work/origin-data`, its web directory `work/origin-web` and its log
    /// `work/origin.log`, and waits (at most 20 s) until its API answers.
    pub async fn start(bin: &Path, work: &Path) -> Result<ServerProcess> {
        let data = work.join("origin-data");
        let web = work.join("origin-web");
        std::fs::create_dir_all(&data)?;
        std::fs::create_dir_all(&web)?;
        std::fs::write(
            web.join("index.html"),
            "<!doctype html><title>bench</title>",
        )?;
        let addr: SocketAddr = ([127, 0, 0, 1], free_port()?).into();
        let log = work.join("origin.log");
        let out = std::fs::File::create(&log)?;
        let err = out.try_clone()?;
        let child = Command::new(bin)
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--data-dir")
            .arg(&data)
            .arg("--web-dir")
            .arg(&web)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut origin = ServerProcess { addr, child, log };
        let ready = wait_for_ok(&origin.url(paths::STREAMS), Duration::from_secs(20)).await;
        if let Err(e) = ready {
            let exited = origin.child.try_wait().ok().flatten();
            bail!(
                "the origin did not answer ({e:#}; exited: {exited:?}); its log:\n{}",
                origin.log_tail(40)
            );
        }
        Ok(origin)
    }

    /// Its process id (for `/proc/{pid}`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `http://127.0.0.1:PORT` + path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The last lines of its log, without terminal colours.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = strip_ansi(&std::fs::read_to_string(&self.log).unwrap_or_default());
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

/// Text without ANSI escape sequences (`ESC [ ... letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for e in chars.by_ref() {
                if e.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(10));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_stripped() {
        assert_eq!(
            strip_ansi("\u{1b}[2mtime\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m x"),
            "time  INFO x"
        );
    }
}
