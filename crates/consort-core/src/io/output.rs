//! Where a command may write: checked before any work starts, so that a bad `--out` fails in
//! a moment rather than after training, and never destroys what was there.
//!
//! Every output is written to a temporary sibling and renamed into place
//! ([`write_atomic`](super::write_atomic)). A rename replaces whatever the name pointed to,
//! so the checks here refuse the names a rename would destroy: the input file itself (also
//! through another name or a hard link), a device (`/dev/full`), a FIFO or socket, a folder,
//! and a symbolic link (renaming over it replaces the link, not its target: the user names
//! the target to write there). What remains is a regular file, or a name not yet taken in a
//! folder this process can write.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{ConsortError, Result};

fn refuse(path: &Path, message: impl Into<String>) -> ConsortError {
    ConsortError::UnsafeOutput {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// The kind of a non-regular file, for messages.
fn kind_of(meta: &fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a folder";
    }
    if t.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// Whether `a` and `b` are one file (same device and inode on Unix; the same canonical path
/// elsewhere). Both must exist.
fn same_file(a: &fs::Metadata, a_path: &Path, b_path: &Path) -> bool {
    let Ok(b) = fs::metadata(b_path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = a_path;
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        match (fs::canonicalize(a_path), fs::canonicalize(b_path)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

/// The nearest folder at or above `dir` that exists; an error if a file stands in the way.
fn nearest_existing_folder(output: &Path, dir: &Path) -> Result<PathBuf> {
    let mut current = dir.to_path_buf();
    loop {
        let probe = if current.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            current.clone()
        };
        match fs::metadata(&probe) {
            Ok(meta) if meta.is_dir() => return Ok(probe),
            Ok(meta) => {
                return Err(refuse(
                    output,
                    format!("{} is {}, not a folder", probe.display(), describe(&meta)),
                ));
            }
            Err(_) => match current.parent() {
                Some(parent) => current = parent.to_path_buf(),
                None => return Ok(PathBuf::from(".")),
            },
        }
    }
}

fn describe(meta: &fs::Metadata) -> &'static str {
    if meta.is_file() {
        "a file"
    } else {
        kind_of(meta)
    }
}

/// Checks that this process can create files in the existing folder `dir` by creating (and
/// removing) an empty one: permissions alone do not tell (read-only mounts, `/proc`, root).
fn probe_writable(output: &Path, dir: &Path) -> Result<()> {
    let probe = dir.join(format!(".consort-write-probe-{}", std::process::id()));
    match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = fs::remove_file(&probe);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(refuse(
            output,
            format!("cannot create files in {}: {e}", dir.display()),
        )),
    }
}

/// Checks an output file before the work that produces it: `path` must be a regular file or
/// a free name in a folder this process can write (created later if missing), and must not
/// be any of `inputs` (compared as files, so another spelling or a hard link is caught).
pub fn check_output_file(path: &Path, inputs: &[&Path]) -> Result<()> {
    if path.as_os_str().is_empty() {
        return Err(refuse(path, "an empty path"));
    }
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            let target = fs::read_link(path)
                .map(|t| format!(" (to {})", t.display()))
                .unwrap_or_default();
            return Err(refuse(
                path,
                format!(
                    "it is a symbolic link{target}; writing replaces the link, not its \
                     target: give the target's path to write there"
                ),
            ));
        }
        Ok(meta) if !meta.is_file() => {
            return Err(refuse(
                path,
                format!(
                    "it is {}: give a file name (writing goes to a temporary file renamed \
                     over the name, which would replace it)",
                    kind_of(&meta)
                ),
            ));
        }
        Ok(meta) => {
            if let Some(input) = inputs.iter().find(|i| same_file(&meta, path, i)) {
                return Err(refuse(
                    path,
                    format!(
                        "it is the input file {}: writing would replace it; give another \
                         --out",
                        input.display()
                    ),
                ));
            }
        }
        Err(_) => {}
    }
    let parent = path.parent().unwrap_or(Path::new(""));
    let folder = nearest_existing_folder(path, parent)?;
    probe_writable(path, &folder)
}

/// Checks an output folder before the work that fills it: `path` must be a folder (a link to
/// one is fine: files go inside it) or a free name under a folder this process can write.
pub fn check_output_dir(path: &Path) -> Result<()> {
    if path.as_os_str().is_empty() {
        return Err(refuse(path, "an empty path"));
    }
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => probe_writable(path, path),
        Ok(meta) => Err(refuse(
            path,
            format!("it is {}, not a folder", describe(&meta)),
        )),
        Err(_) => {
            let folder = nearest_existing_folder(path, path)?;
            probe_writable(path, &folder)
        }
    }
}

/// What [`write_atomic`](super::write_atomic) may rename over: nothing, or a regular file.
pub(super) fn check_rename_target(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_file() => Err(refuse(
            path,
            format!(
                "it is {}, which the atomic rename would replace",
                kind_of(&meta)
            ),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(e: ConsortError) -> String {
        e.to_string()
    }

    #[test]
    fn refuses_what_a_rename_would_destroy() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let input = d.join("data.csv");
        fs::write(&input, "a,b\n").unwrap();
        // The input itself, by its own name and by another spelling.
        let e = check_output_file(&input, &[&input]).unwrap_err();
        assert!(message(e).contains("is the input file"));
        let other = d.join(".").join("data.csv");
        assert!(check_output_file(&other, &[&input]).is_err());
        // A hard link to the input.
        let hard = d.join("hard.csv");
        fs::hard_link(&input, &hard).unwrap();
        assert!(check_output_file(&hard, &[&input]).is_err());
        // A folder, a symbolic link, a device, a FIFO.
        assert!(message(check_output_file(d, &[]).unwrap_err()).contains("a folder"));
        #[cfg(unix)]
        {
            let link = d.join("link.csv");
            std::os::unix::fs::symlink(&input, &link).unwrap();
            assert!(message(check_output_file(&link, &[]).unwrap_err()).contains("symbolic link"));
            if Path::new("/dev/full").exists() {
                let e = check_output_file(Path::new("/dev/full"), &[]).unwrap_err();
                assert!(message(e).contains("a device"));
            }
            let fifo = d.join("fifo");
            let ok = std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                assert!(message(check_output_file(&fifo, &[]).unwrap_err()).contains("a FIFO"));
                assert!(check_rename_target(&fifo).is_err());
            }
        }
        // A file in the way of a folder; a regular file and a free name are fine.
        let e = check_output_file(&input.join("x.csv"), &[]).unwrap_err();
        assert!(e.to_string().contains("not a folder"), "{e:?}");
        check_output_file(&d.join("out.csv"), &[&input]).unwrap();
        check_output_file(&d.join("new/deeper/out.csv"), &[&input]).unwrap();
        fs::write(d.join("old.csv"), "x").unwrap();
        check_output_file(&d.join("old.csv"), &[&input]).unwrap();
        // Folders: a file is refused, a free name or a folder is fine.
        assert!(message(check_output_dir(&input).unwrap_err()).contains("a file"));
        check_output_dir(d).unwrap();
        check_output_dir(&d.join("reports/new")).unwrap();
        // A place nobody can write (even root).
        if Path::new("/proc/self").exists() {
            assert!(check_output_dir(Path::new("/proc/consort-out")).is_err());
            assert!(check_output_file(Path::new("/proc/consort.csv"), &[]).is_err());
        }
    }
}
