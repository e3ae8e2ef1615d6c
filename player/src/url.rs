//! Resolving the URIs found in playlists against the playlist's own URL (RFC 3986 section 5.2, for the
//! forms HLS uses).

/// Resolves `reference` against `base`. Handles absolute URLs (`https://...`), scheme-relative
/// (`//host/x`), absolute paths (`/live/x`), relative paths with `./` and `../`, and bases that are
/// themselves only a path (`/live/abc/index.m3u8`, as a page passes them).
pub fn resolve(base: &str, reference: &str) -> String {
    if has_scheme(reference) {
        return reference.to_owned();
    }
    let (scheme, rest) = match base.find("://") {
        Some(i) if has_scheme(base) => (&base[..i], &base[i + 3..]),
        _ => ("", base),
    };
    let (authority, base_path) = if scheme.is_empty() {
        ("", rest)
    } else {
        match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        }
    };
    let prefix = if scheme.is_empty() {
        String::new()
    } else {
        format!("{scheme}://{authority}")
    };
    if let Some(stripped) = reference.strip_prefix("//") {
        return if scheme.is_empty() {
            format!("//{stripped}")
        } else {
            format!("{scheme}://{stripped}")
        };
    }
    // Drop the base's query and fragment.
    let base_path = base_path.split(['?', '#']).next().unwrap_or_default();
    if reference.is_empty() {
        return format!("{prefix}{base_path}");
    }
    let (ref_path, ref_tail) = match reference.find(['?', '#']) {
        Some(i) => (&reference[..i], &reference[i..]),
        None => (reference, ""),
    };
    if ref_path.is_empty() {
        return format!("{prefix}{base_path}{ref_tail}");
    }
    let merged = if ref_path.starts_with('/') {
        ref_path.to_owned()
    } else {
        let dir = match base_path.rfind('/') {
            Some(i) => &base_path[..=i],
            None => "",
        };
        format!("{dir}{ref_path}")
    };
    format!("{prefix}{}{ref_tail}", remove_dot_segments(&merged))
}

fn has_scheme(s: &str) -> bool {
    match s.find(':') {
        Some(i) if i > 0 => {
            let scheme = &s[..i];
            scheme
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        _ => false,
    }
}

fn remove_dot_segments(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len().saturating_sub(1);
    let mut trailing_slash = false;
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => trailing_slash = i == last,
            ".." => {
                if out.last().is_some_and(|s| !s.is_empty()) {
                    out.pop();
                }
                trailing_slash = i == last;
            }
            "" if i == 0 => {}
            s => {
                out.push(s);
                trailing_slash = false;
            }
        }
    }
    let mut result = String::new();
    if absolute {
        result.push('/');
    }
    result.push_str(&out.join("/"));
    if trailing_slash && !result.ends_with('/') {
        result.push('/');
    }
    result
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn resolves_the_forms_hls_uses() {
        let cases = [
            (
                "http://h:8080/live/abc/index.m3u8",
                "r0/index.m3u8",
                "http://h:8080/live/abc/r0/index.m3u8",
            ),
            (
                "http://h/live/abc/r0/index.m3u8",
                "init.mp4",
                "http://h/live/abc/r0/init.mp4",
            ),
            (
                "http://h/live/abc/r0/index.m3u8",
                "12.m4s",
                "http://h/live/abc/r0/12.m4s",
            ),
            (
                "http://h/a/b/index.m3u8?token=1",
                "seg.m4s?x=2",
                "http://h/a/b/seg.m4s?x=2",
            ),
            (
                "http://h/a/b/index.m3u8",
                "../c/x.m4s",
                "http://h/a/c/x.m4s",
            ),
            ("http://h/a/b/index.m3u8", "./x.m4s", "http://h/a/b/x.m4s"),
            ("http://h/a/b/index.m3u8", "/root.m4s", "http://h/root.m4s"),
            (
                "http://h/a/b/index.m3u8",
                "https://cdn/x.m4s",
                "https://cdn/x.m4s",
            ),
            ("https://h/a/index.m3u8", "//cdn/x.m4s", "https://cdn/x.m4s"),
            ("http://h", "x.m3u8", "http://h/x.m3u8"),
            ("http://h/a/../../x/index.m3u8", "y.m4s", "http://h/x/y.m4s"),
            (
                "/live/abc/index.m3u8",
                "r0/index.m3u8",
                "/live/abc/r0/index.m3u8",
            ),
            (
                "/live/abc/r0/index.m3u8",
                "../r1/index.m3u8",
                "/live/abc/r1/index.m3u8",
            ),
            ("index.m3u8", "seg.m4s", "seg.m4s"),
            ("http://h/a/index.m3u8", "", "http://h/a/index.m3u8"),
        ];
        for (base, reference, expected) in cases {
            assert_eq!(resolve(base, reference), expected, "{base} + {reference}");
        }
    }
}
