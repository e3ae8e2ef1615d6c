//! The multivariant playlist: one `EXT-X-STREAM-INF` per rendition.

use m3u8_rs::{MasterPlaylist, Resolution, VariantStream};

use super::media::VERSION;

/// One variant of a multivariant playlist.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Variant {
    /// URI of the media playlist, relative to the multivariant playlist.
    pub uri: String,
    /// `BANDWIDTH`: peak bits per second.
    pub bandwidth: u64,
    /// `AVERAGE-BANDWIDTH`: average bits per second.
    pub average_bandwidth: Option<u64>,
    /// `CODECS`, RFC 6381.
    pub codecs: String,
    /// `RESOLUTION`, width and height.
    pub resolution: Option<(u16, u16)>,
    /// `FRAME-RATE`.
    pub frame_rate: Option<f64>,
}

/// The multivariant playlist text for these variants.
pub fn render_multivariant(variants: &[Variant]) -> String {
    let playlist = MasterPlaylist {
        version: Some(VERSION),
        independent_segments: true,
        variants: variants
            .iter()
            .map(|v| VariantStream {
                uri: v.uri.clone(),
                bandwidth: v.bandwidth.max(1),
                average_bandwidth: v.average_bandwidth,
                codecs: Some(v.codecs.clone()),
                resolution: v.resolution.map(|(w, h)| Resolution {
                    width: u64::from(w),
                    height: u64::from(h),
                }),
                frame_rate: v.frame_rate,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let mut out = Vec::new();
    let _ = playlist.write_to(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}
