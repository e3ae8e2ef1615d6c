//! Low-Latency HLS delivery through `app()`: part uploads, the LL tags of the media playlist, blocking
//! playlist reload with its 400 and 503, delta updates, the preload-hinted part held until it arrives,
//! rendition reports, cache lifetimes, and the end of the stream completing the open segment.

mod common;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::media::{av_init_bytes, av_part, av_segment, PARTS_PER_SEGMENT, PART_SECS};
use common::{Reply, Stream, TestApp};
use onair_media::PreloadHintType;

/// Producer wall clock of the stream's time zero: 2026-11-23T10:00:00Z.
const T0_MICROS: u64 = 1_795_428_000_000_000;

async fn put_part(t: &TestApp, stream: &Stream, rendition: &str, msn: u64, index: u64) -> Reply {
    put_part_with(
        t,
        stream,
        rendition,
        msn,
        index,
        "0.4",
        av_part_at(msn, index),
    )
    .await
}

fn av_part_at(msn: u64, index: u64) -> Vec<u8> {
    let micros = T0_MICROS + (msn * PARTS_PER_SEGMENT + index) * 400_000;
    av_part(msn, index, Some(micros))
}

async fn put_part_with(
    t: &TestApp,
    stream: &Stream,
    rendition: &str,
    msn: u64,
    index: u64,
    part_target: &str,
    body: Vec<u8>,
) -> Reply {
    let uri = format!(
        "/api/streams/{}/renditions/{rendition}/parts/{msn}.{index}.m4s",
        stream.id
    );
    let request = Request::builder()
        .method(Method::PUT)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {}", stream.key))
        .header("onair-part-target", part_target)
        .body(Body::from(body))
        .expect("request");
    t.request(request).await
}

/// A stream whose `r0` has `parts` parts uploaded (segment after segment).
async fn ll_stream(t: &TestApp, parts: u64) -> Stream {
    let stream = t.create_stream("LL").await;
    assert_eq!(
        t.put_init(&stream, "r0", av_init_bytes()).await.status,
        StatusCode::NO_CONTENT
    );
    for n in 0..parts {
        let reply = put_part(
            t,
            &stream,
            "r0",
            n / PARTS_PER_SEGMENT,
            n % PARTS_PER_SEGMENT,
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "part {n}: {}",
            reply.text()
        );
    }
    stream
}

/// A GET through the app, answered in a task of its own: `(status, body, when it was answered)`.
fn spawn_get(
    t: &TestApp,
    uri: String,
) -> tokio::task::JoinHandle<(StatusCode, axum::body::Bytes, Instant)> {
    let router = t.router.clone();
    tokio::spawn(async move {
        let response = tower::ServiceExt::oneshot(
            router,
            Request::get(uri).body(Body::empty()).expect("request"),
        )
        .await
        .expect("infallible");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (status, body, Instant::now())
    })
}

/// Waits until `n` viewers' requests are parked in the origin, waiting for a part or segment.
async fn until_waiting(t: &TestApp, n: usize) {
    t.until_parked(&format!("{n} requests"), |origin| {
        origin.waiting_requests() == n
    })
    .await;
}

