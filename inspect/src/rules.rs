//! Every rule `onair inspect` checks: a stable code for machines, a severity, and the spec sentence it
//! enforces, quoted briefly. Checks build a [`Violation`] with [`Rule::at`], so the wording of a rule lives
//! here once.
//!
//! Sections are those of RFC 8216bis (HTTP Live Streaming 2nd edition); "MUST" rules are errors, "SHOULD"
//! rules and measurements whose spec wording is not a hard limit are warnings.

use crate::report::{Location, Severity, Violation};

/// One checked rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable kebab-case identifier, e.g. `extinf-over-target`.
    pub code: &'static str,
    /// How bad breaking it is.
    pub severity: Severity,
    /// Where the rule is written and what it says.
    pub spec: &'static str,
}

impl Rule {
    /// A violation of this rule at `location`.
    pub fn at(&self, location: Location, message: impl Into<String>) -> Violation {
        Violation {
            severity: self.severity,
            code: self.code,
            location,
            message: message.into(),
            rule: self.spec,
        }
    }
}

const fn error(code: &'static str, spec: &'static str) -> Rule {
    Rule {
        code,
        severity: Severity::Error,
        spec,
    }
}

const fn warning(code: &'static str, spec: &'static str) -> Rule {
    Rule {
        code,
        severity: Severity::Warning,
        spec,
    }
}

// --- Reading things at all -------------------------------------------------------------------------

/// A listed resource could not be fetched.
pub const FETCH_FAILED: Rule = error(
    "fetch-failed",
    "RFC 8216bis 6.2.1: a Media Segment (and so its playlist and init) MUST be available once it is listed",
);
/// A playlist that does not parse.
pub const PLAYLIST_SYNTAX: Rule = error(
    "playlist-syntax",
    "RFC 8216bis 4: \"Playlists that violate these rules are invalid; clients MUST fail to parse them\"",
);
/// A playlist URL that names no playlist.
pub const PLAYLIST_NOT_IDENTIFIED: Rule = error(
    "playlist-not-identified",
    "RFC 8216bis 4: \"Each Playlist file MUST be identifiable either by the path component of its URI or by HTTP Content-Type\"",
);
/// The first line is not `#EXTM3U`.
pub const EXTM3U_FIRST: Rule = error(
    "extm3u-not-first",
    "RFC 8216bis 4.4.1.1: EXTM3U \"MUST be the first line of every Media Playlist and every Multivariant Playlist\"",
);
/// A multivariant playlist where a media playlist was expected, or the reverse.
pub const WRONG_PLAYLIST_KIND: Rule = error(
    "wrong-playlist-kind",
    "RFC 8216bis 4.4: \"A Playlist is either a Media Playlist or a Multivariant Playlist\"",
);
/// The init segment does not demux.
pub const INIT_INVALID: Rule = error(
    "init-invalid",
    "RFC 8216bis 3.1.2: the Media Initialization Section of fMP4 segments is an ISOBMFF 'ftyp' + 'moov' (ISO/IEC 14496-12)",
);
/// A segment or part does not demux.
pub const SEGMENT_INVALID: Rule = error(
    "segment-invalid",
    "RFC 8216bis 3.1.2: an fMP4 Media Segment is ISOBMFF movie fragments ('moof' + 'mdat', ISO/IEC 14496-12 8.8)",
);

// --- Media playlist tags ---------------------------------------------------------------------------

