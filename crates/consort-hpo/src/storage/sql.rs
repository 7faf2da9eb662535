//! The relational study storage, written once over a small connection trait that SQLite and
//! PostgreSQL implement: the same schema, the same statements (`$1`-style parameters), the
//! same claim protocol. Every write runs in a transaction that the backend retries while the
//! database is busy (SQLite's lock, PostgreSQL's serialisation and deadlock errors), so
//! parallel workers wait instead of failing.
//!
//! Schema (one database holds many studies):
//! - `consort_studies(name PRIMARY KEY, direction, created_ms)`;
//! - `consort_trials(study, number, state, value, host, pid, heartbeat_ms, record)`: one row
//!   per trial, `record` the finished trial as JSON (params, intermediate values, attributes);
//! - `consort_trial_params(study, number, name, distribution, value)`: each parameter as it
//!   is drawn, so that a dead worker's trial is retried with its values.
//!
//! A claim locks the study (PostgreSQL: its row, `FOR UPDATE`; SQLite: the write lock taken
//! at `BEGIN IMMEDIATE`), marks orphaned trials failed, then inserts the next number: two
//! workers never get the same number, and an orphan is handed to exactly one of them.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use consort_core::{ConsortError, Direction, Result};

use super::sql_connection::{SqlConnection, SqlError, SqlExec, SqlResult, SqlValue};
use super::{
    Claim, DrawnParam, StorageOptions, StorageState, StudyStorage, WORKER_DIED, process_alive,
};
use crate::frozen::{FrozenTrial, TrialState};
use crate::space::{Distribution, ParamValue};

const SCHEMA: [&str; 3] = [
    "CREATE TABLE IF NOT EXISTS consort_studies (
        name TEXT PRIMARY KEY,
        direction TEXT NOT NULL,
        created_ms BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS consort_trials (
        study TEXT NOT NULL,
        number BIGINT NOT NULL,
        state TEXT NOT NULL,
        value DOUBLE PRECISION,
        host TEXT NOT NULL,
        pid BIGINT NOT NULL,
        heartbeat_ms BIGINT NOT NULL,
        record TEXT,
        PRIMARY KEY (study, number))",
    "CREATE TABLE IF NOT EXISTS consort_trial_params (
        study TEXT NOT NULL,
        number BIGINT NOT NULL,
        name TEXT NOT NULL,
        distribution TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (study, number, name))",
];

fn state_name(s: TrialState) -> &'static str {
    match s {
        TrialState::Running => "running",
        TrialState::Complete => "complete",
        TrialState::Pruned => "pruned",
        TrialState::Failed => "failed",
    }
}

fn direction_name(d: Direction) -> &'static str {
    match d {
        Direction::Lower => "minimize",
        Direction::Higher => "maximize",
    }
}

/// A study in a relational database.
pub struct SqlStorage<C> {
    conn: Mutex<C>,
    study: String,
    label: String,
    options: StorageOptions,
    retries: Mutex<u64>,
}

impl<C> std::fmt::Debug for SqlStorage<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStorage")
            .field("database", &self.label)
            .field("study", &self.study)
            .finish_non_exhaustive()
    }
}

impl<C: SqlConnection> SqlStorage<C> {
    /// Wraps an open connection; creates the schema if missing.
    pub(crate) fn with_connection(
        conn: C,
        study: &str,
        label: String,
        options: &StorageOptions,
    ) -> Result<Self> {
        options.check()?;
        if study.is_empty() {
            return Err(ConsortError::config("a study needs a non-empty name"));
        }
        let storage = Self {
            conn: Mutex::new(conn),
            study: study.to_string(),
            label,
            options: options.clone(),
            retries: Mutex::new(0),
        };
        storage.transact(|tx| {
            if let Some(lock) = C::LOCK_SCHEMA {
                tx.execute(lock, &[])?;
            }
            for statement in SCHEMA {
                tx.execute(statement, &[])?;
            }
            Ok(())
        })?;
        Ok(storage)
    }

