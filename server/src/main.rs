//! `onair`: the OnAir origin server. See the `onair_server` crate for what it does.
//!
//! `onair inspect ...` runs the stream validator, the `onair-inspect` executable (crate `onair-inspect`,
//! which the server does not depend on), found beside this executable or else on `PATH`.

use std::ffi::{OsStr, OsString};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use tracing_subscriber::EnvFilter;

/// mimalloc rather than glibc's malloc: many small per-request allocations on two worker threads
/// (see the workspace `Cargo.toml`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// OnAir origin: streams API, uploads from the browser broadcaster, HLS playback and the web app.
/// Without a subcommand it serves; `onair inspect` debugs a stream.
#[derive(Debug, Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Inspect an init segment, a segment or part, or an HLS playlist (file or URL).
    ///
    /// Runs `onair-inspect` (beside onair, else on PATH) with these arguments: `onair inspect --help`
    /// lists its options.
    #[command(disable_help_flag = true)]
    Inspect {
        /// The arguments of `onair-inspect`, passed through.
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "ARGS"
        )]
        args: Vec<OsString>,
    },
}

/// The server's flags (the default command).
#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "ONAIR_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Directory for the database and the media files (created if missing).
    #[arg(long, env = "ONAIR_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Directory of the built web app.
    #[arg(long, env = "ONAIR_WEB_DIR", default_value = "dist")]
    web_dir: PathBuf,
    /// An IP-to-country MMDB file (for the viewers' countries); none: countries unknown.
    #[arg(long, env = "ONAIR_GEOIP_DB")]
    geoip_db: Option<PathBuf>,
    /// Comma-separated address ranges whose X-Forwarded-For is believed (a CDN, a cache in front).
    #[arg(
        long,
        env = "ONAIR_TRUSTED_PROXIES",
        default_value = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
    )]
    trusted_proxies: onair_server::audience::TrustedProxies,
    /// Days a recording is kept after its stream ended (none: until its owner deletes it).
    #[arg(long, env = "ONAIR_RETENTION_DAYS")]
    retention_days: Option<u64>,
    /// The ffmpeg that decodes live thumbnails of streams that send no snapshot (pushed by encoders);
    /// `none` turns that off.
    #[arg(long, env = "ONAIR_FFMPEG", default_value = "ffmpeg")]
    ffmpeg: PathBuf,
    /// Heights of the lower rungs the origin makes (with that ffmpeg) for a stream that sends one video
    /// rendition, those below the source's; `none` turns transcoding off.
    #[arg(long, env = "ONAIR_TRANSCODE_LADDER", default_value = "720,480,240", value_parser = parse_ladder)]
    transcode_ladder: Ladder,
    /// Streams transcoded at once (a stream that starts past it keeps its one rendition); default: half
    /// the CPU cores, at least one.
    #[arg(long, env = "ONAIR_MAX_TRANSCODES")]
    max_transcodes: Option<usize>,
}

/// `--transcode-ladder`: heights, or none.
#[derive(Debug, Clone)]
struct Ladder(Vec<u16>);

fn parse_ladder(raw: &str) -> Result<Ladder, String> {
    if raw.trim() == "none" || raw.trim().is_empty() {
        return Ok(Ladder(Vec::new()));
    }
    raw.split(',')
        .map(|h| {
            h.trim()
                .trim_end_matches('p')
                .parse::<u16>()
                .ok()
                .filter(|&h| (16..=4320).contains(&h))
                .ok_or_else(|| format!("{h:?} is not a height from 16 to 4320 (e.g. 720,480,240)"))
        })
        .collect::<Result<Vec<u16>, String>>()
        .map(Ladder)
}

fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    match args.command {
        Some(Command::Inspect { args }) => Ok(inspect(&args)),
        None => serve(args.serve),
    }
}

/// The validator's executable name.
const INSPECTOR: &str = "onair-inspect";

