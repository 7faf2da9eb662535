//! The run folder, written whole or not at all.
//!
//! A run writes into a hidden staging folder created before any fitting (so an unwritable
//! `--out`, a file in its place or a name too long fail in the first second, not after
//! minutes of work), then renames it into place when every file is written. A failure
//! removes the staging folder; a killed run leaves only a `.partial` folder, never one that
//! looks complete.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use consort_core::{ConsortError, Result};

/// The longest dataset name kept in a folder name (file systems allow 255 bytes).
const MAX_NAME_BYTES: usize = 80;

/// A run folder being written: files go to [`StagedRun::path`]; [`StagedRun::publish`]
/// moves it into place; dropping it unpublished removes it.
#[derive(Debug)]
pub(crate) struct StagedRun {
    out: PathBuf,
    stem: String,
    staging: PathBuf,
    published: bool,
}

impl StagedRun {
    /// Creates `out/.<dataset>-<UTC date>-<time>-seed<seed>.partial-<pid>-<n>`.
    pub(crate) fn create(out: &Path, dataset: &str, seed: u64) -> Result<Self> {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let stem = format!("{}-{}-seed{seed}", folder_safe(dataset), utc_stamp(secs));
        if out.exists() && !out.is_dir() {
            return Err(ConsortError::config(format!(
                "--out {} is a file, not a folder: name a folder for the run folders",
                out.display()
            )));
        }
        std::fs::create_dir_all(out).map_err(|e| ConsortError::io(out, e))?;
        // What killed runs left (SIGKILL cannot be caught) goes before this one starts.
        consort_core::io::remove_stale_partials(out);
        // Unique per process and per run within it (runs may share a process and a second).
        static RUNS: AtomicUsize = AtomicUsize::new(0);
        loop {
            let n = RUNS.fetch_add(1, Ordering::Relaxed);
            let staging = out.join(format!(".{stem}.partial-{}-{n}", std::process::id()));
            match std::fs::create_dir(&staging) {
                Ok(()) => {
                    return Ok(Self {
                        out: out.to_path_buf(),
                        stem,
                        staging,
                        published: false,
                    });
                }
                // Left by a killed run whose process id this one reuses.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(ConsortError::io(&staging, e)),
            }
        }
    }

    /// Where the run's files are written until it is published.
    pub(crate) fn path(&self) -> &Path {
        &self.staging
    }

    /// Renames the staging folder to `out/<stem>` (or `<stem>-2`, `-3`, ... when taken) and
    /// returns that path. The rename is atomic: readers see no folder or a complete one.
    pub(crate) fn publish(mut self) -> Result<PathBuf> {
        for n in 1.. {
            let name = if n == 1 {
                self.stem.clone()
            } else {
                format!("{}-{n}", self.stem)
            };
            let dir = self.out.join(name);
            if dir.exists() {
                continue;
            }
            match std::fs::rename(&self.staging, &dir) {
                Ok(()) => {
                    self.published = true;
                    return Ok(dir);
                }
                // Another run took the name between the check and the rename.
                Err(_) if dir.exists() => continue,
                Err(e) => return Err(ConsortError::io(&dir, e)),
            }
        }
        unreachable!("the loop returns")
    }
}

impl Drop for StagedRun {
    fn drop(&mut self) {
        if !self.published {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// A dataset name as a folder-name part: path separators and control characters replaced,
/// at most [`MAX_NAME_BYTES`] bytes.
fn folder_safe(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = if c == '/' || c == '\\' || c.is_control() || c == ':' {
            '_'
        } else {
            c
        };
        if out.len() + c.len_utf8() > MAX_NAME_BYTES {
            break;
        }
        out.push(c);
    }
    if out.is_empty() || out.starts_with('.') {
        out.insert_str(0, "data");
    }
    out
}

/// `YYYYMMDD-HHMMSS` in UTC for Unix seconds.
fn utc_stamp(secs: u64) -> String {
    let [year, month, day, hour, minute, second] = utc_parts(secs);
    format!("{year:04}{month:02}{day:02}-{hour:02}{minute:02}{second:02}")
}

/// Year, month, day, hour, minute and second in UTC for Unix seconds (Howard Hinnant's
/// civil-from-days).
pub(crate) fn utc_parts(secs: u64) -> [i64; 6] {
    let days = (secs / 86_400) as i64;
    let rem = (secs % 86_400) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    [year, month, day, rem / 3600, rem % 3600 / 60, rem % 60]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_stamp_matches_known_dates() {
        assert_eq!(utc_stamp(0), "19700101-000000");
        assert_eq!(utc_stamp(951_782_400), "20000229-000000");
        assert_eq!(utc_stamp(1_795_434_245), "20261123-114405");
    }

    #[test]
    fn a_run_folder_appears_whole_or_not_at_all() {
        let out = tempfile::tempdir().unwrap();
        let staged = StagedRun::create(out.path(), "x", 1).unwrap();
        std::fs::write(staged.path().join("report.md"), "r").unwrap();
        // Unpublished (a failure): nothing stays.
        drop(staged);
        assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
        // Two runs in the same second get distinct names.
        let a = StagedRun::create(out.path(), "x", 1).unwrap();
        std::fs::write(a.path().join("report.md"), "a").unwrap();
        let first = a.publish().unwrap();
        let c = StagedRun::create(out.path(), "x", 1).unwrap();
        std::fs::write(c.path().join("report.md"), "c").unwrap();
        let second = c.publish().unwrap();
        assert_ne!(first, second);
        assert_eq!(
            std::fs::read_to_string(first.join("report.md")).unwrap(),
            "a"
        );
        assert_eq!(
            std::fs::read_to_string(second.join("report.md")).unwrap(),
            "c"
        );
    }

    #[test]
    fn odd_dataset_names_make_safe_short_folder_names() {
        assert_eq!(folder_safe("a/b\\c:d\ne"), "a_b_c_d_e");
        assert_eq!(folder_safe(".hidden"), "data.hidden");
        assert!(folder_safe(&"é".repeat(300)).len() <= MAX_NAME_BYTES);
    }
}
