//! The walker: fetches the input and whatever it lists (multivariant playlist -> media playlists -> init
//! -> segments and the last parts), demuxes with `onair-media`, and runs the [`checks`] on the results.
//! It is the I/O layer; every rule lives in the checks.
//!
//! [`checks`]: crate::checks

use onair_media::{
    m3u8_rs, parse_init, parse_segment_at, InitSegment, Limits, MediaPlaylist, MediaSegment,
    PlaylistType,
};

use crate::checks::file::{check_layout, check_mfra};
use crate::checks::media::{self, Declared};
use crate::checks::playlist::check_media_playlist;
use crate::checks::variant::{self, Bitrates, Timeline};
use crate::fetch::{FetchError, Fetched, Fetcher, Source};
use crate::file::{self, Layout};
use crate::lines::{looks_like_playlist, PlaylistLines};
use crate::report::{
    FragmentRow, InitReport, Location, MediaPlaylistReport, MfraReport, MultivariantReport,
    PartRow, RenditionRow, Report, SegmentReport, SegmentRow, ServerControlReport, Subject,
    VariantRow, Violation,
};
use crate::{rules, InspectError, Options};

/// Largest playlist read.
const PLAYLIST_LIMIT: usize = 4 * 1024 * 1024;
/// Largest init segment, segment or part read (the demuxer is given the same bound).
const MEDIA_LIMIT: usize = 64 * 1024 * 1024;
/// Most top-level boxes looked at to tell an init segment from a media segment.
const MAX_TOP_LEVEL_BOXES: usize = 64;

/// What a fetched body is, by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text starting with `#EXTM3U`.
    Playlist,
    /// ISOBMFF with a `moov` and no `moof`.
    Init,
    /// ISOBMFF with a `moov` and a `moof`: a whole fragmented MP4 file.
    FragmentedFile,
    /// ISOBMFF with a `moof` and no `moov`.
    Segment,
    /// Anything else.
    Unknown,
}

/// Tells what `bytes` are from their content alone.
pub fn detect(bytes: &[u8]) -> Kind {
    if looks_like_playlist(bytes) {
        return Kind::Playlist;
    }
    let boxes = top_level_boxes(bytes);
    let has = |fourcc: &[u8; 4]| boxes.iter().any(|b| b == fourcc);
    match (has(b"moov"), has(b"moof")) {
        (true, true) => Kind::FragmentedFile,
        (true, false) => Kind::Init,
        (false, true) => Kind::Segment,
        (false, false) => Kind::Unknown,
    }
}

/// The four-character codes of the first top-level boxes, the last one's even when its size does not
/// hold together.
fn top_level_boxes(bytes: &[u8]) -> Vec<[u8; 4]> {
    let scan = file::scan(bytes, 0, MAX_TOP_LEVEL_BOXES);
    scan.boxes
        .iter()
        .map(|b| b.fourcc)
        .chain(scan.broken.and_then(|b| b.fourcc))
        .collect()
}

/// Inspects `input` as the options say.
pub async fn inspect(input: &str, options: &Options) -> Result<Report, InspectError> {
    let source = Source::parse(input)?;
    let mut walker = Walker {
        fetcher: Fetcher::new(options.timeout)?,
        options,
        violations: Vec::new(),
    };
    let fetched = walker.fetcher.get(&source, MEDIA_LIMIT).await?;
    let subject = match detect(&fetched.bytes) {
        Kind::Playlist => {
            let text = String::from_utf8_lossy(&fetched.bytes);
            if PlaylistLines::scan(&text).is_multivariant() {
                Subject::MultivariantPlaylist(Box::new(walker.multivariant(&source, fetched).await))
            } else {
                match walker
                    .media_playlist(&source, Some(fetched), false, None)
                    .await
                {
                    Some(report) => Subject::MediaPlaylist(Box::new(report)),
                    None => {
                        return Ok(Report::new(
                            input.to_string(),
                            Subject::MediaPlaylist(Box::new(empty_media_report(&source))),
                            walker.violations,
                        ))
                    }
                }
            }
        }
        Kind::Init => {
            let at = Location::of(source.to_string());
            let init = walker.demux_init(&fetched.bytes, &at).map(|(_, r)| r);
            Subject::Init {
                bytes: fetched.bytes.len(),
                init,
            }
        }
        Kind::FragmentedFile => walker.fragmented_file(&source, &fetched.bytes),
        Kind::Segment => walker.lone_segment(&source, fetched).await?,
        Kind::Unknown => {
            return Err(InspectError::NotRecognised {
                input: input.to_string(),
                start: preview(&fetched.bytes),
            })
        }
    };
    Ok(Report::new(input.to_string(), subject, walker.violations))
}

/// The playlists (`*.m3u8`) in the directory of `path`, sorted.
async fn playlists_in_dir(path: &std::path::Path) -> Vec<Source> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let mut found = Vec::new();
    if let Ok(mut entries) = tokio::fs::read_dir(&dir).await {
        while let Ok(Some(entry)) = entries.next_entry().await {
            let p = entry.path();
            if p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("m3u8"))
            {
                found.push(p);
            }
        }
    }
    found.sort();
    // Joined like a playlist reference so that the init's path reads like the segment's.
    found
        .into_iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter_map(|n| Source::File(path.to_path_buf()).join(&n).ok())
        .collect()
}

