//! What the person going live picked to capture: which camera and microphone, at which resolution.
//! The page remembers the choice; `web::Camera::open_with` asks the browser for it, and falls back to
//! any camera when the one remembered is gone.

/// The capture resolutions offered (the camera gives the nearest it can).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Resolution {
    /// 1920x1080.
    P1080,
    /// 1280x720, the default: what most webcams do well and most uplinks carry.
    #[default]
    P720,
    /// 854x480.
    P480,
}

impl Resolution {
    /// Every choice, largest first.
    pub const ALL: [Resolution; 3] = [Resolution::P1080, Resolution::P720, Resolution::P480];

    /// The size asked of the camera (16:9).
    pub fn size(self) -> (u32, u32) {
        match self {
            Resolution::P1080 => (1920, 1080),
            Resolution::P720 => (1280, 720),
            Resolution::P480 => (854, 480),
        }
    }

    /// Its lines: 1080, 720 or 480.
    pub fn height(self) -> u32 {
        self.size().1
    }

    /// The choice with `height` lines, if it is one.
    pub fn from_height(height: u32) -> Option<Resolution> {
        Resolution::ALL.into_iter().find(|r| r.height() == height)
    }

    /// How a person reads it: "720p".
    pub fn label(self) -> String {
        format!("{}p", self.height())
    }
}

/// What the picture is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceKind {
    /// The camera.
    #[default]
    Camera,
    /// A screen, window or tab the browser lets the person pick (`getDisplayMedia`), with the
    /// microphone's sound.
    Screen,
    /// A local video file played out live, in real time, with its own sound (the page plays it in a
    /// muted `<video>` and captures that).
    File,
}

impl SourceKind {
    /// Every kind, in the order offered.
    pub const ALL: [SourceKind; 3] = [SourceKind::Camera, SourceKind::Screen, SourceKind::File];

    /// Its name in a form: `camera`, `screen`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Camera => "camera",
            SourceKind::Screen => "screen",
            SourceKind::File => "file",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// How a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::Camera => "Camera",
            SourceKind::Screen => "Screen, window or tab",
            SourceKind::File => "A video file, played out live",
        }
    }
}

/// A source, a camera and microphone by the browser's device ids (`None`: the browser's default), and
/// the resolution.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaptureChoice {
    /// The camera or a screen.
    pub source: SourceKind,
    /// The camera's `deviceId`.
    pub camera: Option<String>,
    /// The microphone's `deviceId`.
    pub microphone: Option<String>,
    /// The resolution asked.
    pub resolution: Resolution,
}

/// A capture device the browser lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Its `deviceId`.
    pub id: String,
    /// Its label (empty until the page may use the camera).
    pub label: String,
}

impl Device {
    /// A name to show: its label, or "Camera 2" for a device the browser does not name.
    pub fn name(&self, kind: &str, index: usize) -> String {
        if self.label.trim().is_empty() {
            format!("{kind} {}", index + 1)
        } else {
            self.label.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolutions() {
        assert_eq!(Resolution::default(), Resolution::P720);
        assert_eq!(Resolution::P480.size(), (854, 480));
        assert_eq!(Resolution::from_height(1080), Some(Resolution::P1080));
        assert_eq!(Resolution::from_height(360), None);
        assert_eq!(Resolution::P720.label(), "720p");
    }

    #[test]
    fn source_kinds() {
        assert_eq!(SourceKind::default(), SourceKind::Camera);
        for kind in SourceKind::ALL {
            assert_eq!(SourceKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(SourceKind::parse("files"), None);
    }

    #[test]
    fn device_names() {
        let unnamed = Device {
            id: "x".into(),
            label: " ".into(),
        };
        assert_eq!(unnamed.name("Camera", 1), "Camera 2");
        let named = Device {
            id: "y".into(),
            label: "Front camera".into(),
        };
        assert_eq!(named.name("Camera", 0), "Front camera");
    }
}
