//! When and how to ask for a media playlist again: a blocking reload (`_HLS_msn`, `_HLS_part`) with a
//! delta update (`_HLS_skip=YES`) when the server offers them, RFC 8216 section 6.3.4's timing when it
//! does not.

use super::media::{MediaView, Position};

/// The URL of the next copy of the playlist at `url` after `view`: a blocking reload for the part (or
/// segment) after the last one listed when the server can block, with `_HLS_skip=YES` when it can skip
/// and `delta` is allowed (false after a delta could not be merged); `url` itself otherwise.
///
/// RFC 8216bis 6.2.5.2: "the client SHOULD ... request the next Partial Segment ... by adding the
/// `_HLS_msn` and `_HLS_part` directives", and 6.2.5.1 on `_HLS_skip`.
pub fn reload_url(url: &str, view: &MediaView, delta: bool) -> String {
    if view.ended {
        return url.to_owned();
    }
    let mut directives = Vec::new();
    if view.can_block_reload {
        let Position { msn, part } = view.next_reload();
        directives.push(format!("_HLS_msn={msn}"));
        if view.has_parts() {
            directives.push(format!("_HLS_part={part}"));
        }
    }
    if delta && view.can_skip() {
        directives.push("_HLS_skip=YES".to_owned());
    }
    with_query(url, &directives)
}

/// The URL of another rendition's playlist at the position its rendition report gives, so the first
/// copy answers at once (the report says the server has it) and lists what follows: a switch costs one
/// round trip, not a blocking wait.
pub fn report_url(url: &str, last_msn: u64, last_part: Option<u64>) -> String {
    let mut directives = vec![format!("_HLS_msn={last_msn}")];
    if let Some(part) = last_part {
        directives.push(format!("_HLS_part={part}"));
    }
    with_query(url, &directives)
}

fn with_query(url: &str, directives: &[String]) -> String {
    if directives.is_empty() {
        return url.to_owned();
    }
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut out = format!("{base}{sep}{}", directives.join("&"));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// How long a blocking reload may take before it counts as failed, in milliseconds: the server answers
/// within three target durations or says it cannot (RFC 8216bis 6.2.5.2: "the server MUST ... respond
/// ... within three Target Durations"), plus a margin for the network.
pub fn blocking_timeout_ms(view: &MediaView, margin_ms: f64) -> f64 {
    let target = if view.target_duration > 0.0 {
        view.target_duration
    } else {
        2.0
    };
    target * 3_000.0 + margin_ms.max(0.0)
}

/// How long to wait before reloading a playlist that cannot block, in milliseconds.
///
/// RFC 8216 section 6.3.4: "the client MUST wait for at least the target duration before attempting to
/// reload the Playlist file again, measured from the last time the client began loading the Playlist
/// file", and "If the client reloads a Playlist file and finds that it has not changed, then it MUST
/// wait for a period of one-half the target duration before retrying." With parts the wait is the part
/// target (RFC 8216bis 6.3.4 uses the Part Target Duration for playlists with parts).
///
/// `elapsed_ms` is the time since the request began; the result never drops below `min_ms`.
pub fn reload_delay_ms(view: &MediaView, changed: bool, elapsed_ms: f64, min_ms: f64) -> f64 {
    let target = match view.part_target {
        Some(part) if part > 0.0 => part,
        _ if view.target_duration > 0.0 => view.target_duration,
        _ => 2.0,
    };
    let target_ms = target * 1000.0;
    let wait = if changed { target_ms } else { target_ms / 2.0 };
    (wait - elapsed_ms.max(0.0)).max(min_ms)
}
