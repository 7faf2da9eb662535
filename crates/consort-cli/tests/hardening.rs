//! Hardening II's reproductions, through the built binary: no output path destroys what was
//! there, no NaN is published, every check that needs no work comes before the work, every
//! reader is bounded, and no wait is silent.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{consort, text};

/// Exit 1, no panic, `expected` in standard error.
fn fails_with(out: &Output, expected: &str) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains(expected), "expected {expected:?} in:\n{err}");
}

/// Two well-separated classes, `rows` rows each, with an id-free header `a,b,label`.
fn two_classes(rows: usize) -> String {
    let mut s = String::from("a,b,label\n");
    for i in 0..rows {
        for c in 0..2 {
            s.push_str(&format!("{},{},{}\n", c * 10 + i % 3, i % 5, ["x", "y"][c]));
        }
    }
    s
}

/// An experiment file in `dir` holding `data_lines` under `[data]` and logistic regression
/// as its one member.
fn logistic_config(dir: &Path, data_lines: &str) -> PathBuf {
    let config = dir.join("lr.toml");
    std::fs::write(
        &config,
        format!("[data]\n{data_lines}\n\n[[model]]\nname = \"lr\"\nlogistic = {{}}\n"),
    )
    .unwrap();
    config
}

/// `consort run --config config -q --folds 2 extra...` in `dir`.
fn run_quick(dir: &Path, config: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        "--config",
        config.to_str().unwrap(),
        "-q",
        "--folds",
        "2",
    ];
    args.extend_from_slice(extra);
    consort(&args, dir)
}

/// The model folder a run with --select printed.
fn model_folder(dir: &Path, out: &Output) -> PathBuf {
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let model = text(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("model:").map(|p| p.trim().to_string()))
        .expect("a model line");
    dir.join(model)
}

/// `consort predict --model model --data data --output out` in `dir`.
fn predict(dir: &Path, model: &str, data: &str, out: &str) -> Output {
    consort(
        &["predict", "--model", model, "--data", data, "--output", out],
        dir,
    )
}

/// Fits logistic regression alone on `data` with --select; returns the model folder.
fn saved_logistic(dir: &Path, data: &str) -> PathBuf {
    let config = logistic_config(dir, &format!("csv = {data:?}"));
    model_folder(dir, &run_quick(dir, &config, &["--select"]))
}

#[test]
#[cfg(unix)]
fn outputs_that_writing_would_destroy_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("data.csv"), two_classes(20)).unwrap();
    let model = saved_logistic(d, "data.csv");
    let m = model.to_str().unwrap();
    let before = std::fs::read(d.join("data.csv")).unwrap();
    // The input itself, by its name and through a hard link.
    let out = predict(d, m, "data.csv", "data.csv");
    fails_with(&out, "is the input file");
    std::fs::hard_link(d.join("data.csv"), d.join("alias.csv")).unwrap();
    let out = predict(d, m, "data.csv", "alias.csv");
    fails_with(&out, "is the input file");
    assert_eq!(std::fs::read(d.join("data.csv")).unwrap(), before);
    // A device stays a device.
    if Path::new("/dev/full").exists() {
        let out = predict(d, m, "data.csv", "/dev/full");
        fails_with(&out, "a device");
        use std::os::unix::fs::FileTypeExt;
        let kind = std::fs::metadata("/dev/full").unwrap().file_type();
        assert!(kind.is_char_device());
    }
    // A symbolic link stays a link (its target untouched); a folder is refused.
    std::os::unix::fs::symlink(d.join("data.csv"), d.join("link.csv")).unwrap();
    let out = predict(d, m, "data.csv", "link.csv");
    fails_with(&out, "symbolic link");
    assert!(
        std::fs::symlink_metadata(d.join("link.csv"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(d.join("data.csv")).unwrap(), before);
    let out = predict(d, m, "data.csv", "runs");
    fails_with(&out, "a folder");
    // A FIFO: refused without opening it (opening would block until a reader came).
    let fifo = d.join("fifo");
    if Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        let out = predict(d, m, "data.csv", "fifo");
        fails_with(&out, "a FIFO");
    }
    // recommend: its input as its output, refused before reading the ratings.
    std::fs::write(d.join("ratings.csv"), "user,item,rating\n1,1,5\n").unwrap();
    let out = consort(
        &[
            "recommend",
            "--ratings",
            "ratings.csv",
            "--output",
            "ratings.csv",
        ],
        d,
    );
    fails_with(&out, "is the input file");
    // A regular file is still overwritten, as asked.
    let out = predict(d, m, "data.csv", "p.csv");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        std::fs::read_to_string(d.join("p.csv"))
            .unwrap()
            .starts_with("predicted,p_x,p_y\n")
    );
}

