//! Reading fragmented MP4 files that ffmpeg wrote in one piece (a header, then `moof` + `mdat` pairs)
//! with OnAir's demuxer.

use anyhow::{Context, Result};

/// Offset of the first top-level `moof` in a fragmented MP4 file (where the fragments after an ffmpeg
/// header begin).
pub fn first_moof(data: &[u8]) -> Option<usize> {
    let mut pos = 0usize;
    while pos.checked_add(8)? <= data.len() {
        let size = u32::from_be_bytes(data.get(pos..pos + 4)?.try_into().ok()?) as usize;
        if data.get(pos + 4..pos + 8)? == b"moof" {
            return Some(pos);
        }
        if size < 8 {
            return None;
        }
        pos = pos.checked_add(size)?;
    }
    None
}

/// Every sample of a fragmented MP4 file (an ffmpeg output: header, then `moof` + `mdat` pairs), read by
/// OnAir's demuxer within `limits`, as frames in decode-time order across tracks.
pub fn demux_fmp4_file(
    data: &[u8],
    limits: &onair_media::Limits,
) -> Result<(onair_media::InitSegment, Vec<onair_media::Frame>)> {
    let init = onair_media::parse_init(data).context("parse_init")?;
    let moof = first_moof(data).context("no moof in the file")?;
    let body = data.get(moof..).context("moof offset")?;
    let segment = onair_media::parse_segment(&init, body, limits).context("parse_segment")?;
    let mut frames = Vec::new();
    for track in &segment.tracks {
        for s in &track.samples {
            let bytes = s.data_in(body).context("sample inside the file")?;
            frames.push(onair_media::Frame {
                track_id: track.track_id,
                dts: s.dts,
                cts_offset: s.cts_offset,
                duration: Some(s.duration),
                keyframe: s.keyframe,
                data: bytes.to_vec(),
            });
        }
    }
    let timescale = |id: u32| f64::from(init.track(id).map_or(1, |t| t.timescale));
    frames.sort_by(|a, b| {
        let ta = a.dts as f64 / timescale(a.track_id);
        let tb = b.dts as f64 / timescale(b.track_id);
        ta.total_cmp(&tb)
    });
    Ok((init, frames))
}

/// The first video frame of segment `msn` of the live rendition at `{base}/{rendition}/` (its init
/// segment and `{msn}.m4s`): `(presentation time, timescale, keyframe, frames in the segment)`, in
/// ticks of the track's own timescale, so two renditions' segments compare exactly.
pub async fn segment_first_frame(
    base: &str,
    rendition: &str,
    msn: u64,
) -> Result<(i64, u32, bool, usize)> {
    let get = |path: String| async move {
        let response = reqwest::get(&path).await?;
        anyhow::ensure!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        Ok::<_, anyhow::Error>(response.bytes().await?)
    };
    let init = onair_media::parse_init(&get(format!("{base}/{rendition}/init.mp4")).await?)?;
    let segment = onair_media::parse_segment(
        &init,
        &get(format!("{base}/{rendition}/{msn}.m4s")).await?,
        &onair_media::Limits::default(),
    )?;
    let video = init.video().context("no video track")?;
    let samples = &segment.track(video.id).context("no video samples")?.samples;
    let first = samples.first().context("an empty segment")?;
    let pts = i64::try_from(first.dts)? + i64::from(first.cts_offset);
    Ok((pts, video.timescale, first.keyframe, samples.len()))
}

/// Checks that for each msn in `msns`, every rendition of `renditions` (under `{base}/`) starts its
/// segment exactly where the first one does ([`segment_first_frame`]: the same pts, timescale and frame
/// count), and that the first one starts on a keyframe.
pub async fn ensure_segments_aligned(
    base: &str,
    renditions: &[&str],
    msns: std::ops::Range<u64>,
) -> Result<()> {
    let Some((first, others)) = renditions.split_first() else {
        return Ok(());
    };
    for msn in msns {
        let reference = segment_first_frame(base, first, msn).await?;
        anyhow::ensure!(
            reference.2,
            "{first} segment {msn} starts without a keyframe"
        );
        for rendition in others {
            let frame = segment_first_frame(base, rendition, msn).await?;
            println!("segment {msn}: {first} {reference:?}, {rendition} {frame:?}");
            anyhow::ensure!(
                frame == reference,
                "{rendition} segment {msn}: {frame:?} against {reference:?}"
            );
        }
    }
    Ok(())
}
