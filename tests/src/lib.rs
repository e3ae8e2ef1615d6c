//! # onair-tests
//!
//! Shared helpers for OnAir's end-to-end tests: the real server on an ephemeral loopback port (counting
//! the requests it answers, stoppable and restartable on the same data), headless Chromium driven over
//! WebDriver (chromedriver), ffmpeg pushing a live test source, ffprobe as an independent client, hls.js
//! from npm as the reference player, and nginx as a caching reverse proxy. Nothing here is a mock: each
//! helper starts or calls the real program, and fails loudly when it is missing.
//!
//! One module per job; everything is re-exported here, so tests write `use onair_tests::{...}`:
//! - [`server`]: [`TestServer`] (in this process) and the streams API calls;
//! - [`server_process`]: [`ServerProcess`], the release `onair` binary in a process of its own (the
//!   benchmarks measure it from `/proc`);
//! - [`browser`]: [`Browser`] (Chromium over chromedriver) and the web app's pages;
//! - [`cdp`]: Chromium's DevTools protocol through chromedriver (network throttling, scripts);
//! - [`hlsjs`]: hls.js's test page and the [`Browser`] methods that play with it;
//! - [`clock`]: the fake camera whose frames carry their number, and its readers;
//! - [`glass`]: glass-to-glass latency sessions ([`glass::ClockSession`]) and their figures;
//! - [`mod@ffmpeg`]: ffmpeg and ffprobe runs, [`FfmpegPush`];
//! - [`faults`]: [`faults::FaultProxy`], a proxy that answers errors on demand;
//! - [`nginx`]: [`NginxCache`] and its configuration [`NGINX_CONF`];
//! - [`waits`]: waiting for the origin over HTTP ([`wait_for_ok`], [`wait_for_segments`], ...);
//! - [`crowd`]: simulated viewers for the cache tests ([`Crowd`], [`resolve`]);
//! - [`fmp4`]: fragmented MP4 files read with OnAir's demuxer;
//! - [`inspect`]: `onair inspect` as the tests run it;
//! - [`paths`], [`process`]: where things are; free ports and graceful stops;
//! - [`recording`]: a recording downloaded as one MP4 file and read by ffprobe and ffmpeg;
//! - [`stats`]: percentiles, for the benchmarks and the latency figures;
//! - [`thumbnail`]: a stream's live thumbnail fetched and read with ffmpeg ([`wait_for_thumbnail`]).
//!
//! Fixture bytes (fMP4 made with OnAir's muxer) are not here: they are `onair_media::testing`, behind
//! the media crate's `testing` feature.
#![warn(missing_docs)]

pub mod browser;
pub mod cdp;
pub mod clock;
pub mod crowd;
pub mod faults;
pub mod ffmpeg;
pub mod fmp4;
pub mod glass;
pub mod hlsjs;
pub mod inspect;
pub mod nginx;
pub mod paths;
pub mod process;
pub mod recording;
pub mod server;
pub mod server_process;
pub mod stats;
pub mod thumbnail;
pub mod waits;

pub use browser::{
    ensure_watch_page_playing_on, watch_page_played_past, Browser, BrowserOptions, WATCH_PAGE_STATE,
};
pub use crowd::{resolve, Crowd};
pub use ffmpeg::{
    ffmpeg, ffprobe_json, fmp4_test_encode_args, write_subtitled_vod, FfmpegPush, TEST_SOURCE_FPS,
};
pub use fmp4::{demux_fmp4_file, ensure_segments_aligned, first_moof, segment_first_frame};
pub use hlsjs::{hlsjs_script, hlsjs_web_dir, HLSJS_PAGE, HLSJS_STATE};
pub use inspect::onair_inspect;
pub use nginx::{NginxCache, NGINX_CONF, NGINX_STATIC_CONF};
pub use paths::{artifacts_dir, web_dir, workspace_root};
pub use process::{free_port, pids_with_argument, terminate};
pub use recording::{download_recording, RecordingFile};
pub use server::{
    create_stream, create_stream_at, end_stream, AnsweredRequest, CreatedStream, RequestCounter,
    TestServer,
};
pub use server_process::ServerProcess;
pub use thumbnail::{wait_for_thumbnail, Picture};
pub use waits::{first_variant, get_multivariant, variant_shapes, wait_for_ok, wait_for_segments};
