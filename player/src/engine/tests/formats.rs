//! The HLS that exists, against the simulated origin serving static files: MPEG-TS segments (real
//! ffmpeg output, transmuxed), AES-128 encryption (the simulated glue decrypts as WebCrypto does),
//! `EXT-X-BYTERANGE` sub-ranges of one file, and the keys and formats the player refuses.

use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};

use super::*;

const KEY: [u8; 16] = *b"0123456789abcdef";
const IV: [u8; 16] = [7; 16];

/// AES-128-CBC with PKCS7 padding, as WebCrypto's `decrypt` does it; `None` for bad padding.
pub(super) fn aes128_cbc_decrypt(key: &[u8; 16], iv: &[u8; 16], data: &[u8]) -> Option<Vec<u8>> {
    if data.is_empty() || !data.len().is_multiple_of(16) {
        return None;
    }
    let cipher = aes::Aes128::new(GenericArray::from_slice(key));
    let mut previous = *iv;
    let mut out = Vec::with_capacity(data.len());
    for block in data.chunks(16) {
        let mut b = GenericArray::clone_from_slice(block);
        cipher.decrypt_block(&mut b);
        out.extend(b.iter().zip(previous).map(|(x, p)| x ^ p));
        previous.copy_from_slice(block);
    }
    let pad = usize::from(*out.last()?);
    if pad == 0
        || pad > 16
        || out[out.len() - pad..]
            .iter()
            .any(|&b| usize::from(b) != pad)
    {
        return None;
    }
    out.truncate(out.len() - pad);
    Some(out)
}

/// What `openssl aes-128-cbc` (and ffmpeg's HLS muxer) writes.
fn aes128_cbc_encrypt(key: &[u8; 16], iv: &[u8; 16], data: &[u8]) -> Vec<u8> {
    let cipher = aes::Aes128::new(GenericArray::from_slice(key));
    let pad = 16 - data.len() % 16;
    let mut plain = data.to_vec();
    plain.extend(std::iter::repeat_n(pad as u8, pad));
    let mut previous = *iv;
    let mut out = Vec::with_capacity(plain.len());
    for block in plain.chunks(16) {
        let mut b = GenericArray::clone_from_slice(block);
        for (x, p) in b.iter_mut().zip(previous) {
            *x ^= p;
        }
        cipher.encrypt_block(&mut b);
        previous.copy_from_slice(&b);
        out.extend_from_slice(&b);
    }
    out
}

