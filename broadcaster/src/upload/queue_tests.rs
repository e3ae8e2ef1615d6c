//! The upload queue's tests: order, retries and backoff, `Retry-After`, refusals, halting, and
//! dropping whole segments under backpressure.

use super::*;

/// A part of `secs` seconds.
fn part(msn: u64, index: u32, secs: f64) -> UploadItem {
    UploadItem {
        kind: UploadKind::Part { msn, index },
        body: vec![0; 10],
        duration_secs: secs,
    }
}

/// Segment `msn` as six 0.3 s parts and a 0.2 s one (2 s).
fn segment(msn: u64) -> Vec<UploadItem> {
    (0..7)
        .map(|i| part(msn, i, if i < 6 { 0.3 } else { 0.2 }))
        .collect()
}

fn status(status: u16) -> Attempt {
    Attempt::answered(status)
}

/// An answer with a `Retry-After`.
fn busy(status: u16, retry_after: &str) -> Attempt {
    Attempt::busy(status, retry_after)
}

fn retry(after_ms: u64, failures: u32) -> Settled {
    Settled::Retry { after_ms, failures }
}

/// Starts the head item and reports `attempt` at `now`.
fn attempt(q: &mut UploadQueue, now: f64, attempt: &Attempt) -> (UploadKind, Settled) {
    let kind = q.start_next(now).map(|i| i.kind).expect("an item to send");
    (kind, q.report(now + 40.0, attempt))
}

fn kinds(q: &UploadQueue) -> Vec<UploadKind> {
    q.items.iter().map(|p| p.item.kind).collect()
}

#[test]
fn backoff_doubles_and_caps() {
    let b = QueueConfig::default().backoff;
    let delays: Vec<u64> = (1..=8).map(|n| b.delay_ms(n)).collect();
    assert_eq!(delays, [250, 500, 1000, 2000, 4000, 8000, 8000, 8000]);
    assert_eq!(b.delay_ms(0), 250);
    assert_eq!(b.delay_ms(u32::MAX), 8000);
    let huge = Backoff::new(u64::MAX / 2, u64::MAX);
    assert_eq!(huge.delay_ms(5), u64::MAX);
}

#[test]
fn uploads_in_order_one_at_a_time_and_counts() {
    let mut q = UploadQueue::default();
    q.push(UploadItem::init(vec![1; 5]));
    for item in segment(0).into_iter().chain(segment(1)) {
        q.push(item);
    }
    q.push(UploadItem::end());
    assert_eq!(q.depth(), 16);
    assert_eq!(q.bytes_pending(), 145);
    assert!((q.backlog_secs() - 4.0).abs() < 1e-9);
    assert!(q.is_backpressured());
    assert_eq!(q.start_next(0.0).map(|i| i.kind), Some(UploadKind::Init));
    // Only one in flight.
    assert!(q.start_next(0.0).is_none());
    assert_eq!(q.wait_ms(0.0), None);
    assert!(q.is_in_flight());
    assert!(matches!(
        q.report(30.0, &status(204)),
        Settled::Uploaded { item, .. } if item.kind == UploadKind::Init
    ));
    assert_eq!(q.wait_ms(0.0), Some(0.0));
    let mut sent = Vec::new();
    let mut now = 100.0;
    while let Some(item) = q.start_next(now) {
        sent.push(item.kind);
        let code = if sent.len() % 2 == 0 { 200 } else { 201 };
        match q.report(now + 12.5, &status(code)) {
            Settled::Uploaded { latency_ms, .. } => assert_eq!(latency_ms, 12.5),
            other => panic!("{other:?}"),
        }
        now += 100.0;
        if sent.len() == 7 {
            assert_eq!(q.counters().segments_uploaded, 0);
        }
        if sent.len() == 8 {
            // Part 1.0 completed segment 0.
            assert_eq!(q.counters().segments_uploaded, 1);
        }
    }
    let expected: Vec<UploadKind> = (0..2)
        .flat_map(|msn| (0..7).map(move |index| UploadKind::Part { msn, index }))
        .chain([UploadKind::End])
        .collect();
    assert_eq!(sent, expected);
    assert!(q.is_empty());
    assert!(!q.is_backpressured());
    let c = q.counters();
    assert_eq!(c.parts_uploaded, 14);
    // The end completed segment 1.
    assert_eq!(c.segments_uploaded, 2);
    assert_eq!(c.bytes_uploaded, 145);
    assert_eq!(c.upload_errors, 0);
    assert_eq!(c.last_part_latency_ms, Some(12.5));
    assert_eq!(q.report(0.0, &status(200)), Settled::Halted);
}

