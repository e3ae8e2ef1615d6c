//! The engine against a simulated Low-Latency HLS origin (a mock loader that holds blocking reloads and
//! hinted parts until they exist) and a mock media element (buffered ranges from what was appended, a
//! clock that plays at `playbackRate`).

use std::collections::{BTreeMap, HashMap};

use onair_media::playlist::{
    MediaPlaylist, Part, PlaylistSegment, PreloadHint, PreloadHintType, RenditionReport,
    ServerControl,
};

use super::*;
use crate::config::PlayerConfig;
use crate::error::PlayerError;
use onair_media::testing;

mod formats;
mod seeking;

const PART: f64 = 1.0 / 3.0;
const PARTS_PER_SEGMENT: u64 = 3;
const WINDOW: u64 = 8;

/// A live origin making `levels` aligned renditions from time 0: one part every [`PART`] seconds.
struct Origin {
    levels: Vec<u64>,
    /// Seconds of media made before the simulation starts.
    head_start: f64,
    /// Requests answered with this status while it is set.
    fail_with: Option<u16>,
    offline: bool,
    /// Media time jumps back to 0 from this segment on (a restarted encoder), with a discontinuity.
    restart_at: Option<u64>,
    /// The playlists hint the next init (`EXT-X-PRELOAD-HINT:TYPE=MAP`) instead of the next part.
    map_hint: bool,
    /// The first request for a path ending so is answered 500 (later ones normally).
    fail_once: Option<String>,
}

impl Origin {
    fn parts_made(&self, now: f64) -> u64 {
        ((now / 1000.0 + self.head_start) / PART).floor() as u64
    }

    fn start_secs(&self, msn: u64, part: u64) -> f64 {
        let msn = match self.restart_at {
            Some(r) if msn >= r => msn - r,
            _ => msn,
        };
        (msn * PARTS_PER_SEGMENT + part) as f64 * PART
    }

    fn playlist(&self, level: usize, now: f64) -> MediaPlaylist {
        let made = self.parts_made(now);
        let complete = made / PARTS_PER_SEGMENT;
        let trailing = made % PARTS_PER_SEGMENT;
        let first = complete.saturating_sub(WINDOW);
        let part = |msn: u64, i: u64| Part {
            uri: format!("{msn}.{i}.m4s"),
            duration_secs: PART,
            independent: i == 0,
            gap: false,
        };
        MediaPlaylist {
            target_duration: 1,
            media_sequence: first,
            map_uri: "init.mp4".into(),
            segments: (first..complete)
                .map(|msn| PlaylistSegment {
                    uri: format!("{msn}.m4s"),
                    duration_secs: PART * PARTS_PER_SEGMENT as f64,
                    discontinuity: self.restart_at == Some(msn),
                    parts: if msn + 3 >= complete {
                        (0..PARTS_PER_SEGMENT).map(|i| part(msn, i)).collect()
                    } else {
                        Vec::new()
                    },
                    ..Default::default()
                })
                .collect(),
            part_target: Some(PART),
            server_control: Some(ServerControl {
                can_block_reload: true,
                can_skip_until: None,
                hold_back: None,
                part_hold_back: Some(3.0 * PART),
            }),
            trailing_parts: (0..trailing).map(|i| part(complete, i)).collect(),
            preload_hint: Some(if self.map_hint {
                PreloadHint {
                    hint_type: PreloadHintType::Map,
                    uri: "init-next.mp4".into(),
                }
            } else {
                PreloadHint {
                    hint_type: PreloadHintType::Part,
                    uri: format!("{complete}.{trailing}.m4s"),
                }
            }),
            rendition_reports: (0..self.levels.len())
                .filter(|l| *l != level)
                .map(|l| RenditionReport {
                    uri: format!("../r{l}/index.m3u8"),
                    last_msn: Some(complete),
                    last_part: trailing.checked_sub(1),
                })
                .collect(),
            ..Default::default()
        }
    }