/// The first bytes, printable, for an error message.
fn preview(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(16)
        .map(|&b| {
            if b.is_ascii_graphic() {
                (b as char).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect()
}

fn empty_media_report(source: &Source) -> MediaPlaylistReport {
    MediaPlaylistReport {
        uri: source.to_string(),
        version: None,
        target_duration: 0,
        media_sequence: 0,
        discontinuity_sequence: 0,
        playlist_type: None,
        ended: false,
        independent_segments: false,
        part_target: None,
        server_control: None,
        skipped_segments: 0,
        map_uri: None,
        init: None,
        segments: Vec::new(),
        trailing_parts: Vec::new(),
        preload_hint: None,
        total_secs: 0.0,
        peak_bitrate: None,
        average_bitrate: None,
    }
}

struct Walker<'a> {
    fetcher: Fetcher,
    options: &'a Options,
    violations: Vec<Violation>,
}

impl Walker<'_> {
    fn limits() -> Limits {
        Limits {
            max_bytes: MEDIA_LIMIT,
            ..Limits::default()
        }
    }

    /// Fetches `source`, turning a failure into a violation at `at`.
    async fn fetch(&mut self, source: &Source, limit: usize, at: &Location) -> Option<Fetched> {
        match self.fetcher.get(source, limit).await {
            Ok(f) => Some(f),
            Err(e) => {
                self.violations
                    .push(rules::FETCH_FAILED.at(at.clone(), e.to_string()));
                None
            }
        }
    }

    fn demux_init(&mut self, bytes: &[u8], at: &Location) -> Option<(InitSegment, InitReport)> {
        match parse_init(bytes) {
            Ok(init) => {
                let report = InitReport::new(&init);
                Some((init, report))
            }
            Err(e) => {
                self.violations
                    .push(rules::INIT_INVALID.at(at.clone(), e.to_string()));
                None
            }
        }
    }

    /// Demuxes `bytes`, which start `offset` bytes into their file, turning a failure into a violation.
    fn demux(
        &mut self,
        init: &InitSegment,
        bytes: &[u8],
        offset: usize,
        at: &Location,
    ) -> Option<MediaSegment> {
        match parse_segment_at(init, bytes, offset, &Self::limits()) {
            Ok(segment) => Some(segment),
            Err(e) => {
                self.violations
                    .push(rules::SEGMENT_INVALID.at(at.clone(), e.to_string()));
                None
            }
        }
    }

    fn demux_segment(
        &mut self,
        init: &InitSegment,
        bytes: &[u8],
        at: &Location,
    ) -> Option<SegmentReport> {
        self.demux(init, bytes, 0, at)
            .map(|segment| SegmentReport::new(init, &segment, bytes.len()))
    }

    /// Checks `measured` at `at` against the part or fragment just before it (when there is one), which
    /// it then becomes.
    fn check_after(
        &mut self,
        at: &Location,
        previous: &mut Option<SegmentReport>,
        measured: &SegmentReport,
    ) {
        if let Some(before) = previous.as_ref() {
            self.violations.extend(media::check_continuity(
                at,
                before,
                measured,
                self.options.tolerance_secs,
            ));
        }
        *previous = Some(measured.clone());
    }

    /// A whole fragmented MP4 file: its tracks, then every fragment demuxed and measured like a segment
    /// and checked against the one before it, then its `mfra`.
    fn fragmented_file(&mut self, source: &Source, bytes: &[u8]) -> Subject {
        let here = Location::of(source.to_string());
        let layout = Layout::of(bytes);
        self.violations.extend(check_layout(&here, &layout));
        let init = self.demux_init(bytes, &here);
        let mut fragments = Vec::new();
        let mut previous: Option<SegmentReport> = None;
        for (index, range) in layout.fragments.iter().enumerate() {
            let data = bytes.get(range.clone()).unwrap_or_default();
            let mut row = FragmentRow {
                index,
                byte: range.start,
                bytes: data.len(),
                media: None,
            };
            let at = here.clone().in_fragment(index, range.start);
            let demuxed = match &init {
                Some((init, _)) => self
                    .demux(init, data, range.start, &at)
                    .map(|segment| (init, segment)),
                None => None,
            };
            let Some((init, segment)) = demuxed else {
                previous = None;
                fragments.push(row);
                continue;
            };
            let measured = SegmentReport::new(init, &segment, data.len());
            self.check_after(&at, &mut previous, &measured);
            row.media = Some(measured);
            fragments.push(row);
        }
        let mfra = layout.mfra.map(|mfra_box| {
            let mut report = MfraReport {
                byte: mfra_box.start,
                bytes: mfra_box.end.saturating_sub(mfra_box.start),
                entries: None,
                tracks: Vec::new(),
            };
            match file::read_mfra(bytes, &mfra_box) {
                Ok(mfra) => {
                    let tracks: Vec<u32> = init
                        .as_ref()
                        .map(|(i, _)| i.tracks.iter().map(|t| t.id).collect())
                        .unwrap_or_default();
                    if init.is_some() {
                        self.violations.extend(check_mfra(
                            &here,
                            &mfra_box,
                            &mfra,
                            &layout.moofs,
                            &tracks,
                        ));
                    }
                    report.entries = Some(mfra.entries.len());
                    for e in &mfra.entries {
                        if !report.tracks.contains(&e.track_id) {
                            report.tracks.push(e.track_id);
                        }
                    }
                }
                Err(reason) => self
                    .violations
                    .push(rules::MFRA_INVALID.at(here.clone().at_byte(mfra_box.start), reason)),
            }
            report
        });
        let measured: Vec<&SegmentReport> =
            fragments.iter().filter_map(|f| f.media.as_ref()).collect();
        let total = SegmentReport::joined(&measured);
        Subject::FragmentedFile {
            bytes: bytes.len(),
            init: init.map(|(_, report)| report),
            total,
            fragments,
            mfra,
        }
    }

    /// A URL must name a playlist by its path or its Content-Type.
    fn check_identified(&mut self, source: &Source, fetched: &Fetched, at: &Location) {
        let Source::Url(url) = source else {
            return;
        };
        let path = url.path().to_ascii_lowercase();
        let by_path = path.ends_with(".m3u8") || path.ends_with(".m3u");
        let by_type = fetched.content_type.as_deref().is_some_and(|t| {
            let t = t
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            t == "application/vnd.apple.mpegurl" || t == "audio/mpegurl"
        });
        if !by_path && !by_type {
            self.violations.push(rules::PLAYLIST_NOT_IDENTIFIED.at(
                at.clone(),
                format!(
                    "the path does not end in .m3u8 or .m3u and the Content-Type is {}",
                    fetched.content_type.as_deref().unwrap_or("absent")
                ),
            ));
        }
    }

    /// A segment or part given alone: read against `--init`, a playlist beside it that lists it, or
    /// `init.mp4` beside it.
    async fn lone_segment(
        &mut self,
        source: &Source,
        fetched: Fetched,
    ) -> Result<Subject, InspectError> {
        let (init_source, init_bytes) = self.find_init(source).await?;
        let init_at = Location::of(init_source.to_string());
        let Some((init, init_report)) = self.demux_init(&init_bytes.bytes, &init_at) else {
            return Ok(Subject::Segment {
                init_uri: init_source.to_string(),
                init: None,
                segment: None,
            });
        };
        let at = Location::of(source.to_string());
        let segment = self.demux_segment(&init, &fetched.bytes, &at);
        Ok(Subject::Segment {
            init_uri: init_source.to_string(),
            init: Some(init_report),
            segment,
        })
    }

    async fn find_init(&mut self, segment: &Source) -> Result<(Source, Fetched), InspectError> {
        if let Some(init) = &self.options.init {
            let source = Source::parse(init)?;
            let fetched = self.fetcher.get(&source, MEDIA_LIMIT).await?;
            return Ok((source, fetched));
        }
        let playlists = match segment {
            Source::File(path) => playlists_in_dir(path).await,
            // A server's directory cannot be listed: try the usual name.
            Source::Url(_) => segment.join("index.m3u8").into_iter().collect(),
        };
        if let Some(found) = self.init_from_playlists(segment, playlists).await {
            return Ok(found);
        }
        if let Ok(beside) = segment.join("init.mp4") {
            if let Ok(fetched) = self.fetcher.get(&beside, MEDIA_LIMIT).await {
                return Ok((beside, fetched));
            }
        }
        Err(InspectError::NoInit {
            segment: segment.to_string(),
        })
    }

    /// The init named by EXT-X-MAP in the first of `playlists` that lists `segment` by file name.
    async fn init_from_playlists(
        &mut self,
        segment: &Source,
        playlists: Vec<Source>,
    ) -> Option<(Source, Fetched)> {
        let name = segment.file_name()?;
        for source in playlists {
            let Ok(fetched) = self.fetcher.get(&source, PLAYLIST_LIMIT).await else {
                continue;
            };
            let Ok(playlist) = MediaPlaylist::parse(&String::from_utf8_lossy(&fetched.bytes))
            else {
                continue;
            };
            let file_name = |uri: &str| {
                let path = uri.split(['?', '#']).next().unwrap_or(uri);
                path.rsplit('/').next().unwrap_or(path).to_string()
            };
            let lists_it = playlist
                .segments
                .iter()
                .flat_map(|s| {
                    std::iter::once(s.uri.as_str()).chain(s.parts.iter().map(|p| p.uri.as_str()))
                })
                .chain(playlist.trailing_parts.iter().map(|p| p.uri.as_str()))
                .any(|uri| file_name(uri) == name);
            if lists_it && !playlist.map_uri.is_empty() {
                let init = source.join(&playlist.map_uri).ok()?;
                let bytes = self.fetcher.get(&init, MEDIA_LIMIT).await.ok()?;
                return Some((init, bytes));
            }
        }
        None
    }

    /// A media playlist: its entries and checks, then (when walking) its init, segments and last parts.
    /// `None` when it could not be fetched or parsed (the violation says why).
    async fn media_playlist(
        &mut self,
        source: &Source,
        fetched: Option<Fetched>,
        inherited_independent: bool,
        listed_at: Option<Location>,
    ) -> Option<MediaPlaylistReport> {
        let uri = source.to_string();
        let here = listed_at.unwrap_or_else(|| Location::of(uri.clone()));
        let fetched = match fetched {
            Some(f) => f,
            None => self.fetch(source, PLAYLIST_LIMIT, &here).await?,
        };
        self.check_identified(source, &fetched, &Location::of(uri.clone()));
        let text = match String::from_utf8(fetched.bytes) {
            Ok(t) => t,
            Err(e) => {
                self.violations.push(
                    rules::PLAYLIST_SYNTAX.at(Location::of(uri.clone()), format!("not UTF-8: {e}")),
                );
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            }
        };
        let lines = PlaylistLines::scan(&text);
        let playlist = match MediaPlaylist::parse(&text) {
            Ok(p) => p,
            Err(e) => {
                self.violations
                    .push(rules::PLAYLIST_SYNTAX.at(Location::of(uri.clone()), e.to_string()));
                return None;
            }
        };
        self.violations
            .extend(check_media_playlist(&uri, &lines, &playlist));
        let mut report = media_report(&uri, &lines, &playlist, inherited_independent);
        if self.options.walk {
            self.walk_media(source, &lines, &mut report).await;
        }
        Some(report)
    }

    async fn walk_media(
        &mut self,
        source: &Source,
        lines: &PlaylistLines,
        report: &mut MediaPlaylistReport,
    ) {
        let uri = report.uri.clone();
        let listed =
            |resource: &Source, line: Option<usize>, msn: Option<u64>, part: Option<usize>| {
                Location {
                    uri: resource.to_string(),
                    playlist: Some(uri.clone()),
                    line,
                    msn,
                    part,
                    ..Location::default()
                }
            };
        let mut init = None;
        if let Some(map) = report.map_uri.clone() {
            let line = lines.first_tag("EXT-X-MAP").map(|t| t.line);
            match source.join(&map) {
                Ok(init_source) => {
                    let at = listed(&init_source, line, None, None);
                    if let Some(f) = self.fetch(&init_source, MEDIA_LIMIT, &at).await {
                        init = self.demux_init(&f.bytes, &at);
                    }
                }
                Err(e) => self
                    .violations
                    .push(rules::FETCH_FAILED.at(Location::line(uri.clone(), line), e.to_string())),
            }
        }
        report.init = init.as_ref().map(|(_, r)| r.clone());
        let map_reported = self
            .violations
            .iter()
            .any(|v| v.code == rules::MAP_MISSING.code && v.location.uri == uri);
        let mut map_reported = map_reported;

        let count = report.segments.len();
        let skip = self
            .options
            .max_segments
            .map_or(0, |n| count.saturating_sub(n));
        let mut previous: Option<(u64, SegmentReport)> = None;
        let mut sizes = Vec::new();
        let declared = |extinf_secs| Declared {
            extinf_secs,
            target_duration: report.target_duration,
            independent: report.independent_segments,
        };
        let declared: Vec<Declared> = report
            .segments
            .iter()
            .map(|s| declared(s.extinf_secs))
            .collect();
        for (row, declared) in report.segments.iter_mut().zip(declared).skip(skip) {
            if row.gap {
                previous = None;
                continue;
            }
            let resource = match source.join(&row.uri) {
                Ok(r) => r,
                Err(e) => {
                    self.violations.push(rules::FETCH_FAILED.at(
                        Location::line(uri.clone(), row.line).with_msn(row.msn),
                        e.to_string(),
                    ));
                    previous = None;
                    continue;
                }
            };
            let at = listed(&resource, row.line, Some(row.msn), None);
            let Some(fetched) = self.fetch(&resource, MEDIA_LIMIT, &at).await else {
                previous = None;
                continue;
            };
            row.bytes = Some(fetched.bytes.len());
            sizes.push((row.extinf_secs, fetched.bytes.len()));
            let Some((init, init_report)) = &init else {
                if report.map_uri.is_none()
                    && !map_reported
                    && detect(&fetched.bytes) == Kind::Segment
                {
                    self.violations.push(rules::MAP_MISSING.at(
                        at.clone(),
                        "an fMP4 segment ('moof') with no EXT-X-MAP before it",
                    ));
                    map_reported = true;
                }
                continue;
            };
            let Some(measured) = self.demux_segment(init, &fetched.bytes, &at) else {
                previous = None;
                continue;
            };
            self.violations.extend(media::check_segment(
                &at,
                declared,
                self.options.tolerance_secs,
                init_report,
                &measured,
            ));
            if let Some((msn, before)) = &previous {
                if msn + 1 == row.msn && !row.discontinuity {
                    self.violations.extend(media::check_continuity(
                        &at,
                        before,
                        &measured,
                        self.options.tolerance_secs,
                    ));
                }
            }
            previous = Some((row.msn, measured.clone()));
            row.media = Some(measured);
        }
        report.peak_bitrate =
            media::peak_bitrate(&sizes, report.target_duration).map(|b| b.round() as u64);
        report.average_bitrate = media::average_bitrate(&sizes).map(|b| b.round() as u64);

        if let Some((init, _)) = &init {
            self.walk_parts(source, report, init, &listed).await;
        }
    }

    /// The last `options.parts` parts: fetched, demuxed, measured against their tags and each other.
    async fn walk_parts(
        &mut self,
        source: &Source,
        report: &mut MediaPlaylistReport,
        init: &InitSegment,
        listed: &impl Fn(&Source, Option<usize>, Option<u64>, Option<usize>) -> Location,
    ) {
        let part_target = report.part_target;
        let mut parts: Vec<&mut PartRow> = report
            .segments
            .iter_mut()
            .flat_map(|s| s.parts.iter_mut())
            .chain(report.trailing_parts.iter_mut())
            .collect();
        let first = parts.len().saturating_sub(self.options.parts);
        let mut previous: Option<SegmentReport> = None;
        for part in parts.iter_mut().skip(first) {
            if part.gap {
                previous = None;
                continue;
            }
            let Ok(resource) = source.join(&part.uri) else {
                previous = None;
                continue;
            };
            let at = listed(&resource, part.line, Some(part.msn), Some(part.index));
            let Some(fetched) = self.fetch(&resource, MEDIA_LIMIT, &at).await else {
                previous = None;
                continue;
            };
            let Some(measured) = self.demux_segment(init, &fetched.bytes, &at) else {
                previous = None;
                continue;
            };
            self.violations.extend(media::check_part(
                &at,
                part,
                part_target,
                self.options.tolerance_secs,
                &measured,
            ));
            self.check_after(&at, &mut previous, &measured);
            part.media = Some(measured);
        }
    }

    /// A multivariant playlist, then every media playlist it lists, then the checks across them.
    async fn multivariant(&mut self, source: &Source, fetched: Fetched) -> MultivariantReport {
        let uri = source.to_string();
        let here = Location::of(uri.clone());
        self.check_identified(source, &fetched, &here);
        let text = String::from_utf8_lossy(&fetched.bytes).into_owned();
        let lines = PlaylistLines::scan(&text);
        let mut report = MultivariantReport {
            uri: uri.clone(),
            version: lines.version(),
            independent_segments: lines.independent_segments(),
            variants: Vec::new(),
            renditions: Vec::new(),
            media_playlists: Vec::new(),
        };
        if lines.first.as_deref() != Some("#EXTM3U") {
            self.violations.push(rules::EXTM3U_FIRST.at(
                Location::line(uri.clone(), Some(1)),
                "the first line is not #EXTM3U",
            ));
        }
        let master = match m3u8_rs::parse_master_playlist_res(text.as_bytes()) {
            Ok(m) => m,
            Err(e) => {
                let reason: String = format!("{e:?}").chars().take(200).collect();
                self.violations.push(rules::PLAYLIST_SYNTAX.at(
                    here,
                    format!("not a multivariant playlist m3u8-rs can read: {reason}"),
                ));
                return report;
            }
        };
        let stream_lines: Vec<usize> = lines.tag("EXT-X-STREAM-INF").map(|t| t.line).collect();
        let iframe_lines: Vec<usize> = lines
            .tag("EXT-X-I-FRAME-STREAM-INF")
            .map(|t| t.line)
            .collect();
        let media_lines: Vec<usize> = lines.tag("EXT-X-MEDIA").map(|t| t.line).collect();
        // m3u8-rs keeps both kinds of variant in one list, in order.
        let mut variant_lines = Vec::new();
        let (mut streams, mut iframes) = (stream_lines.iter(), iframe_lines.iter());
        for v in &master.variants {
            let next = if v.is_i_frame {
                iframes.next()
            } else {
                streams.next()
            };
            variant_lines.push(next.copied());
        }
        let line_of = |i: usize| variant_lines.get(i).copied().flatten();
        self.violations
            .extend(variant::check_groups(&uri, &master, line_of));

        report.renditions = master
            .alternatives
            .iter()
            .enumerate()
            .map(|(i, a)| RenditionRow {
                line: media_lines.get(i).copied(),
                media_type: a.media_type.to_string(),
                group_id: a.group_id.clone(),
                name: a.name.clone(),
                default: a.default,
                uri: a.uri.clone(),
            })
            .collect();

        // Every media playlist once, in order of first mention (I-frame playlists are not walked).
        let mut listed: Vec<(String, Location)> = Vec::new();
        for (i, v) in master.variants.iter().enumerate() {
            if !v.is_i_frame && !listed.iter().any(|(u, _)| *u == v.uri) {
                listed.push((v.uri.clone(), Location::line(uri.clone(), line_of(i))));
            }
        }
        for (i, a) in master.alternatives.iter().enumerate() {
            if let Some(u) = &a.uri {
                if !listed.iter().any(|(l, _)| l == u) {
                    listed.push((
                        u.clone(),
                        Location::line(uri.clone(), media_lines.get(i).copied()),
                    ));
                }
            }
        }
        let mut playlists: Vec<(String, Option<MediaPlaylistReport>)> = Vec::new();
        for (written, at) in listed {
            let media = match source.join(&written) {
                Ok(media_source) => {
                    let at = Location {
                        uri: media_source.to_string(),
                        playlist: Some(uri.clone()),
                        line: at.line,
                        ..Location::default()
                    };
                    self.media_playlist(&media_source, None, master.independent_segments, Some(at))
                        .await
                }
                Err(e) => {
                    self.violations
                        .push(rules::FETCH_FAILED.at(at, e.to_string()));
                    None
                }
            };
            playlists.push((written, media));
        }
        let find = |written: &str| {
            playlists
                .iter()
                .find(|(w, _)| w == written)
                .and_then(|(_, m)| m.as_ref())
        };

        let mut timelines = Vec::new();
        for (i, v) in master.variants.iter().enumerate() {
            let at = Location::line(uri.clone(), line_of(i));
            let media = if v.is_i_frame { None } else { find(&v.uri) };
            let group: Vec<Option<&MediaPlaylistReport>> = master
                .alternatives
                .iter()
                .filter(|a| {
                    a.media_type == m3u8_rs::AlternativeMediaType::Audio
                        && v.audio.as_deref() == Some(a.group_id.as_str())
                })
                .filter_map(|a| a.uri.as_deref())
                // An audio-only variant may name its own playlist in its group: count it once.
                .filter(|u| *u != v.uri)
                .map(find)
                .collect();
            let walked = self.options.walk && !v.is_i_frame;
            let mut row = VariantRow {
                line: line_of(i),
                uri: v.uri.clone(),
                bandwidth: v.bandwidth,
                average_bandwidth: v.average_bandwidth,
                codecs: v.codecs.clone(),
                resolution: v
                    .resolution
                    .as_ref()
                    .map(|r| format!("{}x{}", r.width, r.height)),
                frame_rate: v.frame_rate,
                audio: v.audio.clone(),
                measured_codecs: None,
                measured_peak_bitrate: None,
            };
            // What the renditions' inits carry, only when every one of them was read.
            let measured_codecs: Option<Vec<String>> = if walked {
                std::iter::once(media)
                    .chain(group.iter().copied())
                    .map(|m| m.and_then(|m| m.init.as_ref()).map(|i| i.codecs.clone()))
                    .collect()
            } else {
                None
            };
            row.measured_codecs = measured_codecs.as_ref().map(|c| {
                let mut seen: Vec<&str> = Vec::new();
                for codec in c.iter().flat_map(|c| c.split(',')) {
                    if !seen.contains(&codec) {
                        seen.push(codec);
                    }
                }
                seen.join(",")
            });
            if !v.is_i_frame {
                self.violations.extend(variant::check_codecs(
                    &at,
                    v.codecs.as_deref(),
                    measured_codecs.as_deref(),
                ));
            }
            if let Some(init) = media.and_then(|m| m.init.as_ref()) {
                let video = init.video().and_then(|t| Some((t.width?, t.height?)));
                let declared = v.resolution.as_ref().map(|r| (r.width, r.height));
                self.violations
                    .extend(variant::check_resolution(&at, declared, video));
            }
            if let Some(media) = media {
                let audio_peak = group
                    .iter()
                    .filter_map(|g| g.and_then(|g| g.peak_bitrate))
                    .max();
                let audio_average = group
                    .iter()
                    .filter_map(|g| g.and_then(|g| g.average_bitrate))
                    .max();
                let peak = media
                    .peak_bitrate
                    .map(|p| (p + audio_peak.unwrap_or(0)) as f64);
                row.measured_peak_bitrate = peak.map(|p| p as u64);
                let complete = media.ended && group.iter().all(|g| g.is_some_and(|g| g.ended));
                self.violations.extend(variant::check_bandwidth(
                    &at,
                    Bitrates {
                        bandwidth: v.bandwidth,
                        average_bandwidth: v.average_bandwidth,
                        peak,
                        average: media
                            .average_bitrate
                            .map(|a| (a + audio_average.unwrap_or(0)) as f64),
                        complete,
                    },
                ));
                let starts: Vec<(u64, f64)> = media
                    .segments
                    .iter()
                    .filter_map(|s| s.media.as_ref().map(|m| (s.msn, m.start_secs)))
                    .collect();
                // Audio cut on its own frame boundaries need not line up with video: video only.
                let has_video = media.init.as_ref().is_some_and(|i| i.video().is_some());
                if has_video
                    && !starts.is_empty()
                    && !timelines.iter().any(|t: &Timeline| t.uri == media.uri)
                {
                    timelines.push(Timeline {
                        uri: media.uri.clone(),
                        starts,
                    });
                }
            }
            report.variants.push(row);
        }
        self.violations.extend(variant::check_alignment(
            &timelines,
            self.options.tolerance_secs,
        ));
        report.media_playlists = playlists.into_iter().filter_map(|(_, m)| m).collect();
        report
    }
}

/// The playlist's entries, before anything is fetched.
fn media_report(
    uri: &str,
    lines: &PlaylistLines,
    p: &MediaPlaylist,
    inherited_independent: bool,
) -> MediaPlaylistReport {
    let first_msn = p.media_sequence.saturating_add(p.skipped_segments);
    let part_rows = |msn: u64, parts: &[onair_media::Part], part_lines: &[usize]| {
        parts
            .iter()
            .enumerate()
            .map(|(index, part)| PartRow {
                msn,
                index,
                line: part_lines.get(index).copied(),
                uri: part.uri.clone(),
                duration_secs: part.duration_secs,
                independent: part.independent,
                gap: part.gap,
                media: None,
            })
            .collect::<Vec<_>>()
    };
    let segments: Vec<SegmentRow> = p
        .segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let msn = first_msn + i as u64;
            let seg_lines = lines.segments.get(i);
            SegmentRow {
                msn,
                line: seg_lines.map(|l| l.uri),
                uri: s.uri.clone(),
                extinf_secs: s.duration_secs,
                discontinuity: s.discontinuity,
                gap: s.gap,
                parts: part_rows(
                    msn,
                    &s.parts,
                    seg_lines.map(|l| l.parts.as_slice()).unwrap_or(&[]),
                ),
                bytes: None,
                media: None,
            }
        })
        .collect();
    MediaPlaylistReport {
        uri: uri.to_string(),
        version: lines.version(),
        target_duration: p.target_duration,
        media_sequence: p.media_sequence,
        discontinuity_sequence: p.discontinuity_sequence,
        playlist_type: p.playlist_type.map(|t| match t {
            PlaylistType::Vod => "VOD",
            PlaylistType::Event => "EVENT",
        }),
        ended: p.ended,
        independent_segments: inherited_independent || lines.independent_segments(),
        part_target: p.part_target,
        server_control: p.server_control.as_ref().map(|c| ServerControlReport {
            can_block_reload: c.can_block_reload,
            can_skip_until: c.can_skip_until,
            hold_back: c.hold_back,
            part_hold_back: c.part_hold_back,
        }),
        skipped_segments: p.skipped_segments,
        map_uri: (!p.map_uri.is_empty()).then(|| p.map_uri.clone()),
        init: None,
        total_secs: p.segments.iter().map(|s| s.duration_secs).sum(),
        trailing_parts: part_rows(
            first_msn + p.segments.len() as u64,
            &p.trailing_parts,
            &lines.trailing_parts,
        ),
        segments,
        preload_hint: p.preload_hint.as_ref().map(|h| h.uri.clone()),
        peak_bitrate: None,
        average_bitrate: None,
    }
}

