//! The attribute-list syntax of RFC 8216bis 4.2: `NAME=value,NAME="quoted string",...`.

use std::collections::BTreeMap;

/// One attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    /// A quoted string, without its quotes.
    Quoted(String),
    /// Anything unquoted: a number, an enumerated string, a resolution.
    Unquoted(String),
}

impl AttributeValue {
    /// The text, quoted or not.
    pub fn as_str(&self) -> &str {
        match self {
            AttributeValue::Quoted(s) | AttributeValue::Unquoted(s) => s,
        }
    }
}

/// Parses an attribute list. Fails (with the reason) on a malformed one; never panics.
pub fn parse_attributes(input: &str) -> Result<BTreeMap<String, AttributeValue>, String> {
    let mut out = BTreeMap::new();
    let mut rest = input.trim();
    while !rest.is_empty() {
        let eq = rest
            .find('=')
            .ok_or_else(|| format!("attribute without '=' in {input:?}"))?;
        let name = rest[..eq].trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(format!("bad attribute name {name:?}"));
        }
        rest = &rest[eq + 1..];
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted
                .find('"')
                .ok_or_else(|| format!("unterminated quoted string for {name}"))?;
            let v = AttributeValue::Quoted(quoted[..end].to_string());
            rest = &quoted[end + 1..];
            v
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            let v = AttributeValue::Unquoted(rest[..end].trim().to_string());
            rest = &rest[end..];
            v
        };
        out.insert(name.to_string(), value);
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix(',') {
            rest = after.trim_start();
        } else if !rest.is_empty() {
            return Err(format!("expected ',' after {name}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quoted_and_unquoted() {
        let a = parse_attributes(r#"DURATION=0.33334,URI="part,1.mp4",INDEPENDENT=YES"#).unwrap();
        assert_eq!(a["DURATION"], AttributeValue::Unquoted("0.33334".into()));
        assert_eq!(a["URI"].as_str(), "part,1.mp4");
        assert_eq!(a["INDEPENDENT"].as_str(), "YES");
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["URI", r#"URI="x"#, "uri=1", r#"A="x"B=1"#, "=1"] {
            assert!(parse_attributes(bad).is_err(), "{bad}");
        }
        assert!(parse_attributes("").unwrap().is_empty());
    }
}
