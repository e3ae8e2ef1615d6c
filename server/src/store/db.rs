//! Stream metadata in SQLite: `<data-dir>/onair.db`, created on first run, in WAL mode.
//!
//! One connection behind a mutex, used briefly and only inside `spawn_blocking` (see [`Db::call`]). The
//! schema is in [`super::migrations`]; the audience's tables are read and written by [`super::audience`].

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::migrations;
use crate::error::AppResult;
use crate::names::StreamId;
use crate::secret::SecretHash;

/// Where a stream is in its life, as the API says it: the database's `status` column holds its name
/// ([`StreamStatus::as_str`]). A server restart does not end a live stream: its encoder may come back (the
/// idle timeout ends it if not).
pub use onair_protocol::StreamStatus;

/// One row of the `streams` table but its secrets: what may be shown of a stream. Times are unix seconds.
/// The secrets' hashes are read and written beside it, as [`StreamSecrets`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRecord {
    /// Public id.
    pub id: StreamId,
    /// Title shown to viewers.
    pub title: String,
    /// Description (may be empty).
    pub description: String,
    /// Tags, normalised ([`crate::origin::metadata`]).
    pub tags: Vec<String>,
    /// Category, one of [`onair_protocol::CATEGORIES`].
    pub category: Option<String>,
    /// Current status.
    pub status: StreamStatus,
    /// When the stream was created.
    pub created_at: i64,
    /// When its first segment arrived.
    pub started_at: Option<i64>,
    /// When it ended.
    pub ended_at: Option<i64>,
}

/// What is kept of a stream's secrets: the hashes of its key and of its owner token (none for streams
/// created before owner tokens).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSecrets {
    /// Hash of the stream key.
    pub key: SecretHash,
    /// Hash of the owner token.
    pub owner: Option<SecretHash>,
}

impl StreamRecord {
    /// A row of [`SELECT_STREAM`]: the record and the stream's secrets.
    fn from_row(row: &Row<'_>) -> rusqlite::Result<(Self, StreamSecrets)> {
        let id: String = row.get(0)?;
        let status: String = row.get(6)?;
        let conversion = |index: usize, message: String| {
            rusqlite::Error::FromSqlConversionFailure(
                index,
                rusqlite::types::Type::Text,
                message.into(),
            )
        };
        let hash = |index: usize, text: String| {
            SecretHash::from_hex(&text).ok_or_else(|| conversion(index, "not a hash".into()))
        };
        let tags: String = row.get(5)?;
        let record = Self {
            id: StreamId::parse(&id).map_err(|e| conversion(0, e.to_string()))?,
            title: row.get(3)?,
            description: row.get(4)?,
            tags: split_tags(&tags),
            category: row.get(7)?,
            status: StreamStatus::parse(&status)
                .ok_or_else(|| conversion(6, format!("unknown stream status {status:?}")))?,
            created_at: row.get(8)?,
            started_at: row.get(9)?,
            ended_at: row.get(10)?,
        };
        let secrets = StreamSecrets {
            key: hash(1, row.get(1)?)?,
            owner: row
                .get::<_, Option<String>>(2)?
                .map(|text| hash(2, text))
                .transpose()?,
        };
        Ok((record, secrets))
    }
}

/// Tags as the `tags` column holds them: normalised tags (no commas) joined by commas.
fn join_tags(tags: &[String]) -> String {
    tags.join(",")
}

/// The tags of a `tags` column.
fn split_tags(column: &str) -> Vec<String> {
    column
        .split(',')
        .filter(|tag| !tag.is_empty())
        .map(str::to_owned)
        .collect()
}

const SELECT_STREAM: &str = "SELECT id, key_hash, owner_hash, title, description, tags, status,
    category, created_at, started_at, ended_at FROM streams";

/// Handle on the metadata database. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db").finish_non_exhaustive()
    }
}