#[tokio::test]
async fn parts_make_a_low_latency_playlist() {
    let t = TestApp::new().await;
    // Two whole segments (10 parts) and two parts of the third.
    let stream = ll_stream(&t, 12).await;
    let uri = format!("/live/{}/r0/index.m3u8", stream.id);
    let reply = t.get(&uri).await;
    let text = reply.text();
    let p = reply.media_playlist();
    assert_eq!(p.target_duration, 2);
    assert_eq!(p.part_target, Some(0.4));
    let control = p.server_control.clone().expect("EXT-X-SERVER-CONTROL");
    assert!(control.can_block_reload);
    assert_eq!(control.part_hold_back, Some(1.2), "three part targets");
    assert_eq!(control.can_skip_until, Some(12.0), "six target durations");
    assert_eq!(p.segments.len(), 2);
    assert_eq!(p.media_sequence, 0);
    // Both complete segments lie within three target durations of the end: their parts are listed.
    for (msn, s) in p.segments.iter().enumerate() {
        assert_eq!(s.uri, format!("{msn}.m4s"));
        assert!((s.duration_secs - 2.0).abs() < 1e-6);
        let uris: Vec<&str> = s.parts.iter().map(|p| p.uri.as_str()).collect();
        let expected: Vec<String> = (0..5).map(|i| format!("{msn}.{i}.m4s")).collect();
        assert_eq!(uris, expected, "{text}");
        assert!(s.parts[0].independent && !s.parts[1].independent);
        assert!((s.parts[1].duration_secs - PART_SECS).abs() < 1e-6);
    }
    let trailing: Vec<&str> = p.trailing_parts.iter().map(|p| p.uri.as_str()).collect();
    assert_eq!(trailing, ["2.0.m4s", "2.1.m4s"]);
    let hint = p.preload_hint.clone().expect("EXT-X-PRELOAD-HINT");
    assert_eq!(hint.hint_type, PreloadHintType::Part);
    assert_eq!(hint.uri, "2.2.m4s");
    // Program date time from the producer's clock (prft), not the arrival time.
    assert_eq!(
        p.segments[1].program_date_time.as_deref(),
        Some("2026-11-23T10:00:02.000Z"),
        "{text}"
    );
    assert!(text.contains("#EXT-X-VERSION:9"), "{text}");

    // Parts and segments are served; a segment is its parts concatenated.
    let part = t.get(&format!("/live/{}/r0/2.1.m4s", stream.id)).await;
    assert_eq!(part.status, StatusCode::OK);
    assert_eq!(part.body.as_ref(), av_part_at(2, 1).as_slice());
    assert_eq!(
        part.header(header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    let segment = t.get(&format!("/live/{}/r0/1.m4s", stream.id)).await;
    let joined: Vec<u8> = (0..5).flat_map(|i| av_part_at(1, i)).collect();
    assert_eq!(segment.body.as_ref(), joined.as_slice());
    assert_eq!(
        t.stored_files(&stream, "r0"),
        ["0.m4s", "1.m4s", "init.mp4"]
    );

    // The multivariant playlist measured the segments made of parts.
    let master = t.get(&format!("/live/{}/index.m3u8", stream.id)).await;
    assert!(master.text().contains("BANDWIDTH="), "{}", master.text());
}

#[tokio::test]
async fn part_uploads_are_checked_and_idempotent() {
    let t = TestApp::new().await;
    let stream = ll_stream(&t, 3).await;
    // The same part again: stored once.
    let again = put_part(&t, &stream, "r0", 0, 2).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text());
    // Other bytes under an existing name.
    let other = put_part_with(&t, &stream, "r0", 0, 2, "0.4", av_part_at(0, 3)).await;
    assert_eq!(other.status, StatusCode::CONFLICT);
    // Out of order.
    let skip = put_part(&t, &stream, "r0", 0, 4).await;
    assert_eq!(skip.status, StatusCode::CONFLICT);
    assert!(
        skip.error().contains("expected part 0.3 or 1.0, got 0.4"),
        "{}",
        skip.error()
    );
    // No or another part target.
    let none = put_part_with(&t, &stream, "r0", 0, 3, "", av_part_at(0, 3)).await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    assert!(
        none.error().contains("OnAir-Part-Target"),
        "{}",
        none.error()
    );
    let changed = put_part_with(&t, &stream, "r0", 0, 3, "0.5", av_part_at(0, 3)).await;
    assert_eq!(changed.status, StatusCode::CONFLICT);
    // A segment's first part must start on a keyframe: part 1 of segment 1 sent as 1.0 fails.
    for n in 3..5 {
        assert_eq!(
            put_part(&t, &stream, "r0", 0, n).await.status,
            StatusCode::CREATED
        );
    }
    let no_key = put_part_with(&t, &stream, "r0", 1, 0, "0.4", av_part_at(1, 1)).await;
    assert_eq!(no_key.status, StatusCode::BAD_REQUEST);
    assert!(no_key.error().contains("keyframe"), "{}", no_key.error());
    // Time going back, truncation, garbage.
    let back = put_part_with(&t, &stream, "r0", 1, 0, "0.4", av_part_at(0, 0)).await;
    assert_eq!(back.status, StatusCode::BAD_REQUEST);
    assert!(back.error().contains("backwards"), "{}", back.error());
    let part = av_part_at(1, 0);
    let cut = put_part_with(
        &t,
        &stream,
        "r0",
        1,
        0,
        "0.4",
        part[..part.len() - 3].to_vec(),
    )
    .await;
    assert_eq!(cut.status, StatusCode::BAD_REQUEST);
    let garbage = put_part_with(&t, &stream, "r0", 1, 0, "0.4", vec![7; 100]).await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
    // A whole segment while one is open in parts.
    let whole = t.put_segment(&stream, "r0", 0, av_segment(0)).await;
    assert_eq!(whole.status, StatusCode::CONFLICT);
    // A wrong key.
    let wrong = Stream {
        id: stream.id.clone(),
        key: "sk_wrong".into(),
        owner: String::new(),
    };
    assert_eq!(
        put_part(&t, &wrong, "r0", 1, 0).await.status,
        StatusCode::FORBIDDEN
    );
    // Nothing of that changed the stream: the right part is still the next one.
    assert_eq!(
        put_part(&t, &stream, "r0", 1, 0).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn blocking_reload_answers_when_the_part_arrives() {
    let t = TestApp::new().await;
    let stream = ll_stream(&t, 7).await; // segment 0 complete, parts 1.0 and 1.1
    let base = format!("/live/{}/r0/index.m3u8", stream.id);

    // Already there: at once, cacheable for six target durations.
    let now = t.get(&format!("{base}?_HLS_msn=1&_HLS_part=1")).await;
    assert_eq!(now.status, StatusCode::OK);
    assert_eq!(now.header(header::CACHE_CONTROL), "public, max-age=12");
    let plain = t.get(&base).await;
    assert_eq!(plain.header(header::CACHE_CONTROL), "public, max-age=1");

    // The next part: held until it is uploaded.
    let waiting = spawn_get(&t, format!("{base}?_HLS_msn=1&_HLS_part=2"));
    until_waiting(&t, 1).await;
    assert!(!waiting.is_finished(), "answered before the part existed");
    let uploaded_at = Instant::now();
    assert_eq!(
        put_part(&t, &stream, "r0", 1, 2).await.status,
        StatusCode::CREATED
    );
    let (status, body, answered_at) = waiting.await.expect("join");
    assert_eq!(status, StatusCode::OK);
    assert!(
        answered_at >= uploaded_at,
        "answered {:?} before the part was uploaded",
        uploaded_at - answered_at
    );
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.contains("#EXT-X-PART:DURATION=0.4,URI=\"1.2.m4s\""),
        "{text}"
    );
    assert!(
        text.contains("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"1.3.m4s\""),
        "{text}"
    );

    // Segment 0 is complete: _HLS_msn=0 alone answers at once.
    assert_eq!(
        t.get(&format!("{base}?_HLS_msn=0")).await.status,
        StatusCode::OK
    );
    // Too far ahead: 400 at once.
    let far = t.get(&format!("{base}?_HLS_msn=9")).await;
    assert_eq!(far.status, StatusCode::BAD_REQUEST);
    assert!(
        far.error().contains("more than two segments"),
        "{}",
        far.error()
    );
    let far_part = t.get(&format!("{base}?_HLS_msn=1&_HLS_part=40")).await;
    assert_eq!(far_part.status, StatusCode::BAD_REQUEST);
    // Malformed directives.
    assert_eq!(
        t.get(&format!("{base}?_HLS_part=1")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        t.get(&format!("{base}?_HLS_msn=x")).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn a_blocking_reload_that_waits_too_long_gets_503() {
    let t = TestApp::new().await;
    let stream = ll_stream(&t, 6).await;
    let started = Instant::now();
    let reply = t
        .get(&format!(
            "/live/{}/r0/index.m3u8?_HLS_msn=1&_HLS_part=3",
            stream.id
        ))
        .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        reply.error().contains("did not arrive within 6 s"),
        "{}",
        reply.error()
    );
    assert_eq!(reply.header(header::CACHE_CONTROL), "no-store");
    assert!(started.elapsed() >= Duration::from_secs(6));
}

#[tokio::test]
async fn the_preload_hinted_part_is_held_until_it_arrives() {
    let t = TestApp::new().await;
    let stream = ll_stream(&t, 6).await; // segment 0, part 1.0
    let uri = format!("/live/{}/r0/1.1.m4s", stream.id);
    let waiting = spawn_get(&t, uri.clone());
    until_waiting(&t, 1).await;
    assert!(!waiting.is_finished());
    assert_eq!(
        put_part(&t, &stream, "r0", 1, 1).await.status,
        StatusCode::CREATED
    );
    let (status, body, _) = waiting.await.expect("join");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_ref(), av_part_at(1, 1).as_slice());

    // Far ahead, or never to come: 404 at once.
    let far = t.get(&format!("/live/{}/r0/7.0.m4s", stream.id)).await;
    assert_eq!(far.status, StatusCode::NOT_FOUND);
    assert_eq!(far.header(header::CACHE_CONTROL), "public, max-age=1");
    // A hinted part whose segment ends without it: 404 once the next segment starts.
    for i in 2..5 {
        put_part(&t, &stream, "r0", 1, i).await;
    }
    let beyond = spawn_get(&t, format!("/live/{}/r0/1.5.m4s", stream.id));
    until_waiting(&t, 1).await;
    assert_eq!(
        put_part(&t, &stream, "r0", 2, 0).await.status,
        StatusCode::CREATED
    );
    assert_eq!(beyond.await.expect("join").0, StatusCode::NOT_FOUND);
}

/// A part upload whose body the test sends chunk by chunk: `(sender of chunks, the upload's reply)`.
fn put_part_streamed(
    t: &TestApp,
    stream: &Stream,
    msn: u64,
    index: u64,
) -> (
    tokio::sync::mpsc::Sender<Result<axum::body::Bytes, std::io::Error>>,
    tokio::task::JoinHandle<StatusCode>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let body = Body::from_stream(tokio_stream_from(rx));
    let request = Request::builder()
        .method(Method::PUT)
        .uri(format!(
            "/api/streams/{}/renditions/r0/parts/{msn}.{index}.m4s",
            stream.id
        ))
        .header(header::AUTHORIZATION, format!("Bearer {}", stream.key))
        .header("onair-part-target", "0.4")
        .body(body)
        .expect("request");
    let router = t.router.clone();
    let reply = tokio::spawn(async move {
        tower::ServiceExt::oneshot(router, request)
            .await
            .expect("infallible")
            .status()
    });
    (tx, reply)
}

fn tokio_stream_from<T: Send + 'static>(
    rx: tokio::sync::mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> + Send + 'static {
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|v| (v, rx)) })
}

