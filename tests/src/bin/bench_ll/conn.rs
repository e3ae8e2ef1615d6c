//! The load generator's HTTP/1.1 client: one keep-alive connection ([`Conn`]), opened on first use and
//! again after the server closes it or a request fails, with a timeout on every request.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::time::Duration;

/// A request that has no answer after this long counts as a timeout (the server answers a blocking
/// reload with 503 after three target durations, 6 s).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a request failed (no answer at all).
#[derive(Debug)]
pub enum Fail {
    Connect(std::io::ErrorKind),
    Timeout,
    Http(String),
}

impl std::fmt::Display for Fail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fail::Connect(kind) => write!(f, "connect: {kind}"),
            Fail::Timeout => write!(f, "timeout ({} s)", REQUEST_TIMEOUT.as_secs()),
            Fail::Http(e) => write!(f, "{e}"),
        }
    }
}

/// An answer: the status, and the body (kept, or only counted).
pub struct Reply {
    pub status: StatusCode,
    pub body: Bytes,
    pub len: u64,
}

/// One HTTP/1.1 connection, opened on first use and again after the server closes it or a request fails.
pub struct Conn {
    addr: SocketAddr,
    host: String,
    sender: Option<SendRequest<Full<Bytes>>>,
    /// Connections opened.
    pub opened: u64,
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Conn {
        Conn {
            addr,
            host: addr.to_string(),
            sender: None,
            opened: 0,
        }
    }

    pub async fn get(&mut self, path: &str, keep_body: bool) -> Result<Reply, Fail> {
        self.send(Method::GET, path, &[], Bytes::new(), keep_body)
            .await
    }

    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
        keep_body: bool,
    ) -> Result<Reply, Fail> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &self.host);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(body))
            .map_err(|e| Fail::Http(format!("building the request: {e}")))?;
        let result = tokio::time::timeout(REQUEST_TIMEOUT, self.exchange(request, keep_body)).await;
        match result {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(e)) => {
                self.sender = None;
                Err(e)
            }
            Err(_) => {
                self.sender = None;
                Err(Fail::Timeout)
            }
        }
    }

    async fn exchange(
        &mut self,
        request: Request<Full<Bytes>>,
        keep_body: bool,
    ) -> Result<Reply, Fail> {
        if self.sender.as_ref().is_none_or(SendRequest::is_closed) {
            self.sender = Some(self.connect().await?);
        }
        let sender = self
            .sender
            .as_mut()
            .ok_or_else(|| Fail::Http("no connection".into()))?;
        sender
            .ready()
            .await
            .map_err(|e| Fail::Http(e.to_string()))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| Fail::Http(e.to_string()))?;
        let status = response.status();
        let mut body = response.into_body();
        if keep_body {
            let bytes = body
                .collect()
                .await
                .map_err(|e| Fail::Http(format!("body: {e}")))?
                .to_bytes();
            let len = bytes.len() as u64;
            return Ok(Reply {
                status,
                body: bytes,
                len,
            });
        }
        let mut len = 0u64;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| Fail::Http(format!("body: {e}")))?;
            if let Some(data) = frame.data_ref() {
                len += data.len() as u64;
            }
        }
        Ok(Reply {
            status,
            body: Bytes::new(),
            len,
        })
    }

    async fn connect(&mut self) -> Result<SendRequest<Full<Bytes>>, Fail> {
        let stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .map_err(|e| Fail::Connect(e.kind()))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| Fail::Http(format!("handshake: {e}")))?;
        tokio::spawn(async move {
            // Ends when the connection closes; a failure shows up in the request that was on it.
            let _ = connection.await;
        });
        self.opened += 1;
        Ok(sender)
    }
}
