//! A stream's metadata as people type it, made clean: title, description, tags and category. Each rule
//! refuses with a 400 that says what to change; nothing is silently cut.

use onair_protocol::{CATEGORIES, MAX_DESCRIPTION_CHARS, MAX_TAGS, MAX_TAG_CHARS};

use crate::error::{AppError, AppResult};

/// Longest title in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Title of a stream created without one.
pub const DEFAULT_TITLE: &str = "Untitled stream";

/// Trims a title, defaults it, and refuses one that is too long or has control characters.
pub fn clean_title(title: Option<&str>) -> AppResult<String> {
    let title = title.map(str::trim).unwrap_or_default();
    if title.is_empty() {
        return Ok(DEFAULT_TITLE.to_owned());
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(AppError::bad_request(format!(
            "title is longer than {MAX_TITLE_CHARS} characters"
        )));
    }
    if title.chars().any(char::is_control) {
        return Err(AppError::bad_request("title contains control characters"));
    }
    Ok(title.to_owned())
}

/// Trims a description; line breaks and tabs are kept, other control characters refused.
pub fn clean_description(description: &str) -> AppResult<String> {
    let description = description.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(AppError::bad_request(format!(
            "description is longer than {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    if description
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(AppError::bad_request(
            "description contains control characters",
        ));
    }
    Ok(description.to_owned())
}

/// Normalises tags (trimmed, lowercase, a leading `#` dropped, inner spaces as `-`), drops empty ones and
/// repeats, and refuses more than [`MAX_TAGS`] or one that is not 1 to [`MAX_TAG_CHARS`] letters, digits
/// or `-`.
pub fn clean_tags(tags: &[String]) -> AppResult<Vec<String>> {
    let too_many =
        |count: usize| AppError::bad_request(format!("{count} tags; at most {MAX_TAGS}"));
    // Repeats and blanks are dropped, but a list far longer than the limit is refused unread.
    if tags.len() > MAX_TAGS * 4 {
        return Err(too_many(tags.len()));
    }
    let mut clean: Vec<String> = Vec::new();
    for raw in tags {
        let tag = raw.trim().trim_start_matches('#').trim().to_lowercase();
        let tag = tag.split_whitespace().collect::<Vec<_>>().join("-");
        if tag.is_empty() || clean.contains(&tag) {
            continue;
        }
        if tag.chars().count() > MAX_TAG_CHARS {
            return Err(AppError::bad_request(format!(
                "tag {tag:?} is longer than {MAX_TAG_CHARS} characters"
            )));
        }
        if !tag.chars().all(|c| c.is_alphanumeric() || c == '-') {
            return Err(AppError::bad_request(format!(
                "tag {tag:?} may hold only letters, digits and -"
            )));
        }
        clean.push(tag);
        if clean.len() > MAX_TAGS {
            return Err(too_many(clean.len()));
        }
    }
    Ok(clean)
}

/// A category: one of [`CATEGORIES`] (any case), or none when blank.
pub fn clean_category(category: &str) -> AppResult<Option<String>> {
    let category = category.trim().to_lowercase();
    if category.is_empty() {
        return Ok(None);
    }
    if CATEGORIES.contains(&category.as_str()) {
        Ok(Some(category))
    } else {
        Err(AppError::bad_request(format!(
            "unknown category {category:?}; one of {}",
            CATEGORIES.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn titles() {
        assert_eq!(clean_title(None).unwrap(), DEFAULT_TITLE);
        assert_eq!(clean_title(Some("  ")).unwrap(), DEFAULT_TITLE);
        assert_eq!(clean_title(Some(" Hi ")).unwrap(), "Hi");
        assert!(clean_title(Some(&"x".repeat(MAX_TITLE_CHARS + 1))).is_err());
        assert!(clean_title(Some("a\u{0}b")).is_err());
    }

    #[test]
    fn descriptions() {
        assert_eq!(clean_description(" a\nb ").unwrap(), "a\nb");
        assert!(clean_description("a\u{7}").is_err());
        assert!(clean_description(&"é".repeat(MAX_DESCRIPTION_CHARS + 1)).is_err());
        let longest = clean_description(&"é".repeat(MAX_DESCRIPTION_CHARS)).unwrap();
        assert_eq!(longest.chars().count(), MAX_DESCRIPTION_CHARS);
    }

    #[test]
    fn tags() {
        assert_eq!(
            clean_tags(&strings(&[" #Music ", "live set", "music", "", "Café"])).unwrap(),
            strings(&["music", "live-set", "café"])
        );
        assert!(clean_tags(&strings(&["a,b"])).is_err());
        assert!(clean_tags(&strings(&[&"t".repeat(MAX_TAG_CHARS + 1)])).is_err());
        let many: Vec<String> = (0..=MAX_TAGS).map(|n| format!("t{n}")).collect();
        assert!(clean_tags(&many).is_err());
        assert_eq!(clean_tags(&many[..MAX_TAGS]).unwrap().len(), MAX_TAGS);
        let flood: Vec<String> = (0..200_000).map(|n| format!("t{n}")).collect();
        assert!(clean_tags(&flood).is_err(), "refused unread");
    }

    #[test]
    fn categories() {
        assert_eq!(clean_category(" Music ").unwrap(), Some("music".into()));
        assert_eq!(clean_category("").unwrap(), None);
        assert!(clean_category("cooking").is_err());
    }
}