#[test]
fn failures_retry_the_same_item_with_backoff_and_reorder_nothing() {
    let mut q = UploadQueue::default();
    q.push(part(0, 0, 0.3));
    q.push(part(0, 1, 0.3));
    let mut now = 1000.0;
    let failures = [
        Attempt::NetworkError,
        status(500),
        status(408),
        status(429),
        status(502),
        status(503),
        status(504),
    ];
    for (n, failure) in (1..).zip(&failures) {
        assert_eq!(
            q.start_next(now).map(|i| i.kind),
            Some(UploadKind::Part { msn: 0, index: 0 })
        );
        let action = q.report(now, failure);
        let expected = QueueConfig::default().backoff.delay_ms(n);
        assert_eq!(action, retry(expected, n));
        // Not before the backoff has elapsed.
        assert!(q.start_next(now + expected as f64 - 1.0).is_none());
        assert_eq!(q.wait_ms(now), Some(expected as f64));
        now += expected as f64;
    }
    assert_eq!(q.depth(), 2);
    assert_eq!(q.counters().upload_errors, 7);
    let (kind, settled) = attempt(&mut q, now, &status(201));
    assert_eq!(kind, UploadKind::Part { msn: 0, index: 0 });
    assert!(matches!(settled, Settled::Uploaded { .. }));
    // The next item starts with a fresh failure count.
    q.start_next(now);
    assert_eq!(q.report(now, &Attempt::NetworkError), retry(250, 1));
}

#[test]
fn retry_after_holds_the_queue_longer_than_the_backoff() {
    let mut q = UploadQueue::default();
    q.push(part(0, 0, 0.3));
    q.start_next(0.0);
    assert_eq!(q.report(0.0, &busy(503, "2")), retry(2_000, 1));
    assert!(q.start_next(1_999.0).is_none());
    assert!(q.start_next(2_000.0).is_some());
    // A short Retry-After does not undercut the backoff, a huge one is capped.
    assert_eq!(q.report(2_000.0, &busy(429, "0")), retry(500, 2));
    q.start_next(2_500.0);
    assert_eq!(q.report(2_500.0, &busy(503, "86400")), retry(30_000, 3));
}

#[test]
fn a_refused_part_is_dropped_and_the_queue_goes_on() {
    let mut q = UploadQueue::default();
    q.push(part(0, 0, 0.3));
    q.push(part(0, 1, 0.3));
    q.push(part(0, 2, 0.3));
    attempt(&mut q, 0.0, &status(201));
    let (kind, settled) = attempt(&mut q, 100.0, &status(409));
    assert_eq!(kind, UploadKind::Part { msn: 0, index: 1 });
    assert!(matches!(settled, Settled::Skipped { item } if item.kind == kind));
    assert!(!q.is_halted());
    let (kind, settled) = attempt(&mut q, 200.0, &status(201));
    assert_eq!(kind, UploadKind::Part { msn: 0, index: 2 });
    assert!(matches!(settled, Settled::Uploaded { .. }));
    let c = q.counters();
    assert_eq!(
        (c.parts_uploaded, c.parts_rejected, c.upload_errors),
        (2, 1, 1)
    );
}

#[test]
fn fatal_failure_halts_but_keeps_items() {
    for (kind, code) in [
        (UploadItem::init(vec![1]), 409),
        (part(0, 0, 0.3), 400),
        (part(0, 0, 0.3), 401),
        (part(0, 0, 0.3), 403),
        (part(0, 0, 0.3), 413),
        (UploadItem::end(), 404),
    ] {
        let mut q = UploadQueue::default();
        q.push(kind);
        q.start_next(0.0);
        assert_eq!(q.report(0.0, &status(code)), Settled::Halted, "{code}");
        assert!(q.is_halted());
        assert!(q.start_next(1e9).is_none());
        assert_eq!(q.wait_ms(0.0), None);
        assert_eq!(q.depth(), 1);
    }
}