    /// The study's name in the database.
    pub fn study_name(&self) -> &str {
        &self.study
    }

    /// How many times a busy database made a transaction start over (they waited, none
    /// failed).
    pub fn busy_retries(&self) -> u64 {
        self.retries.lock().map_or(0, |r| *r)
    }

    fn connection(&self) -> Result<MutexGuard<'_, C>> {
        self.conn
            .lock()
            .map_err(|_| ConsortError::Storage(format!("{}: connection poisoned", self.label)))
    }

    fn transact<T>(&self, mut work: impl FnMut(&mut dyn SqlExec) -> SqlResult<T>) -> Result<T> {
        let (value, retries) = self
            .connection()?
            .in_transaction(&mut work)
            .map_err(|e| ConsortError::Storage(format!("{}: {}", self.label, e.message)))?;
        if retries > 0
            && let Ok(mut r) = self.retries.lock()
        {
            *r += u64::from(retries);
        }
        Ok(value)
    }

    fn study_param(&self) -> SqlValue {
        SqlValue::text(&self.study)
    }

    /// Reads the study; running trials are split into live and orphaned by the clock `now`.
    fn read(&self, tx: &mut dyn SqlExec) -> SqlResult<StorageState> {
        let now = tx.query(&format!("SELECT {}", C::NOW_MS), &[])?[0][0]
            .as_i64()
            .ok_or_else(|| SqlError::fatal("the database clock is not an integer"))?;
        let rows = tx.query(
            "SELECT number, state, host, pid, heartbeat_ms, record FROM consort_trials \
             WHERE study = $1 ORDER BY number",
            &[self.study_param()],
        )?;
        let params = tx.query(
            "SELECT p.number, p.name, p.distribution, p.value FROM consort_trial_params p \
             JOIN consort_trials t ON t.study = p.study AND t.number = p.number \
             WHERE p.study = $1 AND t.state = 'running'",
            &[self.study_param()],
        )?;
        let mut state = StorageState::default();
        let grace = self.options.grace_period.as_millis() as i64;
        for row in rows {
            let bad = || SqlError::fatal("a trial row has an unexpected column type");
            let number = row[0].as_i64().ok_or_else(bad)? as usize;
            state.next_number = state.next_number.max(number + 1);
            if row[1].as_str() != Some("running") {
                let record = row[5].as_str().ok_or_else(bad)?;
                state.finished.push(serde_json::from_str(record)?);
                continue;
            }
            let mut t = FrozenTrial::new(number);
            for p in params
                .iter()
                .filter(|p| p[0].as_i64() == Some(number as i64))
            {
                let name = p[1].as_str().ok_or_else(bad)?.to_string();
                let dist: Distribution = serde_json::from_str(p[2].as_str().ok_or_else(bad)?)?;
                let value: ParamValue = serde_json::from_str(p[3].as_str().ok_or_else(bad)?)?;
                t.distributions.insert(name.clone(), dist);
                t.params.insert(name, value);
            }
            let host = row[2].as_str().ok_or_else(bad)?;
            let pid = row[3].as_i64().ok_or_else(bad)?;
            let heartbeat = row[4].as_i64().ok_or_else(bad)?;
            let dead_here = host == self.options.worker_host
                && u32::try_from(pid).is_ok_and(|pid| !process_alive(pid));
            if dead_here || now - heartbeat > grace {
                state.orphaned.push(t);
            } else {
                state.running.push(t);
            }
        }
        Ok(state)
    }

    fn write_finished(&self, tx: &mut dyn SqlExec, trial: &FrozenTrial) -> SqlResult<()> {
        tx.execute(
            &format!(
                "UPDATE consort_trials SET state = $3, value = $4, record = $5, \
                 heartbeat_ms = {} WHERE study = $1 AND number = $2",
                C::NOW_MS
            ),
            &[
                self.study_param(),
                SqlValue::Int(trial.number as i64),
                SqlValue::text(state_name(trial.state)),
                SqlValue::Real(trial.value.filter(|v| v.is_finite())),
                SqlValue::text(serde_json::to_string(trial)?),
            ],
        )?;
        Ok(())
    }
}

