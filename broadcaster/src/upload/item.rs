//! What an upload is: the init segment, a part or the end of the stream, with its method, content type
//! and body.

use onair_media::PartChunk;

/// What an upload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadKind {
    /// `PUT .../init.mp4`.
    Init,
    /// `PUT .../parts/{msn}.{index}.m4s`.
    Part {
        /// Media sequence number of the segment it belongs to.
        msn: u64,
        /// Its index within that segment (0, 1, 2, ...).
        index: u32,
    },
    /// `POST .../end`, always last.
    End,
}

impl UploadKind {
    /// The HTTP method.
    pub fn method(self) -> &'static str {
        match self {
            Self::Init | Self::Part { .. } => "PUT",
            Self::End => "POST",
        }
    }

    /// The request's `Content-Type`, if it has a body.
    pub fn content_type(self) -> Option<&'static str> {
        match self {
            Self::Init => Some("video/mp4"),
            Self::Part { .. } => Some("video/iso.segment"),
            Self::End => None,
        }
    }

    /// The segment a part belongs to.
    pub fn msn(self) -> Option<u64> {
        match self {
            Self::Part { msn, .. } => Some(msn),
            Self::Init | Self::End => None,
        }
    }
}

impl std::fmt::Display for UploadKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Init => f.write_str("init segment"),
            Self::Part { msn, index } => write!(f, "part {msn}.{index}"),
            Self::End => f.write_str("end of stream"),
        }
    }
}

/// One request waiting to be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadItem {
    /// What it is.
    pub kind: UploadKind,
    /// The body (empty for [`UploadKind::End`]).
    pub body: Vec<u8>,
    /// Media it carries, in seconds (0 but for parts); what the backlog is measured in.
    pub duration_secs: f64,
}

impl UploadItem {
    /// The init segment.
    pub fn init(body: Vec<u8>) -> Self {
        Self {
            kind: UploadKind::Init,
            body,
            duration_secs: 0.0,
        }
    }

    /// A part as the segmenter produced it.
    pub fn part(part: PartChunk) -> Self {
        Self {
            kind: UploadKind::Part {
                msn: part.sequence,
                index: part.index,
            },
            body: part.data,
            duration_secs: part.duration_secs,
        }
    }

    /// The end of the stream.
    pub fn end() -> Self {
        Self {
            kind: UploadKind::End,
            body: Vec::new(),
            duration_secs: 0.0,
        }
    }
}
