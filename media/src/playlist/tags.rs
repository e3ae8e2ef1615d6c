//! One type per Low-Latency HLS tag, each with `to_attributes` (the text after the colon) and
//! `from_attributes`. Quotes from RFC 8216bis beside each.

pub(super) use super::attrs::Attributes;
use super::attrs::{parse_attributes, AttributeValue};
use super::format_secs;

pub(super) fn required<'a>(a: &'a Attributes, tag: &str, name: &str) -> Result<&'a str, String> {
    a.get(name)
        .map(AttributeValue::as_str)
        .ok_or_else(|| format!("{tag} without {name}"))
}

fn secs(a: &Attributes, tag: &str, name: &str) -> Result<Option<f64>, String> {
    match a.get(name) {
        None => Ok(None),
        Some(v) => crate::decimal::parse_decimal(v.as_str())
            .filter(|x| x.is_finite() && *x >= 0.0)
            .map(Some)
            .ok_or_else(|| format!("{tag} {name} is not a non-negative number")),
    }
}

pub(super) fn integer(a: &Attributes, tag: &str, name: &str) -> Result<Option<u64>, String> {
    match a.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_str()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| format!("{tag} {name} is not an integer")),
    }
}

pub(super) fn yes(a: &Attributes, name: &str) -> bool {
    a.get(name).is_some_and(|v| v.as_str() == "YES")
}

/// `EXT-X-PART`: "identifies a Partial Segment".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Part {
    /// `URI`.
    pub uri: String,
    /// `DURATION`, in seconds.
    pub duration_secs: f64,
    /// `INDEPENDENT=YES`: "the Partial Segment contains an independent frame".
    pub independent: bool,
    /// `GAP=YES`: the part is not available.
    pub gap: bool,
}

impl Part {
    /// The attribute list.
    pub fn to_attributes(&self) -> String {
        let mut s = format!(
            "DURATION={},URI=\"{}\"",
            format_secs(self.duration_secs),
            self.uri
        );
        if self.independent {
            s.push_str(",INDEPENDENT=YES");
        }
        if self.gap {
            s.push_str(",GAP=YES");
        }
        s
    }

    /// Parses the attribute list.
    pub fn from_attributes(text: &str) -> Result<Part, String> {
        let a = parse_attributes(text)?;
        Ok(Part {
            uri: required(&a, "EXT-X-PART", "URI")?.to_string(),
            duration_secs: secs(&a, "EXT-X-PART", "DURATION")?
                .ok_or("EXT-X-PART without DURATION")?,
            independent: yes(&a, "INDEPENDENT"),
            gap: yes(&a, "GAP"),
        })
    }
}

/// `EXT-X-SERVER-CONTROL`: "allows the Server to indicate support for Delivery Directives".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServerControl {
    /// `CAN-BLOCK-RELOAD=YES`: the server answers `_HLS_msn`/`_HLS_part` blocking requests.
    pub can_block_reload: bool,
    /// `CAN-SKIP-UNTIL`, in seconds: the skip boundary for delta updates.
    pub can_skip_until: Option<f64>,
    /// `HOLD-BACK`, in seconds.
    pub hold_back: Option<f64>,
    /// `PART-HOLD-BACK`, in seconds: "MUST be at least twice the Part Target Duration" (3 recommended).
    pub part_hold_back: Option<f64>,
}

impl ServerControl {
    /// The attribute list.
    pub fn to_attributes(&self) -> String {
        let mut parts = Vec::new();
        if self.can_block_reload {
            parts.push("CAN-BLOCK-RELOAD=YES".to_string());
        }
        if let Some(s) = self.can_skip_until {
            parts.push(format!("CAN-SKIP-UNTIL={}", format_secs(s)));
        }
        if let Some(s) = self.hold_back {
            parts.push(format!("HOLD-BACK={}", format_secs(s)));
        }
        if let Some(s) = self.part_hold_back {
            parts.push(format!("PART-HOLD-BACK={}", format_secs(s)));
        }
        parts.join(",")
    }

    /// Parses the attribute list.
    pub fn from_attributes(text: &str) -> Result<ServerControl, String> {
        let a = parse_attributes(text)?;
        let tag = "EXT-X-SERVER-CONTROL";
        Ok(ServerControl {
            can_block_reload: yes(&a, "CAN-BLOCK-RELOAD"),
            can_skip_until: secs(&a, tag, "CAN-SKIP-UNTIL")?,
            hold_back: secs(&a, tag, "HOLD-BACK")?,
            part_hold_back: secs(&a, tag, "PART-HOLD-BACK")?,
        })
    }
}

/// What an `EXT-X-PRELOAD-HINT` announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PreloadHintType {
    /// `TYPE=PART`: the next Partial Segment.
    #[default]
    Part,
    /// `TYPE=MAP`: the next Media Initialization Section.
    Map,
}

