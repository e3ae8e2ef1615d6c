//! The database's schema as numbered migrations. `PRAGMA user_version` says how many have run; opening a
//! database runs the rest in order, each in its own transaction with its version bump, so a crash between
//! two leaves a database that the next start continues from. A migration is never edited once released:
//! a change is a new one at the end.
//!
//! 1. `streams` (its key in clear, as the first releases kept it).
//! 2. `discontinuities`: the first segment of each new period of a rendition.
//! 3. `streams` rebuilt: the key's SHA-256 instead of the key, the owner token's hash, description, tags
//!    and category. Streams from before have no owner token (no one can edit them; their key still
//!    uploads).
//! 4. `viewer_sessions` and `viewer_samples`: the audience, from the players' beacons.
//! 5. `contact_messages`: what people send through the contact form.

use rusqlite::{params, Connection, Transaction};

use crate::secret::SecretHash;

/// One step of the schema.
enum Migration {
    /// Plain SQL.
    Sql(&'static str),
    /// SQL that needs Rust (hashing the keys of migration 3).
    Code(fn(&Transaction<'_>) -> rusqlite::Result<()>),
}

const MIGRATIONS: [Migration; 5] = [
    Migration::Sql(
        "CREATE TABLE streams (
            id          TEXT PRIMARY KEY NOT NULL,
            stream_key  TEXT NOT NULL,
            title       TEXT NOT NULL,
            status      TEXT NOT NULL CHECK (status IN ('created', 'live', 'ended')),
            created_at  INTEGER NOT NULL,
            started_at  INTEGER,
            ended_at    INTEGER
        );
        CREATE INDEX streams_status ON streams (status, started_at);",
    ),
    Migration::Sql(
        "CREATE TABLE discontinuities (
            stream_id   TEXT NOT NULL REFERENCES streams (id),
            rendition   TEXT NOT NULL,
            msn         INTEGER NOT NULL,
            PRIMARY KEY (stream_id, rendition, msn)
        );",
    ),
    Migration::Code(hash_secrets_and_add_metadata),
    Migration::Sql(
        "CREATE TABLE viewer_sessions (
            stream_id      TEXT NOT NULL REFERENCES streams (id),
            session_id     TEXT NOT NULL,
            country        TEXT,
            first_seen     INTEGER NOT NULL,
            last_seen      INTEGER NOT NULL,
            watch_ms       INTEGER NOT NULL DEFAULT 0,
            first_frame_ms INTEGER,
            rebuffers      INTEGER NOT NULL DEFAULT 0,
            rebuffer_ms    INTEGER NOT NULL DEFAULT 0,
            bitrate_kbps   INTEGER,
            switches       INTEGER NOT NULL DEFAULT 0,
            latency_ms     INTEGER,
            errors         INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (stream_id, session_id)
        );
        CREATE TABLE viewer_samples (
            stream_id   TEXT NOT NULL REFERENCES streams (id),
            at          INTEGER NOT NULL,
            viewers     INTEGER NOT NULL,
            PRIMARY KEY (stream_id, at)
        );",
    ),
    Migration::Sql(
        "CREATE TABLE contact_messages (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL,
            email       TEXT NOT NULL,
            message     TEXT NOT NULL,
            created_at  INTEGER NOT NULL
        );
        CREATE INDEX contact_messages_created ON contact_messages (created_at);",
    ),
];

/// The schema version a database has once every migration ran.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Runs the migrations `conn` has not run yet.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    // A table rebuild (migration 3) drops a table others reference: SQLite's own recipe turns the
    // checks off around it (they cannot change inside a transaction) and checks the references at the
    // end of the transaction instead.
    conn.pragma_update(None, "foreign_keys", false)?;
    let migrated = run_from(conn, version);
    conn.pragma_update(None, "foreign_keys", true)?;
    migrated
}

fn run_from(conn: &mut Connection, version: i64) -> rusqlite::Result<()> {
    for (index, migration) in MIGRATIONS.iter().enumerate() {
        let number = index as i64 + 1;
        if number <= version {
            continue;
        }
        let tx = conn.transaction()?;
        match migration {
            Migration::Sql(sql) => tx.execute_batch(sql)?,
            Migration::Code(run) => run(&tx)?,
        }
        let broken: i64 =
            tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
                row.get(0)
            })?;
        if broken > 0 {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT),
                Some(format!(
                    "migration {number} leaves {broken} broken references"
                )),
            ));
        }
        tx.pragma_update(None, "user_version", number)?;
        tx.commit()?;
        tracing::info!(version = number, "database migrated");
    }
    Ok(())
}