    /// When `path` exists (ms), and its bytes.
    fn resource(&self, path: &str, now: f64) -> Result<(f64, Vec<u8>), u16> {
        let (dir, rest) = path.split_once('/').ok_or(404u16)?;
        let level: usize = dir
            .strip_prefix('r')
            .and_then(|l| l.parse().ok())
            .ok_or(404u16)?;
        let bitrate = *self.levels.get(level).ok_or(404u16)?;
        let (file, query) = rest.split_once('?').unwrap_or((rest, ""));
        if file == "index.m3u8" {
            let q: BTreeMap<&str, &str> = query
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .collect();
            let msn: Option<u64> = q.get("_HLS_msn").and_then(|m| m.parse().ok());
            let part: u64 = q.get("_HLS_part").and_then(|p| p.parse().ok()).unwrap_or(0);
            let at = match msn {
                // Exists once part `part` of `msn` was made.
                Some(m) => {
                    ((m * PARTS_PER_SEGMENT + part + 1) as f64 * PART - self.head_start) * 1000.0
                }
                None => now,
            };
            let at = at.max(now);
            return Ok((at, self.playlist(level, at).render().into_bytes()));
        }
        if file == "init.mp4" || file == "init-next.mp4" {
            let init = onair_media::InitSegment {
                tracks: vec![testing::video_track()],
            };
            return Ok((now, testing::init_bytes(&init)));
        }
        let name = file.strip_suffix(".m4s").ok_or(404u16)?;
        let mut it = name.split('.');
        let msn: u64 = it.next().and_then(|m| m.parse().ok()).ok_or(404u16)?;
        let part: Option<u64> = it.next().and_then(|p| p.parse().ok());
        let (index, duration) = match part {
            Some(p) => (msn * PARTS_PER_SEGMENT + p, PART),
            None => (msn * PARTS_PER_SEGMENT + PARTS_PER_SEGMENT - 1, PART * 3.0),
        };
        let ready = ((index + 1) as f64 * PART - self.head_start) * 1000.0;
        // A hinted part is held until made; a part further ahead is 404.
        if ready > now + PART * 1000.0 + 1.0 {
            return Err(404);
        }
        let start = self.start_secs(msn, part.unwrap_or(0));
        let size = (bitrate as f64 * duration / 8.0) as usize;
        Ok((ready.max(now), media_bytes(index, start, duration, size)))
    }
}

/// A real fMP4 fragment of one video track: 30 frames per second from `start`, `size` bytes in all.
fn media_bytes(index: u64, start: f64, duration: f64, size: usize) -> Vec<u8> {
    let frames = ((duration * 30.0).round() as usize).max(1);
    let per_frame = (size / frames).max(8);
    let fragment = onair_media::TrackFragment {
        track_id: testing::VIDEO_ID,
        base_decode_time: (start * 90_000.0).round() as u64,
        samples: (0..frames)
            .map(|i| onair_media::Sample {
                duration: 3_000,
                cts_offset: 0,
                keyframe: i == 0,
                data: vec![if i == 0 { 0x65 } else { 0x41 }; per_frame],
            })
            .collect(),
    };
    testing::fragment(index, &[fragment])
}

/// `data` cut into its init segment and fragments: a new piece begins at `ftyp`, `styp`, `prft` or
/// `moof` once the current one holds an `mdat` or a `moov`.
fn split_segments(data: &[u8]) -> Vec<&[u8]> {
    let mut pieces = Vec::new();
    let (mut start, mut at, mut closed) = (0usize, 0usize, false);
    while at + 8 <= data.len() {
        let size = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
        let kind = &data[at + 4..at + 8];
        if closed && matches!(kind, b"ftyp" | b"styp" | b"prft" | b"moof") {
            pieces.push(&data[start..at]);
            start = at;
            closed = false;
        }
        closed |= matches!(kind, b"mdat" | b"moov");
        at += size.max(8);
    }
    pieces.push(&data[start..]);
    pieces
}

/// The `<video>` element: buffered ranges per track from what was appended.
#[derive(Default)]
struct Media {
    current_time: f64,
    playing: bool,
    rate: f64,
    tracks: HashMap<TrackKind, Vec<(f64, f64)>>,
    offsets: HashMap<TrackKind, f64>,
    init: Option<onair_media::InitSegment>,
    seeks: u32,
    stalled_ms: f64,
    /// Seeking, as the element is until media at `current_time` is buffered (and, as in a browser,
    /// at least until one snapshot said so: the `seeking` event's).
    seeking: bool,
    seeking_reported: bool,
}

impl Media {
    /// One `appendBuffer`: an init segment and fragments in any mix, as MSE takes them.
    fn append(&mut self, track: TrackKind, data: &[u8]) {
        for piece in split_segments(data) {
            self.append_one(track, piece);
        }
    }