#[test]
fn a_bad_out_fails_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("afile"), "x").unwrap();
    std::fs::write(
        d.join("study.toml"),
        "dataset = \"iris\"\nmodel = \"logistic\"\ntrials = 2\nfolds = 2\n\n[params.c]\nlow = 0.1\nhigh = 10.0\nlog = true\n",
    )
    .unwrap();
    // Each of these trains for seconds to minutes before it writes: refused first instead,
    // in under a second (about 10 ms each on a 2-core machine; the empty standard output
    // shows no result was computed).
    for (args, expected) in [
        (
            &["continual", "--out", "afile"][..],
            "it is a file, not a folder",
        ),
        (
            &["rl", "--quiet", "--out", "afile"],
            "it is a file, not a folder",
        ),
        (
            &[
                "search",
                "--config",
                "study.toml",
                "--quiet",
                "--out",
                "afile",
            ],
            "it is a file, not a folder",
        ),
        (
            &["continual", "--out", "/proc/consort-report"],
            "cannot create files in /proc",
        ),
        (
            &["run", "--dataset", "iris", "--out", "afile"],
            "is a file, not a folder",
        ),
        (
            &[
                "predict",
                "--model",
                "m",
                "--data",
                "x.csv",
                "--output",
                "/dev/null",
            ],
            "it is a device",
        ),
        (
            &["recommend", "--ratings", "x.csv", "--output", "/dev/null"],
            "it is a device",
        ),
    ] {
        let start = Instant::now();
        let out = consort(args, d);
        fails_with(&out, expected);
        assert!(text(&out.stdout).is_empty(), "{args:?} printed results");
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{args:?} took {:?}",
            start.elapsed()
        );
    }
}

#[test]
fn a_corrupted_model_publishes_no_nan() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("data.csv"), two_classes(20)).unwrap();
    let model = saved_logistic(d, "data.csv");
    // Weights that pass as finite numbers but overflow at prediction (1.7e308 x a feature
    // sum above 1.06 is infinite in every class, and infinity minus infinity is NaN).
    let member = model.join("members/0/member.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&member).unwrap()).unwrap();
    fn scale(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if k == "weights" {
                        for w in v.as_array_mut().unwrap() {
                            *w = serde_json::json!(1.7e308);
                        }
                    } else {
                        scale(v);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(scale),
            _ => {}
        }
    }
    scale(&mut json);
    std::fs::write(&member, serde_json::to_string(&json).unwrap()).unwrap();
    let out = predict(d, model.to_str().unwrap(), "data.csv", "p.csv");
    fails_with(&out, "invalid model file");
    fails_with(&out, model.to_str().unwrap());
    assert!(!d.join("p.csv").exists(), "predictions were written");
}

#[test]
fn selecting_with_imputation_and_one_hot_saves_and_predicts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut csv = String::from("a,colour,label\n");
    for i in 0..40 {
        let a = if i % 7 == 3 {
            String::new()
        } else {
            (i % 2 * 10 + i % 3).to_string()
        };
        csv.push_str(&format!("{a},{},{}\n", ["red", "blue"][i % 2], i % 2));
    }
    std::fs::write(d.join("mixed.csv"), csv).unwrap();
    // Failed at the save, after all the fitting ("3 imputer values for 1 numeric columns").
    let config = logistic_config(d, "csv = \"mixed.csv\"");
    let out = run_quick(
        d,
        &config,
        &[
            "--missing",
            "median",
            "--categorical",
            "one-hot",
            "--select",
        ],
    );
    let model = model_folder(d, &out);
    let model = model.to_str().unwrap();
    let out = predict(d, model, "mixed.csv", "-");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 41);
}

#[test]
fn auto_checks_its_knowledge_base_before_fitting() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Checked before the data is even read (a missing data file would be said first
    // otherwise), so before any fitting.
    let out = consort(
        &[
            "run",
            "--data",
            "absent.csv",
            "--auto",
            "--knowledge-base",
            "/proc/consort-kb.json",
        ],
        d,
    );
    fails_with(&out, "consort-kb.json");
    assert!(!text(&out.stderr).contains("absent.csv"));
    if Path::new("/dev/zero").exists() {
        let out = consort(
            &[
                "run",
                "--dataset",
                "iris",
                "--auto",
                "--knowledge-base",
                "/dev/zero",
            ],
            d,
        );
        fails_with(&out, "larger than");
    }
}

