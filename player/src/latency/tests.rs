//! Tests of [`LatencyController`], including a simulated media element.

use super::*;

fn input(now_ms: f64, distance_secs: f64, buffer_ahead_secs: f64) -> LatencyInput {
    LatencyInput {
        now_ms,
        distance_secs,
        buffer_ahead_secs,
        playing: true,
        live: true,
    }
}

fn rate_of(action: LatencyAction) -> Option<f64> {
    match action {
        LatencyAction::Rate(r) => Some(r),
        _ => None,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// A media element whose `currentTime` advances at the rate, behind a live edge that advances at 1.0
/// per second, with everything up to the edge buffered except the last `unbuffered_secs`.
struct Element {
    current_time: f64,
    edge: f64,
    rate: f64,
    unbuffered_secs: f64,
}

impl Element {
    fn distance(&self) -> f64 {
        self.edge - self.current_time
    }

    fn step(&mut self, dt_secs: f64) {
        self.edge += dt_secs;
        self.current_time += dt_secs * self.rate;
    }

    fn apply(&mut self, action: LatencyAction) {
        match action {
            LatencyAction::None => {}
            LatencyAction::Rate(r) => self.rate = r,
            LatencyAction::Seek { forward_secs } => self.current_time += forward_secs,
        }
    }
}

/// 2 s behind a 1 s target, ticking at 4 Hz: inside the dead band in bounded time, never past it on
/// the other side, and then staying there at 1.0 with few rate changes.
#[test]
fn converges_without_overshoot() {
    for tick_ms in [100.0, 250.0] {
        let mut c = LatencyController::new(LatencyConfig::default(), 1.0);
        let mut el = Element {
            current_time: 0.0,
            edge: 2.0,
            rate: 1.0,
            unbuffered_secs: 0.0,
        };
        let mut changes = 0;
        let mut converged_ms = None;
        let mut now = 0.0;
        while now <= 60_000.0 {
            let buffer = el.distance() - el.unbuffered_secs;
            let action = c.tick(&input(now, el.distance(), buffer));
            assert!(!matches!(action, LatencyAction::Seek { .. }), "{action:?}");
            if matches!(action, LatencyAction::Rate(_)) {
                changes += 1;
            }
            el.apply(action);
            assert!(
                el.distance() >= 1.0 - 0.1 - 1e-9,
                "overshoot at {now} ms: {}",
                el.distance()
            );
            let in_band = (el.distance() - 1.0).abs() <= 0.1 + 1e-9;
            match converged_ms {
                None if in_band && close(el.rate, 1.0) => converged_ms = Some(now),
                Some(at) => assert!(in_band, "left the band at {now} ms (in at {at} ms)"),
                None => {}
            }
            el.step(tick_ms / 1000.0);
            now += tick_ms;
        }
        let at = converged_ms.unwrap_or(f64::INFINITY);
        assert!(at <= 20_000.0, "tick {tick_ms}: converged at {at} ms");
        assert!(changes <= 15, "tick {tick_ms}: {changes} rate changes");
        assert!(close(c.current_rate(), 1.0));
    }
}

/// Too close to the edge (after the target grew, say): slows down to it, and no lower than min_rate.
#[test]
fn ahead_of_target_slows_down() {
    let mut c = LatencyController::new(LatencyConfig::default(), 1.0);
    assert_eq!(c.tick(&input(0.0, 0.5, 0.5)), LatencyAction::Rate(0.95));
    let mut el = Element {
        current_time: 0.0,
        edge: 0.5,
        rate: 0.95,
        unbuffered_secs: 0.0,
    };
    let mut now = 250.0;
    while now <= 30_000.0 {
        el.step(0.25);
        let action = c.tick(&input(now, el.distance(), el.distance()));
        el.apply(action);
        assert!(el.rate >= 0.95 - 1e-9 && el.rate <= 1.0 + 1e-9);
        assert!(el.distance() <= 1.1 + 1e-9, "overshoot {}", el.distance());
        now += 250.0;
    }
    assert!(
        (el.distance() - 1.0).abs() <= 0.1 + 1e-9,
        "{}",
        el.distance()
    );
    assert!(close(el.rate, 1.0));
}

#[test]
fn proportional_rates() {
    // (distance, buffer, rate asked for from 1.0); target 1 s.
    let cases = [
        (2.0, 2.0, Some(1.1)), // capped
        (1.35, 1.35, None),    // not a catch-up yet (catch_up_start_secs)
        (1.15, 1.15, None),
        (1.4, 1.4, Some(1.1)), // 1 + 0.2 × 0.4, up to the next 0.05
        (1.1, 1.1, None),      // dead band edge
        (1.05, 1.05, None),
        (0.95, 0.95, None),
        (0.75, 0.75, Some(0.95)), // 1 − 0.05
        (0.85, 0.85, Some(0.95)), // 0.97, down to the next 0.05
        (2.9, 2.9, Some(1.1)),    // just inside the drift limit (twice the target)
        (1.5, 0.2, Some(0.95)),   // buffer low wins
        (0.2, 0.2, Some(0.95)),
    ];
    for (distance, buffer, want) in cases {
        let mut c = LatencyController::new(LatencyConfig::default(), 1.0);
        let got = rate_of(c.tick(&input(0.0, distance, buffer)));
        match (got, want) {
            (Some(g), Some(w)) => assert!(close(g, w), "{distance}/{buffer}: {g} vs {w}"),
            (None, None) => {}
            _ => panic!("{distance}/{buffer}: {got:?} vs {want:?}"),
        }
    }
}

#[test]
fn rate_sent_only_on_change_and_not_too_often() {
    let mut c = LatencyController::new(LatencyConfig::default(), 1.0);
    assert_eq!(c.tick(&input(0.0, 2.0, 2.0)), LatencyAction::Rate(1.1));
    assert_eq!(c.tick(&input(100.0, 2.0, 2.0)), LatencyAction::None);
    assert!(close(c.current_rate(), 1.1));
    // 1.25 s behind now wants 1.05, but only 500 ms after the last change.
    assert_eq!(c.tick(&input(200.0, 1.25, 1.25)), LatencyAction::None);
    let r = rate_of(c.tick(&input(500.0, 1.25, 1.25)));
    assert!(r.is_some_and(|r| close(r, 1.05)), "{r:?}");
    // Safety and the dead band are immediate.
    assert_eq!(c.tick(&input(550.0, 1.25, 0.1)), LatencyAction::Rate(0.95));
    assert_eq!(c.tick(&input(600.0, 1.0, 1.0)), LatencyAction::Rate(1.0));
    assert_eq!(c.tick(&input(650.0, 1.0, 1.0)), LatencyAction::None);
    // Tiny changes of the distance map to the same quantised rate: nothing sent.
    assert_eq!(c.tick(&input(2_000.0, 1.5, 1.5)), LatencyAction::Rate(1.1));
    assert_eq!(c.tick(&input(3_000.0, 1.501, 1.5)), LatencyAction::None);
}

#[test]
fn low_buffer_slows_whatever_the_distance() {
    let mut c = LatencyController::new(LatencyConfig::default(), 1.0);
    assert_eq!(c.tick(&input(0.0, 3.0, 3.0)), LatencyAction::Rate(1.1));
    assert_eq!(c.tick(&input(10.0, 3.0, 0.29)), LatencyAction::Rate(0.95));
    assert_eq!(c.tick(&input(20.0, 3.0, 0.1)), LatencyAction::None);
    // Buffer back: speed up again once the interval passed.
    assert_eq!(c.tick(&input(100.0, 3.0, 1.0)), LatencyAction::None);
    assert_eq!(c.tick(&input(510.0, 3.0, 1.0)), LatencyAction::Rate(1.1));
}

/// With parts of 0.105 s (`PART-HOLD-BACK` 0.315 s) a buffer of 0.2 s is one whole part: no slowing
/// down (and, under `speed_up_buffer_secs`, no speeding up); under a part is low.
#[test]
fn low_buffer_is_at_most_one_part_target() {
    let mut c = LatencyController::new(LatencyConfig::default(), 0.315);
    assert_eq!(c.tick(&input(0.0, 1.0, 0.2)), LatencyAction::None);
    assert_eq!(c.current_rate(), 1.0);
    assert_eq!(c.tick(&input(10.0, 1.0, 0.1)), LatencyAction::Rate(0.95));
}

#[test]
fn a_low_hold_back_is_raised_to_the_minimum_target_and_an_override_is_not() {
    let c = LatencyController::new(LatencyConfig::default(), 0.315);
    assert!(close(c.target_secs(), 0.9), "{}", c.target_secs());
    let config = LatencyConfig {
        target_override_secs: Some(0.3),
        ..LatencyConfig::default()
    };
    let c = LatencyController::new(config, 0.315);
    assert!(close(c.target_secs(), 0.3), "{}", c.target_secs());
}

#[test]
fn seeks_when_far_behind() {
    let mut c = LatencyController::new(LatencyConfig::default(), 1.0);
    // Target 1 s: the drift limit is twice the target (2 s), less than the configured 3 s.
    assert_eq!(
        c.tick(&input(0.0, 2.9, 2.9)),
        LatencyAction::Rate(1.1),
        "1.9 s over"
    );
    match c.tick(&input(100.0, 5.5, 5.0)) {
        LatencyAction::Seek { forward_secs } => assert!(close(forward_secs, 4.5)),
        other => panic!("{other:?}"),
    }
    // The glue could not seek (not buffered): not again for a second.
    assert_eq!(c.tick(&input(600.0, 5.5, 5.0)), LatencyAction::None);
    assert!(matches!(
        c.tick(&input(1_100.0, 5.5, 5.0)),
        LatencyAction::Seek { .. }
    ));
    // The target includes stall growth.
    let mut c = LatencyController::new(LatencyConfig::default(), 1.0);
    c.on_stall(0.0);
    c.on_stall(0.0);
    assert!(!matches!(
        c.tick(&input(0.0, 4.4, 4.4)),
        LatencyAction::Seek { .. }
    ));
}

#[test]
fn seek_even_with_low_buffer() {
    // The caller decides whether the target is buffered; the controller says how far.
    let mut c = LatencyController::new(LatencyConfig::default(), 1.0);
    assert!(matches!(
        c.tick(&input(0.0, 10.0, 0.1)),
        LatencyAction::Seek { forward_secs } if close(forward_secs, 9.0)
    ));
    assert_eq!(c.tick(&input(10.0, 10.0, 0.1)), LatencyAction::Rate(0.95));
}

#[test]
fn stall_grows_target_and_decays_back() {
    let config = LatencyConfig::default();
    let mut c = LatencyController::new(config.clone(), 1.0);
    assert!(close(c.target_secs(), 1.0));
    c.on_stall(0.0);
    assert!(close(c.target_secs(), 1.25));
    c.on_stall(100.0);
    c.on_stall(200.0);
    assert!(close(c.target_secs(), 1.75));
    for _ in 0..20 {
        c.on_stall(300.0);
    }
    assert!(
        close(c.target_secs(), 3.0),
        "capped at +2 s: {}",
        c.target_secs()
    );
    assert!(close(c.base_target_secs(), 1.0));

    // Play at 4 Hz: the first step off at 10 s of playback, then one per 5 s.
    let mut now = 1_000.0;
    let mut steps = Vec::new();
    let mut last = c.target_secs();
    c.tick(&input(now, 3.0, 3.0));
    while now < 60_000.0 {
        now += 250.0;
        c.tick(&input(now, c.target_secs(), 3.0));
        if c.target_secs() < last - 1e-9 {
            steps.push(now - 1_000.0);
            last = c.target_secs();
        }
    }
    assert_eq!(steps.len(), 8, "{steps:?}");
    assert!(close(steps[0], 10_000.0), "{steps:?}");
    assert!(close(steps[1], 15_000.0), "{steps:?}");
    assert!(close(steps[7], 45_000.0), "{steps:?}");
    assert!(close(c.target_secs(), 1.0));
}

#[test]
fn stall_restarts_decay_and_pause_does_not_count() {
    let mut c = LatencyController::new(LatencyConfig::default(), 1.0);
    c.on_stall(0.0);
    c.on_stall(0.0);
    let paused = |now| LatencyInput {
        playing: false,
        ..input(now, 1.5, 1.5)
    };
    // 30 s paused: no decay.
    let mut now = 0.0;
    while now < 30_000.0 {
        c.tick(&paused(now));
        now += 250.0;
    }
    assert!(close(c.target_secs(), 1.5));
    // 8 s playing, a stall, 8 s playing: still no decay (10 s never reached).
    for _ in 0..32 {
        now += 250.0;
        c.tick(&input(now, 1.5, 1.5));
    }
    c.on_stall(now);
    assert!(close(c.target_secs(), 1.75));
    for _ in 0..32 {
        now += 250.0;
        c.tick(&input(now, 1.75, 1.5));
    }
    assert!(close(c.target_secs(), 1.75));
    // Ticks far apart (a background tab) count at most 1 s each.
    now += 60_000.0;
    c.tick(&input(now, 1.75, 1.5));
    assert!(close(c.target_secs(), 1.75));
}

#[test]
fn override_and_floor() {
    // (hold-back, override, target)
    let cases = [
        (1.0, None, 1.0),
        (1.0, Some(3.0), 3.0),
        (1.0, Some(0.5), 2.0 / 3.0), // floor: 2/3 of the hold-back
        (1.0, Some(0.0), 1.0),
        (1.0, Some(-2.0), 1.0),
        (1.0, Some(f64::NAN), 1.0),
        (1.0, Some(f64::INFINITY), 1.0),
        (6.0, Some(2.0), 4.0),
        (f64::NAN, None, FALLBACK_HOLD_BACK_SECS),
        (0.0, None, FALLBACK_HOLD_BACK_SECS),
        (-1.0, Some(2.5), 2.5),
    ];
    for (hold_back, target_override, want) in cases {
        let config = LatencyConfig {
            target_override_secs: target_override,
            ..LatencyConfig::default()
        };
        let c = LatencyController::new(config, hold_back);
        assert!(
            close(c.target_secs(), want),
            "{hold_back} {target_override:?}: {}",
            c.target_secs()
        );
    }
    let mut c = LatencyController::new(LatencyConfig::default(), 1.0);
    c.set_target_override(Some(2.0));
    assert!(close(c.target_secs(), 2.0));
    assert_eq!(c.tick(&input(0.0, 2.0, 2.0)), LatencyAction::None);
    c.set_target_override(None);
    assert_eq!(c.tick(&input(10.0, 2.0, 2.0)), LatencyAction::Rate(1.1));
    c.set_hold_back_secs(2.0);
    c.set_hold_back_secs(f64::NAN);
    assert!(close(c.target_secs(), 2.0));
    assert_eq!(c.config().target_override_secs, None);
}

#[test]
fn disabled_not_playing_not_live() {
    let off = |c: &mut LatencyController, i: LatencyInput| {
        assert_eq!(c.tick(&input(0.0, 2.0, 2.0)), LatencyAction::Rate(1.1));
        assert_eq!(c.tick(&i), LatencyAction::Rate(1.0), "{i:?}");
        assert_eq!(c.tick(&i), LatencyAction::None, "{i:?}");
        let far = LatencyInput {
            distance_secs: 50.0,
            buffer_ahead_secs: 0.0,
            ..i
        };
        assert_eq!(c.tick(&far), LatencyAction::None, "nothing else: {far:?}");
    };
    let mut c = LatencyController::new(LatencyConfig::default(), 1.0);
    off(
        &mut c,
        LatencyInput {
            playing: false,
            ..input(10.0, 2.0, 2.0)
        },
    );
    let mut c = LatencyController::new(LatencyConfig::default(), 1.0);
    off(
        &mut c,
        LatencyInput {
            live: false,
            ..input(10.0, 2.0, 2.0)
        },
    );
    let mut c = LatencyController::new(LatencyConfig::default(), 1.0);
    c.tick(&input(0.0, 2.0, 2.0));
    c.set_enabled(false);
    assert_eq!(c.tick(&input(10.0, 2.0, 2.0)), LatencyAction::Rate(1.0));
    assert_eq!(c.tick(&input(20.0, 50.0, 0.0)), LatencyAction::None);
    let config = LatencyConfig {
        enabled: false,
        ..LatencyConfig::default()
    };
    let mut c = LatencyController::new(config, 1.0);
    assert_eq!(c.tick(&input(0.0, 50.0, 0.0)), LatencyAction::None);
    assert!(LatencyConfig::default().enabled, "on by default");
}

#[test]
fn nan_inputs() {
    let mut c = LatencyController::new(LatencyConfig::default(), 1.0);
    // Distance not a number: rate 1.0, nothing else.
    assert_eq!(c.tick(&input(0.0, f64::NAN, 1.0)), LatencyAction::None);
    assert_eq!(c.tick(&input(0.0, f64::INFINITY, 1.0)), LatencyAction::None);
    assert_eq!(c.tick(&input(0.0, 2.0, 2.0)), LatencyAction::Rate(1.1));
    assert_eq!(c.tick(&input(0.0, f64::NAN, 2.0)), LatencyAction::Rate(1.0));
    // Buffer not a number counts as empty.
    assert_eq!(
        c.tick(&input(10.0, 1.0, f64::NAN)),
        LatencyAction::Rate(0.95)
    );
    assert_eq!(c.tick(&input(20.0, 1.0, -3.0)), LatencyAction::None);
    // A clock that is not a number: no proportional change, but safety still works.
    let mut c = LatencyController::new(LatencyConfig::default(), 1.0);
    assert_eq!(c.tick(&input(f64::NAN, 2.0, 2.0)), LatencyAction::None);
    assert_eq!(
        c.tick(&input(f64::NAN, 2.0, 0.0)),
        LatencyAction::Rate(0.95)
    );
    assert_eq!(c.tick(&input(f64::NAN, 1.0, 1.0)), LatencyAction::Rate(1.0));
    c.on_stall(f64::NAN);
    assert!(close(c.target_secs(), 1.25));
    // Negative distance (ahead of the edge): slow, never a backwards seek.
    let mut c = LatencyController::new(LatencyConfig::default(), 1.0);
    assert_eq!(c.tick(&input(0.0, -5.0, 1.0)), LatencyAction::Rate(0.95));
}

#[test]
fn degenerate_config_does_not_panic() {
    let config = LatencyConfig {
        enabled: true,
        target_override_secs: Some(f64::NAN),
        min_target_secs: f64::NAN,
        min_target_fraction: f64::NAN,
        dead_band_secs: f64::NAN,
        rate_gain: f64::INFINITY,
        max_rate: f64::NAN,
        min_rate: 5.0,
        low_buffer_secs: f64::NAN,
        speed_up_buffer_secs: f64::NAN,
        max_drift_secs: f64::NAN,
        catch_up_start_secs: f64::NAN,
        rate_step: 0.0,
        min_rate_interval_ms: f64::NAN,
        min_seek_interval_ms: -1.0,
        stall_step_secs: f64::INFINITY,
        max_stall_growth_secs: f64::NAN,
        decay_after_ms: f64::NAN,
        decay_interval_ms: 0.0,
    };
    let mut c = LatencyController::new(config, 1.0);
    for i in 0..100 {
        let d = [0.0, 0.5, 1.0, 2.0, 10.0, -1.0][i % 6];
        if let LatencyAction::Rate(r) = c.tick(&input(i as f64 * 100.0, d, d)) {
            assert!(r.is_finite() && r > 0.0, "{r}");
        }
        c.on_stall(0.0);
        assert!(c.target_secs().is_finite());
    }
}

#[test]
fn behind_with_little_buffered_it_does_not_speed_up() {
    // PART-HOLD-BACK 0.63 s (a 0.9 s target); 0.4 s behind it, but only 0.4 s buffered (a part still loading).
    let mut latency = LatencyController::new(LatencyConfig::default(), 0.63);
    assert_eq!(latency.tick(&input(0.0, 1.3, 0.4)), LatencyAction::None);
    assert_eq!(latency.current_rate(), 1.0);
    // Once the buffer holds it, it catches up.
    assert_eq!(rate_of(latency.tick(&input(600.0, 1.3, 0.8))), Some(1.1));
    // And returns to 1.0 at once when the buffer runs down again.
    assert_eq!(rate_of(latency.tick(&input(700.0, 1.3, 0.45))), Some(1.0));
}

#[test]
fn a_catch_up_starts_past_its_threshold_and_runs_into_the_dead_band() {
    let mut c = LatencyController::new(LatencyConfig::default(), 1.0);
    // 0.3 s behind: left alone (a catch-up starts beyond 0.35 s).
    assert_eq!(c.tick(&input(0.0, 1.3, 1.3)), LatencyAction::None);
    assert_eq!(c.tick(&input(600.0, 1.4, 1.4)), LatencyAction::Rate(1.1));
    // Back to 0.2 s behind: the catch-up goes on (slower), not off.
    assert_eq!(c.tick(&input(1_200.0, 1.2, 1.2)), LatencyAction::Rate(1.05));
    assert_eq!(c.tick(&input(1_800.0, 1.12, 1.12)), LatencyAction::None);
    // Inside the band: 1.0 at once, and the next 0.2 s behind is left alone again.
    assert_eq!(
        c.tick(&input(1_900.0, 1.05, 1.05)),
        LatencyAction::Rate(1.0)
    );
    assert_eq!(c.tick(&input(2_600.0, 1.2, 1.2)), LatencyAction::None);
}
