//! The hardening issue's reproductions, through the built binary: bad and odd input ends in
//! exit 1 with one clear line (never a panic), checks that need no fitting run before any
//! fitting, and a run folder appears whole or not at all.

use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;
use common::consort;

/// Exit 1, no panic, stderr containing `expected`, and no fitting started.
fn fails_before_fitting(out: &Output, expected: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains(expected), "expected {expected:?} in:\n{err}");
    assert!(
        !err.contains("fitting"),
        "fitting started before the error:\n{err}"
    );
}

/// A small, fast experiment on a CSV: two classic models and a vote.
fn small_config(dir: &Path, csv: &str) -> std::path::PathBuf {
    let path = dir.join("small.toml");
    std::fs::write(
        &path,
        format!(
            "[data]\ncsv = {csv:?}\n\n[[model]]\nname = \"lr\"\nrole = \"cheap\"\nlogistic = {{}}\n\n\
             [[model]]\nname = \"tree\"\ntree = {{}}\n\n[[combiner]]\nkind = \"soft-vote\"\n"
        ),
    )
    .unwrap();
    path
}

/// Two well-separated classes named `names`, `rows` rows each.
fn two_classes(names: [&str; 2], rows: usize) -> String {
    let mut s = String::from("a,b,label\n");
    for i in 0..rows {
        for (c, name) in names.iter().enumerate() {
            let name = if name.contains(['|', ',', '"', '\n']) {
                format!("\"{name}\"")
            } else {
                name.to_string()
            };
            s.push_str(&format!("{},{},{name}\n", c * 10 + i % 3, i % 5));
        }
    }
    s
}

#[test]
fn former_panics_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("m.csv"), "x,label\n1,9\n2,10\n3,NA\n").unwrap();
    fails_before_fitting(&consort(&["run", "--data", "m.csv"], d), "looks missing");
    for epochs in ["18446744073709551615", "1000000000"] {
        let out = consort(&["run", "--dataset", "iris", "--epochs", epochs], d);
        fails_before_fitting(
            &out,
            &format!("--epochs = {epochs}: must lie in 1..=100000"),
        );
    }
    // A command line that does not parse exits 2 (clap's convention; errors found later
    // exit 1); help does not fail.
    let out = consort(&["run", "--bogus"], d);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(consort(&["--help"], d).status.code(), Some(0));
}

#[test]
#[cfg(unix)]
fn a_closed_or_full_output_is_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    // A reader that went away: the write fails with a broken pipe, which ends quietly.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_consort"))
        .arg("datasets")
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A full disk behind standard output: a clear error.
    if Path::new("/dev/full").exists() {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_consort"))
            .arg("datasets")
            .stdout(full)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("cannot write to standard output"), "{err}");
    }
    // Standard error closed while an error is reported: still exit 1, no panic (101).
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = Command::new(env!("CARGO_BIN_EXE_consort"))
        .args(["run", "--data", "absent.csv"])
        .current_dir(dir.path())
        .stderr(writer)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
}

#[test]
fn endless_or_huge_lines_end_in_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    if Path::new("/dev/zero").exists() {
        let out = consort(&["run", "--data", "/dev/zero"], d);
        fails_before_fitting(&out, "longer than 16777216 bytes");
    }
    // One 20 MB line.
    std::fs::write(d.join("line.csv"), vec![b'7'; 20 << 20]).unwrap();
    fails_before_fitting(
        &consort(&["run", "--data", "line.csv"], d),
        "longer than 16777216 bytes",
    );
}

