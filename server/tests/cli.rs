//! The `onair` command line: serving is the default command, and `onair inspect ARGS` runs the
//! `onair-inspect` executable beside `onair` or on PATH with ARGS, answering its exit status.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn decode(output: Output) -> (i32, String, String) {
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn serving_stays_the_default_command() {
    let output = Command::new(env!("CARGO_BIN_EXE_onair"))
        .arg("--help")
        .output()
        .expect("running onair");
    let (code, help, _) = decode(output);
    assert_eq!(code, 0);
    for flag in ["--listen", "--data-dir", "--web-dir", "inspect"] {
        assert!(help.contains(flag), "{flag} in {help}");
    }
}

/// `onair` alone in a directory of its own (a hard link, or a copy across file systems), so that no
/// `onair-inspect` built beside it in the target directory is found.
fn lone_onair(dir: &Path) -> PathBuf {
    let onair = dir.join(format!("onair{}", std::env::consts::EXE_SUFFIX));
    if std::fs::hard_link(env!("CARGO_BIN_EXE_onair"), &onair).is_err() {
        std::fs::copy(env!("CARGO_BIN_EXE_onair"), &onair).expect("copy onair");
    }
    onair
}

/// Runs `onair inspect ARGS` with this PATH. A script written just before may still be open in a child
/// another test thread forked ("text file busy"): that passes, so try again.
fn onair_inspect(onair: &Path, path: &Path, args: &[&str]) -> (i32, String, String) {
    for _ in 0..50 {
        match Command::new(onair)
            .arg("inspect")
            .args(args)
            .env("PATH", path)
            .output()
        {
            Ok(output) => return decode(output),
            Err(e) if e.raw_os_error() == Some(26) => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            Err(e) => panic!("running onair: {e}"),
        }
    }
    panic!("onair stayed busy")
}

#[cfg(unix)]
#[test]
fn inspect_runs_onair_inspect_with_the_arguments_and_its_exit_status() {
    use std::os::unix::fs::PermissionsExt as _;

    let home = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let bin = home.path().join("bin");
    let tools = home.path().join("tools");
    std::fs::create_dir_all(&bin).expect("mkdir");
    std::fs::create_dir_all(&tools).expect("mkdir");
    let onair = lone_onair(&bin);

    // None anywhere: exit 2 and how to get it.
    let (code, stdout, stderr) = onair_inspect(&onair, &tools, &["--help"]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("no onair-inspect executable"), "{stderr}");
    assert!(stderr.contains("cargo install --path inspect"), "{stderr}");
    assert!(stderr.contains("cargo build -p onair-inspect"), "{stderr}");

    // A stand-in on PATH gets every argument, --help included, and its exit status is onair's.
    let stand_in = |dir: &Path, name: &str, status: u8| {
        let script = dir.join("onair-inspect");
        std::fs::write(
            &script,
            format!("#!/bin/sh\necho \"{name}: $*\"\necho \"to stderr\" >&2\nexit {status}\n"),
        )
        .expect("write");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    };
    stand_in(&tools, "on path", 3);
    let (code, stdout, stderr) = onair_inspect(
        &onair,
        &tools,
        &["--help", "--json", "a b.m3u8", "--parts", "2"],
    );
    assert_eq!(code, 3);
    assert_eq!(stdout, "on path: --help --json a b.m3u8 --parts 2\n");
    assert_eq!(stderr, "to stderr\n");

    // One beside onair wins over PATH.
    stand_in(&bin, "beside", 0);
    let (code, stdout, _) = onair_inspect(&onair, &tools, &["x.mp4"]);
    assert_eq!(code, 0);
    assert_eq!(stdout, "beside: x.mp4\n");
}
