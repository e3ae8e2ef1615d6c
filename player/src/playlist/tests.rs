//! Media playlist reading, fragment addressing and reload URLs, on playlists as our origin and ffmpeg
//! write them.

use super::*;

/// As the origin renders a live LL-HLS rendition: two complete segments with parts, two parts of the
/// next, a hint, a report of another rendition.
const LL: &str = "#EXTM3U
#EXT-X-VERSION:9
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:10
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12,PART-HOLD-BACK=1
#EXT-X-PART-INF:PART-TARGET=0.33334
#EXT-X-MAP:URI=\"init.mp4\"
#EXT-X-PART:DURATION=0.33334,URI=\"10.0.m4s\",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.33334,URI=\"10.1.m4s\"
#EXT-X-PART:DURATION=0.33332,URI=\"10.2.m4s\"
#EXTINF:1.0,
10.m4s
#EXT-X-PART:DURATION=0.33334,URI=\"11.0.m4s\",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.33334,URI=\"11.1.m4s\"
#EXT-X-PART:DURATION=0.33332,URI=\"11.2.m4s\"
#EXTINF:1.0,
11.m4s
#EXT-X-PART:DURATION=0.33334,URI=\"12.0.m4s\",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.33334,URI=\"12.1.m4s\"
#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"12.2.m4s\"
#EXT-X-RENDITION-REPORT:URI=\"../r1/index.m3u8\",LAST-MSN=12,LAST-PART=1
";

const BASE: &str = "http://h/live/s/r0/index.m3u8";

fn ll() -> MediaView {
    MediaView::parse(LL, BASE, None).unwrap()
}

#[test]
fn reads_parts_hint_and_server_control() {
    let v = ll();
    assert_eq!(v.media_sequence, 10);
    assert_eq!(v.segments.len(), 2);
    assert_eq!(v.next_msn(), 12);
    assert_eq!(v.trailing_parts.len(), 2);
    assert_eq!(v.end(), Position { msn: 12, part: 2 });
    let hint = v.hint.as_ref().unwrap();
    assert_eq!(hint.position, Position { msn: 12, part: 2 });
    assert_eq!(hint.url, "http://h/live/s/r0/12.2.m4s");
    assert!(v.can_block_reload);
    assert_eq!(v.part_hold_back, Some(1.0));
    assert_eq!(v.part_target, Some(0.33334));
    assert_eq!(v.map_url.as_deref(), Some("http://h/live/s/r0/init.mp4"));
    assert_eq!(v.reports[0].url, "http://h/live/s/r1/index.m3u8");
    assert_eq!(v.reports[0].last_part, Some(1));
}

#[test]
fn fragments_by_position() {
    let v = ll();
    // A complete segment's first position: the whole segment unless parts are preferred.
    let whole = v.fragment(Position::segment(10), false).unwrap();
    assert!(!whole.is_part);
    assert_eq!(whole.url, "http://h/live/s/r0/10.m4s");
    assert_eq!(v.after(&whole), Position::segment(11));
    let part = v.fragment(Position::segment(10), true).unwrap();
    assert!(part.is_part && part.independent);
    assert_eq!(part.url, "http://h/live/s/r0/10.0.m4s");
    // The last part of a complete segment is followed by the next segment.
    let last = v.fragment(Position { msn: 11, part: 2 }, true).unwrap();
    assert_eq!(v.after(&last), Position::segment(12));
    assert_eq!(v.fragment(Position { msn: 11, part: 3 }, true), None);
    // Trailing parts, then the hint, then nothing.
    let trailing = v.fragment(Position { msn: 12, part: 1 }, true).unwrap();
    assert!(!trailing.independent && !trailing.hinted);
    assert_eq!(v.after(&trailing), Position { msn: 12, part: 2 });
    let hinted = v.fragment(Position { msn: 12, part: 2 }, true).unwrap();
    assert!(hinted.hinted);
    assert_eq!(v.fragment(Position { msn: 12, part: 3 }, true), None);
    assert_eq!(v.fragment(Position::segment(13), true), None);
    assert_eq!(v.fragment(Position::segment(9), true), None);
}

#[test]
fn starts_at_the_latest_independent_part_far_enough_back() {
    let v = ll();
    // 1 s back from the end (12.1 ends it): 12.0 is only 0.67 s back, 11.0 is 1.67 s back.
    assert_eq!(v.start(1.0), Some(Position::segment(11)));
    assert_eq!(v.start(0.5), Some(Position::segment(12)));
    assert_eq!(v.start(100.0), Some(Position::segment(10)));
    assert!((v.distance_from(Position::segment(11)) - 5.0 / 3.0).abs() < 1e-3);
    assert!((v.duration() - 8.0 / 3.0).abs() < 1e-3);
}

