//! The contact form's messages (`contact_messages`, migration 5): stored, counted for the daily cap,
//! read back by the operator (`sqlite3 data/onair.db 'SELECT * FROM contact_messages'`).

use onair_protocol::ContactMessage;
use rusqlite::params;

use super::Db;
use crate::error::AppResult;

impl Db {
    /// Stores a message received at `at` (unix seconds).
    pub async fn insert_contact(&self, message: ContactMessage, at: i64) -> AppResult<()> {
        self.call(move |conn| {
            conn.execute(
                "INSERT INTO contact_messages (name, email, message, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![message.name, message.email, message.message, at],
            )
            .map(drop)
        })
        .await
    }

    /// Messages received since `since` (unix seconds).
    pub async fn contacts_since(&self, since: i64) -> AppResult<u64> {
        self.call(move |conn| {
            conn.query_row(
                "SELECT count(*) FROM contact_messages WHERE created_at >= ?1",
                [since],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| u64::try_from(n).unwrap_or(0))
        })
        .await
    }
}
