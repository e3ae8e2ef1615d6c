//! `/contact`: a form whose messages the server stores for the people who run this OnAir (with
//! per-address limits, `POST /api/contact`).

use leptos::html::{Input, Textarea};
use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_protocol::ContactMessage;

use crate::api;
use crate::components::error_view::ErrorView;
use crate::error::AppError;

/// The contact form.
#[component]
pub fn Contact() -> impl IntoView {
    let name = NodeRef::<Input>::new();
    let email = NodeRef::<Input>::new();
    let message = NodeRef::<Textarea>::new();
    let website = NodeRef::<Input>::new();
    let (sent, set_sent) = signal(false);
    let (busy, set_busy) = signal(false);
    let (error, set_error) = signal(None::<AppError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = ContactMessage {
            name: name.get().map(|n| n.value()).unwrap_or_default(),
            email: email.get().map(|e| e.value()).unwrap_or_default(),
            message: message.get().map(|m| m.value()).unwrap_or_default(),
            website: website.get().map(|w| w.value()).unwrap_or_default(),
        };
        set_busy.set(true);
        set_error.set(None);
        spawn_local(async move {
            match api::send_contact(&body).await {
                Ok(()) => set_sent.set(true),
                Err(e) => set_error.set(Some(e)),
            }
            set_busy.set(false);
        });
    };
    view! {
        <section class="prose contact">
            <h1>"Contact"</h1>
            <p>"Questions, problems, a stream that breaks the rules: write to the people who run this OnAir."</p>
            <ErrorView error=error />
            <Show
                when=move || !sent.get()
                fallback=|| view! { <p id="contact-sent" class="note">"Thank you. Your message has arrived; we answer by email."</p> }
            >
                <form id="contact-form" class="editor" on:submit=submit>
                    <label>"Your name" <input id="contact-name" node_ref=name type="text" maxlength="100" required autocomplete="name" /></label>
                    <label>"Your email" <input id="contact-email" node_ref=email type="email" maxlength="200" required autocomplete="email" /></label>
                    <label>"Message" <textarea id="contact-message" node_ref=message rows="6" maxlength="5000" required></textarea></label>
                    // People never see this field; form-filling bots do.
                    <div class="trap" aria-hidden="true">
                        <label>"Website" <input node_ref=website type="text" tabindex="-1" autocomplete="off" /></label>
                    </div>
                    <button id="contact-send" class="primary" type="submit" prop:disabled=busy>"Send"</button>
                </form>
            </Show>
        </section>
    }
}
