//! What a relational backend gives the SQL storage: values, errors, statements inside a
//! transaction, and transactions retried while the database is busy.

use std::time::Duration;

use consort_core::ConsortError;

/// A value bound to or read from a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// SQL NULL as read back.
    Null,
    /// A 64-bit integer (`BIGINT`).
    Int(i64),
    /// A float (`DOUBLE PRECISION`), possibly NULL.
    Real(Option<f64>),
    /// Text, possibly NULL.
    Text(Option<String>),
}

impl SqlValue {
    pub(super) fn text(s: impl Into<String>) -> Self {
        Self::Text(Some(s.into()))
    }

    pub(super) fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Int(v) => Some(*v),
            _ => None,
        }
    }

    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Self::Text(Some(s)) => Some(s),
            _ => None,
        }
    }
}

/// A statement's failure, and whether retrying the whole transaction may succeed.
#[derive(Debug)]
pub struct SqlError {
    /// What the database said.
    pub message: String,
    /// Whether the transaction may succeed if run again (busy, conflict, deadlock).
    pub retryable: bool,
}

impl SqlError {
    pub(crate) fn fatal(message: impl std::fmt::Display) -> Self {
        Self {
            message: message.to_string(),
            retryable: false,
        }
    }
}

impl From<ConsortError> for SqlError {
    fn from(e: ConsortError) -> Self {
        Self::fatal(e)
    }
}

impl From<serde_json::Error> for SqlError {
    fn from(e: serde_json::Error) -> Self {
        Self::fatal(e)
    }
}

/// A statement's result.
pub type SqlResult<T> = std::result::Result<T, SqlError>;

/// Statements inside one transaction.
pub trait SqlExec {
    /// Runs a statement; returns the rows it changed.
    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> SqlResult<u64>;
    /// Runs a query; returns its rows.
    fn query(&mut self, sql: &str, params: &[SqlValue]) -> SqlResult<Vec<Vec<SqlValue>>>;
}

/// A database connection that runs work in transactions, retrying busy ones.
pub trait SqlConnection: Send {
    /// An expression for the database's clock in Unix milliseconds (one clock for every
    /// worker, whatever their own clocks say).
    const NOW_MS: &'static str;
    /// A statement that locks the study (`$1`) for the rest of the transaction, where the
    /// transaction itself does not already hold the write lock.
    const LOCK_STUDY: Option<&'static str>;
    /// A statement that serialises schema creation across connections.
    const LOCK_SCHEMA: Option<&'static str>;
    /// Runs `work` in one transaction, retrying it while the database is busy; returns the
    /// result and how many retries it took.
    fn in_transaction<T>(
        &mut self,
        work: &mut dyn FnMut(&mut dyn SqlExec) -> SqlResult<T>,
    ) -> SqlResult<(T, u32)>;
}

/// How long a busy database is retried before the wait is said on standard error.
const BUSY_NOTICE_AFTER: Duration = Duration::from_secs(2);

/// Runs `attempt` until it succeeds, fails for good, or keeps failing retryably for longer
/// than `limit` (backing off between tries); returns the value and the retries it took.
pub(crate) fn with_retries<T>(
    limit: Duration,
    mut attempt: impl FnMut() -> SqlResult<T>,
) -> SqlResult<(T, u32)> {
    let start = std::time::Instant::now();
    let mut retries = 0u32;
    let mut announced = false;
    loop {
        match attempt() {
            Ok(value) => return Ok((value, retries)),
            Err(e) if e.retryable && start.elapsed() < limit => {
                retries += 1;
                // A database locked for long (another process holding a transaction open)
                // is said, not waited on in silence.
                if !announced && start.elapsed() >= BUSY_NOTICE_AFTER {
                    announced = true;
                    log::warn!(
                        "waiting: the study database is busy (locked by another process: {}); \
                         giving up after {} s",
                        e.message,
                        limit.as_secs()
                    );
                }
                backoff(retries);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Sleeps a little longer after each busy retry (1 ms doubling to 64 ms), jittered by the
/// process id so that workers that collided do not collide again in step.
pub(crate) fn backoff(retry: u32) {
    let base = 1u64 << retry.min(6);
    let jitter = u64::from(std::process::id() % 7) + u64::from(retry % 3);
    std::thread::sleep(Duration::from_millis(base + jitter));
}