/// A GET that is sent now and waits in the server (its task answers the response, body unread): returned
/// once it is parked there.
async fn ask_early(
    t: &TestApp,
    uri: &str,
) -> tokio::task::JoinHandle<Result<axum::response::Response, std::convert::Infallible>> {
    let request = Request::get(uri).body(Body::empty()).expect("request");
    let get = tokio::spawn(tower::ServiceExt::oneshot(t.router.clone(), request));
    until_waiting(t, 1).await;
    get
}

/// The next body frame of a response, within two seconds: `None` at the end, `Err` when the body failed.
async fn next_frame(body: &mut Body) -> Option<Result<axum::body::Bytes, String>> {
    use http_body_util::BodyExt as _;
    let frame = tokio::time::timeout(Duration::from_secs(2), body.frame())
        .await
        .expect("the body answers within 2 s")?;
    Some(
        frame
            .map_err(|e| e.to_string())
            .map(|f| f.into_data().unwrap_or_default()),
    )
}

#[tokio::test]
async fn the_preload_hinted_part_streams_while_its_upload_arrives() {
    let t = TestApp::new().await;
    let stream = ll_stream(&t, 6).await; // segment 0, part 1.0; the hint names 1.1
    let part = av_part_at(1, 1);
    let (first, rest) = part.split_at(part.len() / 2);
    let uri = format!("/live/{}/r0/1.1.m4s", stream.id);
    // The viewer asks before the upload starts.
    let get = ask_early(&t, &uri).await;
    let (tx, upload) = put_part_streamed(&t, &stream, 1, 1);
    tx.send(Ok(first.to_vec().into())).await.expect("send");
    let response = tokio::time::timeout(Duration::from_secs(2), get)
        .await
        .expect("answered once the upload starts")
        .expect("join")
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert!(
        response.headers().get(header::CONTENT_LENGTH).is_none(),
        "chunked"
    );
    let mut body = response.into_body();
    // The first half reaches the viewer while the second half has not been sent.
    let got = next_frame(&mut body).await.expect("a frame").expect("data");
    assert_eq!(got.as_ref(), first);
    assert!(!upload.is_finished());
    tx.send(Ok(rest.to_vec().into())).await.expect("send");
    drop(tx);
    let got = next_frame(&mut body).await.expect("a frame").expect("data");
    assert_eq!(got.as_ref(), rest);
    assert!(
        next_frame(&mut body).await.is_none(),
        "ends cleanly once accepted"
    );
    assert_eq!(upload.await.expect("join"), StatusCode::CREATED);
    // Later viewers get the stored part, whole, with its validators.
    let whole = t.get(&uri).await;
    assert_eq!(whole.status, StatusCode::OK);
    assert_eq!(whole.body.as_ref(), part.as_slice());
    assert!(!whole.header(header::ETAG).is_empty());
}

