//! Whether this browser can go live from the page, said before anyone presses Go live: the WebCodecs
//! encoders and the capture API the broadcaster needs ([`REQUIRED`]), and what to tell a person whose
//! browser lacks one ([`explain`]). The check itself is `web::missing_features`.

/// The browser APIs going live needs: the encoders, and raw frames out of the camera's track.
pub const REQUIRED: [&str; 4] = [
    "VideoEncoder",
    "AudioEncoder",
    "VideoFrame",
    "MediaStreamTrackProcessor",
];

/// What to tell a person whose browser lacks the APIs `missing` (none: it can go live).
pub fn explain(missing: &[&str]) -> Option<String> {
    if missing.is_empty() {
        return None;
    }
    let list = match missing {
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        [] => String::new(),
    };
    Some(format!(
        "This browser cannot go live from the page: it has no {list}. Going live from the page works \
         in Chrome and Edge; watching works in every current browser, and OBS or ffmpeg can go live \
         from any computer."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_missing_says_nothing() {
        assert_eq!(explain(&[]), None);
    }

    #[test]
    fn what_is_missing_is_named() {
        let one = explain(&["MediaStreamTrackProcessor"]).unwrap();
        assert!(
            one.contains("it has no MediaStreamTrackProcessor."),
            "{one}"
        );
        let two = explain(&["VideoEncoder", "MediaStreamTrackProcessor"]).unwrap();
        assert!(
            two.contains("no VideoEncoder and MediaStreamTrackProcessor."),
            "{two}"
        );
        let three = explain(&REQUIRED[..3]).unwrap();
        assert!(
            three.contains("no VideoEncoder, AudioEncoder and VideoFrame."),
            "{three}"
        );
    }
}