    fn append_one(&mut self, track: TrackKind, data: &[u8]) {
        if let Ok(init) = onair_media::parse_init(data) {
            self.init = Some(init);
            return;
        }
        let init = self.init.as_ref().expect("an init segment before media");
        let segment = onair_media::parse_segment(init, data, &Default::default())
            .expect("a whole fragment in this simulation");
        let (start, duration) = (segment.start_secs(init), segment.duration_secs(init));
        let offset = self.offsets.get(&track).copied().unwrap_or(0.0);
        let (s, e) = (start + offset, start + offset + duration);
        let ranges = self.tracks.entry(track).or_default();
        ranges.push((s, e));
        ranges.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut merged: Vec<(f64, f64)> = Vec::new();
        for r in ranges.drain(..) {
            match merged.last_mut() {
                Some(last) if r.0 <= last.1 + 0.01 => last.1 = last.1.max(r.1),
                _ => merged.push(r),
            }
        }
        *ranges = merged;
    }

    fn remove(&mut self, track: TrackKind, start: f64, end: f64) {
        if let Some(ranges) = self.tracks.get_mut(&track) {
            *ranges = ranges
                .iter()
                .flat_map(|&(s, e)| {
                    let mut out = Vec::new();
                    if s < start {
                        out.push((s, e.min(start)));
                    }
                    if e > end {
                        out.push((s.max(end), e));
                    }
                    out
                })
                .collect();
        }
    }

    /// The intersection of every track's ranges.
    fn buffered(&self) -> Vec<(f64, f64)> {
        let mut tracks = self.tracks.values();
        let Some(first) = tracks.next() else {
            return Vec::new();
        };
        tracks.fold(first.clone(), |acc, other| {
            let mut out = Vec::new();
            for a in &acc {
                for b in other {
                    let (s, e) = (a.0.max(b.0), a.1.min(b.1));
                    if e > s {
                        out.push((s, e));
                    }
                }
            }
            out
        })
    }

    fn ahead(&self) -> f64 {
        crate::buffer::buffered_ahead(self.current_time, &self.buffered())
    }

    /// `currentTime = t`, by the engine or by the viewer: seeking until `t` is buffered.
    fn seek(&mut self, t: f64) {
        self.current_time = t;
        self.seeking = true;
        self.seeking_reported = false;
    }

    fn snapshot(&self) -> MediaSnapshot {
        MediaSnapshot {
            current_time: self.current_time,
            buffered: self.buffered(),
            paused: !self.playing,
            seeking: self.seeking,
            ended: false,
            playback_rate: self.rate,
            size: Some((1280, 720)),
        }
    }

    fn advance(&mut self, ms: f64) {
        let ahead = self.ahead();
        if ahead > 0.0 && self.seeking_reported {
            self.seeking = false;
        }
        if !self.playing || self.seeking {
            return;
        }
        let step = ms / 1000.0 * self.rate;
        if ahead <= 0.0 {
            self.stalled_ms += ms;
        }
        self.current_time += step.min(ahead.max(0.0));
    }
}

/// A cue as the simulated element holds it: (start, end, text).
type SimCue = (f64, f64, String);

struct Sim {
    engine: Engine,
    origin: Origin,
    media: Media,
    now: f64,
    /// (when, event), delivered in time order.
    queue: Vec<(f64, Event)>,
    /// Requests in flight: id → URL.
    in_flight: HashMap<RequestId, String>,
    fetched: Vec<String>,
    notices: Vec<Notice>,
    /// Link throughput, bytes per ms, and one-way latency, ms.
    link_bytes_per_ms: f64,
    rtt_ms: f64,
    /// When the link carries responses already scheduled: `(begin, end)` ms, in time order. A response
    /// the origin holds (a blocking reload, a hinted part) takes the link when it is sent, not before.
    link_busy: Vec<(f64, f64)>,
    /// Static files the origin serves as they are (paths under `http://o/live/s/`), before anything
    /// it makes.
    files: HashMap<String, Vec<u8>>,
    /// `Command::Decrypt`s run.
    decrypts: u32,
    /// Text tracks made: index → (name, cues).
    text_tracks: std::collections::BTreeMap<usize, (String, Vec<SimCue>)>,
    /// `Command::SetDuration`s, in order.
    durations: Vec<f64>,
    /// The transmuxer worker's per-track transmuxers (`Command::Transmux`).
    transmuxers: HashMap<TrackKind, onair_transmux_worker::Transmuxer>,
}

