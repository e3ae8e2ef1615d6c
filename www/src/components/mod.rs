//! Components shared by several pages.

pub mod capture_picker;
pub mod chart;
pub mod error_view;
pub mod player_view;
pub mod renditions_table;
pub mod thumb;