/// `EXT-X-PRELOAD-HINT`: "allows a Client loading media from a live stream to reduce the time to obtain a
/// resource from the Server by issuing its request before the resource is available".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PreloadHint {
    /// `TYPE`.
    pub hint_type: PreloadHintType,
    /// `URI`.
    pub uri: String,
}

impl PreloadHint {
    /// The attribute list.
    pub fn to_attributes(&self) -> String {
        let t = match self.hint_type {
            PreloadHintType::Part => "PART",
            PreloadHintType::Map => "MAP",
        };
        format!("TYPE={t},URI=\"{}\"", self.uri)
    }

    /// Parses the attribute list.
    pub fn from_attributes(text: &str) -> Result<PreloadHint, String> {
        let a = parse_attributes(text)?;
        let hint_type = match required(&a, "EXT-X-PRELOAD-HINT", "TYPE")? {
            "PART" => PreloadHintType::Part,
            "MAP" => PreloadHintType::Map,
            other => return Err(format!("EXT-X-PRELOAD-HINT TYPE {other}")),
        };
        Ok(PreloadHint {
            hint_type,
            uri: required(&a, "EXT-X-PRELOAD-HINT", "URI")?.to_string(),
        })
    }
}

/// `EXT-X-RENDITION-REPORT`: "carries information about an associated Rendition that is as up-to-date as
/// the Playlist that contains it".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RenditionReport {
    /// `URI` of the other rendition's media playlist, relative to this one.
    pub uri: String,
    /// `LAST-MSN`.
    pub last_msn: Option<u64>,
    /// `LAST-PART`.
    pub last_part: Option<u64>,
}

impl RenditionReport {
    /// The attribute list.
    pub fn to_attributes(&self) -> String {
        let mut s = format!("URI=\"{}\"", self.uri);
        if let Some(m) = self.last_msn {
            s.push_str(&format!(",LAST-MSN={m}"));
        }
        if let Some(p) = self.last_part {
            s.push_str(&format!(",LAST-PART={p}"));
        }
        s
    }

    /// Parses the attribute list.
    pub fn from_attributes(text: &str) -> Result<RenditionReport, String> {
        let a = parse_attributes(text)?;
        let tag = "EXT-X-RENDITION-REPORT";
        Ok(RenditionReport {
            uri: required(&a, tag, "URI")?.to_string(),
            last_msn: integer(&a, tag, "LAST-MSN")?,
            last_part: integer(&a, tag, "LAST-PART")?,
        })
    }
}

/// `EXT-X-PART-INF:PART-TARGET=...`.
pub(crate) fn part_inf_from_attributes(text: &str) -> Result<f64, String> {
    let a = parse_attributes(text)?;
    secs(&a, "EXT-X-PART-INF", "PART-TARGET")?
        .ok_or_else(|| "EXT-X-PART-INF without PART-TARGET".into())
}

/// `EXT-X-SKIP:SKIPPED-SEGMENTS=...`.
pub(crate) fn skip_from_attributes(text: &str) -> Result<u64, String> {
    let a = parse_attributes(text)?;
    integer(&a, "EXT-X-SKIP", "SKIPPED-SEGMENTS")?
        .ok_or_else(|| "EXT-X-SKIP without SKIPPED-SEGMENTS".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip() {
        let part = Part {
            uri: "filePart273.2.mp4".into(),
            duration_secs: 0.33334,
            independent: true,
            gap: false,
        };
        assert_eq!(
            part.to_attributes(),
            r#"DURATION=0.33334,URI="filePart273.2.mp4",INDEPENDENT=YES"#
        );
        assert_eq!(Part::from_attributes(&part.to_attributes()).unwrap(), part);
        let sc = ServerControl {
            can_block_reload: true,
            can_skip_until: Some(24.0),
            hold_back: None,
            part_hold_back: Some(1.0),
        };
        assert_eq!(
            sc.to_attributes(),
            "CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=24,PART-HOLD-BACK=1"
        );
        assert_eq!(
            ServerControl::from_attributes(&sc.to_attributes()).unwrap(),
            sc
        );
        let hint = PreloadHint {
            hint_type: PreloadHintType::Part,
            uri: "filePart273.3.mp4".into(),
        };
        assert_eq!(
            PreloadHint::from_attributes(&hint.to_attributes()).unwrap(),
            hint
        );
        let report = RenditionReport {
            uri: "../1M/waitForMSN.php".into(),
            last_msn: Some(273),
            last_part: Some(2),
        };
        assert_eq!(
            RenditionReport::from_attributes(&report.to_attributes()).unwrap(),
            report
        );
    }

    #[test]
    fn missing_required_attributes_are_errors() {
        assert!(Part::from_attributes(r#"URI="a""#).is_err());
        assert!(Part::from_attributes("DURATION=1").is_err());
        assert!(PreloadHint::from_attributes(r#"TYPE=FOO,URI="a""#).is_err());
        assert!(RenditionReport::from_attributes("LAST-MSN=1").is_err());
        assert!(Part::from_attributes(r#"DURATION=-1,URI="a""#).is_err());
    }
}