impl Sim {
    fn new(origin: Origin) -> Sim {
        Self::with_config(origin, PlayerConfig::default())
    }

    fn with_config(origin: Origin, config: PlayerConfig) -> Sim {
        Self::with_files(origin, config, HashMap::new())
    }

    /// A simulation whose origin also serves `files` (the playlist among them, if it is one).
    fn with_files(origin: Origin, config: PlayerConfig, files: HashMap<String, Vec<u8>>) -> Sim {
        let supported: TypeSupport = Box::new(|mime: &str| !mime.contains("av01"));
        let url = "http://o/live/s/index.m3u8";
        let engine = Engine::new(url, config, supported, 7, 0.0);
        let mut sim = Sim {
            engine,
            origin,
            media: Media {
                rate: 1.0,
                ..Default::default()
            },
            now: 0.0,
            queue: Vec::new(),
            in_flight: HashMap::new(),
            fetched: Vec::new(),
            notices: Vec::new(),
            link_bytes_per_ms: 10_000.0,
            rtt_ms: 10.0,
            link_busy: Vec::new(),
            files,
            decrypts: 0,
            text_tracks: Default::default(),
            durations: Vec::new(),
            transmuxers: HashMap::new(),
        };
        sim.run_commands();
        sim
    }

    fn multivariant(&self) -> String {
        let mut s = String::from("#EXTM3U\n#EXT-X-VERSION:9\n");
        for (i, b) in self.origin.levels.iter().enumerate() {
            let h = 240 * (i + 1);
            s.push_str(&format!(
                "#EXT-X-STREAM-INF:BANDWIDTH={b},CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION={}x{h}\nr{i}/index.m3u8\n",
                h * 16 / 9
            ));
        }
        s
    }

    fn answer(
        &mut self,
        id: RequestId,
        url: &str,
        range: Option<onair_media::playlist::ByteRange>,
    ) {
        let path = url.trim_start_matches("http://o/live/s/");
        let result = if self.origin.offline {
            Err(0)
        } else if let Some(status) = self.origin.fail_with {
            Err(status)
        } else if self
            .origin
            .fail_once
            .as_deref()
            .is_some_and(|f| path.ends_with(f))
        {
            self.origin.fail_once = None;
            Err(500)
        } else if let Some(data) = self.files.get(path) {
            Ok((self.now, data.clone()))
        } else if path == "index.m3u8" {
            Ok((self.now, self.multivariant().into_bytes()))
        } else {
            self.origin.resource(path, self.now)
        };
        // A server that honours `Range` (206), as the glue hands it on.
        let result = result.and_then(|(ready, data)| match range {
            Some(r) => {
                let part = data
                    .get(r.offset as usize..r.end() as usize)
                    .ok_or(416u16)?
                    .to_vec();
                crate::range::sub_range(url, 206, r, part)
                    .map(|d| (ready, d))
                    .map_err(|_| 416u16)
            }
            None => Ok((ready, data)),
        });
        match result {
            Ok((ready, data)) => {
                let start = ready.max(self.now) + self.rtt_ms / 2.0;
                let (begin, end) =
                    self.reserve_link(start, data.len() as f64 / self.link_bytes_per_ms);
                self.queue.push((begin, Event::FetchStarted { id }));
                self.queue.push((end, Event::FetchChunk { id, data }));
                self.queue.push((end, Event::FetchDone { id }));
            }
            Err(0) => self.queue.push((
                self.now + 5.0,
                Event::FetchFailed {
                    id,
                    error: PlayerError::Network {
                        url: url.into(),
                        message: "offline".into(),
                    },
                },
            )),
            Err(status) => self.queue.push((
                self.now + self.rtt_ms,
                Event::FetchFailed {
                    id,
                    error: PlayerError::Http {
                        url: url.into(),
                        status,
                    },
                },
            )),
        }
    }

    /// The first time from `from` at which the link is free for `duration` ms, reserved.
    fn reserve_link(&mut self, from: f64, duration: f64) -> (f64, f64) {
        let now = self.now;
        self.link_busy.retain(|&(_, end)| end > now);
        let mut begin = from;
        for &(b, e) in &self.link_busy {
            if begin + duration <= b {
                break;
            }
            begin = begin.max(e);
        }
        let slot = (begin, begin + duration);
        let at = self.link_busy.partition_point(|&(b, _)| b < begin);
        self.link_busy.insert(at, slot);
        slot
    }