impl From<FetchError> for InspectError {
    fn from(e: FetchError) -> Self {
        InspectError::Fetch(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_the_kind() {
        let boxed = |fourccs: &[&[u8; 4]]| {
            let mut out = Vec::new();
            for f in fourccs {
                out.extend_from_slice(&16u32.to_be_bytes());
                out.extend_from_slice(*f);
                out.extend_from_slice(&[0; 8]);
            }
            out
        };
        let cases = [
            (b"#EXTM3U\n#EXT-X-VERSION:7\n".to_vec(), Kind::Playlist),
            (boxed(&[b"ftyp", b"moov"]), Kind::Init),
            (
                boxed(&[b"ftyp", b"moov", b"moof", b"mdat", b"mfra"]),
                Kind::FragmentedFile,
            ),
            (boxed(&[b"styp", b"moof", b"mdat"]), Kind::Segment),
            (boxed(&[b"moof", b"mdat"]), Kind::Segment),
            (boxed(&[b"ftyp", b"free"]), Kind::Unknown),
            (b"<html>".to_vec(), Kind::Unknown),
            (Vec::new(), Kind::Unknown),
        ];
        for (bytes, kind) in cases {
            assert_eq!(detect(&bytes), kind, "{bytes:?}");
        }
        // A size field pointing past the end or below a header stops the scan without a panic.
        let mut truncated = boxed(&[b"ftyp"]);
        truncated[..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(top_level_boxes(&truncated), vec![*b"ftyp"]);
        let mut tiny = boxed(&[b"ftyp", b"moov"]);
        tiny[..4].copy_from_slice(&3u32.to_be_bytes());
        assert_eq!(top_level_boxes(&tiny), vec![*b"ftyp"]);
        let mut large = boxed(&[b"moof"]);
        large[..4].copy_from_slice(&1u32.to_be_bytes());
        large[8..16].copy_from_slice(&16u64.to_be_bytes());
        assert_eq!(top_level_boxes(&large), vec![*b"moof"]);
    }

    /// A whole fragmented file made by the media crate's muxer: the init of an H.264 track (90 kHz) and
    /// an Opus track, then one one-second fragment per start (seconds): 30 frames, a keyframe first,
    /// and 50 Opus packets.
    fn muxed_file(starts: &[u64]) -> Vec<u8> {
        use onair_media::{
            opus_dops, write_fragment, write_init, Codec, MediaParams, Sample, TrackFragment,
            TrackInfo,
        };
        let video = TrackInfo {
            id: 1,
            timescale: 90_000,
            codec: Codec::Avc {
                avcc: vec![1, 0x42, 0xe0, 0x1f, 0xff, 0xe1, 0, 0, 1, 0, 0],
            },
            params: MediaParams::Video {
                width: 640,
                height: 360,
            },
        };
        let audio = TrackInfo {
            id: 2,
            timescale: 48_000,
            codec: Codec::Opus {
                dops: opus_dops(2, 312, 48_000),
            },
            params: MediaParams::Audio {
                channels: 2,
                sample_rate: 48_000,
            },
        };
        let track = |info: &TrackInfo, start: u64, count: u32, duration: u32| TrackFragment {
            track_id: info.id,
            base_decode_time: start * u64::from(info.timescale),
            samples: (0..count)
                .map(|i| Sample {
                    duration,
                    cts_offset: 0,
                    keyframe: info.id == 2 || i == 0,
                    data: vec![i as u8; 10 + i as usize],
                })
                .collect(),
        };
        let mut file = write_init(&InitSegment {
            tracks: vec![video.clone(), audio.clone()],
        })
        .expect("init");
        for (n, &start) in starts.iter().enumerate() {
            let tracks = [
                track(&video, start, 30, 3000),
                track(&audio, start, 50, 960),
            ];
            file.extend(write_fragment(n as u32 + 1, &tracks).expect("fragment"));
        }
        file
    }

    /// Inspects `bytes` written to a file.
    async fn inspect_bytes(bytes: &[u8]) -> Report {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("rec.mp4");
        std::fs::write(&path, bytes).expect("write");
        inspect(&path.display().to_string(), &Options::default())
            .await
            .expect("inspected")
    }

    #[tokio::test]
    async fn a_whole_muxed_file_is_read_fragment_by_fragment() {
        let bytes = muxed_file(&[0, 1, 2]);
        assert_eq!(detect(&bytes), Kind::FragmentedFile);
        let report = inspect_bytes(&bytes).await;
        assert_eq!(report.violations, Vec::new());
        let Subject::FragmentedFile {
            bytes: size,
            init,
            total,
            fragments,
            mfra,
        } = &report.subject
        else {
            panic!("not a file: {report:?}");
        };
        assert_eq!(*size, bytes.len());
        assert_eq!(init.as_ref().map(|i| i.tracks.len()), Some(2));
        assert_eq!(*mfra, None);
        assert_eq!(fragments.len(), 3);
        for (i, f) in fragments.iter().enumerate() {
            assert_eq!(f.index, i);
            let media = f.media.as_ref().expect("demuxed");
            assert_eq!(media.sequence_numbers, vec![i as u32 + 1]);
            assert_eq!(media.start_secs, i as f64);
            let counts: Vec<(usize, usize, f64)> = media
                .tracks
                .iter()
                .map(|t| (t.samples, t.keyframes, t.duration_secs))
                .collect();
            assert_eq!(counts, vec![(30, 1, 1.0), (50, 50, 1.0)]);
        }
        // The fragments tile the file after the init.
        let ends: Vec<usize> = fragments.iter().map(|f| f.byte + f.bytes).collect();
        assert_eq!(fragments[1].byte, ends[0]);
        assert_eq!(fragments[2].byte, ends[1]);
        assert_eq!(ends[2], bytes.len());
        let total = total.as_ref().expect("total");
        assert_eq!(total.fragments, 3);
        assert_eq!(total.duration_secs, 3.0);
        let counts: Vec<(usize, usize, u64)> = total
            .tracks
            .iter()
            .map(|t| (t.samples, t.keyframes, t.end_decode_time))
            .collect();
        assert_eq!(counts, vec![(90, 3, 270_000), (150, 150, 144_000)]);
        let text = crate::render::text(&report);
        assert!(text.starts_with("fragmented file  "), "{text}");
        assert!(text.contains("mfra          none"), "{text}");
        assert!(text.ends_with("no problems found\n"), "{text}");
    }

    #[tokio::test]
    async fn damaged_fragments_are_named_with_their_byte_offsets() {
        // The third fragment starts back at 1 s: an overlap with the second.
        let report = inspect_bytes(&muxed_file(&[0, 1, 1])).await;
        let codes: Vec<&str> = report.violations.iter().map(|v| v.code).collect();
        assert_eq!(codes, ["timestamp-gap", "timestamp-gap"], "{report:?}");
        let Subject::FragmentedFile { fragments, .. } = &report.subject else {
            panic!("not a file: {report:?}");
        };
        let overlap = &report.violations[0];
        assert_eq!(overlap.location.fragment, Some(2));
        assert_eq!(overlap.location.byte, Some(fragments[2].byte));
        assert!(
            overlap.message.contains("overlap of 1.000 s"),
            "{}",
            overlap.message
        );

        // Cut inside the last mdat: that fragment does not demux, and the error says where.
        let whole = muxed_file(&[0, 1, 2]);
        let report = inspect_bytes(&whole[..whole.len() - 5]).await;
        assert_eq!(report.errors, 1, "{report:?}");
        let cut = &report.violations[0];
        assert_eq!(cut.code, "segment-invalid");
        assert_eq!(cut.location.fragment, Some(2));
        let Subject::FragmentedFile { fragments, .. } = &report.subject else {
            panic!("not a file: {report:?}");
        };
        assert_eq!(fragments.len(), 3);
        assert_eq!(fragments[2].media, None);
        let mdat = fragments[2].byte
            + whole
                .get(fragments[2].byte..)
                .and_then(|rest| rest.windows(4).position(|w| w == b"mdat"))
                .expect("mdat")
            - 4;
        assert!(
            cut.message
                .starts_with(&format!("truncated box 'mdat' at byte {mdat}:")),
            "{}",
            cut.message
        );
    }

    #[test]
    fn previews_are_printable() {
        assert_eq!(preview(b"<html>\n"), "<html>\\x0a");
    }
}