/// No `EXT-X-TARGETDURATION`, or not an integer.
pub const TARGET_DURATION_INVALID: Rule = error(
    "target-duration-invalid",
    "RFC 8216bis 4.4.3.1: EXT-X-TARGETDURATION \"is REQUIRED\"; its value \"is a decimal-integer\"",
);
/// A playlist tag appears twice.
pub const TAG_REPEATED: Rule = error(
    "tag-repeated",
    "RFC 8216bis 4.4.3: \"There MUST NOT be more than one Media Playlist tag of each type in any Media Playlist\"",
);
/// `EXT-X-VERSION` twice.
pub const VERSION_REPEATED: Rule = error(
    "version-repeated",
    "RFC 8216bis 4.4.1.2: \"A Playlist file MUST NOT contain more than one EXT-X-VERSION tag\"",
);
/// `EXT-X-VERSION` lower than the features used need.
pub const VERSION_TOO_LOW: Rule = error(
    "version-too-low",
    "RFC 8216bis 8: a Playlist MUST indicate an EXT-X-VERSION of 3 or higher for floating-point EXTINF, 6 for EXT-X-MAP, 9 for EXT-X-SKIP",
);
/// `EXT-X-MEDIA-SEQUENCE` after a segment, or not an integer.
pub const MEDIA_SEQUENCE_INVALID: Rule = error(
    "media-sequence-invalid",
    "RFC 8216bis 4.4.3.2: \"The EXT-X-MEDIA-SEQUENCE tag MUST appear before the first Media Segment in the Playlist\"; its value is a decimal-integer",
);
/// An `EXTINF` that rounds above the target duration.
pub const EXTINF_OVER_TARGET: Rule = error(
    "extinf-over-target",
    "RFC 8216bis 4.4.3.1: \"The EXTINF duration of each Media Segment in a Playlist file, when rounded to the nearest integer, MUST be less than or equal to the Target Duration\"",
);
/// fMP4 segments without `EXT-X-MAP`.
pub const MAP_MISSING: Rule = error(
    "map-missing",
    "RFC 8216bis 3.1.2: \"Each fMP4 Segment in a Media Playlist MUST have an EXT-X-MAP tag applied to it\"",
);
/// `EXT-X-PRELOAD-HINT` in an ended playlist.
pub const PRELOAD_HINT_AFTER_END: Rule = error(
    "preload-hint-after-end",
    "RFC 8216bis 4.4.5.3: \"A Playlist containing an EXT-X-ENDLIST tag MUST NOT contain an EXT-X-PRELOAD-HINT tag\"",
);

// --- Low-latency tags ------------------------------------------------------------------------------

/// Parts without `EXT-X-PART-INF`.
pub const PART_INF_MISSING: Rule = error(
    "part-inf-missing",
    "RFC 8216bis 4.4.3.7: EXT-X-PART-INF \"is REQUIRED if a Playlist contains one or more EXT-X-PART tags\"",
);
/// `EXT-X-PART-INF` without `PART-HOLD-BACK`.
pub const PART_HOLD_BACK_MISSING: Rule = error(
    "part-hold-back-missing",
    "RFC 8216bis 4.4.3.8: PART-HOLD-BACK \"is REQUIRED if the Playlist contains the EXT-X-PART-INF tag\"",
);
/// `PART-HOLD-BACK` below twice the part target.
pub const PART_HOLD_BACK_TOO_SMALL: Rule = error(
    "part-hold-back-too-small",
    "RFC 8216bis 4.4.3.8: PART-HOLD-BACK \"MUST be at least twice the Part Target Duration\"",
);
/// `PART-HOLD-BACK` below three times the part target.
pub const PART_HOLD_BACK_SHORT: Rule = warning(
    "part-hold-back-short",
    "RFC 8216bis 4.4.3.8: PART-HOLD-BACK \"SHOULD be at least three times the Part Target Duration\"",
);
/// `HOLD-BACK` below three target durations.
pub const HOLD_BACK_TOO_SMALL: Rule = error(
    "hold-back-too-small",
    "RFC 8216bis 4.4.3.8: HOLD-BACK \"MUST be at least three times the Target Duration\"",
);
/// `CAN-SKIP-UNTIL` below six target durations.
pub const SKIP_BOUNDARY_TOO_SMALL: Rule = error(
    "skip-boundary-too-small",
    "RFC 8216bis 4.4.3.8: \"The Skip Boundary MUST be at least six times the Target Duration\"",
);
/// A part longer than the part target (declared or measured).
pub const PART_OVER_TARGET: Rule = error(
    "part-over-target",
    "RFC 8216bis 4.4.4.9: \"The duration of a Partial Segment MUST be less than or equal to the Part Target Duration\"",
);
/// A part shorter than 85% of the part target where that is not allowed.
pub const PART_TOO_SHORT: Rule = error(
    "part-too-short",
    "RFC 8216bis 4.4.4.9: \"The duration of each Partial Segment MUST be at least 85% of the Part Target Duration\" (except INDEPENDENT=YES, GAP=YES, before a gap, and the last of its Parent Segment)",
);
/// Parts kept long after they left the live edge.
pub const PARTS_TOO_OLD: Rule = warning(
    "parts-too-old",
    "RFC 8216bis 6.2.2: \"EXT-X-PART tags SHOULD be removed from the Playlist after they are greater than three Target Durations from the end of the Playlist\"",
);
/// A part marked `INDEPENDENT=YES` without a sync sample.
pub const PART_NOT_INDEPENDENT: Rule = error(
    "part-not-independent",
    "RFC 8216bis 4.4.4.9: INDEPENDENT=YES means \"the Partial Segment contains an independent frame\"",
);
/// A part whose measured duration differs from its `DURATION`.
pub const PART_DURATION_MISMATCH: Rule = warning(
    "part-duration-mismatch",
    "RFC 8216bis 4.4.4.9: DURATION is \"the duration of the Partial Segment\"",
);