    fn run_commands(&mut self) {
        loop {
            let commands = self.engine.take_commands();
            if commands.is_empty() {
                return;
            }
            for c in commands {
                self.run(c);
            }
        }
    }

    fn run(&mut self, c: Command) {
        let now = self.now;
        match c {
            Command::Fetch { id, url, range, .. } => {
                self.fetched.push(url.clone());
                self.in_flight.insert(id, url.clone());
                self.answer(id, &url, range);
            }
            Command::Decrypt { id, key, iv, data } => {
                self.decrypts += 1;
                let event = match formats::aes128_cbc_decrypt(&key, &iv, &data) {
                    Some(data) => Event::Decrypted { id, data },
                    None => Event::DecryptFailed {
                        id,
                        error: PlayerError::Media("bad padding".into()),
                    },
                };
                self.queue.push((now + 2.0, event));
            }
            Command::Transmux {
                id,
                track,
                reset,
                discontinuity,
                data,
            } => {
                // As the worker does it (transmux-worker/js/worker.js), 5 ms later.
                if reset {
                    self.transmuxers.remove(&track);
                }
                let t = self.transmuxers.entry(track).or_default();
                if discontinuity {
                    t.discontinuity();
                }
                let data = t.push(&data);
                self.queue.push((now + 5.0, Event::Transmuxed { id, data }));
            }
            Command::Abort { id } => {
                self.in_flight.remove(&id);
            }
            Command::CreateBuffers { .. } => self.queue.push((now + 1.0, Event::BuffersCreated)),
            Command::Append { track, data } => {
                self.media.append(track, &data);
                let buffered = self.media.tracks.get(&track).cloned().unwrap_or_default();
                self.queue
                    .push((now + 1.0, Event::BufferUpdated { track, buffered }));
            }
            Command::Remove { track, start, end } => {
                self.media.remove(track, start, end);
                let buffered = self.media.tracks.get(&track).cloned().unwrap_or_default();
                self.queue
                    .push((now + 1.0, Event::BufferUpdated { track, buffered }));
            }
            Command::SetTimestampOffset { track, offset } => {
                self.media.offsets.insert(track, offset);
            }
            Command::Play => self.media.playing = true,
            Command::Seek(t) => {
                self.media.seeks += 1;
                self.media.seek(t);
            }
            Command::SetRate(r) => self.media.rate = r,
            Command::Timer { id, after_ms } => {
                self.queue.push((now + after_ms, Event::Timer { id }))
            }
            Command::RebuildMedia => {
                self.media.tracks.clear();
                self.media.offsets.clear();
                self.queue.push((now + 5.0, Event::MediaRebuilt));
            }
            Command::Notify(n) => self.notices.push(n),
            Command::AddTextTrack { index, name, .. } => {
                self.text_tracks.insert(index, (name, Vec::new()));
            }
            Command::AddCues { index, cues } => {
                if let Some((_, list)) = self.text_tracks.get_mut(&index) {
                    list.extend(cues.into_iter().map(|c| (c.start, c.end, c.text)));
                }
            }
            Command::ResetParser { .. }
            | Command::ChangeType { .. }
            | Command::EndOfStream
            | Command::PrepareTransmux => {}
            Command::SetDuration(secs) => self.durations.push(secs),
        }
    }

    /// Runs the simulation for `ms` milliseconds, the element reporting every 100 ms.
    fn run_for(&mut self, ms: f64) {
        let end = self.now + ms;
        let mut next_media = self.now + 100.0;
        while self.now < end {
            self.queue.sort_by(|a, b| a.0.total_cmp(&b.0));
            let next_event = self.queue.first().map_or(f64::INFINITY, |e| e.0);
            let t = next_event.min(next_media).min(end);
            self.media.advance(t - self.now);
            self.now = t;
            if next_event <= t && !self.queue.is_empty() {
                let (_, event) = self.queue.remove(0);
                let stale = match &event {
                    Event::FetchStarted { id }
                    | Event::FetchChunk { id, .. }
                    | Event::FetchDone { id }
                    | Event::FetchFailed { id, .. } => !self.in_flight.contains_key(id),
                    _ => false,
                };
                if matches!(event, Event::FetchDone { .. } | Event::FetchFailed { .. }) {
                    if let Event::FetchDone { id } | Event::FetchFailed { id, .. } = &event {
                        self.in_flight.remove(id);
                    }
                }
                if !stale {
                    self.engine.handle(event, t);
                }
            } else if next_media <= t {
                next_media += 100.0;
                let snapshot = self.media.snapshot();
                self.media.seeking_reported |= snapshot.seeking;
                self.engine.handle(Event::Media(snapshot), t);
            }
            self.run_commands();
        }
    }

