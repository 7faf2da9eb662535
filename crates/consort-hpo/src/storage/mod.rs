//! Where a study's trials live, behind one trait: in memory (threads of one process), an
//! append-only journal file, SQLite (feature `sqlite`, compiled in: nothing to install) and
//! PostgreSQL (feature `postgres`, workers on several machines). Every storage claims trial
//! numbers atomically, records each parameter as it is drawn, detects trials whose worker
//! died and hands them back to be retried with their parameters, and never loses or reruns a
//! finished trial.
//!
//! A running trial belongs to a worker, named by its host and process id. It is *orphaned*
//! when that worker is gone: on the same host its process no longer exists (checked at once,
//! through `/proc`), and on any host its heartbeat (refreshed by the running study every
//! [`StorageOptions::heartbeat_interval`]) is older than [`StorageOptions::grace_period`]
//! (the SQL storages; the journal has no heartbeat and checks the process only).

mod journal;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql_connection;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use consort_core::{ConsortError, Direction, Result};

use crate::frozen::FrozenTrial;
use crate::space::{Distribution, ParamValue};

/// A parameter value drawn for a trial, recorded as soon as it is drawn.
#[derive(Debug, Clone, Copy)]
pub struct DrawnParam<'a> {
    /// The trial's number.
    pub number: usize,
    /// The parameter's name.
    pub name: &'a str,
    /// What it was drawn from.
    pub distribution: &'a Distribution,
    /// The value drawn.
    pub value: &'a ParamValue,
}

pub use journal::Journal;
pub use memory::MemoryStorage;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStorage;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use sql::SqlStorage;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use sql_connection::{SqlConnection, SqlError, SqlExec, SqlResult, SqlValue};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStorage;

/// What a storage holds now.
#[derive(Debug, Clone, Default)]
pub struct StorageState {
    /// Finished trials (complete, pruned, failed), by number.
    pub finished: Vec<FrozenTrial>,
    /// Running trials whose worker is alive, with the parameters drawn so far.
    pub running: Vec<FrozenTrial>,
    /// Running trials whose worker is gone, with the parameters they had been given.
    pub orphaned: Vec<FrozenTrial>,
    /// The next free trial number.
    pub next_number: usize,
}

/// A trial number claimed by a worker.
#[derive(Debug, Clone)]
pub struct Claim {
    /// The number now running under this worker.
    pub number: usize,
    /// The storage as the claim left it.
    pub state: StorageState,
    /// Trials this claim found orphaned and marked failed: to be retried.
    pub orphans: Vec<FrozenTrial>,
}

