//! The one error type every Consort crate returns.

use std::path::PathBuf;

/// Shorthand for `Result<T, ConsortError>`.
pub type Result<T, E = ConsortError> = std::result::Result<T, E>;

/// Everything that can go wrong in Consort, as a typed value: bad input never panics.
#[derive(Debug, thiserror::Error)]
pub enum ConsortError {
    /// A file could not be opened, read or written.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// A data file is malformed (ragged row, non-numeric cell, missing header, ...).
    #[error("{source_name}, line {line}: {message}")]
    Parse {
        /// File name or `"<memory>"`.
        source_name: String,
        /// 1-based line number of the offending row.
        line: usize,
        /// What is wrong with the row.
        message: String,
    },
    /// A named or indexed column does not exist.
    #[error("unknown column {requested:?}; the columns are {available:?}")]
    UnknownColumn {
        /// What the caller asked for.
        requested: String,
        /// The columns the data has.
        available: Vec<String>,
    },
    /// A dataset (or a split of one) holds no rows.
    #[error("empty dataset: {0}")]
    EmptyDataset(String),
    /// Shapes that must agree do not.
    #[error("shape mismatch: {0}")]
    ShapeMismatch(String),
    /// A class label is not in `0..n_classes`.
    #[error("label {label} out of range: the model has {n_classes} classes")]
    LabelOutOfRange {
        /// The offending label.
        label: usize,
        /// How many classes there are.
        n_classes: usize,
    },
    /// Training or splitting needs more distinct classes (or more samples per class) than given.
    #[error("not enough classes: {0}")]
    TooFewClasses(String),
    /// A NaN or infinite value where finite numbers are required.
    #[error("non-finite value (NaN or Inf) in {0}")]
    NonFinite(String),
    /// Input values a model cannot take (negative counts for multinomial naive Bayes, say).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A hyperparameter or option is out of its valid range. `key` and `value` name the
    /// setting and what it was given where one setting is at fault.
    #[error("invalid configuration: {}", describe_setting(key.as_deref(), value.as_deref(), message))]
    InvalidConfig {
        /// The setting at fault (`epochs`, `forest.n_trees`), when one is.
        key: Option<String>,
        /// The value it was given, as written.
        value: Option<String>,
        /// What is wrong, or what the setting accepts.
        message: String,
    },
    /// The requested compute backend is not compiled in or cannot start.
    #[error("backend unavailable: {0}")]
    Backend(String),
    /// A study storage (journal file, SQLite, PostgreSQL) could not be reached or refused a
    /// write after its retries.
    #[error("study storage failed: {0}")]
    Storage(String),
    /// A file's serialised form could not be read or written; the error names the file.
    #[error("serialization failed: {}: {message}", path.display())]
    SerializationFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// (De)serialisation of a model, report or checkpoint failed.
    #[error("serialization failed: {0}")]
    Serialization(String),
    /// A model file parsed but describes no valid model (shapes that disagree, a tree whose
    /// children point outside it or back up, probabilities that are not probabilities): a
    /// hand-edited or corrupted file.
    #[error("invalid model file {path}: {message}")]
    InvalidModel {
        /// The file.
        path: PathBuf,
        /// What is wrong in it.
        message: String,
    },
    /// Training kept producing NaN or infinite losses or weights after every rollback the
    /// divergence guard allows.
    #[error(
        "training diverged at epoch {epoch} after {attempts} rollbacks (last learning rate \
         {learning_rate:.3e}): {reason}"
    )]
    Diverged {
        /// The epoch that could not be completed.
        epoch: usize,
        /// Rollbacks tried (each lowered the learning rate).
        attempts: usize,
        /// The learning rate of the last attempt.
        learning_rate: f64,
        /// What went non-finite.
        reason: String,
    },
    /// A run was stopped on purpose before it finished (a fault-injection or interrupt hook).
    #[error("interrupted: {0}")]
    Interrupted(String),
    /// An output path that writing would destroy or cannot take: the input itself, a device,
    /// a FIFO, a folder, a symbolic link, or a place that cannot be written. Checked before
    /// any work starts.
    #[error("refusing to write {path}: {message}")]
    UnsafeOutput {
        /// The output path as given.
        path: PathBuf,
        /// Why it is refused, and what to give instead.
        message: String,
    },
    /// A file larger than the bound its reader accepts (`/dev/zero` given as a config, a
    /// knowledge base, ratings): refused before it fills memory.
    #[error("{path} is larger than {limit} bytes, the most a {what} may hold")]
    InputTooLarge {
        /// The file.
        path: PathBuf,
        /// The bound in bytes.
        limit: u64,
        /// What the file was read as (`experiment file`, `knowledge base`).
        what: String,
    },
    /// A file lock held by another process longer than this one waits for it.
    #[error("{path} stayed locked by another process for {waited_s} s: {message}")]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// Seconds waited before giving up.
        waited_s: u64,
        /// What holds it, typically, and what to do.
        message: String,
    },
    /// Data or weights could not be fetched into the cache (client missing, download failed,
    /// checksum mismatch); nothing half-written is left behind.
    #[error("cannot fetch {asset}: {message} (run `consort fetch {asset}` to retry)")]
    Fetch {
        /// The asset's name (`minilm`, `imdb`).
        asset: String,
        /// What went wrong.
        message: String,
    },
}

impl ConsortError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// An [`InvalidInput`](Self::InvalidInput) error describing a model that fails its
    /// [`Validate`](crate::io::Validate) check (the loader adds the file's path).
    pub fn invalid_model(message: impl Into<String>) -> Self {
        Self::InvalidInput(message.into())
    }

    /// A [`SerializationFile`](Self::SerializationFile) error: `path`'s serialised form, and
    /// what was wrong with it.
    pub fn serialization_at(path: &std::path::Path, message: impl std::fmt::Display) -> Self {
        Self::SerializationFile {
            path: path.to_path_buf(),
            message: message.to_string(),
        }
    }

    /// An [`InvalidConfig`](Self::InvalidConfig) error about the configuration as a whole
    /// (no single setting at fault).
    pub fn config(message: impl Into<String>) -> Self {
        Self::InvalidConfig {
            key: None,
            value: None,
            message: message.into(),
        }
    }

    /// An [`InvalidConfig`](Self::InvalidConfig) error naming the setting `key`, the `value`
    /// it was given, and what it accepts (`"must lie in 1..=100000"`).
    pub fn param(
        key: impl Into<String>,
        value: impl std::fmt::Display,
        expected: impl Into<String>,
    ) -> Self {
        Self::InvalidConfig {
            key: Some(key.into()),
            value: Some(value.to_string()),
            message: expected.into(),
        }
    }

    /// The error's text without its kind's prefix ("invalid configuration: "), for callers
    /// that put it into a sentence of their own.
    pub fn bare_message(&self) -> String {
        match self {
            Self::InvalidConfig {
                key,
                value,
                message,
            } => describe_setting(key.as_deref(), value.as_deref(), message),
            Self::InvalidInput(m) => m.clone(),
            other => other.to_string(),
        }
    }
}

/// `key = value: message`, leaving out what is not known.
fn describe_setting(key: Option<&str>, value: Option<&str>, message: &str) -> String {
    match (key, value) {
        (Some(k), Some(v)) => format!("{k} = {v}: {message}"),
        (Some(k), None) => format!("{k}: {message}"),
        _ => message.to_string(),
    }
}

impl From<serde_json::Error> for ConsortError {
    fn from(e: serde_json::Error) -> Self {
        Self::Serialization(e.to_string())
    }
}