#[test]
fn report_without_anything_in_flight_is_harmless() {
    let mut q = UploadQueue::default();
    assert_eq!(q.report(0.0, &Attempt::NetworkError), Settled::Halted);
    q.push(part(0, 0, 0.3));
    assert_eq!(q.report(0.0, &status(200)), Settled::Halted);
    assert_eq!(q.depth(), 1);
    assert_eq!(q.counters(), &UploadCounters::default());
}

#[test]
fn a_backlog_past_the_bound_drops_whole_unstarted_segments_oldest_first() {
    let mut q = UploadQueue::default();
    q.push(UploadItem::init(vec![1]));
    // The network is down: the init segment fails and waits.
    attempt(&mut q, 0.0, &Attempt::NetworkError);
    // Segment 0 has started: its first part was sent and failed.
    for item in segment(0) {
        assert!(q.push(item).is_empty());
    }
    let now = 10_000.0;
    attempt(&mut q, now, &status(204));
    let (kind, _) = attempt(&mut q, now, &Attempt::NetworkError);
    assert_eq!(kind, UploadKind::Part { msn: 0, index: 0 });
    let mut dropped = Vec::new();
    for msn in 1..=5 {
        for item in segment(msn) {
            dropped.extend(q.push(item));
        }
    }
    // Past 10 s queued: segment 0 has started, so the oldest unstarted one, 1, goes.
    assert_eq!(dropped, [1]);
    assert!(q.backlog_secs() <= 10.0 + 1e-9);
    for item in segment(6) {
        dropped.extend(q.push(item));
    }
    assert_eq!(dropped, [1, 2]);
    let msns: Vec<u64> = kinds(&q).iter().filter_map(|k| k.msn()).collect();
    let mut unique = msns.clone();
    unique.dedup();
    // Segments 3..=6 follow 0 renumbered: the server sees contiguous msns.
    assert_eq!(unique, [0, 1, 2, 3, 4]);
    // Every kept segment is whole.
    for msn in [0, 1, 2, 3, 4] {
        assert_eq!(msns.iter().filter(|m| **m == msn).count(), 7, "{msn}");
    }
    let c = q.counters();
    assert_eq!((c.segments_dropped, c.parts_dropped), (2, 14));
    // Order is kept: segment 0 resumes, then what was 3.
    let mut sent = Vec::new();
    let mut now = 20_000.0;
    while let Some(item) = q.start_next(now) {
        sent.push(item.kind);
        q.report(now, &status(201));
        now += 10.0;
    }
    let expected: Vec<UploadKind> = [0, 1, 2, 3, 4]
        .into_iter()
        .flat_map(|msn| (0..7).map(move |index| UploadKind::Part { msn, index }))
        .collect();
    assert_eq!(sent, expected);
}

#[test]
fn the_segment_being_produced_and_the_end_are_never_dropped() {
    let config = QueueConfig {
        max_backlog_secs: 1.0,
        ..QueueConfig::default()
    };
    let mut q = UploadQueue::new(config);
    // A long segment still being produced: nothing follows it, so nothing is droppable.
    for index in 0..10 {
        assert!(q.push(part(0, index, 0.3)).is_empty());
    }
    assert_eq!(q.depth(), 10);
    // Once the next segment starts, segment 0 is complete (and unstarted) and goes; segment 1
    // takes its msn, and so do its later parts.
    assert_eq!(q.push(part(1, 0, 0.3)), [0]);
    assert_eq!(kinds(&q), [UploadKind::Part { msn: 0, index: 0 }]);
    assert!(q.push(part(1, 1, 0.3)).is_empty());
    assert_eq!(kinds(&q)[1], UploadKind::Part { msn: 0, index: 1 });
    assert!(q.push(UploadItem::end()).is_empty());
    assert_eq!(kinds(&q).last(), Some(&UploadKind::End));
}

#[test]
fn counters_of_several_queues_add_up() {
    let mut total = UploadCounters {
        parts_uploaded: 3,
        bytes_uploaded: 100,
        last_part_latency_ms: Some(40.0),
        ..Default::default()
    };
    total.add(&UploadCounters {
        parts_uploaded: 2,
        bytes_uploaded: 50,
        segments_dropped: 1,
        last_part_latency_ms: Some(90.0),
        ..Default::default()
    });
    total.add(&UploadCounters::default());
    assert_eq!(
        (
            total.parts_uploaded,
            total.bytes_uploaded,
            total.segments_dropped
        ),
        (5, 150, 1)
    );
    assert_eq!(total.last_part_latency_ms, Some(90.0));
}