/// Migration 3: the key becomes its hash, and the stream gains an owner and its metadata.
fn hash_secrets_and_add_metadata(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE streams_v3 (
            id          TEXT PRIMARY KEY NOT NULL,
            key_hash    TEXT NOT NULL,
            owner_hash  TEXT,
            title       TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            tags        TEXT NOT NULL DEFAULT '',
            category    TEXT,
            status      TEXT NOT NULL CHECK (status IN ('created', 'live', 'ended')),
            created_at  INTEGER NOT NULL,
            started_at  INTEGER,
            ended_at    INTEGER
        );",
    )?;
    {
        let mut read = tx.prepare(
            "SELECT id, stream_key, title, status, created_at, started_at, ended_at FROM streams",
        )?;
        let mut write = tx.prepare(
            "INSERT INTO streams_v3 (id, key_hash, title, status, created_at, started_at, ended_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let mut rows = read.query([])?;
        while let Some(row) = rows.next()? {
            let key: String = row.get(1)?;
            write.execute(params![
                row.get::<_, String>(0)?,
                SecretHash::of(&key).to_hex(),
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, i64>(4)?,
                row.get::<_, Option<i64>>(5)?,
                row.get::<_, Option<i64>>(6)?,
            ])?;
        }
    }
    // `discontinuities` references `streams` by name; SQLite keeps the reference through the rename.
    // Marks of streams that are gone (older releases never deleted streams, but a hand-edited database
    // may have some) would fail the reference check: they mark nothing.
    tx.execute_batch(
        "DELETE FROM discontinuities WHERE stream_id NOT IN (SELECT id FROM streams);
         DROP INDEX IF EXISTS streams_status;
         DROP TABLE streams;
         ALTER TABLE streams_v3 RENAME TO streams;
         CREATE INDEX streams_status ON streams (status, started_at);
         CREATE UNIQUE INDEX streams_key_hash ON streams (key_hash);",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(conn: &Connection) -> i64 {
        conn.pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn from_an_empty_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn), SCHEMA_VERSION);
        // Running again changes nothing.
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn), SCHEMA_VERSION);
        for table in [
            "streams",
            "discontinuities",
            "viewer_sessions",
            "viewer_samples",
        ] {
            let found: i64 = conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                    [table],
                    |row| row.get(0),
                )
                .unwrap();
            assert_eq!(found, 1, "{table}");
        }
    }

    /// A database as the releases before owner tokens left it (version 2, keys in clear).
    #[test]
    fn from_version_2_keys_become_hashes() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS streams (
                id TEXT PRIMARY KEY NOT NULL, stream_key TEXT NOT NULL, title TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('created', 'live', 'ended')),
                created_at INTEGER NOT NULL, started_at INTEGER, ended_at INTEGER);
             CREATE INDEX IF NOT EXISTS streams_status ON streams (status, started_at);
             CREATE TABLE IF NOT EXISTS discontinuities (stream_id TEXT NOT NULL REFERENCES streams (id),
                rendition TEXT NOT NULL, msn INTEGER NOT NULL, PRIMARY KEY (stream_id, rendition, msn));
             INSERT INTO streams VALUES ('aaaaaaaaaa', 'sk_old', 'Old', 'live', 1, 2, NULL);
             INSERT INTO discontinuities VALUES ('aaaaaaaaaa', 'r0', 4);
             PRAGMA user_version = 2;",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn), SCHEMA_VERSION);
        let (hash, owner, title, tags): (String, Option<String>, String, String) = conn
            .query_row(
                "SELECT key_hash, owner_hash, title, tags FROM streams WHERE id = 'aaaaaaaaaa'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .unwrap();
        assert_eq!(hash, SecretHash::of("sk_old").to_hex());
        assert_eq!((owner, title.as_str(), tags.as_str()), (None, "Old", ""));
        let marks: i64 = conn
            .query_row("SELECT count(*) FROM discontinuities", [], |row| row.get(0))
            .unwrap();
        assert_eq!(marks, 1);
        let keys_in_clear: i64 = conn
            .query_row(
                "SELECT count(*) FROM pragma_table_info('streams') WHERE name = 'stream_key'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(keys_in_clear, 0, "the key column is gone");
    }
}
