//! `PUT /ingest/{stream_key}/...` as a standard encoder uses it (ffmpeg's names, chunked bodies), and
//! restarts: of the encoder, and of the server. Through `app()` with `oneshot`.

mod common;

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, Method, Request, StatusCode};
use common::media::{
    audio_fragment, audio_track, av_init_bytes, av_segment, fragment, init_bytes, video_fragment,
    video_track, AUDIO_FRAMES, AUDIO_FRAME_TICKS, VIDEO_FRAMES, VIDEO_FRAME_TICKS,
};
use common::{Reply, Stream, TestApp};
use onair_media::{InitSegment, MultivariantPlaylist};

async fn push(t: &TestApp, key: &str, path: &str, body: Vec<u8>) -> Reply {
    t.send(Method::PUT, &format!("/ingest/{key}/{path}"), None, body)
        .await
}

/// Pushes a body in small chunks without a length, as ffmpeg does.
async fn push_chunked(t: &TestApp, key: &str, path: &str, body: Vec<u8>) -> Reply {
    let chunks: Vec<Result<Bytes, std::io::Error>> = body
        .chunks(1000)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let request = Request::put(format!("/ingest/{key}/{path}"))
        .header(header::TRANSFER_ENCODING, "chunked")
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .expect("request");
    t.request(request).await
}

