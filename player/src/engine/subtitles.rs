//! Subtitles: every `EXT-X-MEDIA:TYPE=SUBTITLES` rendition of the variants' group becomes a text track
//! ([`Command::AddTextTrack`]); its playlist is loaded (and reloaded while live), its WebVTT segments
//! one at a time in order (a live one from three segments before the edge), and their cues go to the
//! element ([`Command::AddCues`]), with their settings (a line of [`crate::PlayerConfig::caption_line`]
//! where they have none), at the media's times: the cue time plus the file's
//! `X-TIMESTAMP-MAP` offset plus the main track's `timestampOffset`. A file without a map counts from
//! the start of the first media appended (as hls.js does, and as ffmpeg, which writes none, means it);
//! its cues wait until that is known. A segment that fails is skipped after the retries (captions are
//! never worth a stall).

use onair_media::webvtt::{self, CueLine, CueSettings, TimestampMap};

use super::types::{Command, RequestId, TextCue, TrackKind};
use super::{Engine, Request, Timer};
use crate::error::PlayerError;
use crate::playlist::multivariant::SubtitleInfo;
use crate::playlist::MediaView;

/// Attempts per subtitle segment or playlist before it is skipped (a playlist: retried later).
const ATTEMPTS: u32 = 3;
/// Segments before the live edge a live subtitle rendition starts with.
const LIVE_START_SEGMENTS: usize = 3;

/// One subtitle rendition's loading state.
#[derive(Debug)]
pub(super) struct SubtitleTrack {
    info: SubtitleInfo,
    view: Option<MediaView>,
    /// Segments whose cues were added (or that were skipped), by media sequence number; those that
    /// left the playlist are forgotten on its reload.
    done: Vec<u64>,
    request: Option<RequestId>,
    playlist_request: Option<RequestId>,
    reload_timer: bool,
    failures: u32,
    /// Cues of files without `X-TIMESTAMP-MAP`, on their own timeline, until the media's start is known.
    unmapped: Vec<TextCue>,
}

impl SubtitleTrack {
    fn mark_done(&mut self, msn: u64) {
        if !self.done.contains(&msn) {
            self.done.push(msn);
        }
    }
}

impl Engine {
    /// The multivariant playlist listed these subtitle renditions.
    pub(super) fn subtitles_listed(&mut self, list: Vec<SubtitleInfo>) {
        for (index, info) in list.into_iter().enumerate() {
            self.out.push(Command::AddTextTrack {
                index,
                name: info.name.clone(),
                language: info.language.clone().unwrap_or_default(),
                default: info.default,
            });
            self.subtitles.push(SubtitleTrack {
                info,
                view: None,
                done: Vec::new(),
                request: None,
                playlist_request: None,
                reload_timer: false,
                failures: 0,
                unmapped: Vec::new(),
            });
            self.request_subtitle_playlist(index);
        }
    }

    pub(super) fn request_subtitle_playlist(&mut self, index: usize) {
        let Some(track) = self.subtitles.get(index) else {
            return;
        };
        if track.playlist_request.is_some() {
            return;
        }
        let url = track.info.url.clone();
        let timeout = self.config.request_timeout_ms;
        let id = self.fetch(
            &url,
            timeout,
            false,
            true,
            Request::Subtitles {
                index,
                msn: None,
                body: Vec::new(),
            },
        );
        if let Some(track) = self.subtitles.get_mut(index) {
            track.reload_timer = false;
            track.playlist_request = Some(id);
        }
    }