    /// Live edge (media time of the last part made) minus the playhead.
    fn latency(&self) -> f64 {
        self.origin.parts_made(self.now) as f64 * PART - self.media.current_time
    }
}

fn one_level() -> Origin {
    Origin {
        levels: vec![2_000_000],
        head_start: 10.0,
        fail_with: None,
        offline: false,
        restart_at: None,
        map_hint: false,
        fail_once: None,
    }
}

#[test]
fn starts_fast_at_the_target_and_stays_there() {
    let mut sim = Sim::new(one_level());
    sim.run_for(600.0);
    assert!(
        sim.notices.contains(&Notice::Started),
        "started within 0.6 s: {:?}",
        sim.fetched
    );
    // Init and first part were asked for before the first one arrived (concurrently).
    sim.run_for(10_000.0);
    let latency = sim.latency();
    let target = sim.engine.latency_target().unwrap();
    assert!((target - 1.0).abs() < 1e-6, "PART-HOLD-BACK: {target}");
    assert!(
        latency < target + 0.5 && latency > 0.2,
        "latency {latency} near the target {target}"
    );
    assert!(
        sim.media.stalled_ms < 200.0,
        "stalled {} ms",
        sim.media.stalled_ms
    );
    // It loads parts, asks for hinted parts, and reloads with blocking directives.
    assert!(sim
        .fetched
        .iter()
        .any(|u| u.contains("_HLS_msn=") && u.contains("_HLS_part=")));
    let parts = sim
        .fetched
        .iter()
        .filter(|u| u.matches('.').count() == 2 && u.ends_with(".m4s"))
        .count();
    assert!(parts > 20, "parts fetched: {parts}");
}

#[test]
fn the_first_frame_is_at_the_target_not_at_the_independent_frame_before_it() {
    // Every start between two independent parts: the edge half a segment, then a whole one, past one.
    for head_start in [10.5, 10.9, 11.2] {
        let mut sim = Sim::new(Origin {
            head_start,
            ..one_level()
        });
        let mut started_at = None;
        for _ in 0..100 {
            sim.run_for(10.0);
            if sim.notices.contains(&Notice::Started) {
                started_at = Some(sim.now);
                break;
            }
        }
        let started_at = started_at.unwrap_or_else(|| {
            panic!(
                "head start {head_start}: not started: {:?} buffered {:?} ct {}",
                sim.fetched,
                sim.media.buffered(),
                sim.media.current_time
            )
        });
        let target = sim.engine.latency_target().unwrap();
        let latency = sim.latency();
        assert!(
            (latency - target).abs() < PART + 0.05,
            "head start {head_start}: started {latency:.2} s behind, target {target:.2}"
        );
        assert_eq!(sim.media.seeks, 1, "one seek, to the start");
        sim.run_for(3_000.0);
        assert_eq!(sim.media.seeks, 1, "no catch-up seek after the start");
        assert!(
            sim.media.stalled_ms < 1.0,
            "stalled {} ms",
            sim.media.stalled_ms
        );
        assert!(started_at < 400.0, "started at {started_at} ms");
    }
}

/// When `sim` first notices the start (ms), stepping 10 ms at a time for at most `ms`.
fn started_within(sim: &mut Sim, ms: f64) -> Option<f64> {
    let until = sim.now + ms;
    while sim.now < until {
        sim.run_for(10.0);
        if sim.notices.contains(&Notice::Started) {
            return Some(sim.now);
        }
    }
    None
}

