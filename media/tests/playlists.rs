//! The playlist model against playlists nobody here wrote: shaped like the LL-HLS examples of RFC 8216bis
//! (appendix), a delta update, and what ffmpeg's HLS muxer writes (a media playlist, and a multivariant one
//! with an audio group). Each is parsed, checked field by field, rendered, and parsed again to the same
//! model.

use onair_media::playlist::{ByteRange, KeyMethod, SubtitleRendition};
use onair_media::{
    AudioRendition, MediaPlaylist, MultivariantPlaylist, Part, PlaylistSegment, PlaylistType,
    PreloadHint, PreloadHintType, RenditionReport, ServerControl, Variant,
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
    let text = MultivariantPlaylist {
        variants: vec![Variant {
            uri: "r0/index.m3u8".into(),
            bandwidth: 2_500_000,
            average_bandwidth: Some(2_000_000),
            codecs: "avc1.42e01f,opus".into(),
            resolution: Some((1280, 720)),
            frame_rate: Some(30.0),
            audio: None,
            subtitles: None,
        }],
        ..MultivariantPlaylist::default()
    }
    .render();
    assert_eq!(
        text,
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n\
#EXT-X-STREAM-INF:BANDWIDTH=2500000,AVERAGE-BANDWIDTH=2000000,CODECS=\"avc1.42e01f,opus\",RESOLUTION=1280x720,FRAME-RATE=30\n\
r0/index.m3u8\n"
    );
    let parsed = onair_media::m3u8_rs::parse_master_playlist_res(text.as_bytes()).unwrap();
    let v = &parsed.variants[0];
    assert_eq!(v.uri, "r0/index.m3u8");
    assert_eq!(v.bandwidth, 2_500_000);
    assert_eq!(v.codecs.as_deref(), Some("avc1.42e01f,opus"));
    assert_eq!(v.resolution.map(|r| (r.width, r.height)), Some((1280, 720)));
}

#[test]
fn session_data_round_trips() {
    let playlist = MultivariantPlaylist {
        variants: vec![Variant {
            uri: "r0/index.m3u8".into(),
            bandwidth: 1000,
            codecs: "avc1.42e01f".into(),
            ..Variant::default()
        }],
        session_data: vec![onair_media::SessionData {
            data_id: onair_media::BEACONS_DATA_ID.into(),
            value: "/api/streams/abc/beacons".into(),
        }],
        ..MultivariantPlaylist::default()
    };
    let text = playlist.render();
    assert!(
        text.contains("#EXT-X-SESSION-DATA:DATA-ID=\"com.onair.beacons\",VALUE=\"/api/streams/abc/beacons\"\n"),
        "{text}"
    );
    assert_eq!(MultivariantPlaylist::parse(&text).unwrap(), playlist);
    // hls.js and ffmpeg read it as any session data.
    let parsed = onair_media::m3u8_rs::parse_master_playlist_res(text.as_bytes()).unwrap();
    assert_eq!(parsed.session_data.len(), 1);
    // By URI: skipped. Without DATA-ID: an error.
    let by_uri = text.replace("VALUE=\"/api/streams/abc/beacons\"", "URI=\"data.json\"");
    assert!(MultivariantPlaylist::parse(&by_uri)
        .unwrap()
        .session_data
        .is_empty());
    let bad = text.replace("DATA-ID=\"com.onair.beacons\",", "");
    assert!(MultivariantPlaylist::parse(&bad).is_err());
}

/// Two video variants sharing one audio group of two renditions, as the server writes it for a ladder
/// whose audio is separate.
fn audio_group() -> MultivariantPlaylist {
    let audio = |name: &str, default: bool| AudioRendition {
        group_id: "audio".into(),
        name: name.into(),
        language: None,
        default,
        autoselect: true,
        channels: Some("2".into()),
        uri: Some(format!("{name}/index.m3u8")),
    };
    let video = |name: &str, bandwidth: u64, size: (u16, u16)| Variant {
        uri: format!("{name}/index.m3u8"),
        bandwidth,
        average_bandwidth: Some(bandwidth - 50_000),
        codecs: "avc1.64001e,mp4a.40.2".into(),
        resolution: Some(size),
        frame_rate: Some(25.0),
        audio: Some("audio".into()),
        subtitles: None,
    };
    MultivariantPlaylist {
        audio: vec![audio("stream_2", true), audio("stream_3", false)],
        subtitles: Vec::new(),
        variants: vec![
            video("stream_0", 730_400, (640, 360)),
            video("stream_1", 235_400, (320, 180)),
        ],
        session_data: Vec::new(),
    }
}