#[tokio::test]
async fn an_arriving_part_that_fails_validation_never_completes_for_its_viewers() {
    let t = TestApp::new().await;
    let stream = ll_stream(&t, 6).await;
    let uri = format!("/live/{}/r0/1.1.m4s", stream.id);
    let get = ask_early(&t, &uri).await;
    // A truncated part: the first bytes of a real one, then the upload ends.
    let part = av_part_at(1, 1);
    let (tx, upload) = put_part_streamed(&t, &stream, 1, 1);
    tx.send(Ok(part[..40].to_vec().into())).await.expect("send");
    let response = get.await.expect("join").expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    assert_eq!(
        next_frame(&mut body)
            .await
            .expect("a frame")
            .expect("data")
            .as_ref(),
        &part[..40]
    );
    drop(tx);
    assert_eq!(upload.await.expect("join"), StatusCode::BAD_REQUEST);
    let end = next_frame(&mut body)
        .await
        .expect("the body fails, it does not end");
    assert!(end.is_err(), "{end:?}");
    // Nothing was stored: the part is still awaited, and the good upload is then accepted.
    assert_eq!(
        put_part(&t, &stream, "r0", 1, 1).await.status,
        StatusCode::CREATED
    );
    assert_eq!(t.get(&uri).await.body.as_ref(), part.as_slice());

    // An uploader that goes away mid-part: its viewers' bodies fail too.
    let get = ask_early(&t, &format!("/live/{}/r0/1.2.m4s", stream.id)).await;
    let (tx, upload) = put_part_streamed(&t, &stream, 1, 2);
    tx.send(Ok(av_part_at(1, 2)[..10].to_vec().into()))
        .await
        .expect("send");
    let mut body = get.await.expect("join").expect("infallible").into_body();
    assert!(next_frame(&mut body).await.expect("a frame").is_ok());
    tx.send(Err(std::io::Error::other("connection reset")))
        .await
        .expect("send");
    assert_eq!(upload.await.expect("join"), StatusCode::BAD_REQUEST);
    assert!(next_frame(&mut body).await.expect("a frame").is_err());
}