    pub(super) fn subtitles_loaded(&mut self, index: usize, msn: Option<u64>, body: &[u8]) {
        let text = String::from_utf8_lossy(body);
        let Some(track) = self.subtitles.get_mut(index) else {
            return;
        };
        let Some(msn) = msn else {
            track.playlist_request = None;
            match MediaView::parse(&text, &track.info.url, None) {
                Ok(view) => {
                    track.failures = 0;
                    let live = !view.ended;
                    let reload_ms = view.target_duration.max(1.0) * 1000.0;
                    if let Some(first) = view.segments.first() {
                        track.done.retain(|&msn| msn >= first.msn);
                    }
                    if track.view.is_none() && live {
                        // A live rendition starts near the edge.
                        let skip = view.segments.len().saturating_sub(LIVE_START_SEGMENTS);
                        track
                            .done
                            .extend(view.segments.iter().take(skip).map(|s| s.msn));
                    }
                    track.view = Some(view);
                    if live {
                        self.subtitle_reload_later(index, reload_ms);
                    }
                }
                Err(_) => self.subtitle_failed(index, None),
            }
            self.load_subtitles();
            return;
        };
        track.request = None;
        track.failures = 0;
        track.mark_done(msn);
        match webvtt::parse(&text) {
            Ok(vtt) => {
                let line = self.config.caption_line.filter(|l| l.is_finite());
                let cues = vtt.cues.into_iter().filter(|c| c.end > c.start).map(|c| {
                    let mut settings = CueSettings::parse(&c.settings);
                    if settings.line.is_none() {
                        settings.line = line.map(CueLine::Number);
                    }
                    TextCue {
                        start: c.start,
                        end: c.end,
                        text: c.text,
                        settings,
                    }
                });
                let offset = match (vtt.timestamp_map.as_ref(), self.media_start) {
                    (Some(map), _) => TimestampMap::offset_secs(Some(map)) + self.main_offset(),
                    (None, Some(start)) => start,
                    (None, None) => {
                        track.unmapped.extend(cues);
                        self.load_subtitles();
                        return;
                    }
                };
                self.add_cues(index, cues.collect(), offset);
            }
            Err(e) => self.notify_skipped_subtitles(index, msn, &e.to_string()),
        }
        self.load_subtitles();
    }

    fn add_cues(&mut self, index: usize, cues: Vec<TextCue>, offset: f64) {
        if cues.is_empty() {
            return;
        }
        let cues = cues
            .into_iter()
            .map(|c| TextCue {
                start: c.start + offset,
                end: c.end + offset,
                ..c
            })
            .collect();
        self.out.push(Command::AddCues { index, cues });
    }

    /// The media's start is known: the cues that waited for it go to their tracks.
    pub(super) fn flush_unmapped_cues(&mut self) {
        let Some(start) = self.media_start else {
            return;
        };
        for index in 0..self.subtitles.len() {
            let cues = std::mem::take(&mut self.subtitles[index].unmapped);
            self.add_cues(index, cues, start);
        }
    }

    fn subtitle_reload_later(&mut self, index: usize, after_ms: f64) {
        if let Some(track) = self.subtitles.get_mut(index) {
            if track.reload_timer {
                return;
            }
            track.reload_timer = true;
        }
        self.timer_after(after_ms, Timer::Subtitles(index));
    }

    /// The `timestampOffset` the main track's media is appended with.
    fn main_offset(&self) -> f64 {
        self.tracks
            .iter()
            .find(|t| t.kind == TrackKind::Main)
            .map_or(0.0, |t| t.offset)
    }

    pub(super) fn subtitle_failed(&mut self, index: usize, msn: Option<u64>) {
        let Some(track) = self.subtitles.get_mut(index) else {
            return;
        };
        track.failures += 1;
        let failures = track.failures;
        match msn {
            None => {
                track.playlist_request = None;
                let backoff = 1000.0 * f64::from(failures.min(10));
                self.subtitle_reload_later(index, backoff);
            }
            Some(msn) => {
                track.request = None;
                if failures >= ATTEMPTS {
                    track.mark_done(msn);
                    track.failures = 0;
                    self.notify_skipped_subtitles(index, msn, "failed to load");
                }
                self.load_subtitles();
            }
        }
    }

    fn notify_skipped_subtitles(&mut self, index: usize, msn: u64, why: &str) {
        let error = PlayerError::Media(format!("subtitles {index} segment {msn}: {why}"));
        self.notify(super::types::Notice::Error {
            kind: error.kind(),
            message: format!("{error}; skipped"),
            fatal: false,
        });
    }

    /// Asks for the next subtitle segment of each rendition that has none in flight.
    pub(super) fn load_subtitles(&mut self) {
        let timeout = self.config.fragment_timeout_ms;
        for index in 0..self.subtitles.len() {
            let next = {
                let track = &self.subtitles[index];
                if track.request.is_some() {
                    continue;
                }
                track.view.as_ref().and_then(|v| {
                    v.segments
                        .iter()
                        .find(|s| !track.done.contains(&s.msn))
                        .map(|s| (s.msn, s.url.clone(), s.range))
                })
            };
            let Some((msn, url, range)) = next else {
                continue;
            };
            let id = self.fetch_range(
                &url,
                range,
                timeout,
                false,
                false,
                Request::Subtitles {
                    index,
                    msn: Some(msn),
                    body: Vec::new(),
                },
            );
            if let Some(track) = self.subtitles.get_mut(index) {
                track.request = Some(id);
            }
        }
    }
}