/// One case per quirk: each rendered multivariant playlist parses back to the same model, and m3u8-rs (what
/// the player and the inspector read with) sees the same groups.
#[test]
fn table_of_multivariant_round_trips() {
    let mut cases: Vec<(&str, MultivariantPlaylist)> = vec![("audio group", audio_group())];
    let mut no_uri = audio_group();
    no_uri.audio.truncate(1);
    no_uri.audio[0].uri = None;
    no_uri.audio[0].language = Some("en".into());
    cases.push(("audio in the variants, language", no_uri));
    let only_audio = MultivariantPlaylist {
        variants: vec![Variant {
            uri: "a/index.m3u8".into(),
            bandwidth: 70_000,
            codecs: "opus".into(),
            ..Variant::default()
        }],
        ..MultivariantPlaylist::default()
    };
    cases.push(("audio only", only_audio));
    let mut with_subtitles = audio_group();
    with_subtitles.subtitles = vec![SubtitleRendition {
        group_id: "subs".into(),
        name: "English".into(),
        language: Some("en".into()),
        default: true,
        autoselect: true,
        forced: false,
        uri: "subs/en.m3u8".into(),
    }];
    for v in &mut with_subtitles.variants {
        v.subtitles = Some("subs".into());
    }
    cases.push(("subtitles", with_subtitles));
    for (name, p) in cases {
        let text = p.render();
        let again =
            MultivariantPlaylist::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        assert_eq!(again, p, "{name}\n{text}");
        let m = onair_media::m3u8_rs::parse_master_playlist_res(text.as_bytes())
            .unwrap_or_else(|e| panic!("{name}: {e:?}\n{text}"));
        assert_eq!(
            m.alternatives.len(),
            p.audio.len() + p.subtitles.len(),
            "{name}"
        );
        for (theirs, ours) in m.alternatives.iter().zip(&p.audio) {
            assert_eq!(theirs.group_id, ours.group_id, "{name}");
            assert_eq!(theirs.default, ours.default, "{name}");
            assert_eq!(theirs.autoselect, ours.autoselect, "{name}");
            assert_eq!(theirs.channels, ours.channels, "{name}");
            assert_eq!(theirs.uri, ours.uri, "{name}");
        }
        for (theirs, ours) in m.variants.iter().zip(&p.variants) {
            assert_eq!(theirs.audio, ours.audio, "{name}");
            assert_eq!(theirs.subtitles, ours.subtitles, "{name}");
            assert_eq!(theirs.bandwidth, ours.bandwidth, "{name}");
        }
    }
    let text = audio_group().render();
    assert!(
        text.find("#EXT-X-MEDIA:").unwrap() < text.find("#EXT-X-STREAM-INF:").unwrap(),
        "{text}"
    );
}

#[test]
fn ffmpeg_multivariant_playlist() {
    let p = MultivariantPlaylist::parse(include_str!("test_data/ffmpeg_audio_group.m3u8")).unwrap();
    assert_eq!(p.audio.len(), 1);
    assert_eq!(p.audio[0].group_id, "group_aud");
    assert_eq!(p.audio[0].uri.as_deref(), Some("stream_2/index.m3u8"));
    assert!(p.audio[0].default);
    assert_eq!(p.variants.len(), 3);
    assert_eq!(p.variants[0].resolution, Some((640, 360)));
    assert_eq!(p.variants[2].codecs, "mp4a.40.2");
    assert!(p
        .variants
        .iter()
        .all(|v| v.audio.as_deref() == Some("group_aud")));
    // Rendered again, it parses to the same model.
    assert_eq!(MultivariantPlaylist::parse(&p.render()), Ok(p));
}

#[test]
fn malformed_multivariant_playlists_are_errors() {
    for bad in [
        "",
        "#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n",
        "#EXTM3U\n",
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n",
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n#EXT-X-STREAM-INF:BANDWIDTH=2\nb.m3u8\n",
        "#EXTM3U\n#EXT-X-STREAM-INF:CODECS=\"opus\"\na.m3u8\n",
        "#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,NAME=\"a\"\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n",
        // A media playlist.
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n0.m4s\n",
    ] {
        assert!(MultivariantPlaylist::parse(bad).is_err(), "{bad:?}");
    }
    // Other kinds of EXT-X-MEDIA are not in the model: skipped, not an error.
    let subtitles =
        "#EXTM3U\n#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"s\",NAME=\"en\",URI=\"s.m3u8\"\n\
#EXT-X-STREAM-INF:BANDWIDTH=1,SUBTITLES=\"s\"\nv.m3u8\n";
    let p = MultivariantPlaylist::parse(subtitles).unwrap();
    assert!(p.audio.is_empty());
    assert_eq!(p.variants.len(), 1);
}