#[test]
fn the_parts_before_the_start_load_together_and_a_failed_one_is_loaded_again() {
    // The edge 0.9 s into a 1 s segment: parts from its start to the target load first.
    let origin = || Origin {
        head_start: 10.9,
        ..one_level()
    };
    let mut one_at_a_time = Sim::with_config(
        origin(),
        PlayerConfig {
            start_parallel_fragments: 1,
            ..PlayerConfig::default()
        },
    );
    one_at_a_time.rtt_ms = 150.0;
    let sequential = started_within(&mut one_at_a_time, 5_000.0).expect("started");
    let mut together = Sim::new(origin());
    together.rtt_ms = 150.0;
    let parallel = started_within(&mut together, 5_000.0).expect("started");
    assert!(
        parallel < sequential - 100.0,
        "together {parallel} ms, one at a time {sequential} ms"
    );

    // A part in the middle of the batch fails once: it and the ones after it are asked for again,
    // and playback starts at the target with nothing missing.
    let mut failing = Sim::new(Origin {
        fail_once: Some("9.1.m4s".into()),
        ..origin()
    });
    failing.rtt_ms = 150.0;
    started_within(&mut failing, 5_000.0).expect("started despite the failure");
    failing.run_for(3_000.0);
    let asked = |part: &str| failing.fetched.iter().filter(|u| u.ends_with(part)).count();
    assert_eq!(asked("/9.1.m4s"), 2, "{:?}", failing.fetched);
    assert!(asked("/9.2.m4s") >= 1);
    assert_eq!(
        failing.media.buffered().len(),
        1,
        "{:?}",
        failing.media.buffered()
    );
    assert!(
        failing.media.stalled_ms < 1.0,
        "stalled {} ms",
        failing.media.stalled_ms
    );
    let latency = failing.latency();
    let target = failing.engine.latency_target().unwrap();
    assert!((latency - target).abs() < 0.4, "{latency} against {target}");
}

#[test]
fn on_a_slow_link_the_start_waits_for_the_target_position_only_so_long() {
    let origin = || Origin {
        head_start: 10.9,
        ..one_level()
    };
    // 2.4 Mbit/s for a 2 Mbit/s level: the media up to the target position take seconds, since
    // the edge moves on meanwhile.
    let run = |config: PlayerConfig| {
        let mut sim = Sim::with_config(origin(), config);
        sim.link_bytes_per_ms = 300.0;
        let started = started_within(&mut sim, 5_000.0);
        (started, sim)
    };
    let (patient, _) = run(PlayerConfig {
        start_wait_ms: f64::INFINITY,
        ..PlayerConfig::default()
    });
    let patient = patient.unwrap_or(f64::INFINITY);
    // A wait shorter than the sim's three parts take (the default suits OnAir's ten per segment).
    let (started, mut sim) = run(PlayerConfig {
        start_wait_ms: 100.0,
        ..PlayerConfig::default()
    });
    let started = started.expect("started");
    assert!(
        started < patient - 100.0,
        "started at {started} ms, at the target position at {patient} ms"
    );
    assert!(sim.latency() > sim.engine.latency_target().unwrap() + 0.2);
    // Further back than the target, caught up afterwards (on a link with room to spare).
    sim.link_bytes_per_ms = 10_000.0;
    sim.run_for(15_000.0);
    let target = sim.engine.latency_target().unwrap();
    assert!(
        (sim.latency() - target).abs() < 0.45,
        "{} against {target}",
        sim.latency()
    );
}

#[test]
fn switches_down_when_the_link_drops_and_back_up() {
    let origin = Origin {
        levels: vec![500_000, 1_500_000, 4_000_000],
        ..one_level()
    };
    let mut sim = Sim::new(origin);
    sim.link_bytes_per_ms = 2_000.0; // 16 Mbit/s
    sim.run_for(15_000.0);
    let top = sim.engine.level();
    assert_eq!(top, 2, "on a fast link the top level");
    sim.link_bytes_per_ms = 150.0; // 1.2 Mbit/s
    sim.run_for(8_000.0);
    assert!(
        sim.engine.level() < top,
        "switched down: level {}",
        sim.engine.level()
    );
    sim.link_bytes_per_ms = 2_000.0;
    sim.run_for(30_000.0);
    assert_eq!(sim.engine.level(), 2, "back up");
    assert!(sim
        .notices
        .iter()
        .any(|n| matches!(n, Notice::LevelSwitched { index: 0 | 1 })));
}

