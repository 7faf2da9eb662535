//! Reading whole files with a bound: a wrong path (`/dev/zero`, a 10 GB log, an endless
//! `/dev/stdin`) ends in a clear error after at most `limit` bytes, never in an allocation
//! failure or a wait that fills memory.

use std::io::Read;
use std::path::Path;

use crate::error::{ConsortError, Result};

/// The most an experiment file, a study file or any other TOML configuration may hold.
pub const MAX_CONFIG_BYTES: u64 = 4 << 20;
/// The most a JSON file this program reads (a knowledge base, a model manifest, a member's
/// parameters) may hold: a forest of 1,000 deep trees fits with room to spare.
pub const MAX_JSON_BYTES: u64 = 1 << 30;

/// Reads at most `limit` bytes of `path` as UTF-8 text; a longer file is an
/// [`InputTooLarge`](ConsortError::InputTooLarge) error naming it as a `what`.
pub fn read_to_string_bounded(path: &Path, limit: u64, what: &str) -> Result<String> {
    let bytes = read_bounded(path, limit, what)?;
    String::from_utf8(bytes).map_err(|e| {
        ConsortError::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "not UTF-8 text (byte {}): is this a {what}?",
                    e.utf8_error().valid_up_to()
                ),
            ),
        )
    })
}

/// Reads at most `limit` bytes of `path`; a longer file is an
/// [`InputTooLarge`](ConsortError::InputTooLarge) error naming it as a `what`.
pub fn read_bounded(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| ConsortError::io(path, e))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(ConsortError::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("a folder, not a {what}"),
            ),
        ));
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| ConsortError::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(ConsortError::InputTooLarge {
            path: path.to_path_buf(),
            limit,
            what: what.to_string(),
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_at_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.toml");
        std::fs::write(&p, "abcdef").unwrap();
        assert_eq!(read_to_string_bounded(&p, 6, "config").unwrap(), "abcdef");
        let e = read_to_string_bounded(&p, 5, "config").unwrap_err();
        assert!(e.to_string().contains("larger than 5 bytes"), "{e}");
        std::fs::write(&p, [0xff, 0xfe]).unwrap();
        assert!(read_to_string_bounded(&p, 5, "config").is_err());
        assert!(read_bounded(dir.path(), 5, "config").is_err());
        if Path::new("/dev/zero").exists() {
            let e = read_bounded(Path::new("/dev/zero"), 1 << 20, "knowledge base").unwrap_err();
            assert!(matches!(e, ConsortError::InputTooLarge { .. }), "{e}");
        }
    }
}
