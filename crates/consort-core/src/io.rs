//! Atomic file writes and JSON persistence of models, configs and reports.

use std::fs;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ConsortError, Result};

/// Writes to a temporary file beside `path`, then renames it into place, so that a reader
/// never sees half a file and a crash never leaves one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| ConsortError::io(parent, e))?;
    }
    let mut tmp_name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    fs::write(&tmp, bytes).map_err(|e| ConsortError::io(&tmp, e))?;
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
    let text = fs::read_to_string(path).map_err(|e| ConsortError::io(path, e))?;
    serde_json::from_str(&text)
        .map_err(|e| ConsortError::Serialization(format!("{}: {e}", path.display())))
}

/// Save/load as JSON for every serde model (`model.save_json(p)`, `Model::load_json(p)`).
pub trait JsonModel: Serialize + DeserializeOwned + Sized {
    /// Saves the model atomically as pretty JSON.
    fn save_json(&self, path: &Path) -> Result<()> {
        save_json(self, path)
    }

    /// Loads a model saved by [`JsonModel::save_json`].
    fn load_json(path: &Path) -> Result<Self> {
        load_json(path)
    }
}

impl<T: Serialize + DeserializeOwned> JsonModel for T {}