#[test]
fn checks_that_need_no_fitting_come_first() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a-file"), "x").unwrap();
    let out = consort(&["run", "--dataset", "iris", "--out", "a-file"], d);
    fails_before_fitting(&out, "is a file, not a folder");
    let out = consort(&["run", "--dataset", "iris", "--folds", "2000"], d);
    fails_before_fitting(&out, "2000 folds");
    // An output folder that cannot be created (even by root).
    let out = consort(
        &["run", "--dataset", "iris", "--out", "/proc/consort-runs"],
        d,
    );
    fails_before_fitting(&out, "/proc/consort-runs");
    // A class of 2 rows leaves 1 for training: said before fitting, naming the class.
    let mut rare = two_classes(["x", "y"], 20);
    rare.push_str("5,5,rare\n6,6,rare\n");
    std::fs::write(d.join("rare.csv"), rare).unwrap();
    let out = consort(&["run", "--data", "rare.csv"], d);
    fails_before_fitting(&out, "class \"rare\" has 2 row(s), 1 of them for training");
    // Four rows: the folds, not a k the user never set.
    std::fs::write(
        d.join("four.csv"),
        "a,b,label\n1,2,x\n2,3,y\n3,4,x\n4,5,y\n",
    )
    .unwrap();
    let out = consort(&["run", "--data", "four.csv"], d);
    fails_before_fitting(
        &out,
        "5 folds (--folds, `folds`) need at least 5 training rows",
    );
    // The label column by default (the last) holds an id.
    let mut ids = String::from("a,b,id\n");
    for i in 0..60 {
        ids.push_str(&format!("{},{},{i}\n", i % 7, i % 3));
    }
    std::fs::write(d.join("ids.csv"), ids).unwrap();
    let out = consort(&["run", "--data", "ids.csv"], d);
    fails_before_fitting(
        &out,
        "label column \"id\" has 60 distinct values in 60 rows: is it the label?",
    );
}

#[test]
fn malformed_files_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("q.csv"), "a,b,label\n1,\"2,x\n3,4,y\n").unwrap();
    fails_before_fitting(&consort(&["run", "--data", "q.csv"], d), "never closed");
    std::fs::write(d.join("s.csv"), "a;b;label\n1;2;x\n2;3;y\n").unwrap();
    fails_before_fitting(
        &consort(&["run", "--data", "s.csv"], d),
        "pass --delimiter \";\"",
    );
    std::fs::write(d.join("big.csv"), "a,label\n4e38,x\n1,y\n").unwrap();
    fails_before_fitting(&consort(&["run", "--data", "big.csv"], d), "3.4e38");
}

#[test]
fn odd_but_valid_files_run_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A trailing delimiter on every line, class names with a bar and a line break, values
    // near the f32 limit, and a file name far beyond what a folder name may hold.
    let mut body = String::from("a,b,label,\n");
    for line in two_classes(["bar|x", "two\nlines"], 30).lines().skip(1) {
        body.push_str(line);
        body.push_str(",\n");
    }
    let body = body.replace("\"two,", "\"two\n");
    let long = format!("{}.csv", "n".repeat(240));
    std::fs::write(d.join(&long), &body).unwrap();
    let config = small_config(d, &long);
    let out = consort(&["run", "--config", config.to_str().unwrap(), "-q"], d);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let runs: Vec<_> = std::fs::read_dir(d.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let report = std::fs::read_to_string(runs[0].join("report.md")).unwrap();
    // Every row of the confusion-matrix table has its 3 cells: the bar is escaped.
    let confusion: Vec<&str> = report
        .lines()
        .skip_while(|l| !l.starts_with("## Confusion"))
        .skip(1)
        .take_while(|l| !l.starts_with("##"))
        .filter(|l| l.starts_with("| **"))
        .collect();
    assert_eq!(confusion.len(), 2, "{report}");
    for row in confusion {
        assert_eq!(row.replace("\\|", "").matches('|').count(), 4, "{row}");
    }
    // Extreme but finite values train without a NaN error.
    let mut extreme = String::from("a,b,label\n");
    for i in 0..40 {
        let v = if i % 2 == 0 { 3e38 } else { -3e38 };
        extreme.push_str(&format!("{v},{i},{}\n", i % 2));
    }
    std::fs::write(d.join("extreme.csv"), extreme).unwrap();
    let config = small_config(d, "extreme.csv");
    let out = consort(&["run", "--config", config.to_str().unwrap(), "-q"], d);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[cfg(unix)]
fn a_killed_run_leaves_no_folder_that_looks_complete() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_consort"))
        .args(["run", "-q"])
        .current_dir(dir.path())
        .env("CONSORT_BACKEND", "flex")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the run folder is being written, then kill the run (SIGKILL).
    let runs = dir.path().join("runs");
    let start = std::time::Instant::now();
    while !runs.exists() && start.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    child.kill().unwrap();
    child.wait().unwrap();
    let visible: Vec<String> = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert!(visible.is_empty(), "{visible:?}");
}
