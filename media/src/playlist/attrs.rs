//! The attribute-list syntax of RFC 8216bis 4.2: `NAME=value,NAME="quoted string",...`.

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

/// A parsed attribute list: a few names each, so a vector searched in order (a `BTreeMap` here cost
/// the player's bundle about 10 KB of wasm). A name given twice keeps its last value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attributes(Vec<(String, AttributeValue)>);

impl Attributes {
    /// The value of attribute `name`.
    pub fn get(&self, name: &str) -> Option<&AttributeValue> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// How many attributes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn insert(&mut self, name: String, value: AttributeValue) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => *v = value,
            None => self.0.push((name, value)),
        }
    }
}

/// Parses an attribute list. Fails (with the reason) on a malformed one; never panics.
pub fn parse_attributes(input: &str) -> Result<Attributes, String> {
    let mut out = Attributes::default();
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
        assert_eq!(
            a.get("DURATION"),
            Some(&AttributeValue::Unquoted("0.33334".into()))
        );
        assert_eq!(a.get("URI").map(AttributeValue::as_str), Some("part,1.mp4"));
        assert_eq!(
            a.get("INDEPENDENT").map(AttributeValue::as_str),
            Some("YES")
        );
        assert_eq!(a.len(), 3);
        let twice = parse_attributes("A=1,A=2").unwrap();
        assert_eq!(
            (twice.len(), twice.get("A").map(AttributeValue::as_str)),
            (1, Some("2"))
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["URI", r#"URI="x"#, "uri=1", r#"A="x"B=1"#, "=1"] {
            assert!(parse_attributes(bad).is_err(), "{bad}");
        }
        assert!(parse_attributes("").unwrap().is_empty());
    }
}
