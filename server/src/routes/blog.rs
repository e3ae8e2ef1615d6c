//! The blog: Markdown posts in the repository (`www/blog/*.md`, copied into the web app's `posts/` by
//! Trunk: not `blog/`, which would make the page `/blog` a directory that the static files answer with a
//! redirect), each with a front matter of `title`, `date` and `summary` between `---` lines, rendered to
//! HTML with `pulldown-cmark`. `GET /api/blog` lists them newest first; `GET /api/blog/{slug}` gives one
//! (its slug is the file name without `.md`). The posts are the site's own, so their HTML is trusted.

use std::path::Path;

use axum::extract::{Path as UrlPath, State};
use axum::routing::get;
use axum::{Json, Router};
use onair_protocol::{paths, BlogList, BlogPost};

use crate::error::{AppError, AppResult};
use crate::AppState;

/// The folder of posts inside the web directory.
pub const BLOG_DIR: &str = "posts";

/// The blog's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::BLOG, get(list))
        .route(paths::ROUTE_BLOG_POST, get(post))
}

/// A post's file: its front matter and its Markdown. `None` when the front matter is missing or lacks
/// a title or a date.
pub fn parse_post(slug: &str, text: &str) -> Option<(BlogPost, String)> {
    let rest = text.trim_start_matches('\u{feff}').strip_prefix("---")?;
    let (front, body) = rest.split_once("\n---")?;
    let mut post = BlogPost {
        slug: slug.to_owned(),
        ..BlogPost::default()
    };
    for line in front.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim().to_owned();
        match key.trim() {
            "title" => post.title = value,
            "date" => post.date = value,
            "summary" => post.summary = value,
            _ => {}
        }
    }
    if post.title.is_empty() || post.date.is_empty() {
        return None;
    }
    let body = body.split_once('\n').map_or("", |(_, b)| b);
    Some((post, body.to_owned()))
}

/// Markdown to HTML (CommonMark with tables and strikethrough).
pub fn render(markdown: &str) -> String {
    use pulldown_cmark::{html, Options, Parser};
    let mut out = String::new();
    html::push_html(
        &mut out,
        Parser::new_ext(
            markdown,
            Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
        ),
    );
    out
}

/// True for a slug a post file can have: lowercase letters, digits and `-`.
fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 100
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Every post of `dir` (skipping, and logging, files that are not posts), newest first.
async fn read_posts(dir: &Path) -> Vec<(BlogPost, String)> {
    let mut posts = Vec::new();
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else {
        return posts;
    };
    while let Ok(Some(entry)) = entries.next_entry().await {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(slug) = name.strip_suffix(".md").filter(|s| valid_slug(s)) else {
            continue;
        };
        match tokio::fs::read_to_string(entry.path()).await {
            Ok(text) => match parse_post(slug, &text) {
                Some(post) => posts.push(post),
                None => tracing::warn!(file = %name, "blog post without a title and date: skipped"),
            },
            Err(err) => tracing::warn!(file = %name, error = %err, "cannot read a blog post"),
        }
    }
    posts.sort_by(|a, b| {
        b.0.date
            .cmp(&a.0.date)
            .then_with(|| a.0.slug.cmp(&b.0.slug))
    });
    posts
}

async fn list(State(state): State<AppState>) -> Json<BlogList> {
    let posts = read_posts(&state.web_dir().join(BLOG_DIR)).await;
    Json(BlogList {
        posts: posts.into_iter().map(|(post, _)| post).collect(),
    })
}

async fn post(
    State(state): State<AppState>,
    UrlPath(slug): UrlPath<String>,
) -> AppResult<Json<BlogPost>> {
    let not_found = || AppError::not_found(format!("blog post {slug:?}"));
    if !valid_slug(&slug) {
        return Err(not_found());
    }
    let path = state.web_dir().join(BLOG_DIR).join(format!("{slug}.md"));
    let text = tokio::fs::read_to_string(&path)
        .await
        .map_err(|_| not_found())?;
    let (mut post, markdown) = parse_post(&slug, &text).ok_or_else(not_found)?;
    post.html = render(&markdown);
    Ok(Json(post))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts() {
        let text =
            "---\ntitle: Hello\ndate: 2026-12-01\nsummary: First.\n---\n\n# Hi\n\nSome *text*.\n";
        let (post, markdown) = parse_post("hello", text).unwrap();
        assert_eq!(
            (
                post.title.as_str(),
                post.date.as_str(),
                post.summary.as_str()
            ),
            ("Hello", "2026-12-01", "First.")
        );
        assert_eq!(
            render(&markdown),
            "<h1>Hi</h1>\n<p>Some <em>text</em>.</p>\n"
        );
        assert!(parse_post("x", "# no front matter").is_none());
        assert!(
            parse_post("x", "---\ntitle: T\n---\nbody").is_none(),
            "no date"
        );
        assert!(valid_slug("2026-12-01-hello") && !valid_slug("../etc") && !valid_slug("A"));
    }

    #[tokio::test]
    async fn the_repository_posts_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/blog");
        let posts = read_posts(&dir).await;
        assert!(posts.len() >= 2, "{posts:?}");
        assert!(
            posts.windows(2).all(|w| w[0].0.date >= w[1].0.date),
            "newest first"
        );
        for (post, markdown) in &posts {
            assert!(!post.summary.is_empty(), "{}", post.slug);
            assert!(render(markdown).contains("<h2>"), "{}", post.slug);
        }
    }
}