impl Db {
    /// Opens (creating if needed) the database file and brings its schema up to date. Blocking.
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        let conn = Connection::open(path)?;
        // WAL: readers never wait for the writer, and a crash loses at most the last transaction.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Self::migrate(conn)
    }

    /// An in-memory database, for tests.
    pub fn open_in_memory() -> rusqlite::Result<Self> {
        Self::migrate(Connection::open_in_memory()?)
    }

    fn migrate(mut conn: Connection) -> rusqlite::Result<Self> {
        migrations::migrate(&mut conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` on the connection. Blocking: call from `spawn_blocking` or start-up code.
    pub fn with_conn<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        // A panic while holding the lock cannot leave SQLite half-written (statements are atomic).
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        f(&conn)
    }

    /// Runs `f` on the connection on the blocking pool.
    pub async fn call<T, F>(&self, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let db = self.clone();
        Ok(tokio::task::spawn_blocking(move || db.with_conn(f)).await??)
    }

    /// Inserts a new stream with its secrets' hashes. Returns `false` when the id (or, astronomically
    /// unlikely, the key) is already taken.
    pub async fn insert_stream(
        &self,
        record: StreamRecord,
        secrets: StreamSecrets,
    ) -> AppResult<bool> {
        self.call(move |conn| {
            let inserted = conn.execute(
                "INSERT INTO streams (id, key_hash, owner_hash, title, description, tags, category,
                    status, created_at, started_at, ended_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT DO NOTHING",
                params![
                    record.id.as_str(),
                    secrets.key.to_hex(),
                    secrets.owner.map(|hash| hash.to_hex()),
                    record.title,
                    record.description,
                    join_tags(&record.tags),
                    record.category,
                    record.status.as_str(),
                    record.created_at,
                    record.started_at,
                    record.ended_at
                ],
            )?;
            Ok(inserted == 1)
        })
        .await
    }

    /// Writes a stream's metadata (title, description, tags, category) as `record` has it.
    pub async fn update_metadata(&self, record: &StreamRecord) -> AppResult<()> {
        let record = record.clone();
        self.call(move |conn| {
            conn.execute(
                "UPDATE streams SET title = ?2, description = ?3, tags = ?4, category = ?5
                 WHERE id = ?1",
                params![
                    record.id.as_str(),
                    record.title,
                    record.description,
                    join_tags(&record.tags),
                    record.category
                ],
            )
            .map(drop)
        })
        .await
    }

    /// Deletes a stream and everything recorded about it.
    pub async fn delete_stream(&self, id: &StreamId) -> AppResult<()> {
        let id = id.clone();
        self.call(move |conn| {
            let tx = conn.unchecked_transaction()?;
            for table in ["discontinuities", "viewer_sessions", "viewer_samples"] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE stream_id = ?1"),
                    [id.as_str()],
                )?;
            }
            tx.execute("DELETE FROM streams WHERE id = ?1", [id.as_str()])?;
            tx.commit()
        })
        .await
    }

    /// Marks a stream live from `started_at` on.
    pub async fn mark_live(&self, id: &StreamId, started_at: i64) -> AppResult<()> {
        self.update_stream(
            "UPDATE streams SET status = 'live', started_at = ?2 WHERE id = ?1 AND status = 'created'",
            id,
            started_at,
        )
        .await
    }

    /// Replaces a stream's key hash (the owner rotated the key).
    pub async fn set_key_hash(&self, id: &StreamId, key: SecretHash) -> AppResult<()> {
        let id = id.clone();
        self.call(move |conn| {
            conn.execute(
                "UPDATE streams SET key_hash = ?2 WHERE id = ?1",
                params![id.as_str(), key.to_hex()],
            )
            .map(drop)
        })
        .await
    }

    /// Marks a stream ended at `ended_at` (no-op when it already is).
    pub async fn mark_ended(&self, id: &StreamId, ended_at: i64) -> AppResult<()> {
        self.update_stream(
            "UPDATE streams SET status = 'ended', ended_at = ?2 WHERE id = ?1 AND status != 'ended'",
            id,
            ended_at,
        )
        .await
    }

    /// Runs the `UPDATE` statement `sql` on one stream: `?1` is its id, `?2` a time.
    async fn update_stream(&self, sql: &'static str, id: &StreamId, at: i64) -> AppResult<()> {
        let id = id.clone();
        self.call(move |conn| conn.execute(sql, params![id.as_str(), at]).map(drop))
            .await
    }

    /// Looks one stream up.
    pub async fn get_stream(&self, id: &StreamId) -> AppResult<Option<StreamRecord>> {
        let id = id.clone();
        self.call(move |conn| {
            conn.query_row(
                &format!("{SELECT_STREAM} WHERE id = ?1"),
                [id.as_str()],
                StreamRecord::from_row,
            )
            .optional()
        })
        .await
        .map(|found| found.map(|(record, _)| record))
    }

    /// Every stream with its secrets, oldest first, skipping (and logging) rows that do not parse.
    /// Blocking.
    pub fn load_all(&self) -> rusqlite::Result<Vec<(StreamRecord, StreamSecrets)>> {
        self.with_conn(|conn| {
            let mut statement =
                conn.prepare(&format!("{SELECT_STREAM} ORDER BY created_at, id"))?;
            let rows = statement.query_map([], StreamRecord::from_row)?;
            let mut records = Vec::new();
            for row in rows {
                match row {
                    Ok(record) => records.push(record),
                    Err(err) => tracing::warn!(error = %err, "skipping unreadable stream row"),
                }
            }
            Ok(records)
        })
    }

    /// Records that segment `msn` of a rendition starts a new period (`EXT-X-DISCONTINUITY`). Written
    /// before the segment's file, so a reload never finds the segment without its mark.
    pub async fn insert_discontinuity(
        &self,
        id: &StreamId,
        rendition: &str,
        msn: u64,
    ) -> AppResult<()> {
        let id = id.clone();
        let rendition = rendition.to_owned();
        let msn = i64::try_from(msn).map_err(|_| {
            crate::error::AppError::Internal(format!("msn {msn} does not fit the database"))
        })?;
        self.call(move |conn| {
            conn.execute(
                "INSERT INTO discontinuities (stream_id, rendition, msn) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
                params![id.as_str(), rendition, msn],
            )
            .map(drop)
        })
        .await
    }

    /// The `(rendition, msn)` of every segment of a stream that starts a new period. Blocking.
    pub fn discontinuities(&self, id: &StreamId) -> rusqlite::Result<Vec<(String, u64)>> {
        self.with_conn(|conn| {
            let mut statement = conn.prepare(
                "SELECT rendition, msn FROM discontinuities WHERE stream_id = ?1 ORDER BY rendition, msn",
            )?;
            let rows = statement.query_map([id.as_str()], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })?;
            let mut marks = Vec::new();
            for row in rows {
                let (rendition, msn) = row?;
                if let Ok(msn) = u64::try_from(msn) {
                    marks.push((rendition, msn));
                }
            }
            Ok(marks)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> StreamRecord {
        StreamRecord {
            id: StreamId::parse(id).unwrap(),
            title: "Title".into(),
            description: "About".into(),
            tags: vec!["music".into(), "live-set".into()],
            category: Some("music".into()),
            status: StreamStatus::Created,
            created_at: 100,
            started_at: None,
            ended_at: None,
        }
    }

    fn secrets(key: &str) -> StreamSecrets {
        StreamSecrets {
            key: SecretHash::of(key),
            owner: Some(SecretHash::of("ot_owner")),
        }
    }

    #[tokio::test]
    async fn lifecycle() {
        let db = Db::open_in_memory().unwrap();
        let rec = record("abcdefghij");
        assert!(db
            .insert_stream(rec.clone(), secrets("sk_a"))
            .await
            .unwrap());
        assert!(
            !db.insert_stream(rec.clone(), secrets("sk_b"))
                .await
                .unwrap(),
            "duplicate id"
        );
        assert_eq!(db.get_stream(&rec.id).await.unwrap(), Some(rec.clone()));

        db.mark_live(&rec.id, 200).await.unwrap();
        let live = db.get_stream(&rec.id).await.unwrap().unwrap();
        assert_eq!(
            (live.status, live.started_at),
            (StreamStatus::Live, Some(200))
        );

        db.mark_ended(&rec.id, 300).await.unwrap();
        db.mark_ended(&rec.id, 400).await.unwrap();
        let ended = db.get_stream(&rec.id).await.unwrap().unwrap();
        assert_eq!(
            (ended.status, ended.ended_at),
            (StreamStatus::Ended, Some(300))
        );
        // Status never goes back.
        db.mark_live(&rec.id, 500).await.unwrap();
        assert_eq!(
            db.get_stream(&rec.id).await.unwrap().unwrap().status,
            StreamStatus::Ended
        );

        let mut edited = db.get_stream(&rec.id).await.unwrap().unwrap();
        edited.title = "New".into();
        edited.tags = vec![];
        edited.category = None;
        db.update_metadata(&edited).await.unwrap();
        assert_eq!(db.get_stream(&rec.id).await.unwrap(), Some(edited));

        db.delete_stream(&rec.id).await.unwrap();
        assert_eq!(db.get_stream(&rec.id).await.unwrap(), None);
    }

    #[tokio::test]
    async fn live_streams_and_discontinuities_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("onair.db");
        let b = StreamId::parse("bbbbbbbbbb").unwrap();
        {
            let db = Db::open(&path).unwrap();
            db.insert_stream(record("aaaaaaaaaa"), secrets("sk_a"))
                .await
                .unwrap();
            db.insert_stream(record("bbbbbbbbbb"), secrets("sk_b"))
                .await
                .unwrap();
            db.mark_live(&b, 5).await.unwrap();
            db.insert_discontinuity(&b, "r0", 7).await.unwrap();
            db.insert_discontinuity(&b, "r0", 7).await.unwrap();
            db.insert_discontinuity(&b, "r0", 3).await.unwrap();
            db.insert_discontinuity(&b, "stream_1", 4).await.unwrap();
        }
        let db = Db::open(&path).unwrap();
        let all = db.load_all().unwrap();
        let statuses: Vec<_> = all.iter().map(|(r, _)| (r.id.as_str(), r.status)).collect();
        assert_eq!(all[0].1, secrets("sk_a"));
        assert_eq!(all[1].1, secrets("sk_b"));
        assert_eq!(all[0].0, record("aaaaaaaaaa"));
        assert_eq!(
            statuses,
            [
                ("aaaaaaaaaa", StreamStatus::Created),
                ("bbbbbbbbbb", StreamStatus::Live)
            ]
        );
        assert_eq!(
            db.discontinuities(&b).unwrap(),
            [
                ("r0".to_owned(), 3),
                ("r0".to_owned(), 7),
                ("stream_1".to_owned(), 4)
            ]
        );
        assert!(db
            .discontinuities(&StreamId::parse("aaaaaaaaaa").unwrap())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn version_1_databases_are_upgraded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("onair.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE streams (id TEXT PRIMARY KEY NOT NULL, stream_key TEXT NOT NULL,
                 title TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL,
                 started_at INTEGER, ended_at INTEGER);
                 PRAGMA user_version = 1;",
            )
            .unwrap();
        }
        let db = Db::open(&path).unwrap();
        let id = StreamId::parse("cccccccccc").unwrap();
        assert!(db.discontinuities(&id).unwrap().is_empty());
    }
}
