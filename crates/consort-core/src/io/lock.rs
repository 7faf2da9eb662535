//! Advisory file locks with a bounded, announced wait: read-modify-write updates of a shared
//! file (a knowledge base, a study journal) from several processes lose nothing, and a lock
//! held too long is a clear error rather than a silent wait.
//!
//! The lock is the operating system's (`flock` on Unix, `LockFileEx` on Windows, through
//! `std::fs::File::lock`): it is released when the holder exits, however it exits, so no
//! stale lock is ever left to break by hand.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{ConsortError, Result};

/// How long [`FileLock::acquire`] waits before saying so on standard error.
pub const LOCK_NOTICE_AFTER: Duration = Duration::from_secs(2);
/// How long [`FileLock::acquire`] waits in all before giving up.
pub const LOCK_GIVE_UP_AFTER: Duration = Duration::from_secs(120);

/// An exclusive lock on a file, held until dropped.
#[derive(Debug)]
pub struct FileLock {
    file: File,
    path: PathBuf,
}

impl FileLock {
    /// Takes the exclusive lock on `path` (created if missing), waiting at most
    /// [`LOCK_GIVE_UP_AFTER`] (`CONSORT_LOCK_TIMEOUT_S` seconds where set); after
    /// [`LOCK_NOTICE_AFTER`] a line on standard error says who waits for what. `what` names
    /// the guarded file in messages.
    pub fn acquire(path: &Path, what: &str) -> Result<Self> {
        let limit = std::env::var("CONSORT_LOCK_TIMEOUT_S")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .map_or(LOCK_GIVE_UP_AFTER, Duration::from_secs);
        Self::acquire_within(path, what, limit)
    }

    /// [`FileLock::acquire`] with another limit on the wait.
    pub fn acquire_within(path: &Path, what: &str, limit: Duration) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| ConsortError::io(dir, e))?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| ConsortError::io(path, e))?;
        let start = Instant::now();
        let mut announced = false;
        loop {
            match file.try_lock() {
                Ok(()) => {
                    return Ok(Self {
                        file,
                        path: path.to_path_buf(),
                    });
                }
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => return Err(ConsortError::io(path, e)),
            }
            let waited = start.elapsed();
            if waited >= limit {
                return Err(ConsortError::Locked {
                    path: path.to_path_buf(),
                    waited_s: waited.as_secs(),
                    message: format!(
                        "another consort process is updating the {what}; try again when it \
                         has finished"
                    ),
                });
            }
            if !announced && waited >= LOCK_NOTICE_AFTER {
                announced = true;
                log::warn!(
                    "waiting for the lock on the {what} ({}), held by another process; giving \
                     up after {} s",
                    path.display(),
                    limit.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// The lock file guarding `path`: `path` with `.lock` appended.
pub fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_waited_for_then_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("kb.json.lock");
        let held = FileLock::acquire(&p, "knowledge base").unwrap();
        // flock locks belong to the open file description: a second open waits.
        let e =
            FileLock::acquire_within(&p, "knowledge base", Duration::from_millis(50)).unwrap_err();
        assert!(matches!(e, ConsortError::Locked { .. }), "{e}");
        assert!(e.to_string().contains("knowledge base"), "{e}");
        drop(held);
        FileLock::acquire_within(&p, "knowledge base", Duration::from_millis(50)).unwrap();
    }
}
