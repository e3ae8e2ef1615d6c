//! Renditions and stream states for the transcoder's unit tests, made through the upload rules.

use std::collections::BTreeMap;
use std::time::UNIX_EPOCH;

use bytes::Bytes;
use onair_media::testing::{av_init_bytes, av_part, av_segment, PART_SECS};
use onair_media::Limits;
use tokio::time::Instant;

use crate::live::{InitCheck, PartCheck, Rendition, SegmentCheck, StreamState};
use crate::names::{RenditionName, StreamId};
use crate::store::{StreamRecord, StreamStatus};

/// A rendition with the fixtures' video + audio init segment (1280x720 H.264, Opus).
pub fn with_init() -> Rendition {
    let mut r = Rendition::default();
    let bytes = av_init_bytes();
    if let Ok(InitCheck::Store(parsed)) = r.check_init(&bytes) {
        r.apply_init(parsed, Bytes::from(bytes), UNIX_EPOCH);
    }
    r
}

/// Accepts the fixtures' segment `msn` (2 s) whole.
pub fn segment(r: &mut Rendition, msn: u64) {
    let data = av_segment(msn);
    match r.check_segment(msn, &data, &Limits::default(), UNIX_EPOCH) {
        Ok(SegmentCheck::New(accepted)) => r.apply_segment(accepted),
        other => panic!("segment {msn}: {other:?}"),
    }
}

/// Accepts the fixtures' part `index` of segment `msn`; returns its bytes.
pub fn part(r: &mut Rendition, msn: u64, index: u64) -> Bytes {
    let data = av_part(msn, index, None);
    let check = r.check_part(
        msn,
        index as u32,
        PART_SECS,
        &data,
        &Limits::default(),
        UNIX_EPOCH,
    );
    match check {
        Ok(PartCheck::New(accepted)) => r.apply_part(*accepted),
        other => panic!("part {msn}.{index}: {other:?}"),
    }
    Bytes::from(data)
}

/// A live stream with these renditions.
pub fn state(renditions: Vec<(&str, Rendition)>) -> StreamState {
    StreamState {
        record: StreamRecord {
            id: StreamId::parse("abcdefghij").expect("id"),
            title: "t".into(),
            description: String::new(),
            tags: Vec::new(),
            category: None,
            status: StreamStatus::Live,
            created_at: 0,
            started_at: None,
            ended_at: None,
        },
        renditions: renditions
            .into_iter()
            .map(|(name, r)| (RenditionName::parse(name).expect("name"), r))
            .collect::<BTreeMap<_, _>>(),
        last_activity: Instant::now(),
        changed_at: UNIX_EPOCH,
        version: 0,
        rungs_pending: false,
        rungs_stopped: false,
    }
}
