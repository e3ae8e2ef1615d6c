//! Opening a stream: the media source attached to the element, the multivariant or media playlist
//! read, the tracks started (the variant's and its separate audio rendition), every `SourceBuffer`
//! added before the first append, and the tasks spawned.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use onair_browser::log;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{MediaSource, Url};

use super::js::handler_promise;
use super::source_buffer::{executor, Kind, Track};
use super::state::Inner;
use super::track::{run_track, start_track};
use super::watchdog::watchdog;
use crate::error::PlayerError;
use crate::ops::{BufferOp, OpQueue};
use crate::playlist::{parse, Manifest, SegmentTracker};
use crate::status::Phase;

/// Opens the media source, resolves the playlists, then loads segments until the end of the stream.
pub(super) async fn load(inner: &Rc<Inner>, url: &str) -> Result<(), PlayerError> {
    // Attach the MediaSource and wait for `sourceopen`.
    let object_url = Url::create_object_url_with_source(&inner.media_source)
        .map_err(|e| PlayerError::js("URL.createObjectURL", &e))?;
    let opened = handler_promise(|resolve, _| inner.media_source.set_onsourceopen(Some(resolve)));
    inner.video.set_src(&object_url);
    *inner.object_url.borrow_mut() = Some(object_url);
    JsFuture::from(opened)
        .await
        .map_err(|e| PlayerError::js("sourceopen", &e))?;
    inner.media_source.set_onsourceopen(None);
    if inner.destroyed.get() {
        return Err(PlayerError::Destroyed);
    }

    // Multivariant or media playlist.
    let first = inner.fetch_with_retry(url, true).await?;
    let (main_url, main_codecs, audio, view) = match parse(&first, url)? {
        Manifest::Multivariant(selection) => {
            (selection.media_url, selection.codecs, selection.audio, None)
        }
        Manifest::Media(view) => (url.to_owned(), None, None, Some(view)),
    };
    inner.set_phase(Phase::Loading, None);

    let Some(main) = start_track(inner, main_url, view, SegmentTracker::default()).await? else {
        // An ended playlist without segments.
        inner.set_phase(Phase::Ended, None);
        return Ok(());
    };
    inner.live.set(!main.view.ended);
    inner.target_duration.set(main.view.target_duration);

    // The separate audio rendition starts where the video does: as far from its live edge, plus one
    // target duration, so that its first segment begins no later than the video's even when its
    // playlist has gained a segment since the video's was read (MSE plays from where both have data).
    let audio = match audio {
        None => None,
        Some(selection) => {
            let video_start = main.segments.first().map_or(0, |s| s.msn);
            let distance = main.view.duration_from(video_start);
            let tracker =
                SegmentTracker::starting_at_distance(distance + main.view.target_duration);
            let started = start_track(inner, selection.media_url.clone(), None, tracker).await?;
            match started {
                Some(started) => Some((selection, started)),
                None => {
                    log("player: the audio rendition has no segments; playing without it");
                    None
                }
            }
        }
    };

    // Every SourceBuffer is added before anything is appended.
    let main_codecs = codecs_or_init(main_codecs, &main.init)?;
    let main_mime = format!("video/mp4; codecs=\"{main_codecs}\"");
    if !MediaSource::is_type_supported(&main_mime) {
        return Err(PlayerError::Unsupported { what: main_mime });
    }
    let audio = match audio {
        None => None,
        Some((selection, started)) => {
            let codecs = codecs_or_init(selection.codecs, &started.init)?;
            let mime = format!("audio/mp4; codecs=\"{codecs}\"");
            if MediaSource::is_type_supported(&mime) {
                Some((mime, codecs, started))
            } else {
                log(&format!(
                    "player: {mime} is not supported; playing without the audio rendition"
                ));
                None
            }
        }
    };
    let mut all_codecs = main_codecs;
    let mut starts = vec![(Kind::Main, main_mime, main)];
    if let Some((mime, codecs, started)) = audio {
        all_codecs = format!("{all_codecs},{codecs}");
        starts.push((Kind::Audio, mime, started));
    }
    let mut loaders = Vec::new();
    for (kind, mime, started) in starts {
        let source_buffer = inner
            .media_source
            .add_source_buffer(&mime)
            .map_err(|e| PlayerError::js("addSourceBuffer", &e))?;
        let track = Rc::new(Track {
            kind,
            source_buffer,
            ops: RefCell::new(OpQueue::default()),
            appended: Cell::new(0),
            ended: Cell::new(false),
        });
        log(&format!(
            "player: {mime}, start at segment {:?} of {}",
            started.segments.first().map(|s| s.msn),
            started.media_url
        ));
        inner.tracks.borrow_mut().push(track.clone());
        loaders.push((track, started));
    }
    inner.update_status(|s| s.codecs = Some(all_codecs));

    spawn_local(watchdog(inner.clone()));
    let mut main_loader = None;
    for (track, mut started) in loaders {
        spawn_local(executor(inner.clone(), track.clone()));
        track.ops.borrow_mut().push(BufferOp::Append {
            label: format!("{} init segment", track.name()),
            data: std::mem::take(&mut started.init),
            media: false,
        });
        if track.kind == Kind::Main {
            main_loader = Some((track, started));
        } else {
            let task = inner.clone();
            spawn_local(async move {
                match run_track(&task, &track, started).await {
                    Ok(()) | Err(PlayerError::Destroyed) => {}
                    Err(e) => task.fail(&e),
                }
            });
        }
    }
    match main_loader {
        Some((track, started)) => run_track(inner, &track, started).await,
        None => Ok(()),
    }
}

/// The codecs string: the playlist's, else the init segment's.
fn codecs_or_init(codecs: Option<String>, init: &[u8]) -> Result<String, PlayerError> {
    match codecs {
        Some(c) => Ok(c),
        None => Ok(onair_media::parse_init(init)
            .map_err(|e| PlayerError::Media(e.to_string()))?
            .codecs()),
    }
}
