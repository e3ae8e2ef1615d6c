//! Reading inputs: local files and http(s) URLs, with timeouts and bounded body sizes. The only I/O of
//! `onair inspect`; everything else works on the bytes it returns.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Url;
use thiserror::Error;
use tokio::io::AsyncReadExt as _;

/// Why something could not be read.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum FetchError {
    /// A local file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The server answered, but not with a success.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// No answer: refused, unresolvable, reset, TLS failure.
    #[error("cannot reach {url}: {reason}")]
    Unreachable {
        /// The URL.
        url: String,
        /// What went wrong, most specific cause last.
        reason: String,
    },
    /// No complete answer in time.
    #[error("{url} timed out after {secs} s")]
    Timeout {
        /// The URL.
        url: String,
        /// The timeout.
        secs: u64,
    },
    /// The body is larger than allowed.
    #[error("{what} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The file or URL.
        what: String,
        /// The limit.
        limit: usize,
    },
    /// A reference that cannot be made into a URL.
    #[error("invalid URL {url}: {reason}")]
    BadUrl {
        /// The text.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Where an input is: a local file or an http(s) URL. Relative references in playlists resolve against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A local file.
    File(PathBuf),
    /// An `http://` or `https://` URL.
    Url(Url),
}

impl Source {
    /// A command-line argument: a URL when it starts with `http://` or `https://`, else a path.
    pub fn parse(text: &str) -> Result<Source, FetchError> {
        if is_url(text) {
            Url::parse(text)
                .map(Source::Url)
                .map_err(|e| FetchError::BadUrl {
                    url: text.to_string(),
                    reason: e.to_string(),
                })
        } else {
            Ok(Source::File(PathBuf::from(text)))
        }
    }

    /// The resource `reference` (a URI from a playlist) names, relative to this one.
    pub fn join(&self, reference: &str) -> Result<Source, FetchError> {
        let bad = |e: <Url as std::str::FromStr>::Err| FetchError::BadUrl {
            url: reference.to_string(),
            reason: e.to_string(),
        };
        match self {
            _ if is_url(reference) => Url::parse(reference).map(Source::Url).map_err(bad),
            Source::Url(base) => base.join(reference).map(Source::Url).map_err(bad),
            Source::File(path) => {
                // A playlist on disk names files beside it; a query string means nothing there.
                let relative = reference.split(['?', '#']).next().unwrap_or(reference);
                let dir = path.parent().unwrap_or(Path::new(""));
                Ok(Source::File(dir.join(relative)))
            }
        }
    }

    /// The last path segment (file name), if any.
    pub fn file_name(&self) -> Option<String> {
        match self {
            Source::File(p) => p.file_name().map(|n| n.to_string_lossy().into_owned()),
            Source::Url(u) => u
                .path_segments()
                .and_then(|mut s| s.next_back())
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        }
    }

    /// True for a URL.
    pub fn is_url(&self) -> bool {
        matches!(self, Source::Url(_))
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(p) => write!(f, "{}", p.display()),
            Source::Url(u) => write!(f, "{u}"),
        }
    }
}

fn is_url(text: &str) -> bool {
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// A fetched body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// The HTTP `Content-Type`, for URLs.
    pub content_type: Option<String>,
}

/// Reads files and URLs. One HTTP client (connection pool) for a whole run.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    timeout: Duration,
}

impl Fetcher {
    /// A fetcher whose requests each take at most `timeout` (connecting at most `timeout` too).
    pub fn new(timeout: Duration) -> Result<Fetcher, FetchError> {
        let client = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .user_agent(concat!("onair-inspect/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Unreachable {
                url: String::new(),
                reason: format!("cannot build the HTTP client: {}", causes(&e)),
            })?;
        Ok(Fetcher { client, timeout })
    }

    /// The whole body of `source`, failing past `limit` bytes without reading further.
    pub async fn get(&self, source: &Source, limit: usize) -> Result<Fetched, FetchError> {
        match source {
            Source::File(path) => read_file(path, limit).await,
            Source::Url(url) => self.get_url(url, limit).await,
        }
    }

