//! The playlist model against playlists nobody here wrote: shaped like the LL-HLS examples of RFC 8216bis
//! (appendix), a delta update, and what ffmpeg's HLS muxer writes. Each is parsed, checked field by field,
//! rendered, and parsed again to the same model.

use onair_media::{
    render_multivariant, MediaPlaylist, Part, PlaylistSegment, PlaylistType, PreloadHint,
    PreloadHintType, RenditionReport, ServerControl, Variant,
};

fn round_trip(p: &MediaPlaylist) {
    let text = p.render();
    let again = MediaPlaylist::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(&again, p, "{text}");
    // Our own output is canonical: rendering what we parsed gives the same text.
    assert_eq!(again.render(), text);
}

#[test]
fn ll_hls_example_of_the_spec() {
    let p = MediaPlaylist::parse(include_str!("test_data/ll_hls_spec_example.m3u8")).unwrap();
    assert_eq!(p.target_duration, 4);
    assert_eq!(p.media_sequence, 266);
    assert_eq!(p.map_uri, "init.mp4");
    assert_eq!(p.part_target, Some(0.33334));
    assert_eq!(
        p.server_control,
        Some(ServerControl {
            can_block_reload: true,
            can_skip_until: Some(12.0),
            hold_back: None,
            part_hold_back: Some(1.0),
        })
    );
    assert_eq!(p.segments.len(), 6);
    assert_eq!(p.segments[5].uri, "fileSequence271.mp4");
    assert_eq!(p.segments[5].parts.len(), 12);
    assert!(p.segments[5].parts[4].independent && !p.segments[5].parts[3].independent);
    assert_eq!(p.trailing_parts.len(), 6);
    assert_eq!(p.trailing_parts[5].uri, "filePart272.f.mp4");
    assert_eq!(
        p.preload_hint,
        Some(PreloadHint {
            hint_type: PreloadHintType::Part,
            uri: "filePart272.g.mp4".into()
        })
    );
    assert_eq!(p.rendition_reports.len(), 2);
    assert_eq!(p.rendition_reports[1].last_part, Some(5));
    assert_eq!(p.last_msn(), Some(271));
    assert!(!p.ended);
    round_trip(&p);
}

#[test]
fn delta_update() {
    let p = MediaPlaylist::parse(include_str!("test_data/ll_hls_delta_update.m3u8")).unwrap();
    assert_eq!(p.skipped_segments, 3);
    assert_eq!(p.segments.len(), 3);
    assert_eq!(p.segments[0].uri, "fileSequence269.mp4");
    assert_eq!(p.last_msn(), Some(271));
    assert_eq!(p.trailing_parts.len(), 1);
    round_trip(&p);
    assert!(p.render().contains("#EXT-X-VERSION:9"));
}

#[test]
fn ffmpeg_hls_playlist() {
    let p = MediaPlaylist::parse(include_str!("test_data/ffmpeg_fmp4_vod.m3u8")).unwrap();
    assert_eq!(p.map_uri, "init.mp4");
    assert_eq!(p.playlist_type, Some(PlaylistType::Vod));
    assert!(p.ended);
    let durations: Vec<f64> = p.segments.iter().map(|s| s.duration_secs).collect();
    assert_eq!(durations, [2.0, 2.0, 2.0, 2.0, 1.0]);
    assert_eq!(p.segments[4].uri, "index4.m4s");
    round_trip(&p);
}