/// Two consecutive 1 s segments from ffmpeg's HLS muxer (H.264 with B-frames + AAC), timestamps
/// crossing the 33-bit wrap in the second.
fn ts_segments() -> [Vec<u8>; 2] {
    let read = |name: &str| {
        let path = format!(
            "{}/../media/tests/test_data/ts/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    [read("wrap0.ts"), read("wrap1.ts")]
}

/// An engine playing `http://o/live/s/index.m3u8` from these files.
fn static_sim(files: Vec<(&str, Vec<u8>)>) -> Sim {
    let files = files.into_iter().map(|(p, d)| (p.to_owned(), d)).collect();
    Sim::with_files(one_level(), PlayerConfig::default(), files)
}

fn vod(lines: &str) -> Vec<u8> {
    format!("#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:1\n#EXT-X-PLAYLIST-TYPE:VOD\n{lines}#EXT-X-ENDLIST\n")
        .into_bytes()
}

fn fatal(sim: &Sim) -> Option<&str> {
    sim.notices.iter().find_map(|n| match n {
        Notice::Error {
            message,
            fatal: true,
            ..
        } => Some(message.as_str()),
        _ => None,
    })
}

/// Played to the end: started, ended, about `secs` buffered and played, nothing fatal.
fn assert_played(sim: &Sim, secs: f64) {
    assert_eq!(fatal(sim), None, "{:?}", sim.notices);
    assert!(sim.notices.contains(&Notice::Started), "{:?}", sim.notices);
    assert!(sim.notices.contains(&Notice::Ended), "{:?}", sim.notices);
    let buffered = sim.media.buffered();
    assert_eq!(buffered.len(), 1, "one range: {buffered:?}");
    let (start, end) = buffered[0];
    assert!(
        (end - start - secs).abs() < 0.15,
        "{secs} s buffered: {buffered:?}"
    );
    assert!(
        sim.media.current_time > end - 0.2,
        "played to {} of {buffered:?}",
        sim.media.current_time
    );
}

#[test]
fn plays_ts_segments_transmuxed() {
    let [a, b] = ts_segments();
    let playlist = vod("#EXTINF:1.0,\nwrap0.ts\n#EXTINF:1.0,\nwrap1.ts\n");
    let mut sim = static_sim(vec![
        ("index.m3u8", playlist),
        ("wrap0.ts", a),
        ("wrap1.ts", b),
    ]);
    sim.run_for(4_000.0);
    assert_played(&sim, 2.0);
    // The element knows the VOD's length from its first media on: where it starts plus 2 s.
    let start = sim.media.buffered()[0].0;
    assert_eq!(sim.durations.len(), 1, "{:?}", sim.durations);
    assert!(
        (sim.durations[0] - (start + 2.0)).abs() < 1e-6,
        "{:?}",
        sim.durations
    );
    let mime = sim.engine.main().and_then(|t| t.mime.clone()).unwrap();
    assert!(
        mime.starts_with("video/mp4; codecs=\"avc1.") && mime.contains("mp4a.40.2"),
        "{mime}"
    );
}

#[test]
fn plays_aes128_with_an_iv_and_with_the_sequence_number_as_iv() {
    let [a, b] = ts_segments();
    let iv_tag = IV.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let playlist = vod(&format!(
        "#EXT-X-MEDIA-SEQUENCE:5\n#EXT-X-KEY:METHOD=AES-128,URI=\"k.key\",IV=0x{iv_tag}\n\
         #EXTINF:1.0,\na.ts\n#EXT-X-KEY:METHOD=AES-128,URI=\"k.key\"\n#EXTINF:1.0,\nb.ts\n"
    ));
    let mut msn_iv = [0u8; 16];
    msn_iv[15] = 6;
    let files = vec![
        ("index.m3u8", playlist),
        ("k.key", KEY.to_vec()),
        ("a.ts", aes128_cbc_encrypt(&KEY, &IV, &a)),
        ("b.ts", aes128_cbc_encrypt(&KEY, &msn_iv, &b)),
    ];
    let mut sim = static_sim(files);
    sim.run_for(4_000.0);
    assert_played(&sim, 2.0);
    assert_eq!(sim.decrypts, 2);
    let key_loads = sim.fetched.iter().filter(|u| u.ends_with("k.key")).count();
    assert_eq!(key_loads, 1, "the key is loaded once: {:?}", sim.fetched);
}

#[test]
fn a_wrong_key_is_reported_and_nothing_garbled_is_appended() {
    let [a, _] = ts_segments();
    let playlist = vod("#EXT-X-KEY:METHOD=AES-128,URI=\"k.key\",IV=0x07070707070707070707070707070707\n#EXTINF:1.0,\na.ts\n");
    let files = vec![
        ("index.m3u8", playlist),
        ("k.key", b"fedcba9876543210".to_vec()),
        ("a.ts", aes128_cbc_encrypt(&KEY, &IV, &a)),
    ];
    let mut sim = static_sim(files);
    sim.run_for(3_000.0);
    assert!(
        sim.media.buffered().is_empty(),
        "{:?}",
        sim.media.buffered()
    );
    let said = sim.notices.iter().any(|n| {
        matches!(n, Notice::Error { message, .. }
            if message.contains("did not decrypt") || message.contains("not a transport stream")
                || message.contains("no sync"))
    });
    assert!(said, "{:?}", sim.notices);
}

#[test]
fn keys_and_encryptions_it_cannot_use_fail_with_what_they_are() {
    let cases = [
        (
            "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"k.key\"\n",
            KEY.to_vec(),
            "SAMPLE-AES",
        ),
        (
            "#EXT-X-KEY:METHOD=AES-128,URI=\"k.key\",KEYFORMAT=\"com.apple.streamingkeydelivery\"\n",
            KEY.to_vec(),
            "KEYFORMAT",
        ),
        (
            "#EXT-X-KEY:METHOD=AES-128,URI=\"k.key\"\n",
            b"<html>login</html>".to_vec(),
            "not 16",
        ),
    ];
    let [a, _] = ts_segments();
    for (tag, key, expect) in cases {
        let playlist = vod(&format!("{tag}#EXTINF:1.0,\na.ts\n"));
        let mut sim = static_sim(vec![
            ("index.m3u8", playlist),
            ("k.key", key),
            ("a.ts", a.clone()),
        ]);
        sim.run_for(2_000.0);
        let message = fatal(&sim).unwrap_or_else(|| panic!("{tag}: {:?}", sim.notices));
        assert!(message.contains(expect), "{tag}: {message}");
    }
}

#[test]
fn plays_byte_ranges_of_one_ts_file() {
    let [a, b] = ts_segments();
    let playlist = vod(&format!(
        "#EXTINF:1.0,\n#EXT-X-BYTERANGE:{}@0\nall.ts\n#EXTINF:1.0,\n#EXT-X-BYTERANGE:{}\nall.ts\n",
        a.len(),
        b.len()
    ));
    let all = [a, b].concat();
    let mut sim = static_sim(vec![("index.m3u8", playlist), ("all.ts", all)]);
    sim.run_for(4_000.0);
    assert_played(&sim, 2.0);
}

#[test]
fn plays_byte_ranges_of_one_fmp4_file_init_included() {
    let init = testing::init_bytes(&onair_media::InitSegment {
        tracks: vec![testing::video_track()],
    });
    let first = media_bytes(1, 0.0, 1.0, 4_000);
    let second = media_bytes(2, 1.0, 1.0, 4_000);
    let playlist = vod(&format!(
        "#EXT-X-MAP:URI=\"all.mp4\",BYTERANGE=\"{}@0\"\n#EXTINF:1.0,\n#EXT-X-BYTERANGE:{}@{}\nall.mp4\n\
         #EXTINF:1.0,\n#EXT-X-BYTERANGE:{}\nall.mp4\n",
        init.len(),
        first.len(),
        init.len(),
        second.len()
    ));
    let all = [init, first, second].concat();
    let mut sim = static_sim(vec![("index.m3u8", playlist), ("all.mp4", all)]);
    sim.run_for(4_000.0);
    assert_played(&sim, 2.0);
}

#[test]
fn a_segment_that_is_not_ts_fails_playback_clearly() {
    let playlist = vod("#EXTINF:1.0,\na.ts\n");
    let mut sim = static_sim(vec![("index.m3u8", playlist), ("a.ts", vec![0x11; 4_000])]);
    sim.run_for(2_000.0);
    let message = fatal(&sim).unwrap_or_else(|| panic!("{:?}", sim.notices));
    assert!(message.contains("a.ts"), "{message}");
}

#[test]
fn the_simulated_decryption_matches_the_encryption() {
    for len in [0usize, 1, 15, 16, 17, 1000] {
        let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let sealed = aes128_cbc_encrypt(&KEY, &IV, &data);
        assert!(sealed.len().is_multiple_of(16));
        assert_eq!(aes128_cbc_decrypt(&KEY, &IV, &sealed), Some(data));
    }
}

#[test]
fn a_switch_asked_for_while_the_last_ts_segments_load_plays_through_without_a_playlist_loop() {
    // Once every segment of an ended playlist was asked for, a switch has nothing left to load: the
    // new level's playlist was asked for again and again (one request per answer) until this test.
    let [a, b] = ts_segments();
    let multivariant =
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=160x90\nlo/index.m3u8\n\
                        #EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=160x90\nhi/index.m3u8\n";
    let playlist = vod("#EXTINF:1.0,\n0.ts\n#EXTINF:1.0,\n1.ts\n");
    let files = vec![
        ("index.m3u8", multivariant.as_bytes().to_vec()),
        ("lo/index.m3u8", playlist.clone()),
        ("hi/index.m3u8", playlist),
        ("lo/0.ts", a.clone()),
        ("lo/1.ts", b.clone()),
        ("hi/0.ts", a),
        ("hi/1.ts", b),
    ];
    for slow in [false, true] {
        let mut sim = static_sim(files.clone());
        if slow {
            // A segment takes about 0.9 s: the switch is asked for while the first one loads.
            sim.link_bytes_per_ms = 10.0;
        }
        sim.engine.set_level(Some(0));
        sim.run_commands();
        sim.run_for(300.0);
        sim.engine.set_level(Some(1));
        sim.run_commands();
        sim.run_for(6_000.0);
        assert_played(&sim, 2.0);
        let playlists = sim.fetched.iter().filter(|u| u.ends_with(".m3u8")).count();
        assert!(playlists < 6, "no playlist loop: {:?}", sim.fetched);
    }
}

#[test]
fn subtitles_become_text_tracks_with_cues_at_the_media_times() {
    let [a, b] = ts_segments();
    let multivariant = "#EXTM3U\n\
        #EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"English\",LANGUAGE=\"en\",DEFAULT=YES,URI=\"en.m3u8\"\n\
        #EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"Deutsch\",LANGUAGE=\"de\",URI=\"de.m3u8\"\n\
        #EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"other\",NAME=\"Not ours\",URI=\"x.m3u8\"\n\
        #EXT-X-STREAM-INF:BANDWIDTH=100000,CODECS=\"avc1.64000b,mp4a.40.2\",SUBTITLES=\"subs\"\n\
        v.m3u8\n";
    // The English file maps its 0 to 10 s of media time; the German one has no map; one
    // German segment is missing (404): skipped, the next still loads.
    let en0 = b"WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\n\n00:00.500 --> 00:01.000\nHello\n".to_vec();
    let en1 = b"WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\n\n1\n00:01.200 --> 00:01.800\nAgain\n".to_vec();
    let de1 = b"WEBVTT\n\n00:00:02.000 --> 00:00:03.000 align:start\nHallo\n".to_vec();
    let mut sim = static_sim(vec![
        ("index.m3u8", multivariant.as_bytes().to_vec()),
        (
            "v.m3u8",
            vod("#EXTINF:1.0,\nwrap0.ts\n#EXTINF:1.0,\nwrap1.ts\n"),
        ),
        ("wrap0.ts", a),
        ("wrap1.ts", b),
        (
            "en.m3u8",
            vod("#EXTINF:1.0,\nen0.vtt\n#EXTINF:1.0,\nen1.vtt\n"),
        ),
        ("en0.vtt", en0),
        ("en1.vtt", en1),
        (
            "de.m3u8",
            vod("#EXTINF:1.0,\nmissing.vtt\n#EXTINF:1.0,\nde1.vtt\n"),
        ),
        ("de1.vtt", de1),
    ]);
    sim.run_for(8_000.0);
    assert_played(&sim, 2.0);
    let tracks: Vec<(&str, usize)> = sim
        .text_tracks
        .values()
        .map(|(name, cues)| (name.as_str(), cues.len()))
        .collect();
    assert_eq!(
        tracks,
        vec![("English", 2), ("Deutsch", 1)],
        "{:?}",
        sim.text_tracks
    );
    let english = &sim.text_tracks[&0].1;
    assert_eq!(english[0], (10.5, 11.0, "Hello".to_owned()));
    assert_eq!(english[1].2, "Again");
    // Without a map: from the start of the media (the fixture's first timestamp, near the wrap).
    let start = sim.media.buffered()[0].0;
    let (s, e, text) = &sim.text_tracks[&1].1[0];
    assert!(
        (s - (start + 2.0)).abs() < 1e-6 && (e - (start + 3.0)).abs() < 1e-6 && text == "Hallo",
        "{:?} from {start}",
        sim.text_tracks[&1]
    );
    assert!(
        sim.notices
            .iter()
            .any(|n| matches!(n, Notice::Error { message, fatal: false, .. }
            if message.contains("subtitles 1 segment 0"))),
        "the missing segment is said: {:?}",
        sim.notices
    );
}
