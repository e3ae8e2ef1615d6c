//! Persistence: stream metadata in SQLite ([`db`]) and media files on disk ([`files`]), and the segments
//! viewers ask for kept in memory in front of the files ([`hot`]).
//!
//! Both are write-through stores behind the in-memory live state ([`crate::live`]): the origin changes
//! them first and the memory second, so a failed write never shows up in a playlist.

pub mod audience;
pub mod contact;
pub mod db;
pub mod files;
pub mod hot;
pub mod migrations;

pub use db::{Db, StreamRecord, StreamSecrets, StreamStatus};
pub use files::MediaFiles;