#[test]
fn blocking_reload_and_delta_urls() {
    let v = ll();
    assert_eq!(
        reload_url(BASE, &v, true),
        "http://h/live/s/r0/index.m3u8?_HLS_msn=12&_HLS_part=2"
    );
    assert_eq!(
        report_url("http://h/live/s/r1/index.m3u8?x=1", 12, Some(1)),
        "http://h/live/s/r1/index.m3u8?x=1&_HLS_msn=12&_HLS_part=1"
    );
    let mut long = v.clone();
    long.can_skip_until = Some(2.0);
    assert!(reload_url(BASE, &long, true).ends_with("&_HLS_skip=YES"));
    assert!(!reload_url(BASE, &long, false).contains("skip"));
    let mut no_block = v;
    no_block.can_block_reload = false;
    no_block.can_skip_until = None;
    assert_eq!(reload_url(BASE, &no_block, true), BASE);
    assert_eq!(blocking_timeout_ms(&no_block, 1000.0), 7000.0);
}

#[test]
fn delta_updates_merge_into_the_previous_copy() {
    let full = ll();
    let delta = "#EXTM3U
#EXT-X-VERSION:9
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:10
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12,PART-HOLD-BACK=1
#EXT-X-PART-INF:PART-TARGET=0.33334
#EXT-X-SKIP:SKIPPED-SEGMENTS=1
#EXTINF:1.0,
11.m4s
#EXTINF:1.0,
12.m4s
#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"13.0.m4s\"
";
    let merged = MediaView::parse(delta, BASE, Some(&full)).unwrap();
    assert!(merged.was_delta);
    let msns: Vec<u64> = merged.segments.iter().map(|s| s.msn).collect();
    assert_eq!(msns, [10, 11, 12]);
    assert_eq!(merged.segments[0].url, "http://h/live/s/r0/10.m4s");
    assert_eq!(merged.segments[0].parts.len(), 3);
    assert_eq!(
        merged.segments[2].map_url.as_deref(),
        Some("http://h/live/s/r0/init.mp4")
    );
    assert_eq!(merged.hint.unwrap().position, Position::segment(13));
    // Without a copy that holds the skipped segment: an error (the caller asks for the whole playlist).
    assert!(MediaView::parse(delta, BASE, None).is_err());
    let later = MediaView::parse(
        &delta.replace("SEQUENCE:10", "SEQUENCE:9"),
        BASE,
        Some(&full),
    );
    assert!(later.is_err());
}

#[test]
fn discontinuities_number_their_timelines_and_change_the_map() {
    let text = "#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-DISCONTINUITY-SEQUENCE:4
#EXT-X-MAP:URI=\"init0.mp4\"
#EXTINF:2.0,
0.m4s
#EXT-X-DISCONTINUITY
#EXT-X-MAP:URI=\"init1.mp4\"
#EXTINF:2.0,
1.m4s
#EXT-X-ENDLIST
";
    let v = MediaView::parse(text, "/v/index.m3u8", None).unwrap();
    assert!(v.ended);
    assert_eq!(v.segments[0].discontinuity_sequence, 4);
    assert_eq!(v.segments[1].discontinuity_sequence, 5);
    assert_eq!(v.segments[1].map_url.as_deref(), Some("/v/init1.mp4"));
    assert_eq!(v.start(6.0), Some(Position::segment(0)));
    // An ended playlist reloads without directives.
    assert_eq!(reload_url("/v/index.m3u8", &v, true), "/v/index.m3u8");
}

#[test]
fn rfc_8216_reload_timing() {
    let mut v = ll();
    // With parts: the part target.
    assert!((reload_delay_ms(&v, true, 0.0, 100.0) - 333.34).abs() < 0.01);
    v.part_target = None;
    assert_eq!(reload_delay_ms(&v, true, 0.0, 100.0), 2000.0);
    assert_eq!(reload_delay_ms(&v, false, 0.0, 100.0), 1000.0);
    assert_eq!(reload_delay_ms(&v, true, 300.0, 100.0), 1700.0);
    assert_eq!(reload_delay_ms(&v, false, 5000.0, 100.0), 100.0);
}

#[test]
fn rejects_what_is_not_a_media_playlist() {
    assert!(MediaView::parse("<html>", BASE, None).is_err());
    assert!(MediaView::parse(
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n",
        BASE,
        None
    )
    .is_err());
    assert!(MediaView::parse("#EXTM3U\n#EXT-X-PART:URI=x\n", BASE, None).is_err());
}

#[test]
fn a_map_hint_is_read() {
    let text = LL.replace(
        "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"12.2.m4s\"",
        "#EXT-X-PRELOAD-HINT:TYPE=MAP,URI=\"init-2.mp4\"",
    );
    let v = MediaView::parse(&text, BASE, None).unwrap();
    assert_eq!(v.map_hint.as_deref(), Some("http://h/live/s/r0/init-2.mp4"));
    assert_eq!(v.hint, None);
}

#[test]
fn part_and_map_hints_together() {
    let text = LL.replace(
        "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"12.2.m4s\"",
        "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"12.2.m4s\"\n#EXT-X-PRELOAD-HINT:TYPE=MAP,URI=\"init-2.mp4\"",
    );
    let v = MediaView::parse(&text, BASE, None).unwrap();
    assert_eq!(v.map_hint.as_deref(), Some("http://h/live/s/r0/init-2.mp4"));
    assert_eq!(v.hint.unwrap().url, "http://h/live/s/r0/12.2.m4s");
}