#[test]
fn survives_an_outage_and_a_burst_of_errors() {
    let mut sim = Sim::new(one_level());
    sim.run_for(5_000.0);
    assert!(sim.notices.contains(&Notice::Started));
    sim.origin.offline = true;
    sim.run_for(6_000.0);
    sim.origin.offline = false;
    sim.run_for(10_000.0);
    assert!(
        sim.latency() < 2.0,
        "back near the live edge after a 6 s outage: {}",
        sim.latency()
    );
    sim.origin.fail_with = Some(500);
    sim.run_for(1_500.0);
    sim.origin.fail_with = Some(404);
    sim.run_for(1_000.0);
    sim.origin.fail_with = None;
    sim.run_for(10_000.0);
    assert!(sim.latency() < 2.0, "after the burst: {}", sim.latency());
    assert!(!sim
        .notices
        .iter()
        .any(|n| matches!(n, Notice::Error { fatal: true, .. })));
    let before = sim.media.current_time;
    sim.run_for(2_000.0);
    assert!(sim.media.current_time > before + 1.5, "still playing");
}

#[test]
fn a_discontinuity_plays_through() {
    let origin = Origin {
        restart_at: Some(20),
        ..one_level()
    };
    let mut sim = Sim::new(origin);
    sim.run_for(20_000.0);
    let before = sim.media.current_time;
    sim.run_for(5_000.0);
    assert!(
        sim.media.current_time > before + 4.0,
        "kept playing across the discontinuity: {before} -> {}",
        sim.media.current_time
    );
}

#[test]
fn a_decode_error_rebuilds_the_media_source() {
    let mut sim = Sim::new(one_level());
    sim.run_for(5_000.0);
    sim.engine.handle(
        Event::MediaError {
            message: "decode".into(),
        },
        sim.now,
    );
    sim.run_commands();
    sim.run_for(5_000.0);
    let before = sim.media.current_time;
    sim.run_for(2_000.0);
    assert!(sim.media.current_time > before + 1.5, "playing again");
    assert_eq!(
        sim.notices
            .iter()
            .filter(|n| **n == Notice::Started)
            .count(),
        2
    );
}

#[test]
fn a_stream_not_started_yet_waits() {
    let mut sim = Sim::new(one_level());
    sim.origin.fail_with = Some(404);
    // 404 → waiting, retried.
    sim.run_for(3_000.0);
    assert!(sim.notices.contains(&Notice::WaitingForStream));
    sim.origin.fail_with = None;
    sim.run_for(12_000.0);
    assert!(sim.notices.contains(&Notice::Started));
}

#[test]
fn the_hinted_next_init_is_loaded_ahead_once() {
    let mut sim = Sim::new(one_level());
    sim.run_for(3_000.0);
    sim.origin.map_hint = true;
    sim.run_for(3_000.0);
    let asked = sim
        .fetched
        .iter()
        .filter(|u| u.ends_with("/init-next.mp4"))
        .count();
    assert_eq!(asked, 1, "{:?}", sim.fetched);
    // Without a part hint the player still follows the live edge through blocking reloads.
    let before = sim.media.current_time;
    sim.run_for(3_000.0);
    assert!(sim.media.current_time > before + 2.5);
    assert!(sim.latency() < 2.0, "{}", sim.latency());
}

#[test]
fn the_page_sets_the_latency_target_and_jumps_back_to_live() {
    // The latency controller off, so only `seek_to_live` closes the distance.
    let mut config = PlayerConfig::default();
    config.latency.enabled = false;
    let mut sim = Sim::with_config(one_level(), config);
    sim.run_for(5_000.0);
    sim.engine.set_latency_target(Some(2.5));
    assert_eq!(sim.engine.latency_target(), Some(2.5));
    // Not behind yet: nothing to do.
    sim.engine.seek_to_live();
    assert!(!sim
        .engine
        .take_commands()
        .iter()
        .any(|c| matches!(c, Command::Seek(_))));
    // Paused for 8 s, then playing again: 8 s further behind.
    sim.media.playing = false;
    sim.run_for(8_000.0);
    sim.media.playing = true;
    sim.run_for(500.0);
    let behind = sim.latency();
    assert!(behind > 6.0, "behind by {behind}");
    sim.engine.seek_to_live();
    sim.run_commands();
    sim.run_for(1_000.0);
    let after = sim.latency();
    assert!(
        (after - 2.5).abs() < 0.6,
        "at the target after the jump: {behind} then {after}"
    );
    // A bad target is ignored; `None` gives the target back to PART-HOLD-BACK.
    sim.engine.set_latency_target(Some(f64::NAN));
    assert_eq!(sim.engine.latency_target(), Some(1.0));
}
