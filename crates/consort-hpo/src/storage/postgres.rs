//! PostgreSQL study storage (feature `postgres`): workers on several machines share one
//! study through a server. Same schema and statements as SQLite; a claim locks the study's
//! row (`SELECT ... FOR UPDATE`), schema creation takes a transaction-scoped advisory lock,
//! and transactions that fail on a serialisation conflict, a deadlock or a racing insert are
//! retried. Times come from the server's clock.

use std::time::Duration;

use consort_core::{ConsortError, Result};
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, IsolationLevel, NoTls};

use super::sql::SqlStorage;
use super::sql_connection::{SqlConnection, SqlError, SqlExec, SqlResult, SqlValue, with_retries};
use super::{StorageOptions, redact};

/// A study in a PostgreSQL database.
pub type PostgresStorage = SqlStorage<PostgresConnection>;

/// How long a transaction keeps retrying conflicts before it gives up.
const CONFLICT_LIMIT: Duration = Duration::from_secs(300);

/// One client connection to the server.
pub struct PostgresConnection(Client);

impl PostgresStorage {
    /// Connects to the database at `url` (`postgresql://user:password@host:port/database`)
    /// and opens the study `study` in it. TLS is not used: keep the server on a trusted
    /// network or tunnel it.
    pub fn connect(url: &str, study: &str, options: &StorageOptions) -> Result<Self> {
        let label = redact(url);
        let client = Client::connect(url, NoTls)
            .map_err(|e| ConsortError::Storage(format!("{label}: cannot connect: {e}")))?;
        Self::with_connection(PostgresConnection(client), study, label, options)
    }
}

fn sql_error(e: postgres::Error) -> SqlError {
    let retryable = e.code().is_some_and(|c| {
        *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
            // Two workers creating the same table or study at once.
            || *c == SqlState::UNIQUE_VIOLATION
    });
    let message = match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    };
    SqlError { message, retryable }
}

fn bind(params: &[SqlValue]) -> Vec<Box<dyn ToSql + Sync>> {
    params
        .iter()
        .map(|p| -> Box<dyn ToSql + Sync> {
            match p {
                SqlValue::Null | SqlValue::Text(None) => Box::new(None::<String>),
                SqlValue::Int(v) => Box::new(*v),
                SqlValue::Real(v) => Box::new(*v),
                SqlValue::Text(Some(s)) => Box::new(s.clone()),
            }
        })
        .collect()
}

impl SqlExec for postgres::Transaction<'_> {
    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> SqlResult<u64> {
        let owned = bind(params);
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|b| b.as_ref()).collect();
        postgres::Transaction::execute(self, sql, &refs).map_err(sql_error)
    }

    fn query(&mut self, sql: &str, params: &[SqlValue]) -> SqlResult<Vec<Vec<SqlValue>>> {
        let owned = bind(params);
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|b| b.as_ref()).collect();
        let rows = postgres::Transaction::query(self, sql, &refs).map_err(sql_error)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut values = Vec::with_capacity(row.len());
            for (i, column) in row.columns().iter().enumerate() {
                let ty = column.type_();
                let value = if *ty == Type::INT8 {
                    row.try_get::<_, Option<i64>>(i)
                        .map(|v| v.map_or(SqlValue::Null, SqlValue::Int))
                } else if *ty == Type::INT4 {
                    row.try_get::<_, Option<i32>>(i)
                        .map(|v| v.map_or(SqlValue::Null, |v| SqlValue::Int(v.into())))
                } else if *ty == Type::FLOAT8 {
                    row.try_get::<_, Option<f64>>(i).map(SqlValue::Real)
                } else if *ty == Type::TEXT || *ty == Type::VARCHAR {
                    row.try_get::<_, Option<String>>(i).map(SqlValue::Text)
                } else {
                    return Err(SqlError::fatal(format!(
                        "unexpected column type {ty} for {}",
                        column.name()
                    )));
                };
                values.push(value.map_err(sql_error)?);
            }
            out.push(values);
        }
        Ok(out)
    }
}

impl SqlConnection for PostgresConnection {
    const NOW_MS: &'static str = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";
    const LOCK_STUDY: Option<&'static str> =
        Some("SELECT name FROM consort_studies WHERE name = $1 FOR UPDATE");
    // Any fixed key: "consort" in ASCII.
    const LOCK_SCHEMA: Option<&'static str> = Some("SELECT pg_advisory_xact_lock(7224337891)");

    fn in_transaction<T>(
        &mut self,
        work: &mut dyn FnMut(&mut dyn SqlExec) -> SqlResult<T>,
    ) -> SqlResult<(T, u32)> {
        with_retries(CONFLICT_LIMIT, || {
            self.0
                .build_transaction()
                .isolation_level(IsolationLevel::ReadCommitted)
                .start()
                .map_err(sql_error)
                .and_then(|mut tx| {
                    let value = work(&mut tx)?;
                    tx.commit().map_err(sql_error)?;
                    Ok(value)
                })
        })
    }
}