/// A study's storage. Implementations are shared between threads (`Arc<dyn StudyStorage>`)
/// and, for files and databases, between processes and machines.
pub trait StudyStorage: Send + Sync + std::fmt::Debug {
    /// Creates the study if it is missing; fails if it exists with the other direction.
    fn open_study(&self, direction: Direction) -> Result<()>;
    /// The study as it stands.
    fn state(&self) -> Result<StorageState>;
    /// Atomically marks orphaned trials failed and claims the next trial number for this
    /// worker.
    fn claim(&self) -> Result<Claim>;
    /// Records a parameter as soon as it is drawn (so that a dead worker's trial can be
    /// retried with the same values).
    fn record_param(&self, param: DrawnParam<'_>) -> Result<()>;
    /// Records a finished trial (complete, pruned or failed).
    fn finish(&self, trial: &FrozenTrial) -> Result<()>;
    /// How often a running trial refreshes its heartbeat; `None`: no heartbeat.
    fn heartbeat_interval(&self) -> Option<Duration> {
        None
    }
    /// Refreshes a running trial's heartbeat.
    fn heartbeat(&self, _number: usize) -> Result<()> {
        Ok(())
    }
}

/// Settings shared by the storages that have workers on several hosts.
#[derive(Debug, Clone)]
pub struct StorageOptions {
    /// How often a running trial refreshes its heartbeat (default 10 s).
    pub heartbeat_interval: Duration,
    /// How old a heartbeat may grow before its trial counts as orphaned (default 60 s).
    pub grace_period: Duration,
    /// This worker's host name (default: the machine's; `CONSORT_HPO_WORKER_HOST` overrides
    /// it, for containers that share a name).
    pub worker_host: String,
}

impl Default for StorageOptions {
    fn default() -> Self {
        Self {
            heartbeat_interval: Duration::from_secs(10),
            grace_period: Duration::from_secs(60),
            worker_host: host_name(),
        }
    }
}

impl StorageOptions {
    pub(crate) fn check(&self) -> Result<()> {
        if self.heartbeat_interval.is_zero() || self.grace_period <= self.heartbeat_interval {
            return Err(ConsortError::config(format!(
                "the heartbeat grace period ({:?}) must exceed its interval ({:?}), and the \
                 interval be positive",
                self.grace_period, self.heartbeat_interval
            )));
        }
        Ok(())
    }
}

/// This machine's name (`CONSORT_HPO_WORKER_HOST` if set).
pub fn host_name() -> String {
    if let Ok(h) = std::env::var("CONSORT_HPO_WORKER_HOST") {
        return h;
    }
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

pub(crate) use consort_core::io::process_alive;

/// The failure message of a trial whose worker died.
pub(crate) const WORKER_DIED: &str = "its worker process died";

/// Opens the storage a URL names:
/// - `sqlite:///abs/path/study.db` or `sqlite://relative/study.db` (feature `sqlite`);
/// - `postgresql://user:password@host:port/database` (feature `postgres`);
/// - anything else is a journal file's path (`study.jsonl`).
///
/// `study` names the study inside a database (one database holds many); a journal file
/// holds one study and ignores it.
pub fn open_storage(
    url: &str,
    study: &str,
    options: &StorageOptions,
) -> Result<Arc<dyn StudyStorage>> {
    options.check()?;
    if let Some(path) = url.strip_prefix("sqlite://") {
        #[cfg(feature = "sqlite")]
        {
            return Ok(Arc::new(SqliteStorage::open(path, study, options)?));
        }
        #[cfg(not(feature = "sqlite"))]
        {
            let _ = (path, study);
            return Err(missing_feature("sqlite", url));
        }
    }
    if url.starts_with("postgresql://") || url.starts_with("postgres://") {
        #[cfg(feature = "postgres")]
        {
            return Ok(Arc::new(PostgresStorage::connect(url, study, options)?));
        }
        #[cfg(not(feature = "postgres"))]
        {
            return Err(missing_feature("postgres", url));
        }
    }
    if url.contains("://") {
        return Err(ConsortError::config(format!(
            "unknown storage URL {:?}: use sqlite:///path.db, postgresql://... or a journal \
             file's path",
            redact(url)
        )));
    }
    Ok(Arc::new(Journal::new(PathBuf::from(url))))
}

#[cfg(any(not(feature = "sqlite"), not(feature = "postgres")))]
fn missing_feature(feature: &str, url: &str) -> ConsortError {
    ConsortError::config(format!(
        "{:?} needs consort-hpo's `{feature}` feature (build with `--features {feature}`)",
        redact(url)
    ))
}

/// A URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user_info = &url[scheme + 3..at];
            let user = user_info.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            redact("postgresql://me:secret@db:5432/s"),
            "postgresql://me@db:5432/s"
        );
        assert_eq!(redact("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }

    #[test]
    fn unknown_schemes_and_bad_heartbeats_are_refused() {
        let o = StorageOptions::default();
        assert!(open_storage("mysql://x", "s", &o).is_err());
        let bad = StorageOptions {
            grace_period: Duration::from_secs(1),
            ..o
        };
        assert!(matches!(
            open_storage("x.jsonl", "s", &bad),
            Err(ConsortError::InvalidConfig { .. })
        ));
    }
}
