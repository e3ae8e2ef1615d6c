//! `/blog` (the posts, newest first) and `/blog/:slug` (one post), from the Markdown files in the
//! repository that the server renders (`/api/blog`).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api;
use crate::components::error_view::ErrorView;

/// The list of posts.
#[component]
pub fn Blog() -> impl IntoView {
    let posts = LocalResource::new(api::blog);
    let error = Signal::derive(move || posts.get().and_then(|r| r.err()));
    let list = move || posts.get().and_then(|r| r.ok()).unwrap_or_default();
    view! {
        <section class="prose blog">
            <h1>"Blog"</h1>
            <ErrorView error=error />
            <ul id="posts" class="posts">
                {move || {
                    list()
                        .into_iter()
                        .map(|post| {
                            view! {
                                <li>
                                    <a class="post-link" href=format!("/blog/{}", post.slug)>{post.title}</a>
                                    <p class="muted"><time datetime=post.date.clone()>{post.date.clone()}</time> " · " {post.summary}</p>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </section>
    }
}

/// One post.
#[component]
pub fn BlogPost() -> impl IntoView {
    let params = use_params_map();
    let post = LocalResource::new(move || {
        let slug = params.read().get("slug").unwrap_or_default();
        async move { api::blog_post(&slug).await }
    });
    let error = Signal::derive(move || post.get().and_then(|r| r.err()));
    let loaded = move || post.get().and_then(|r| r.ok());
    view! {
        <article class="prose post">
            <ErrorView error=error />
            {move || {
                loaded()
                    .map(|post| {
                        view! {
                            <h1 id="post-title">{post.title}</h1>
                            <p class="muted"><time datetime=post.date.clone()>{post.date.clone()}</time></p>
                            <div class="post-body" inner_html=post.html></div>
                            <p><a href="/blog">"All posts"</a></p>
                        }
                    })
            }}
        </article>
    }
}