/// Runs `onair-inspect ARGS` (its output goes straight to ours) and answers its exit status; 2 with a word
/// on how to get it when there is none.
fn inspect(args: &[OsString]) -> ExitCode {
    let beside = std::env::current_exe().ok();
    let Some(program) = find_inspector(
        beside.as_deref().and_then(Path::parent),
        std::env::var_os("PATH").as_deref(),
    ) else {
        eprintln!(
            "onair inspect: no {INSPECTOR} executable beside {} or on PATH. Install it with \
             `cargo install --path inspect` (from a clone of OnAir), or build it beside onair with \
             `cargo build -p onair-inspect` (add --release for a release build).",
            beside
                .as_deref()
                .map_or_else(|| "onair".into(), |p| p.display().to_string())
        );
        return ExitCode::from(2);
    };
    match std::process::Command::new(&program).args(args).status() {
        // Killed by a signal: no code to pass on.
        Ok(status) => ExitCode::from(
            status
                .code()
                .and_then(|c| u8::try_from(c).ok())
                .unwrap_or(2),
        ),
        Err(e) => {
            eprintln!("onair inspect: cannot run {}: {e}", program.display());
            ExitCode::from(2)
        }
    }
}

/// `onair-inspect` in `beside` (this executable's directory), else in the first directory of `path` (a
/// `PATH` value) that has it.
fn find_inspector(beside: Option<&Path>, path: Option<&OsStr>) -> Option<PathBuf> {
    let name = format!("{INSPECTOR}{}", std::env::consts::EXE_SUFFIX);
    beside
        .map(Path::to_path_buf)
        .into_iter()
        .chain(path.map(std::env::split_paths).into_iter().flatten())
        .map(|dir| dir.join(&name))
        .find(|candidate| candidate.is_file())
}

/// Serves until ctrl-c or SIGTERM.
#[tokio::main]
async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = onair_server::Config {
        listen: args.listen,
        data_dir: args.data_dir,
        web_dir: args.web_dir,
        geoip_db: args.geoip_db,
        trusted_proxies: args.trusted_proxies,
        retention_days: args.retention_days,
        ffmpeg: (args.ffmpeg.as_os_str() != "none").then_some(args.ffmpeg),
        transcode: (!args.transcode_ladder.0.is_empty()).then(|| {
            let defaults = onair_server::transcode::TranscodeSettings::default();
            onair_server::transcode::TranscodeSettings {
                heights: args.transcode_ladder.0,
                max_running: args.max_transcodes.unwrap_or(defaults.max_running),
            }
        }),
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    onair_server::serve(listener, config).await?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inspector_is_found_beside_onair_before_path() {
        let dirs: Vec<tempfile::TempDir> = (0..3)
            .map(|_| tempfile::tempdir().expect("temp dir"))
            .collect();
        let [beside, on_path, empty] = [0, 1, 2].map(|i| dirs[i].path());
        let name = format!("{INSPECTOR}{}", std::env::consts::EXE_SUFFIX);
        std::fs::write(on_path.join(&name), "").expect("write");
        let path = std::env::join_paths([empty, on_path]).expect("PATH");

        assert_eq!(
            find_inspector(Some(beside), Some(&path)),
            Some(on_path.join(&name))
        );
        std::fs::write(beside.join(&name), "").expect("write");
        assert_eq!(
            find_inspector(Some(beside), Some(&path)),
            Some(beside.join(&name))
        );
        assert_eq!(find_inspector(Some(empty), None), None);
        assert_eq!(find_inspector(None, Some(empty.as_os_str())), None);
    }

    #[test]
    fn ladders_are_heights_or_none() {
        assert_eq!(
            parse_ladder("720,480p, 240").expect("ok").0,
            [720, 480, 240]
        );
        assert!(parse_ladder("none").expect("ok").0.is_empty());
        assert!(parse_ladder("720,big").is_err());
        assert!(parse_ladder("8").is_err());
    }

    #[test]
    fn inspect_passes_every_argument_through() {
        let args = Args::try_parse_from(["onair", "inspect", "--help", "--json", "x.m3u8"])
            .expect("parses");
        let Some(Command::Inspect { args }) = args.command else {
            panic!("not inspect: {args:?}");
        };
        assert_eq!(args, ["--help", "--json", "x.m3u8"]);
    }
}