#[tokio::test]
async fn ffmpeg_style_single_rendition() {
    let t = TestApp::new().await;
    let stream = t.create_stream("ffmpeg").await;
    let key = stream.key.as_str();

    // ffmpeg's order: init, then each segment followed by the playlist.
    let init = push_chunked(&t, key, "init.mp4", av_init_bytes()).await;
    assert_eq!(init.status, StatusCode::NO_CONTENT, "{}", init.text());
    for n in 0..3u64 {
        let reply = push_chunked(&t, key, &format!("index{n}.m4s"), av_segment(n)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        assert_eq!(reply.json()["msn"], n);
        assert_eq!(reply.json()["rendition"], "r0");
        // A playlist claiming other durations is accepted and ignored.
        let lie = format!("#EXTM3U\n#EXT-X-TARGETDURATION:99\n#EXTINF:99.0,\nindex{n}.m4s\n");
        let playlist = push_chunked(&t, key, "index.m3u8", lie.into_bytes()).await;
        assert_eq!(playlist.status, StatusCode::NO_CONTENT);
    }
    let text = t.get(&format!("/live/{}/r0/index.m3u8", stream.id)).await;
    let playlist = text.media_playlist();
    assert_eq!(playlist.target_duration, 2, "{}", text.text());
    assert_eq!(playlist.segments.len(), 3);
    assert!(playlist
        .segments
        .iter()
        .all(|s| (s.duration_secs - 2.0).abs() < 1e-3));
    assert_eq!(
        t.get(&format!("/live/{}/r0/2.m4s", stream.id))
            .await
            .body
            .as_ref(),
        av_segment(2).as_slice()
    );
    assert_eq!(
        t.get(&format!("/api/streams/{}", stream.id)).await.json()["status"],
        "live"
    );

    // The same file again is a retry; DELETE is ignored.
    let retry = push(&t, key, "index2.m4s", av_segment(2)).await;
    assert_eq!(retry.status, StatusCode::OK, "{}", retry.text());
    assert_eq!(retry.json()["msn"], 2);
    let delete = t
        .send(
            Method::DELETE,
            &format!("/ingest/{key}/index0.m4s"),
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(delete.status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get(&format!("/live/{}/r0/0.m4s", stream.id)).await.status,
        StatusCode::OK
    );
    assert_eq!(t.stored_files(&stream, "r0").len(), 4);
}

#[tokio::test]
async fn ladders_map_folders_to_renditions() {
    let t = TestApp::new().await;
    let stream = t.create_stream("ladder").await;
    let key = stream.key.as_str();
    for v in 0..2 {
        let reply = push(
            &t,
            key,
            &format!("stream_{v}/init_{v}.mp4"),
            av_init_bytes(),
        )
        .await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    }
    // Renditions arrive out of step.
    for (v, n) in [(0, 0), (0, 1), (1, 0), (0, 2), (1, 1)] {
        let reply = push(&t, key, &format!("stream_{v}/index{n}.m4s"), av_segment(n)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        assert_eq!(reply.json()["msn"], n);
    }
    assert_eq!(
        push(&t, key, "master.m3u8", b"#EXTM3U\n".to_vec())
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let multivariant = t
        .get(&format!("/live/{}/index.m3u8", stream.id))
        .await
        .text();
    assert!(
        multivariant.contains("\nstream_0/index.m3u8"),
        "{multivariant}"
    );
    assert!(
        multivariant.contains("\nstream_1/index.m3u8"),
        "{multivariant}"
    );
    // The test media runs at 5 frames per second.
    assert_eq!(
        multivariant.matches("FRAME-RATE=5").count(),
        2,
        "{multivariant}"
    );
    assert_eq!(multivariant.matches("RESOLUTION=1280x720").count(), 2);
}

/// ffmpeg's `-var_stream_map "v:0,agroup:aud v:1,agroup:aud a:0,agroup:aud"`: two video-only renditions
/// and one audio-only rendition become two variants and an `EXT-X-MEDIA` audio group, live and recorded.
#[tokio::test]
async fn separate_audio_becomes_an_audio_group() {
    let t = TestApp::new().await;
    let stream = t.create_stream("audio group").await;
    let key = stream.key.as_str();
    let video_only = InitSegment {
        tracks: vec![video_track()],
    };
    let audio_only = InitSegment {
        tracks: vec![audio_track()],
    };
    for (v, init) in [(0, &video_only), (1, &video_only), (2, &audio_only)] {
        let reply = push(
            &t,
            key,
            &format!("stream_{v}/init_{v}.mp4"),
            init_bytes(init),
        )
        .await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    }
    for n in 0..2u64 {
        let video = fragment(
            n,
            &[video_fragment(
                n * u64::from(VIDEO_FRAMES * VIDEO_FRAME_TICKS),
                true,
            )],
        );
        let audio = fragment(
            n,
            &[audio_fragment(
                n * u64::from(AUDIO_FRAMES * AUDIO_FRAME_TICKS),
            )],
        );
        for (v, body) in [(0, &video), (1, &video), (2, &audio)] {
            let reply = push(&t, key, &format!("stream_{v}/index{n}.m4s"), body.clone()).await;
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        }
    }
    for file in ["index.m3u8", "recording.m3u8"] {
        if file == "recording.m3u8" {
            assert!(t.end(&stream).await.status.is_success());
        }
        let reply = t.get(&format!("/live/{}/{file}", stream.id)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        let text = reply.text();
        let playlist = MultivariantPlaylist::parse(&text).expect("our playlist parses");
        assert_eq!(playlist.audio.len(), 1, "{text}");
        let audio = &playlist.audio[0];
        assert_eq!(
            audio.uri.as_deref(),
            Some(format!("stream_2/{file}").as_str())
        );
        assert_eq!((audio.default, audio.autoselect), (true, true), "{text}");
        assert_eq!(audio.channels.as_deref(), Some("2"), "{text}");
        let uris: Vec<&str> = playlist.variants.iter().map(|v| v.uri.as_str()).collect();
        assert_eq!(
            uris,
            [format!("stream_0/{file}"), format!("stream_1/{file}")],
            "{text}"
        );
        for v in &playlist.variants {
            assert_eq!(v.audio.as_deref(), Some(audio.group_id.as_str()), "{text}");
            assert_eq!(v.codecs, "avc1.42e01f,opus", "{text}");
        }
        // The audio rendition's own playlist is there to be fetched.
        let media = t.get(&format!("/live/{}/stream_2/{file}", stream.id)).await;
        assert_eq!(media.media_playlist().segments.len(), 2);
    }
}

#[tokio::test]
async fn bad_pushes_get_clear_errors_and_change_nothing() {
    let t = TestApp::new().await;
    let stream = t.create_stream("bad").await;
    let key = stream.key.as_str();
    push(&t, key, "init.mp4", av_init_bytes()).await;
    push(&t, key, "index0.m4s", av_segment(0)).await;
    let playlist_uri = format!("/live/{}/r0/index.m3u8", stream.id);
    let before = t.get(&playlist_uri).await.text();

    let good = av_segment(1);
    let wrong_key = "sk_00000000000000000000000000000000";
    // (what, key, path, body, status, a word of the reason)
    type Case<'a> = (&'a str, &'a str, &'a str, Vec<u8>, StatusCode, &'a str);
    let cases: Vec<Case> = vec![
        (
            "wrong key",
            wrong_key,
            "index1.m4s",
            good.clone(),
            StatusCode::FORBIDDEN,
            "key",
        ),
        (
            "garbage",
            key,
            "index1.m4s",
            b"garbage!".repeat(40),
            StatusCode::BAD_REQUEST,
            "segment 1",
        ),
        (
            "truncated",
            key,
            "index1.m4s",
            good[..good.len() - 9].to_vec(),
            StatusCode::BAD_REQUEST,
            "truncated",
        ),
        (
            "backwards",
            key,
            "index1.m4s",
            av_segment(0),
            StatusCode::BAD_REQUEST,
            "backwards",
        ),
        (
            "mpeg-ts",
            key,
            "index1.ts",
            good.clone(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "fmp4",
        ),
        (
            "bad folder",
            key,
            "Stream 0/index1.m4s",
            good.clone(),
            StatusCode::BAD_REQUEST,
            "rendition",
        ),
        (
            "too deep",
            key,
            "a/b/index1.m4s",
            good.clone(),
            StatusCode::BAD_REQUEST,
            "RENDITION/FILE",
        ),
        (
            "no init",
            key,
            "stream_9/index0.m4s",
            good.clone(),
            StatusCode::CONFLICT,
            "init",
        ),
        (
            "codec change",
            key,
            "init.mp4",
            init_bytes(&InitSegment {
                tracks: vec![video_track()],
            }),
            StatusCode::CONFLICT,
            "codec change",
        ),
    ];
    for (what, key, path, body, status, needle) in cases {
        let reply = push(&t, key, &path.replace(' ', "%20"), body).await;
        assert_eq!(reply.status, status, "{what}: {}", reply.text());
        let error = reply.error();
        assert!(
            error.to_lowercase().contains(&needle.to_lowercase()),
            "{what}: {error}"
        );
        assert_eq!(t.get(&playlist_uri).await.text(), before, "{what}");
    }
    assert_eq!(t.stored_files(&stream, "r0"), ["0.m4s", "init.mp4"]);
    let get = t.get(&format!("/ingest/{key}/index0.m4s")).await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(get.error().contains("PUT"), "{}", get.error());

    // The stream goes on.
    assert_eq!(
        push(&t, key, "index1.m4s", good).await.status,
        StatusCode::CREATED
    );
}

/// An encoder that restarts sends its init again and starts its timeline and names from zero: the
/// server continues the msns after an EXT-X-DISCONTINUITY.
#[tokio::test]
async fn an_encoder_restart_starts_a_new_period() {
    let t = TestApp::new().await;
    let stream = t.create_stream("restarts").await;
    let key = stream.key.as_str();
    for run in 0..2 {
        assert_eq!(
            push(&t, key, "init.mp4", av_init_bytes()).await.status,
            StatusCode::NO_CONTENT
        );
        for n in 0..6u64 {
            let reply = push(&t, key, &format!("index{n}.m4s"), av_segment(n)).await;
            assert_eq!(
                reply.status,
                StatusCode::CREATED,
                "run {run}: {}",
                reply.text()
            );
            assert_eq!(reply.json()["msn"], run * 6 + n);
        }
    }
    let reply = t.get(&format!("/live/{}/r0/index.m3u8", stream.id)).await;
    let playlist = reply.media_playlist();
    // Window of 10 over msns 0..12: starts at 2, the discontinuity before msn 6 is inside it.
    assert_eq!(playlist.media_sequence, 2);
    assert_eq!(playlist.discontinuity_sequence, 0);
    let marked: Vec<u64> = playlist
        .segments
        .iter()
        .zip(2u64..)
        .filter(|(s, _)| s.discontinuity)
        .map(|(_, msn)| msn)
        .collect();
    assert_eq!(marked, [6], "{}", reply.text());
    assert!(reply.text().contains("#EXT-X-DISCONTINUITY\n"));

    // Six more: the discontinuity leaves the window and the discontinuity sequence counts it.
    assert_eq!(
        push(&t, key, "init.mp4", av_init_bytes()).await.status,
        StatusCode::NO_CONTENT
    );
    for n in 0..6u64 {
        assert_eq!(
            push(&t, key, &format!("index{n}.m4s"), av_segment(n))
                .await
                .status,
            StatusCode::CREATED
        );
    }
    let playlist = t
        .get(&format!("/live/{}/r0/index.m3u8", stream.id))
        .await
        .media_playlist();
    assert_eq!(playlist.media_sequence, 8);
    assert_eq!(playlist.discontinuity_sequence, 1);
    assert!(
        playlist.segments.get(4).is_some_and(|s| s.discontinuity),
        "msn 12"
    );
}

/// A server restart keeps a live stream live; whatever its encoder sends next starts a new period with
/// the next msn, and a second restart rebuilds exactly the same playlist.
#[tokio::test]
async fn a_server_restart_continues_after_a_discontinuity() {
    let t = TestApp::new().await;
    let stream = t.create_stream("survives").await;
    let key = stream.key.clone();
    push(&t, &key, "init.mp4", av_init_bytes()).await;
    for n in 0..3u64 {
        push(&t, &key, &format!("index{n}.m4s"), av_segment(n)).await;
    }
    let before = t
        .get(&format!("/live/{}/r0/index.m3u8", stream.id))
        .await
        .text();

    let t = t.restart().await;
    let uri = format!("/live/{}/r0/index.m3u8", stream.id);
    assert_eq!(
        t.get(&uri).await.text(),
        before,
        "a restart changes no playlist"
    );
    for n in 0..3u64 {
        assert_eq!(
            t.get(&format!("/live/{}/r0/{n}.m4s", stream.id))
                .await
                .body
                .as_ref(),
            av_segment(n).as_slice()
        );
    }
    // The encoder comes back with a fresh timeline and names.
    assert_eq!(
        push(&t, &key, "init.mp4", av_init_bytes()).await.status,
        StatusCode::NO_CONTENT
    );
    for n in 0..2u64 {
        let reply = push(&t, &key, &format!("index{n}.m4s"), av_segment(n)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        assert_eq!(reply.json()["msn"], 3 + n);
    }
    let after = t.get(&uri).await.text();
    assert_eq!(
        after.matches("#EXT-X-DISCONTINUITY\n").count(),
        1,
        "{after}"
    );
    // The new period repeats the EXT-X-MAP.
    assert_eq!(after.matches("#EXT-X-MAP").count(), 2, "{after}");

    let t = t.restart().await;
    assert_eq!(t.get(&uri).await.text(), after, "the period is remembered");
    assert_eq!(
        t.end(&Stream {
            id: stream.id.clone(),
            key,
            owner: String::new(),
        })
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    let recording = t
        .get(&format!("/live/{}/r0/recording.m3u8", stream.id))
        .await;
    let recording = recording.media_playlist();
    assert_eq!(recording.segments.len(), 5);
    assert_eq!(
        recording
            .segments
            .iter()
            .filter(|s| s.discontinuity)
            .count(),
        1
    );
}

/// A ladder's first multivariant playlist lists every rendition that has an init segment: it waits
/// (404, "starting") until each has its first segment, for at most `start_grace`; a rendition with
/// nothing by then is left out until it has.
#[tokio::test]
async fn the_first_multivariant_playlist_waits_for_every_rendition() {
    for grace in [Duration::from_secs(30), Duration::from_millis(200)] {
        let t = TestApp::with_settings(onair_server::Settings {
            start_grace: grace,
            ..Default::default()
        })
        .await;
        let stream = t.create_stream("starting").await;
        let key = stream.key.as_str();
        for v in 0..2 {
            let path = format!("stream_{v}/init_{v}.mp4");
            assert_eq!(
                push(&t, key, &path, av_init_bytes()).await.status,
                StatusCode::NO_CONTENT
            );
        }
        let first = push(&t, key, "stream_0/index0.m4s", av_segment(0)).await;
        assert_eq!(first.status, StatusCode::CREATED);
        let url = format!("/live/{}/index.m3u8", stream.id);
        if grace > Duration::from_secs(1) {
            let starting = t.get(&url).await;
            assert_eq!(starting.status, StatusCode::NOT_FOUND);
            assert!(
                starting.error().contains("starting"),
                "{}",
                starting.error()
            );
            assert_eq!(starting.header(header::CACHE_CONTROL), "public, max-age=1");
            // The media playlist of the rendition that has a segment plays already.
            let media = t
                .get(&format!("/live/{}/stream_0/index.m3u8", stream.id))
                .await;
            assert_eq!(media.status, StatusCode::OK);
            push(&t, key, "stream_1/index0.m4s", av_segment(0)).await;
            let text = t.get(&url).await.text();
            assert!(
                text.contains("\nstream_0/index.m3u8") && text.contains("\nstream_1/index.m3u8"),
                "{text}"
            );
        } else {
            // Once the grace has passed, the playlist answers without the rendition that has nothing.
            let deadline = std::time::Instant::now() + grace + Duration::from_secs(10);
            let mut reply = t.get(&url).await;
            while reply.status == StatusCode::NOT_FOUND && std::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
                reply = t.get(&url).await;
            }
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
            let text = reply.text();
            assert!(text.contains("\nstream_0/index.m3u8"), "{text}");
            assert!(
                !text.contains("stream_1"),
                "left out until it has a segment: {text}"
            );
        }
    }
}

/// Waits until `n` pushed segments are held in the origin for what must come before them.
async fn until_held(t: &TestApp, n: usize) {
    t.until_parked(&format!("{n} pushes"), |origin| origin.held_pushes() == n)
        .await;
}

/// A push answered in a task of its own: `(status, JSON body)`.
fn spawn_push(
    t: &TestApp,
    key: &str,
    path: &str,
    body: Vec<u8>,
) -> tokio::task::JoinHandle<(StatusCode, serde_json::Value)> {
    let router = t.router.clone();
    let request = Request::builder()
        .method(Method::PUT)
        .uri(format!("/ingest/{key}/{path}"))
        .body(Body::from(body))
        .expect("request");
    tokio::spawn(async move {
        let response = tower::ServiceExt::oneshot(router, request)
            .await
            .expect("infallible");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (status, serde_json::from_slice(&body).unwrap_or_default())
    })
}

/// Uploads that overlap (ffmpeg finishes its last, one-frame file before the one before it): a file
/// whose number skips ahead waits for the one before it, so each gets the msn of its place; one that
/// never comes holds the next for at most `INGEST_REORDER_WAIT`.
#[tokio::test]
async fn overlapping_pushes_keep_the_order_of_their_file_names() {
    let t = TestApp::new().await;
    let stream = t.create_stream("overlap").await;
    let key = stream.key.clone();
    assert_eq!(
        push(&t, &key, "init.mp4", av_init_bytes()).await.status,
        StatusCode::NO_CONTENT
    );
    for n in 0..2 {
        let reply = push(&t, &key, &format!("index{n}.m4s"), av_segment(n)).await;
        assert_eq!(reply.json()["msn"], n);
    }
    // index3 arrives first and waits; index2 then takes msn 2 and index3 msn 3.
    let early = spawn_push(&t, &key, "index3.m4s", av_segment(3));
    until_held(&t, 1).await;
    assert!(!early.is_finished(), "index3 waits for index2");
    let second = push(&t, &key, "index2.m4s", av_segment(2)).await;
    assert_eq!(
        (second.status, second.json()["msn"].clone()),
        (StatusCode::CREATED, 2.into())
    );
    let (status, reply) = early.await.expect("join");
    assert_eq!(
        (status, reply["msn"].clone()),
        (StatusCode::CREATED, 3.into())
    );

    // index5 without index4: it waits, then goes on as the next msn.
    let started = std::time::Instant::now();
    let reply = push(&t, &key, "index5.m4s", av_segment(5)).await;
    assert_eq!(
        (reply.status, reply.json()["msn"].clone()),
        (StatusCode::CREATED, 4.into())
    );
    assert!(started.elapsed() >= onair_server::origin::INGEST_REORDER_WAIT);

    // At the start a first segment can overtake its init segment: it waits for it.
    let stream = t.create_stream("init overtaken").await;
    let first = spawn_push(&t, &stream.key, "index0.m4s", av_segment(0));
    until_held(&t, 1).await;
    assert!(!first.is_finished(), "index0 waits for the init segment");
    let init = push(&t, &stream.key, "init.mp4", av_init_bytes()).await;
    assert_eq!(init.status, StatusCode::NO_CONTENT);
    let (status, reply) = first.await.expect("join");
    assert_eq!(
        (status, reply["msn"].clone()),
        (StatusCode::CREATED, 0.into())
    );
}