// --- Measured media --------------------------------------------------------------------------------

/// A measured segment duration that rounds above the target duration.
pub const MEASURED_OVER_TARGET: Rule = error(
    "measured-over-target",
    "RFC 8216bis 4.4.3.1: each Media Segment's duration \"when rounded to the nearest integer, MUST be less than or equal to the Target Duration\"",
);
/// A measured duration far from `EXTINF`.
pub const EXTINF_MISMATCH: Rule = warning(
    "extinf-mismatch",
    "RFC 8216bis 4.4.4.1: \"The EXTINF tag specifies the duration of a Media Segment\"",
);
/// A segment that does not start on a sync sample although independent segments are claimed.
pub const NOT_INDEPENDENT: Rule = error(
    "segment-not-independent",
    "RFC 8216bis 4.4.2.1: EXT-X-INDEPENDENT-SEGMENTS \"indicates that all media samples in a Media Segment can be decoded without information from other segments\"",
);
/// Decode times that jump between consecutive segments without `EXT-X-DISCONTINUITY`.
pub const TIMESTAMP_GAP: Rule = error(
    "timestamp-gap",
    "RFC 8216bis 4.4.4.3: EXT-X-DISCONTINUITY \"MUST be present if there is a change in any of the following characteristics: ... timestamp sequence\"",
);
/// Small decode-time gaps or overlaps between consecutive segments.
pub const TIMESTAMP_JITTER: Rule = warning(
    "timestamp-jitter",
    "RFC 8216bis 4.4.4.3: a change in the \"timestamp sequence\" needs EXT-X-DISCONTINUITY; small gaps or overlaps glitch playback",
);
/// `mfhd` sequence numbers going backwards.
pub const FRAGMENT_SEQUENCE_BACKWARDS: Rule = warning(
    "fragment-sequence-backwards",
    "ISO/IEC 14496-12 8.8.5: the mfhd sequence_number \"increases for each movie fragment in the file, in the order in which they occur\"",
);
/// A track of the init with no samples in a segment.
pub const TRACK_MISSING: Rule = warning(
    "track-missing",
    "RFC 8216bis 4.4.4.3: a change in the \"number, type, and identifiers of tracks\" needs EXT-X-DISCONTINUITY",
);

// --- Whole files -----------------------------------------------------------------------------------

