//! Persistence: stream metadata in SQLite ([`db`]) and media files on disk ([`files`]).
//!
//! Both are write-through stores behind the in-memory live state ([`crate::live`]): the origin changes
//! them first and the memory second, so a failed write never shows up in a playlist.

pub mod db;
pub mod files;

pub use db::{Db, StreamRecord, StreamStatus};
pub use files::MediaFiles;
