//! `onair`: the OnAir origin server. See the `onair_server` crate for what it does.

use std::net::SocketAddr;
use std::path::PathBuf;
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
    Inspect(onair_server::inspect::InspectArgs),
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
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    if let Some(Command::Inspect(inspect)) = args.command {
        return Ok(onair_server::inspect::run(inspect).await);
    }
    let args = args.serve;
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = onair_server::Config {
        listen: args.listen,
        data_dir: args.data_dir,
        web_dir: args.web_dir,
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    onair_server::serve(listener, config).await?;
    Ok(ExitCode::SUCCESS)
}
