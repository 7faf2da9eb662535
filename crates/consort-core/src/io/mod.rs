//! Atomic file writes and JSON persistence of models, configs and reports; the checks on
//! what is written ([`output`]) and read ([`bounded`], [`weights`]); locks on shared files
//! ([`lock`]).

pub mod bounded;
pub mod lock;
pub mod output;
pub mod partial;
pub mod weights;

pub use bounded::{MAX_CONFIG_BYTES, MAX_JSON_BYTES, read_bounded, read_to_string_bounded};
pub use lock::{FileLock, lock_path};
pub use output::{check_output_dir, check_output_file};
pub use partial::{process_alive, remove_stale_partials};
pub use weights::check_weights;

use std::fs;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ConsortError, Result};

/// Writes to a temporary file beside `path`, then renames it into place, so that a reader
/// never sees half a file and a crash never leaves one. Only a regular file or a free name is
/// renamed over: a device, FIFO, folder or symbolic link at `path` is an error, not replaced.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |tmp| {
        fs::write(tmp, bytes).map_err(|e| ConsortError::io(path, e))
    })
}

/// [`write_atomic`] for a writer that takes a path (burn's recorders, say): `write` creates
/// the temporary sibling it is given; it is renamed over `path` on success and removed on
/// failure. The one atomic save every file of this workspace goes through.
pub fn write_atomic_with(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    output::check_rename_target(path)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| ConsortError::io(parent, e))?;
    }
    let mut tmp_name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    // A failed write (a full disk) removes its temporary file: nothing truncated stays.
    if let Err(e) = write(&tmp) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        ConsortError::io(path, e)
    })
}

/// Saves `value` as pretty JSON at `path`, atomically.
pub fn save_json<T: Serialize + ?Sized>(value: &T, path: &Path) -> Result<()> {
    write_atomic(path, serde_json::to_string_pretty(value)?.as_bytes())
}

/// Loads a value saved by [`save_json`].
pub fn load_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = read_to_string_bounded(path, MAX_JSON_BYTES, "JSON file")?;
    serde_json::from_str(&text).map_err(|e| ConsortError::serialization_at(path, e))
}

/// The invariants of a deserialised value that serde's types alone cannot state: shapes that
/// agree, indices in bounds, trees without cycles, finite parameters. Every model loader
/// runs it, so a hand-edited or corrupted file is an error naming the file, never a panic or
/// an endless loop at prediction time.
pub trait Validate {
    /// `Ok` when the value is a model that can predict; otherwise what is wrong.
    fn validate(&self) -> Result<()>;
}

/// Checks a parsed model, turning its complaint into an error naming `path`.
pub fn validated<T: Validate>(value: T, path: &Path) -> Result<T> {
    match value.validate() {
        Ok(()) => Ok(value),
        Err(e) => Err(ConsortError::InvalidModel {
            path: path.to_path_buf(),
            message: e.bare_message(),
        }),
    }
}

/// A helper for [`Validate`] implementations: `Err(message)` unless `ok`.
pub fn ensure(ok: bool, message: impl FnOnce() -> String) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(ConsortError::invalid_model(message()))
    }
}

/// Save/load as JSON for every validated serde model (`model.save_json(p)`,
/// `Model::load_json(p)`).
pub trait JsonModel: Serialize + DeserializeOwned + Validate + Sized {
    /// Saves the model atomically as pretty JSON.
    fn save_json(&self, path: &Path) -> Result<()> {
        save_json(self, path)
    }

    /// Loads a model saved by [`JsonModel::save_json`] and checks it ([`Validate`]).
    fn load_json(path: &Path) -> Result<Self> {
        validated(load_json(path)?, path)
    }
}

impl<T: Serialize + DeserializeOwned + Validate> JsonModel for T {}
