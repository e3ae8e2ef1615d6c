//! The one place errors are shown.

use leptos::prelude::*;

use crate::error::AppError;

/// Shows the error, if any, as an alert box (`.error`, `role="alert"`).
#[component]
pub fn ErrorView(
    /// The error to show; nothing is rendered while it is `None`.
    #[prop(into)]
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! {
                <div class="error" role="alert">
                    <strong>{e.title()}</strong>
                    <p>{e.to_string()}</p>
                </div>
            }
        })
    }
}
