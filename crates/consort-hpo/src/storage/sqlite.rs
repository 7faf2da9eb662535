//! SQLite study storage (feature `sqlite`; SQLite is compiled in, nothing to install): the
//! file in WAL mode (readers never wait for the writer), every write transaction started
//! `IMMEDIATE` (it takes the write lock up front, so two workers never deadlock upgrading a
//! read lock), a busy timeout, and a retry loop with jittered backoff on top: parallel
//! workers in one process or in several wait their turn instead of failing with "database
//! is locked".

use std::path::Path;
use std::time::{Duration, Instant};

use consort_core::{ConsortError, Result};
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{Connection, ErrorCode, TransactionBehavior};

use super::StorageOptions;
use super::sql::SqlStorage;
use super::sql_connection::{SqlConnection, SqlError, SqlExec, SqlResult, SqlValue, with_retries};

/// A study in an SQLite file.
pub type SqliteStorage = SqlStorage<SqliteConnection>;

/// How long a transaction keeps retrying a busy database before it gives up.
const BUSY_LIMIT: Duration = Duration::from_secs(300);

/// One connection to the SQLite file.
pub struct SqliteConnection(Connection);

impl SqliteStorage {
    /// Opens (creating if missing) the SQLite file at `path` and the study `study` in it.
    pub fn open(path: impl AsRef<Path>, study: &str, options: &StorageOptions) -> Result<Self> {
        let path = path.as_ref();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| ConsortError::io(dir, e))?;
        }
        let label = format!("sqlite://{}", path.display());
        let fail = |e: rusqlite::Error| ConsortError::Storage(format!("{label}: {e}"));
        let conn = Connection::open(path).map_err(fail)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(fail)?;
        // Switching to WAL needs a moment of exclusive access: retry while others hold it.
        let start = Instant::now();
        loop {
            match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
                Ok(_) => break,
                Err(e) if busy(&e) && start.elapsed() < BUSY_LIMIT => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(fail(e)),
            }
        }
        // WAL with NORMAL sync: durable across a crash of the process (not of the OS).
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .map_err(fail)?;
        Self::with_connection(SqliteConnection(conn), study, label, options)
    }
}

fn busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

fn sql_error(e: rusqlite::Error) -> SqlError {
    SqlError {
        retryable: busy(&e),
        message: e.to_string(),
    }
}

/// `$n` parameters as SQLite's numbered `?n`.
fn numbered(sql: &str) -> String {
    sql.replace('$', "?")
}

impl rusqlite::ToSql for SqlValue {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            SqlValue::Null | SqlValue::Real(None) | SqlValue::Text(None) => {
                ToSqlOutput::Owned(Value::Null)
            }
            SqlValue::Int(v) => ToSqlOutput::Owned(Value::Integer(*v)),
            SqlValue::Real(Some(v)) => ToSqlOutput::Owned(Value::Real(*v)),
            SqlValue::Text(Some(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

impl SqlExec for rusqlite::Transaction<'_> {
    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> SqlResult<u64> {
        let mut statement = self.prepare_cached(&numbered(sql)).map_err(sql_error)?;
        statement
            .execute(rusqlite::params_from_iter(params))
            .map(|n| n as u64)
            .map_err(sql_error)
    }

    fn query(&mut self, sql: &str, params: &[SqlValue]) -> SqlResult<Vec<Vec<SqlValue>>> {
        let mut statement = self.prepare_cached(&numbered(sql)).map_err(sql_error)?;
        let columns = statement.column_count();
        let mut rows = statement
            .query(rusqlite::params_from_iter(params))
            .map_err(sql_error)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(sql_error)? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i).map_err(sql_error)? {
                    ValueRef::Null => SqlValue::Null,
                    ValueRef::Integer(v) => SqlValue::Int(v),
                    ValueRef::Real(v) => SqlValue::Real(Some(v)),
                    ValueRef::Text(t) => {
                        SqlValue::Text(Some(String::from_utf8_lossy(t).into_owned()))
                    }
                    ValueRef::Blob(_) => return Err(SqlError::fatal("unexpected blob column")),
                });
            }
            out.push(values);
        }
        Ok(out)
    }
}

impl SqlConnection for SqliteConnection {
    const NOW_MS: &'static str =
        "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)";
    // `BEGIN IMMEDIATE` already holds the write lock.
    const LOCK_STUDY: Option<&'static str> = None;
    const LOCK_SCHEMA: Option<&'static str> = None;

    fn in_transaction<T>(
        &mut self,
        work: &mut dyn FnMut(&mut dyn SqlExec) -> SqlResult<T>,
    ) -> SqlResult<(T, u32)> {
        with_retries(BUSY_LIMIT, || {
            self.0
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql_error)
                .and_then(|mut tx| {
                    let value = work(&mut tx)?;
                    tx.commit().map_err(sql_error)?;
                    Ok(value)
                })
        })
    }
}