impl<C: SqlConnection> StudyStorage for SqlStorage<C> {
    fn open_study(&self, direction: Direction) -> Result<()> {
        let stored = self.transact(|tx| {
            tx.execute(
                &format!(
                    "INSERT INTO consort_studies (name, direction, created_ms) \
                     VALUES ($1, $2, {}) ON CONFLICT (name) DO NOTHING",
                    C::NOW_MS
                ),
                &[
                    self.study_param(),
                    SqlValue::text(direction_name(direction)),
                ],
            )?;
            let rows = tx.query(
                "SELECT direction FROM consort_studies WHERE name = $1",
                &[self.study_param()],
            )?;
            Ok(rows
                .first()
                .and_then(|r| r[0].as_str())
                .unwrap_or_default()
                .to_string())
        })?;
        if stored != direction_name(direction) {
            return Err(ConsortError::config(format!(
                "study {:?} in {} is stored to {stored}, not to {}",
                self.study,
                self.label,
                direction_name(direction)
            )));
        }
        Ok(())
    }

    fn state(&self) -> Result<StorageState> {
        self.transact(|tx| self.read(tx))
    }

    fn claim(&self) -> Result<Claim> {
        self.transact(|tx| {
            if let Some(lock) = C::LOCK_STUDY {
                tx.query(lock, &[self.study_param()])?;
            }
            let mut state = self.read(tx)?;
            let mut orphans = Vec::new();
            for orphan in std::mem::take(&mut state.orphaned) {
                let mut t = orphan;
                t.state = TrialState::Failed;
                t.user_attrs.insert("error".into(), WORKER_DIED.into());
                self.write_finished(tx, &t)?;
                state.finished.push(t.clone());
                orphans.push(t);
            }
            state.finished.sort_by_key(|t| t.number);
            let number = state.next_number;
            tx.execute(
                &format!(
                    "INSERT INTO consort_trials \
                     (study, number, state, value, host, pid, heartbeat_ms, record) \
                     VALUES ($1, $2, 'running', NULL, $3, $4, {}, NULL)",
                    C::NOW_MS
                ),
                &[
                    self.study_param(),
                    SqlValue::Int(number as i64),
                    SqlValue::text(&self.options.worker_host),
                    SqlValue::Int(i64::from(std::process::id())),
                ],
            )?;
            state.running.push(FrozenTrial::new(number));
            state.next_number = number + 1;
            Ok(Claim {
                number,
                state,
                orphans,
            })
        })
    }

    fn record_param(&self, param: DrawnParam<'_>) -> Result<()> {
        let (distribution, value) = (
            serde_json::to_string(param.distribution)?,
            serde_json::to_string(param.value)?,
        );
        self.transact(|tx| {
            tx.execute(
                "INSERT INTO consort_trial_params (study, number, name, distribution, value) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (study, number, name) \
                 DO UPDATE SET distribution = excluded.distribution, value = excluded.value",
                &[
                    self.study_param(),
                    SqlValue::Int(param.number as i64),
                    SqlValue::text(param.name),
                    SqlValue::text(distribution.clone()),
                    SqlValue::text(value.clone()),
                ],
            )?;
            Ok(())
        })
    }

    fn finish(&self, trial: &FrozenTrial) -> Result<()> {
        self.transact(|tx| self.write_finished(tx, trial))
    }

    fn heartbeat_interval(&self) -> Option<Duration> {
        Some(self.options.heartbeat_interval)
    }

    fn heartbeat(&self, number: usize) -> Result<()> {
        self.transact(|tx| {
            tx.execute(
                &format!(
                    "UPDATE consort_trials SET heartbeat_ms = {} \
                     WHERE study = $1 AND number = $2 AND state = 'running'",
                    C::NOW_MS
                ),
                &[self.study_param(), SqlValue::Int(number as i64)],
            )?;
            Ok(())
        })
    }
}
