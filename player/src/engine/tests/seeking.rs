//! Seeks out of the buffer: in a VOD forward and back, and in a live window (DVR), held apart from the
//! latency controller until the viewer goes back to live.

use super::*;

/// A VOD of `segments` one-second fMP4 segments `s{i}.mp4` (video only), loaded at most 4 s ahead.
fn vod_sim(segments: u64) -> Sim {
    let init = testing::init_bytes(&onair_media::InitSegment {
        tracks: vec![testing::video_track()],
    });
    let mut playlist = String::from(
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:1\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MAP:URI=\"init.mp4\"\n",
    );
    let mut files: HashMap<String, Vec<u8>> = HashMap::new();
    for i in 0..segments {
        playlist.push_str(&format!("#EXTINF:1.0,\ns{i}.mp4\n"));
        files.insert(
            format!("s{i}.mp4"),
            media_bytes(i + 1, i as f64, 1.0, 4_000),
        );
    }
    playlist.push_str("#EXT-X-ENDLIST\n");
    files.insert("index.m3u8".into(), playlist.into_bytes());
    files.insert("init.mp4".into(), init);
    let config = PlayerConfig {
        max_buffer_ahead_secs: 4.0,
        ..PlayerConfig::default()
    };
    Sim::with_files(one_level(), config, files)
}

fn fetched_file(sim: &Sim, name: &str) -> bool {
    sim.fetched.iter().any(|u| u.ends_with(&format!("/{name}")))
}

/// The viewer seeks to `t`, and the simulation runs `ms` more.
fn seek_and_run(sim: &mut Sim, t: f64, ms: f64) {
    sim.fetched.clear();
    sim.media.seek(t);
    sim.run_for(ms);
}

#[test]
fn a_vod_seek_out_of_the_buffer_loads_from_there_forward_and_back() {
    let mut sim = vod_sim(40);
    sim.run_for(3_000.0);
    assert!(sim.notices.contains(&Notice::Started), "{:?}", sim.notices);
    assert!(
        !fetched_file(&sim, "s12.mp4"),
        "loads 4 s ahead only: {:?}",
        sim.fetched
    );

    seek_and_run(&mut sim, 30.5, 2_000.0);
    assert!(fetched_file(&sim, "s30.mp4"), "{:?}", sim.fetched);
    assert!(
        !fetched_file(&sim, "s10.mp4") && !fetched_file(&sim, "s29.mp4"),
        "nothing between: {:?}",
        sim.fetched
    );
    assert!(!sim.media.seeking, "the seek completed");
    assert!(
        sim.media.current_time > 31.5,
        "plays on from 30.5: {}",
        sim.media.current_time
    );

    seek_and_run(&mut sim, 12.2, 2_000.0);
    assert!(fetched_file(&sim, "s12.mp4"), "{:?}", sim.fetched);
    assert!(!fetched_file(&sim, "s31.mp4"), "{:?}", sim.fetched);
    assert!(
        sim.media.current_time > 13.2 && sim.media.current_time < 15.0,
        "plays on from 12.2: {}",
        sim.media.current_time
    );
    assert!(!sim.engine.dvr(), "a VOD has no DVR");
    assert_eq!(sim.engine.live_window(), None);
}

#[test]
fn a_seek_inside_the_buffer_loads_nothing_again() {
    let mut sim = vod_sim(40);
    sim.run_for(4_000.0);
    let loaded = sim.fetched.len();
    seek_and_run(&mut sim, 1.5, 500.0);
    assert!(
        sim.fetched.iter().all(|u| !u.ends_with("/s1.mp4")),
        "s1 was buffered: {:?} (after {loaded})",
        sim.fetched
    );
    assert!(sim.media.current_time > 1.5 && !sim.media.seeking);
}

#[test]
fn a_live_seek_back_is_dvr_until_the_viewer_returns_to_live() {
    let mut sim = Sim::new(one_level());
    sim.run_for(6_000.0);
    let at_live = sim.latency();
    assert!(at_live < 2.0, "at live first: {at_live}");
    let (start, edge) = sim.engine.live_window().expect("a live window");
    let now = sim.media.current_time;
    assert!(
        start < now - 5.0 && start > 0.0,
        "window {start}..{edge} at {now}"
    );
    assert!(
        (edge - now - at_live).abs() < 0.5,
        "the edge {edge} is {at_live} s ahead of {now}"
    );

    // Back 4 s, inside the back buffer: nothing to load, but no catching up either.
    let back = sim.media.current_time - 4.0;
    seek_and_run(&mut sim, back, 4_000.0);
    assert!(sim.engine.dvr());
    let behind = sim.latency();
    assert!(
        behind > at_live + 3.5,
        "stays behind: {behind} (was {at_live})"
    );
    assert!(
        (sim.media.rate - 1.0).abs() < 1e-9,
        "at rate 1: {}",
        sim.media.rate
    );

    sim.engine.seek_to_live();
    sim.run_commands();
    sim.run_for(3_000.0);
    assert!(!sim.engine.dvr());
    let back = sim.latency();
    assert!(back < 2.0, "back at live: {back}");
}

#[test]
fn a_live_seek_back_past_the_buffer_loads_whole_segments_from_there() {
    let config = PlayerConfig {
        back_buffer_secs: 1.0,
        trim_slack_secs: 0.5,
        ..PlayerConfig::default()
    };
    let mut sim = Sim::with_config(one_level(), config);
    sim.run_for(6_000.0);
    let t = sim.media.current_time - 5.5;
    assert!(
        sim.media.buffered().first().is_some_and(|r| r.0 > t),
        "trimmed past {t}: {:?}",
        sim.media.buffered()
    );
    seek_and_run(&mut sim, t, 3_000.0);
    let msn = t.floor() as u64;
    assert!(
        fetched_file(&sim, &format!("{msn}.m4s")),
        "segment {msn} for {t}: {:?}",
        sim.fetched
    );
    assert!(sim.engine.dvr());
    assert!(
        sim.media.current_time > t + 2.0 && sim.latency() > 5.0,
        "plays on from {t}, behind live: {} ({} behind)",
        sim.media.current_time,
        sim.latency()
    );
}