    async fn get_url(&self, url: &Url, limit: usize) -> Result<Fetched, FetchError> {
        let name = url.to_string();
        let classify = |e: reqwest::Error| {
            if e.is_timeout() {
                FetchError::Timeout {
                    url: name.clone(),
                    secs: self.timeout.as_secs(),
                }
            } else {
                // reqwest's own message repeats the URL: its causes say what happened.
                let reason = match std::error::Error::source(&e) {
                    Some(source) => causes(source),
                    None => e.to_string(),
                };
                FetchError::Unreachable {
                    url: name.clone(),
                    reason,
                }
            }
        };
        let mut response = self
            .client
            .get(url.clone())
            .send()
            .await
            .map_err(classify)?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status {
                url: name,
                status: status.as_u16(),
            });
        }
        let too_large = || FetchError::TooLarge {
            what: name.clone(),
            limit,
        };
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if bytes.len() + chunk.len() > limit {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            bytes,
            content_type,
        })
    }
}

async fn read_file(path: &Path, limit: usize) -> Result<Fetched, FetchError> {
    let name = path.display().to_string();
    let read_error = |source| FetchError::Read {
        path: name.clone(),
        source,
    };
    let file = tokio::fs::File::open(path).await.map_err(read_error)?;
    let mut bytes = Vec::new();
    // One byte more than allowed tells "exactly at the limit" from "over it" without reading it all.
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(read_error)?;
    if bytes.len() > limit {
        return Err(FetchError::TooLarge { what: name, limit });
    }
    Ok(Fetched {
        bytes,
        content_type: None,
    })
}

/// An error and its causes, outermost first: "error sending request: ... Connection refused".
fn causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_against_files_and_urls() {
        let cases = [
            ("out/index.m3u8", "seg1.m4s", "out/seg1.m4s"),
            ("out/index.m3u8", "v0/index.m3u8?x=1", "out/v0/index.m3u8"),
            ("index.m3u8", "init.mp4", "init.mp4"),
            (
                "out/index.m3u8",
                "https://cdn.example/a.m4s",
                "https://cdn.example/a.m4s",
            ),
            (
                "http://127.0.0.1:8080/live/x/index.m3u8",
                "0/index.m3u8",
                "http://127.0.0.1:8080/live/x/0/index.m3u8",
            ),
            (
                "http://127.0.0.1:8080/live/x/0/index.m3u8",
                "../1/index.m3u8",
                "http://127.0.0.1:8080/live/x/1/index.m3u8",
            ),
            (
                "http://h/a/index.m3u8?token=1",
                "/b/seg.m4s",
                "http://h/b/seg.m4s",
            ),
        ];
        for (base, reference, expected) in cases {
            let joined = Source::parse(base)
                .and_then(|b| b.join(reference))
                .map(|s| s.to_string());
            assert_eq!(
                joined.ok().as_deref(),
                Some(expected),
                "{base} + {reference}"
            );
        }
    }

    #[test]
    fn file_names() {
        let cases = [
            ("out/seg1.m4s", Some("seg1.m4s")),
            ("http://h/a/seg1.m4s?x", Some("seg1.m4s")),
            ("http://h/", None),
        ];
        for (text, name) in cases {
            let source = Source::parse(text).expect("valid");
            assert_eq!(source.file_name().as_deref(), name, "{text}");
        }
        assert!(Source::parse("HTTPS://h/x").expect("valid").is_url());
        assert!(Source::parse("http://[::1").is_err());
    }

    #[tokio::test]
    async fn files_are_bounded() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("f.bin");
        std::fs::write(&path, [7u8; 100]).expect("write");
        let fetcher = Fetcher::new(Duration::from_secs(1)).expect("client");
        let source = Source::File(path);
        let ok = fetcher.get(&source, 100).await.expect("at the limit");
        assert_eq!(ok.bytes.len(), 100);
        assert!(matches!(
            fetcher.get(&source, 99).await,
            Err(FetchError::TooLarge { limit: 99, .. })
        ));
        let missing = Source::File(dir.path().join("nope"));
        let err = fetcher.get(&missing, 10).await.expect_err("missing");
        assert!(err.to_string().starts_with("cannot read "), "{err}");
    }

    #[tokio::test]
    async fn unreachable_servers_say_so() {
        // Bind and drop a listener: its port is very likely closed now.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("ephemeral port");
        let fetcher = Fetcher::new(Duration::from_secs(2)).expect("client");
        let source = Source::parse(&format!("http://127.0.0.1:{port}/index.m3u8")).expect("url");
        let err = fetcher.get(&source, 10).await.expect_err("refused");
        let text = err.to_string();
        assert!(text.starts_with("cannot reach http://127.0.0.1:"), "{text}");
        assert!(text.to_lowercase().contains("refused"), "{text}");
    }
}