fn live() -> MediaPlaylist {
    MediaPlaylist {
        target_duration: 2,
        media_sequence: 5,
        map_uri: "init.mp4".into(),
        segments: (5..8)
            .map(|n| PlaylistSegment {
                uri: format!("{n}.m4s"),
                duration_secs: 2.0,
                program_date_time: Some(format!("2026-11-23T10:00:{:02}.000Z", n * 2)),
                parts: vec![
                    Part {
                        uri: format!("{n}.0.m4s"),
                        duration_secs: 1.0,
                        independent: true,
                        gap: false,
                    },
                    Part {
                        uri: format!("{n}.1.m4s"),
                        duration_secs: 1.0,
                        independent: false,
                        gap: false,
                    },
                ],
                ..PlaylistSegment::default()
            })
            .collect(),
        part_target: Some(1.0),
        server_control: Some(ServerControl {
            can_block_reload: true,
            can_skip_until: Some(12.0),
            hold_back: Some(6.0),
            part_hold_back: Some(3.0),
        }),
        trailing_parts: vec![Part {
            uri: "8.0.m4s".into(),
            duration_secs: 1.0,
            independent: true,
            gap: false,
        }],
        preload_hint: Some(PreloadHint {
            hint_type: PreloadHintType::Part,
            uri: "8.1.m4s".into(),
        }),
        rendition_reports: vec![RenditionReport {
            uri: "../r1/index.m3u8".into(),
            last_msn: Some(8),
            last_part: Some(0),
        }],
        ..MediaPlaylist::default()
    }
}

/// One case per quirk: each rendered playlist parses back to the same model.
#[test]
fn table_of_round_trips() {
    let mut cases: Vec<(&str, MediaPlaylist)> = vec![("live with parts", live())];
    let mut ended = live();
    ended.trailing_parts.clear();
    ended.preload_hint = None;
    ended.ended = true;
    cases.push(("ended", ended));
    let mut gap = live();
    gap.segments[1].gap = true;
    gap.segments[2].discontinuity = true;
    gap.discontinuity_sequence = 2;
    cases.push(("gap and discontinuity", gap));
    let mut skipped = live();
    skipped.skipped_segments = 4;
    skipped.media_sequence = 1;
    cases.push(("delta update", skipped));
    let first_parts = MediaPlaylist {
        target_duration: 2,
        map_uri: "init.mp4".into(),
        part_target: Some(0.5),
        trailing_parts: live().trailing_parts,
        preload_hint: live().preload_hint,
        ..MediaPlaylist::default()
    };
    cases.push(("only parts of the first segment", first_parts));
    let plain = MediaPlaylist {
        target_duration: 2,
        map_uri: "init.mp4".into(),
        segments: vec![PlaylistSegment {
            uri: "0.m4s".into(),
            duration_secs: 2.033333,
            ..PlaylistSegment::default()
        }],
        ..MediaPlaylist::default()
    };
    cases.push(("plain live", plain));
    for (name, p) in cases {
        let text = p.render();
        let again = MediaPlaylist::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        assert_eq!(again, p, "{name}\n{text}");
    }
    let text = live().render();
    assert!(text.contains("#EXT-X-MEDIA-SEQUENCE:5"), "{text}");
    assert!(
        text.find("#EXT-X-SERVER-CONTROL").unwrap() < text.find("#EXTINF").unwrap(),
        "{text}"
    );
    assert!(
        text.trim_end().ends_with("LAST-MSN=8,LAST-PART=0"),
        "{text}"
    );
}

#[test]
fn malformed_playlists_are_errors() {
    for bad in [
        "",
        "hello",
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-PART:URI=\"a\"\n",
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-PRELOAD-HINT:TYPE=NOPE,URI=\"a\"\n",
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na.m4s\n#EXT-X-RENDITION-REPORT:LAST-MSN=x\n",
    ] {
        assert!(MediaPlaylist::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn multivariant_lists_variants() {
    let text = render_multivariant(&[Variant {
        uri: "r0/index.m3u8".into(),
        bandwidth: 2_500_000,
        average_bandwidth: Some(2_000_000),
        codecs: "avc1.42e01f,opus".into(),
        resolution: Some((1280, 720)),
        frame_rate: Some(30.0),
    }]);
    let parsed = onair_media::m3u8_rs::parse_master_playlist_res(text.as_bytes()).unwrap();
    let v = &parsed.variants[0];
    assert_eq!(v.uri, "r0/index.m3u8");
    assert_eq!(v.bandwidth, 2_500_000);
    assert_eq!(v.codecs.as_deref(), Some("avc1.42e01f,opus"));
    assert_eq!(v.resolution.map(|r| (r.width, r.height)), Some((1280, 720)));
}