/// An ffmpeg-style playlist whose init segment changes after a discontinuity: each segment knows the map
/// in force from where it changes, and rendering writes it back there.
#[test]
fn map_changes_at_a_discontinuity() {
    let text = "#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-MAP:URI=\"init0.mp4\"
#EXTINF:2.0,
0.m4s
#EXTINF:2.0,
1.m4s
#EXT-X-DISCONTINUITY
#EXT-X-MAP:URI=\"init1.mp4\"
#EXTINF:2.0,
2.m4s
";
    let p = MediaPlaylist::parse(text).unwrap();
    assert_eq!(p.map_uri, "init0.mp4");
    let maps: Vec<Option<&str>> = p.segments.iter().map(|s| s.map_uri.as_deref()).collect();
    assert_eq!(maps, [None, None, Some("init1.mp4")]);
    assert!(p.segments[2].discontinuity);
    let again = MediaPlaylist::parse(&p.render()).unwrap();
    assert_eq!(again.segments, p.segments);
    assert_eq!(again.map_uri, "init0.mp4");
}

/// A playlist may hint both the next part and the next init segment: both survive a round trip.
#[test]
fn part_and_map_hints_together() {
    let mut p = live();
    p.preload_map_hint = Some(PreloadHint {
        hint_type: PreloadHintType::Map,
        uri: "init-2.mp4".into(),
    });
    let again = MediaPlaylist::parse(&p.render()).unwrap();
    assert_eq!(again.preload_hint, p.preload_hint);
    assert_eq!(again.preload_map_hint, p.preload_map_hint);
    // The MAP hint written first still lands in its own field.
    let text = p.render();
    let part_line = text
        .lines()
        .find(|l| l.contains("TYPE=PART"))
        .unwrap()
        .to_owned();
    let map_line = text
        .lines()
        .find(|l| l.contains("TYPE=MAP"))
        .unwrap()
        .to_owned();
    let swapped = text
        .replace(&part_line, "@@")
        .replace(&map_line, &part_line)
        .replace("@@", &map_line);
    let again = MediaPlaylist::parse(&swapped).unwrap();
    assert_eq!(again.preload_hint, p.preload_hint);
    assert_eq!(again.preload_map_hint, p.preload_map_hint);
}

#[test]
fn ffmpeg_aes128_playlist() {
    let p = MediaPlaylist::parse(include_str!("test_data/ffmpeg_aes128.m3u8")).unwrap();
    assert_eq!(p.segments.len(), 4);
    for s in &p.segments {
        let key = s.key.as_ref().expect("every segment is under the key");
        assert_eq!(key.method, KeyMethod::Aes128);
        assert_eq!(key.uri, "enc.key");
        assert_eq!(
            key.iv,
            Some([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
        );
        assert!(key.identity());
    }
    round_trip(&p);
    // A key that ends: METHOD=NONE after the second segment.
    let mut cleared = p.clone();
    for s in cleared.segments.iter_mut().skip(2) {
        s.key = None;
    }
    let text = cleared.render();
    assert!(text.contains("#EXT-X-KEY:METHOD=NONE"), "{text}");
    round_trip(&cleared);
}

#[test]
fn ffmpeg_single_file_byte_ranges() {
    let p = MediaPlaylist::parse(include_str!("test_data/ffmpeg_byterange_fmp4.m3u8")).unwrap();
    assert_eq!(p.map_uri, "byterange_fmp4.m4s");
    assert_eq!(
        p.map_byte_range,
        Some(ByteRange {
            offset: 0,
            length: 1354
        })
    );
    let ranges: Vec<ByteRange> = p.segments.iter().filter_map(|s| s.byte_range).collect();
    assert_eq!(ranges.len(), 4);
    assert_eq!(ranges[0].offset, 1354);
    // Each sub-range follows the one before it.
    for w in ranges.windows(2) {
        assert_eq!(w[0].end(), w[1].offset);
    }
    round_trip(&p);
    // Without offsets, the ranges follow on from the previous one of the same resource.
    let implicit = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n#EXT-X-BYTERANGE:100@0\nall.ts\n\
                    #EXTINF:1,\n#EXT-X-BYTERANGE:50\nall.ts\n#EXT-X-ENDLIST\n";
    let p = MediaPlaylist::parse(implicit).unwrap();
    assert_eq!(
        p.segments[1].byte_range,
        Some(ByteRange {
            offset: 100,
            length: 50
        })
    );
    // ... and a first range without one is an error, not offset 0.
    let orphan = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n#EXT-X-BYTERANGE:100\nall.ts\n";
    assert!(MediaPlaylist::parse(orphan).is_err());
}
