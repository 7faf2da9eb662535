//! Staging folders left by killed processes: every writer that publishes a folder by
//! renaming writes it first as a hidden `.<name>.partial-<pid>[-n]` sibling. A process killed
//! by SIGKILL (or an abort) cannot remove its own; the next writer in the same folder does,
//! once the process that made it is gone.

use std::path::Path;

/// Whether process `pid` on this host exists. Without `/proc` it cannot be checked and is
/// assumed alive (the folder is then kept: removing a live writer's work is worse than
/// leaving a dead one's).
pub fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if Path::new("/proc/self").exists() {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

/// The process id in a staging folder's name (`.x.partial-123` or `.x.partial-123-4`).
fn staging_pid(name: &str) -> Option<u32> {
    if !name.starts_with('.') {
        return None;
    }
    let (_, tail) = name.rsplit_once(".partial-")?;
    tail.split('-').next()?.parse().ok()
}

/// Removes the staging folders in `dir` whose process is gone; returns how many. Folders of
/// live processes (another run writing now) are left alone; so are this process's own.
pub fn remove_stale_partials(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(staging_pid) else {
            continue;
        };
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && !process_alive(pid) && std::fs::remove_dir_all(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dead_processes_folders_go() {
        assert_eq!(staging_pid(".digits-x.partial-123-4"), Some(123));
        assert_eq!(staging_pid(".minilm.partial-77"), Some(77));
        assert_eq!(staging_pid("digits.partial-77"), None);
        assert_eq!(staging_pid(".a.partial-x"), None);
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let ours = d.join(format!(".run.partial-{}-0", std::process::id()));
        // A process id above Linux's largest (4194304) is never alive.
        let dead = d.join(".run.partial-4294967295-0");
        let visible = d.join("run.partial-4294967295");
        for f in [&ours, &dead, &visible] {
            std::fs::create_dir_all(f.join("inner")).unwrap();
        }
        if Path::new("/proc/self").exists() {
            assert_eq!(remove_stale_partials(d), 1);
            assert!(!dead.exists());
        }
        assert!(ours.exists() && visible.exists());
    }
}