#[test]
fn every_reader_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    if !Path::new("/dev/zero").exists() {
        return;
    }
    fails_with(
        &consort(&["run", "--config", "/dev/zero"], d),
        "larger than 4194304 bytes",
    );
    fails_with(
        &consort(&["search", "--config", "/dev/zero"], d),
        "larger than 4194304 bytes",
    );
    fails_with(
        &consort(&["recommend", "--ratings", "/dev/zero"], d),
        "longer than 16777216 bytes",
    );
    std::fs::write(d.join("r.csv"), "user,item,rating\n1,1,5\n1,2,3\n2,1,4\n").unwrap();
    fails_with(
        &consort(
            &["recommend", "--ratings", "r.csv", "--items", "/dev/zero"],
            d,
        ),
        "longer than 16777216 bytes",
    );
    fails_with(
        &consort(&["run", "--data", "/dev/zero", "--text", "t"], d),
        "longer than 16777216 bytes",
    );
}

#[test]
fn model_sizes_are_bounded_before_fitting() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (model, expected) in [
        (
            "mlp = { hidden = [1000000, 1000000] }",
            "member \"big\" alone needs about",
        ),
        (
            "cnn = { conv_channels = [100000, 100000] }",
            "member \"big\" alone needs about",
        ),
        (
            "forest = { n_trees = 1000000000 }",
            "n_trees = 1000000000: must lie in 1..=1000000",
        ),
        (
            "boosting = { max_iter = 1000000000 }",
            "max_iter = 1000000000: must lie in 1..=1000000",
        ),
        (
            "logistic = { max_iter = 1000000000 }",
            "max_iter = 1000000000: must lie in 1..=1000000",
        ),
    ] {
        let config = d.join("big.toml");
        std::fs::write(
            &config,
            format!("[data]\nembedded = \"digits\"\n\n[[model]]\nname = \"big\"\n{model}\n"),
        )
        .unwrap();
        let out = consort(&["run", "--config", config.to_str().unwrap()], d);
        fails_with(&out, expected);
        assert!(!text(&out.stderr).contains("fitting"), "{model}");
    }
    // Refused by the parser: a usage error, exit 2.
    let out = consort(&["continual", "--experiences", "100000"], d);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("100000 is not in 2..=100"));
}

#[test]
fn a_test_file_is_matched_by_header_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("train.csv"), two_classes(20)).unwrap();
    // The same columns, the label first.
    let mut test = String::from("label,b,a\n");
    for line in two_classes(5).lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        test.push_str(&format!("{},{},{}\n", cells[2], cells[1], cells[0]));
    }
    std::fs::write(d.join("test.csv"), test).unwrap();
    let config = logistic_config(d, "csv = \"train.csv\"\ntest = \"test.csv\"");
    let out = run_quick(d, &config, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("| lr |"),
        "{}",
        text(&out.stdout)
    );
    // A test file without the label column names the label column.
    std::fs::write(d.join("test.csv"), "b,a,class\n1,2,x\n").unwrap();
    fails_with(&run_quick(d, &config, &[]), "unknown column \"label\"");
}

#[test]
fn stale_partial_folders_are_cleaned_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("data.csv"), two_classes(20)).unwrap();
    // Left by a killed run (a process id above Linux's largest is never alive) and by a
    // live one (this test's own process): only the first goes.
    let dead = d.join("runs/.data-20260101-000000-seed0.partial-4294967295-0");
    let live = d.join(format!("runs/.data-x.partial-{}-0", std::process::id()));
    for f in [&dead, &live] {
        std::fs::create_dir_all(f.join("inner")).unwrap();
    }
    let config = logistic_config(d, "csv = \"data.csv\"");
    let out = run_quick(d, &config, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    if Path::new("/proc/self").exists() {
        assert!(!dead.exists());
    }
    assert!(live.exists());
}