#[tokio::test]
async fn delta_updates_skip_old_segments() {
    let t = TestApp::new().await;
    // Ten segments of 2 s, then one part: CAN-SKIP-UNTIL is 12 s.
    let stream = ll_stream(&t, 51).await;
    let base = format!("/live/{}/r0/index.m3u8", stream.id);
    let full = t.get(&base).await.media_playlist();
    assert_eq!(full.segments.len(), 10);
    let delta_reply = t.get(&format!("{base}?_HLS_skip=YES")).await;
    let delta = delta_reply.media_playlist();
    assert_eq!(delta.media_sequence, full.media_sequence);
    // 20.4 s in the playlist: the first four segments end at least 12 s before its end.
    assert_eq!(delta.skipped_segments, 4, "{}", delta_reply.text());
    assert_eq!(delta.segments.len(), 6);
    assert_eq!(delta.segments[0].uri, full.segments[4].uri);
    assert_eq!(delta.trailing_parts, full.trailing_parts);
    // Only segments that start within the last three target durations (6 s of 20.4) list their parts.
    let with_parts: Vec<&str> = full
        .segments
        .iter()
        .filter(|s| !s.parts.is_empty())
        .map(|s| s.uri.as_str())
        .collect();
    assert_eq!(with_parts, ["8.m4s", "9.m4s"]);
    // Old parts are no longer served.
    assert_eq!(
        t.get(&format!("/live/{}/r0/0.1.m4s", stream.id))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn renditions_report_each_other_and_the_end_completes_the_open_segment() {
    let t = TestApp::new().await;
    let stream = ll_stream(&t, 7).await;
    assert_eq!(
        t.put_init(&stream, "r1", av_init_bytes()).await.status,
        StatusCode::NO_CONTENT
    );
    // r1 runs behind r0: renditions arrive out of step.
    for n in 0..6 {
        let reply = put_part(&t, &stream, "r1", n / 5, n % 5).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    }
    let r0 = t
        .get(&format!("/live/{}/r0/index.m3u8", stream.id))
        .await
        .text();
    assert!(
        r0.contains("#EXT-X-RENDITION-REPORT:URI=\"../r1/index.m3u8\",LAST-MSN=1,LAST-PART=0"),
        "{r0}"
    );
    let r1 = t
        .get(&format!("/live/{}/r1/index.m3u8", stream.id))
        .await
        .text();
    assert!(
        r1.contains("#EXT-X-RENDITION-REPORT:URI=\"../r0/index.m3u8\",LAST-MSN=1,LAST-PART=1"),
        "{r1}"
    );

    assert_eq!(t.end(&stream).await.status, StatusCode::NO_CONTENT);
    let ended = t
        .get(&format!("/live/{}/r0/index.m3u8", stream.id))
        .await
        .media_playlist();
    assert!(ended.ended);
    assert_eq!(ended.segments.len(), 2, "the open segment 1 was completed");
    assert!((ended.segments[1].duration_secs - 0.8).abs() < 1e-6);
    assert!(ended.preload_hint.is_none() && ended.server_control.is_none());
    assert_eq!(
        t.stored_files(&stream, "r0"),
        ["0.m4s", "1.m4s", "init.mp4"]
    );
    let joined: Vec<u8> = (0..2).flat_map(|i| av_part_at(1, i)).collect();
    let segment = t.get(&format!("/live/{}/r0/1.m4s", stream.id)).await;
    assert_eq!(segment.body.as_ref(), joined.as_slice());
    // A blocking request on an ended stream answers at once.
    let after = t
        .get(&format!(
            "/live/{}/r0/index.m3u8?_HLS_msn=5&_HLS_part=0",
            stream.id
        ))
        .await;
    assert_eq!(after.status, StatusCode::OK);
    assert!(after.text().contains("#EXT-X-ENDLIST"));

    // A restart keeps every segment, the completed one included.
    let t = t.restart().await;
    let reloaded = t
        .get(&format!("/live/{}/r0/recording.m3u8", stream.id))
        .await
        .media_playlist();
    assert_eq!(reloaded.segments.len(), 2);
    assert_eq!(
        reloaded.segments[0].program_date_time.as_deref(),
        Some("2026-11-23T10:00:00.000Z")
    );
}

/// The sorted names in a folder.
fn file_names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("folder")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_restart_resumes_the_segment_being_uploaded_in_parts() {
    let t = TestApp::new().await;
    // Two segments and parts 2.0 and 2.1 of the third.
    let stream = ll_stream(&t, 12).await;
    let parts_dir = t
        .dir
        .path()
        .join("data/streams")
        .join(&stream.id)
        .join("r0/parts");
    let on_disk = file_names(&parts_dir);
    assert_eq!(
        on_disk,
        ["2.0.m4s", "2.1.m4s", "part-target"],
        "the open segment's parts are on disk, those of complete segments are not"
    );

    let t = t.restart().await;
    let uri = format!("/live/{}/r0/index.m3u8", stream.id);
    let p = t.get(&uri).await.media_playlist();
    assert_eq!(p.segments.len(), 2);
    let trailing: Vec<&str> = p.trailing_parts.iter().map(|p| p.uri.as_str()).collect();
    assert_eq!(trailing, ["2.0.m4s", "2.1.m4s"], "the open segment resumed");
    assert_eq!(
        p.preload_hint.as_ref().map(|h| h.uri.as_str()),
        Some("2.2.m4s")
    );
    assert_eq!(
        t.get(&format!("/live/{}/r0/2.1.m4s", stream.id))
            .await
            .body
            .as_ref(),
        av_part_at(2, 1).as_slice()
    );
    // The broadcaster's retry of an accepted part is a duplicate; it goes on where it was.
    assert_eq!(
        put_part(&t, &stream, "r0", 2, 1).await.status,
        StatusCode::OK
    );
    for (msn, index) in [(2, 2), (2, 3), (2, 4), (3, 0)] {
        let reply = put_part(&t, &stream, "r0", msn, index).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{msn}.{index}: {}",
            reply.text()
        );
    }
    let text = t.get(&uri).await.text();
    assert!(
        !text.contains("#EXT-X-DISCONTINUITY"),
        "no new period: {text}"
    );
    let segment = t.get(&format!("/live/{}/r0/2.m4s", stream.id)).await;
    let expected: Vec<u8> = (0..PARTS_PER_SEGMENT)
        .flat_map(|i| av_part_at(2, i))
        .collect();
    assert_eq!(
        segment.body.as_ref(),
        expected.as_slice(),
        "segment 2 whole, from before and after"
    );
    let on_disk = file_names(&parts_dir);
    assert_eq!(on_disk, ["3.0.m4s", "part-target"]);
}

/// Reads from `socket` into `seen` until `done(seen)` holds (at most 3 s).
async fn read_until(
    socket: &mut tokio::net::TcpStream,
    seen: &mut Vec<u8>,
    done: impl Fn(&[u8]) -> bool,
) {
    use tokio::io::AsyncReadExt as _;
    let deadline = Instant::now() + Duration::from_secs(3);
    while !done(seen) {
        let mut buf = [0u8; 8192];
        let left = deadline.saturating_duration_since(Instant::now());
        let n = tokio::time::timeout(left, socket.read(&mut buf))
            .await
            .expect("the server answers within 3 s")
            .expect("read");
        assert!(
            n > 0,
            "connection closed early: {}",
            String::from_utf8_lossy(seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
}

/// The body of a chunked HTTP/1.1 answer (`head` + body in `raw`), decoded; `None` until it is complete.
fn dechunk(raw: &[u8]) -> Option<Vec<u8>> {
    let start = raw.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let mut rest = raw.get(start..)?;
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).ok()?, 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

#[tokio::test]
async fn on_the_wire_the_hinted_part_is_chunked_and_starts_before_its_upload_ends() {
    use tokio::io::AsyncWriteExt as _;
    let t = TestApp::new().await;
    let stream = ll_stream(&t, 6).await;
    // The real server on a loopback port, serving this app.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(onair_server::serve_app(
        listener,
        t.state.clone(),
        t.router.clone(),
        std::future::pending(),
    ));
    let part = av_part_at(1, 1);
    let (first, rest) = part.split_at(part.len() / 2);

    let mut viewer = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let get = format!(
        "GET /live/{}/r0/1.1.m4s HTTP/1.1\r\nHost: onair\r\n\r\n",
        stream.id
    );
    viewer.write_all(get.as_bytes()).await.expect("write");
    until_waiting(&t, 1).await;

    let mut uploader = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "PUT /api/streams/{}/renditions/r0/parts/1.1.m4s HTTP/1.1\r\nHost: onair\r\n\
         Authorization: Bearer {}\r\nOnAir-Part-Target: 0.4\r\nTransfer-Encoding: chunked\r\n\r\n",
        stream.id, stream.key
    );
    uploader.write_all(head.as_bytes()).await.expect("write");
    uploader
        .write_all(format!("{:x}\r\n", first.len()).as_bytes())
        .await
        .expect("write");
    uploader.write_all(first).await.expect("write");
    uploader.write_all(b"\r\n").await.expect("write");

    // The first half reaches the viewer, chunked, while the upload is still open.
    let mut seen = Vec::new();
    let holds_first = |seen: &[u8]| seen.windows(first.len()).any(|w| w == first);
    read_until(&mut viewer, &mut seen, holds_first).await;
    let text = String::from_utf8_lossy(&seen).to_ascii_lowercase();
    assert!(text.starts_with("http/1.1 200"), "{text}");
    assert!(text.contains("transfer-encoding: chunked"), "{text}");
    assert!(
        text.contains("cache-control: public, max-age=31536000, immutable"),
        "{text}"
    );
    assert!(
        dechunk(&seen).is_none(),
        "not complete before the upload is"
    );

    uploader
        .write_all(format!("{:x}\r\n", rest.len()).as_bytes())
        .await
        .expect("write");
    uploader.write_all(rest).await.expect("write");
    uploader.write_all(b"\r\n0\r\n\r\n").await.expect("write");
    let mut answer = Vec::new();
    read_until(&mut uploader, &mut answer, |a| {
        a.windows(4).any(|w| w == b"\r\n\r\n")
    })
    .await;
    assert!(
        answer.starts_with(b"HTTP/1.1 201"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    read_until(&mut viewer, &mut seen, |s| dechunk(s).is_some()).await;
    assert_eq!(
        dechunk(&seen).as_deref(),
        Some(part.as_slice()),
        "the whole part, then the last chunk"
    );
}
