//! One module per page.

pub mod about;
pub mod blog;
pub mod contact;
pub mod dashboard;
pub mod embed;
pub mod faq;
pub mod go_live;
pub mod help;
pub mod home;
pub mod nav;
pub mod not_found;
pub mod play;
pub mod privacy;
pub mod recordings;
pub mod watch;