/// Bytes of a whole file that are not a box.
pub const FILE_INVALID: Rule = error(
    "file-invalid",
    "ISO/IEC 14496-12 4.2: an ISOBMFF file is a sequence of boxes, each starting with its size and type",
);
/// Media data before the first movie fragment, described by the `moov`'s sample tables.
pub const SAMPLES_OUTSIDE_FRAGMENTS: Rule = warning(
    "samples-outside-fragments",
    "ISO/IEC 14496-12 8.8.1: the 'moov' of a fragmented file may describe samples itself, before the first movie fragment; only movie fragments are checked here",
);
/// An `mfra` that does not point at the file's movie fragments.
pub const MFRA_INVALID: Rule = error(
    "mfra-invalid",
    "ISO/IEC 14496-12 8.8.10: a tfra moof_offset \"gives the offset of the 'moof' used in this entry\", from the beginning of the file; 8.8.11: the mfro size is the size of the enclosing 'mfra'",
);

// --- Multivariant playlist -------------------------------------------------------------------------

/// `CODECS` that does not match the inits.
pub const CODECS_MISMATCH: Rule = error(
    "codecs-mismatch",
    "RFC 8216bis 4.4.6.2: CODECS lists \"formats, where each format specifies a media sample type that is present in one or more Renditions specified by the Variant Stream\"",
);
/// No `CODECS`.
pub const CODECS_MISSING: Rule = warning(
    "codecs-missing",
    "RFC 8216bis 4.4.6.2: \"Every EXT-X-STREAM-INF tag SHOULD include a CODECS attribute\"",
);
/// `RESOLUTION` that differs from the video's.
pub const RESOLUTION_MISMATCH: Rule = warning(
    "resolution-mismatch",
    "RFC 8216bis 4.4.6.2: RESOLUTION \"describes the optimal pixel resolution at which to display all the video in the Variant Stream\"",
);
/// No `RESOLUTION` on a variant with video.
pub const RESOLUTION_MISSING: Rule = warning(
    "resolution-missing",
    "RFC 8216bis 4.4.6.2: RESOLUTION \"is OPTIONAL but is recommended if the Variant Stream includes video\"",
);
/// `BANDWIDTH` below the measured peak segment bit rate of a finished stream.
pub const BANDWIDTH_BELOW_PEAK: Rule = error(
    "bandwidth-below-peak",
    "RFC 8216bis 4.4.6.2: \"If all the Media Segments in a Variant Stream have already been created, the BANDWIDTH value MUST be the largest sum of peak segment bit rates that is produced by any playable combination of Renditions\"",
);
/// `BANDWIDTH` below the measured peak of a live stream so far.
pub const BANDWIDTH_BELOW_PEAK_LIVE: Rule = warning(
    "bandwidth-below-peak-live",
    "RFC 8216bis 4.4.6.2: BANDWIDTH \"represents the peak segment bit rate of the Variant Stream\"",
);
/// `AVERAGE-BANDWIDTH` below the measured average.
pub const AVERAGE_BANDWIDTH_BELOW: Rule = warning(
    "average-bandwidth-below",
    "RFC 8216bis 4.4.6.2: AVERAGE-BANDWIDTH \"represents the average segment bit rate of the Variant Stream\"",
);
/// A rendition group named by a variant but not defined.
pub const GROUP_MISSING: Rule = error(
    "group-missing",
    "RFC 8216bis 4.4.6.2: AUDIO/VIDEO/SUBTITLES \"MUST match the value of the GROUP-ID attribute of an EXT-X-MEDIA tag elsewhere in the Multivariant Playlist\"",
);
/// Variants whose segments of the same media sequence number start at different times.
pub const VARIANTS_MISALIGNED: Rule = warning(
    "variants-misaligned",
    "RFC 8216bis 6.2.4: \"Matching content in Variant Streams MUST have matching timestamps\"",
);
