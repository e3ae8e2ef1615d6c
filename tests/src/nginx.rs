//! Debian's nginx in front of an origin ([`NginxCache`], configured by [`NGINX_CONF`]) or as a static
//! file server, each on an ephemeral loopback port with its files in a temporary directory.

use anyhow::{bail, Context, Result};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{free_port, terminate};

/// nginx from Debian as a caching reverse proxy (`proxy_cache`) in front of an origin, run as
/// `nginx -p TMP -c TMP/nginx.conf -g 'daemon off;'` on an ephemeral loopback port with its pid, logs and
/// cache in TMP. Stopped (SIGTERM) when dropped. [`NginxCache::start_static`] runs it as a static file
/// server instead, for comparisons with the origin.
pub struct NginxCache {
    /// Where it listens.
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

/// The nginx configuration of [`NginxCache`]: `{dir}`, `{port}` and `{origin}` are filled in.
///
/// The cache follows the origin's `Cache-Control` (no `proxy_cache_valid`), collapses concurrent misses
/// into one origin request (`proxy_cache_lock`), and serves a stale playlist while one request refreshes
/// it (`proxy_cache_use_stale updating`, `proxy_cache_background_update`).
pub const NGINX_CONF: &str = r#"worker_processes 1;
error_log {dir}/error.log warn;
pid {dir}/nginx.pid;
events { worker_connections 1024; }
http {
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy_temp;
    fastcgi_temp_path {dir}/fastcgi_temp;
    uwsgi_temp_path {dir}/uwsgi_temp;
    scgi_temp_path {dir}/scgi_temp;
    proxy_cache_path {dir}/cache levels=1:2 keys_zone=onair:10m max_size=512m inactive=10m use_temp_path=off;
    upstream origin {
        server {origin};
        keepalive 16;
    }
    server {
        listen 127.0.0.1:{port};
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache onair;
            proxy_cache_lock on;
            proxy_cache_lock_timeout 10s;
            proxy_cache_lock_age 10s;
            proxy_cache_use_stale updating error timeout;
            proxy_cache_background_update on;
            proxy_cache_revalidate on;
            add_header X-Cache-Status $upstream_cache_status always;
        }
    }
}
"#;

/// nginx as a static file server over `{dir}/www` ([`NginxCache::start_static`]), tuned as one would for
/// segments: `sendfile`, no access log (the origin logs no requests either), keep-alive connections that
/// are never cut short (nginx closes one after 1000 requests by default), one worker per core. `{dir}`
/// and `{port}` are filled in.
pub const NGINX_STATIC_CONF: &str = r#"worker_processes auto;
error_log {dir}/error.log warn;
pid {dir}/nginx.pid;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy_temp;
    fastcgi_temp_path {dir}/fastcgi_temp;
    uwsgi_temp_path {dir}/uwsgi_temp;
    scgi_temp_path {dir}/scgi_temp;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 120s;
    keepalive_requests 100000000;
    types { video/iso.segment m4s; video/mp4 mp4; }
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:{port} backlog=8192;
        root {dir}/www;
        location / { }
    }
}
"#;

/// What [`NginxCache::start_static_cors`] puts in [`NGINX_STATIC_CONF`]'s place: HLS types, and the
/// headers a player on another origin needs (any origin, `Range` allowed, the answers' lengths
/// readable, preflights answered), with every answer revalidated (a live playlist changes).
const CORS_TYPES: &str =
    "types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; video/iso.segment m4s; \
     video/mp4 mp4; text/html html; text/javascript js; }";
const CORS_LOCATION: &str = r#"location / {
            add_header Access-Control-Allow-Origin * always;
            add_header Access-Control-Allow-Headers Range always;
            add_header Access-Control-Expose-Headers "Content-Length, Content-Range" always;
            add_header Cache-Control no-cache always;
            if ($request_method = OPTIONS) { return 204; }
        }"#;

impl NginxCache {
    /// Starts nginx in front of `origin` and waits until it answers.
    pub async fn start(origin: SocketAddr) -> Result<NginxCache> {
        Self::start_conf(&NGINX_CONF.replace("{origin}", &origin.to_string())).await
    }

    /// Starts nginx as a static file server ([`NGINX_STATIC_CONF`]) over [`NginxCache::www`], which
    /// starts empty, and waits until it answers.
    pub async fn start_static() -> Result<NginxCache> {
        Self::start_conf(NGINX_STATIC_CONF).await
    }

    /// [`NginxCache::start_static`] for players on other origins: CORS headers, HLS content types.
    pub async fn start_static_cors() -> Result<NginxCache> {
        let conf = NGINX_STATIC_CONF
            .replace(
                "types { video/iso.segment m4s; video/mp4 mp4; }",
                CORS_TYPES,
            )
            .replace("location / { }", CORS_LOCATION);
        anyhow::ensure!(
            conf.contains("Access-Control-Allow-Origin") && conf.contains("mpegurl"),
            "NGINX_STATIC_CONF changed: update start_static_cors"
        );
        Self::start_conf(&conf).await
    }

    /// Starts nginx the same way with another configuration (e.g. a static file server over
    /// `{dir}/www`), `{dir}` (its temporary directory, see [`NginxCache::dir`]) and `{port}` filled in,
    /// and waits until it answers.
    pub async fn start_conf(conf_template: &str) -> Result<NginxCache> {
        let dir = tempfile::tempdir()?;
        // nginx's workers drop root for `nobody`: let them into the directory.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
        }
        let port = free_port()?;
        let conf = conf_template
            .replace("{dir}", &dir.path().display().to_string())
            .replace("{port}", &port.to_string());
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, conf)?;
        let child = Command::new("nginx")
            .arg("-p")
            .arg(dir.path())
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .arg("-c")
            .arg(&conf_path)
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting nginx (apt-get install nginx)")?;
        let mut nginx = NginxCache { port, dir, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = nginx.child.try_wait()? {
                bail!("nginx exited ({status}): {}", nginx.error_log());
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(nginx);
            }
            if Instant::now() > deadline {
                bail!("nginx did not listen within 10 s: {}", nginx.error_log());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `http://127.0.0.1:PORT` + path.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// Its temporary directory (`{dir}` in the configuration).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The root of [`NginxCache::start_static`]'s files (`{dir}/www`): a request for `/a/b` is answered
    /// with `www/a/b`.
    pub fn www(&self) -> PathBuf {
        self.dir.path().join("www")
    }

    /// The master process's id (its workers are its children).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// nginx's error log so far.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    /// nginx's access log so far.
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }
}

impl Drop for NginxCache {
    fn drop(&mut self) {
        // SIGTERM lets the master take its workers down with it (a SIGKILL would orphan them).
        terminate(&mut self.child, Duration::from_secs(5));
    }
}
