//! A fresh, uniquely named folder per run of the main job.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use consort_core::{ConsortError, Result};

/// `out/<dataset>-<UTC date>-<time>-seed<seed>`, with a numeric suffix if that exists.
pub(crate) fn fresh_run_dir(out: &Path, dataset: &str, seed: u64) -> Result<PathBuf> {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let stem = format!("{dataset}-{}-seed{seed}", utc_stamp(secs));
    std::fs::create_dir_all(out).map_err(|e| ConsortError::io(out, e))?;
    for n in 1.. {
        let name = if n == 1 {
            stem.clone()
        } else {
            format!("{stem}-{n}")
        };
        let dir = out.join(name);
        // create_dir (not _all) fails if the folder exists: the folder is ours alone.
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(ConsortError::io(&dir, e)),
        }
    }
    unreachable!("the loop returns")
}

/// `YYYYMMDD-HHMMSS` in UTC for Unix seconds (Howard Hinnant's civil-from-days).
fn utc_stamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
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
}
