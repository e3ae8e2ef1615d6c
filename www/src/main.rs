//! Entry point of the OnAir web app: mounts [`onair_www::App`] on `<body>`.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(onair_www::App);
}