/// A folder on PATH with a fake registry client `name` running `script`.
#[cfg(unix)]
fn fake_client(dir: &Path, name: &str, script: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let path = bin.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
#[cfg(unix)]
fn a_stalled_or_silent_fetch_ends_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cache = d.join("cache");
    let run = |path: &str, timeout: &str| {
        Command::new(env!("CARGO_BIN_EXE_consort"))
            .args(["fetch", "imdb"])
            .current_dir(d)
            .env("PATH", path)
            .env("CONSORT_DATA", &cache)
            .env("CONSORT_FETCH_TIMEOUT_S", timeout)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    // What a killed fetch left (a process id above Linux's largest is never alive).
    let stale = cache.join(".fashion-mnist.partial-4294967295/download");
    std::fs::create_dir_all(&stale).unwrap();
    // A network that drops packets: the client never answers; stopped at the limit.
    let path = fake_client(d, "npm", "sleep 120");
    let start = Instant::now();
    let out = run(&path, "2");
    fails_with(&out, "gave no result within 2 s and was stopped");
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );
    // Offline with nothing said: the message says so rather than ending in an empty reason.
    let path = fake_client(d, "npm", "exit 1");
    let out = run(&path, "30");
    fails_with(&out, "printed no reason");
    // Neither left a partial download behind, and the killed fetch's is gone.
    let left: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `study.toml` in `dir`: two trials of logistic regression on iris, stored in the journal
/// `study.jsonl`.
fn journal_study(dir: &Path) {
    std::fs::write(
        dir.join("study.toml"),
        "dataset = \"iris\"\nmodel = \"logistic\"\ntrials = 2\nfolds = 2\n\
         storage = \"study.jsonl\"\n\n[params.c]\nlow = 0.1\nhigh = 10.0\nlog = true\n",
    )
    .unwrap();
}

#[test]
fn a_second_fresh_study_on_one_journal_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    journal_study(d);
    // Another process is starting the study: it holds the start lock.
    let held =
        consort_core::io::FileLock::acquire(&d.join("study.jsonl.start.lock"), "study start")
            .unwrap();
    let out = consort(&["search", "--config", "study.toml", "--quiet"], d);
    fails_with(&out, "pass --resume");
    drop(held);
    let out = consort(&["search", "--config", "study.toml", "--quiet"], d);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn a_lock_held_elsewhere_is_waited_for_aloud_then_given_up() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    journal_study(d);
    // Another worker holds the journal's lock and does not let go (it waited forever before,
    // without a word).
    let held =
        consort_core::io::FileLock::acquire(&d.join("study.jsonl.lock"), "study journal").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_consort"))
        .args(["search", "--config", "study.toml", "--resume", "--quiet"])
        .current_dir(d)
        .env("CONSORT_BACKEND", "flex")
        .env("CONSORT_LOCK_TIMEOUT_S", "3")
        .output()
        .unwrap();
    fails_with(&out, "waiting for the lock on the study journal");
    fails_with(&out, "stayed locked by another process for 3 s");
    drop(held);
}

#[test]
fn messages_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A header naming a column twice.
    std::fs::write(d.join("dup.csv"), "a,a,label\n1,2,x\n3,4,y\n").unwrap();
    fails_with(
        &consort(&["run", "--data", "dup.csv"], d),
        "names column \"a\" twice",
    );
    // --label -1 is a value, not a flag.
    std::fs::write(d.join("data.csv"), two_classes(20)).unwrap();
    fails_with(
        &consort(&["run", "--data", "data.csv", "--label", "-1"], d),
        "unknown column \"-1\"",
    );
    // --missing drop where every row has an empty cell.
    let mut holes = String::from("a,b,label\n");
    for i in 0..20 {
        holes.push_str(&format!("{i},,{}\n", i % 2));
    }
    std::fs::write(d.join("holes.csv"), holes).unwrap();
    fails_with(
        &consort(&["run", "--data", "holes.csv", "--missing", "drop"], d),
        "every one of the 20 rows has a missing cell",
    );
    // predict names no option it does not take.
    let model = saved_logistic(d, "data.csv");
    std::fs::write(d.join("semi.csv"), "a;b;label\n1;2;x\n").unwrap();
    let out = predict(d, model.to_str().unwrap(), "semi.csv", "-");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    for option in ["--delimiter", "--missing", "--drop", "--categorical"] {
        assert!(!err.contains(option), "{err}");
    }
    std::fs::write(d.join("gap.csv"), "a,b,label\n,2,x\n").unwrap();
    let out = predict(d, model.to_str().unwrap(), "gap.csv", "-");
    fails_with(&out, "cannot fill it");
    assert!(!text(&out.stderr).contains("--missing"));
}
