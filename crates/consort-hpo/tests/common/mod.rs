//! The crash-safety and concurrency checks every study storage must pass, written once and
//! run against each (journal file, SQLite, PostgreSQL) by its own test file. A test spawns
//! its own test binary as worker processes (`--exact TEST`); a worker sees the storage URL
//! in its environment and runs the study instead of the test.

#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use consort_core::{Direction, Result};
use consort_hpo::{
    FrozenTrial, StorageOptions, StorageState, Study, StudyStorage, Trial, TrialState, open_storage,
};

const URL: &str = "CONSORT_HPO_TEST_URL";
const STUDY: &str = "CONSORT_HPO_TEST_STUDY";
const TRIALS: &str = "CONSORT_HPO_TEST_TRIALS";
const HANG_AT: &str = "CONSORT_HPO_TEST_HANG_AT";
const GRACE_MS: &str = "CONSORT_HPO_TEST_GRACE_MS";

/// A cheap objective with a float and an int; hangs at the trial `HANG_AT` names.
pub fn objective(t: &mut Trial<'_>) -> Result<f64> {
    let x = t.suggest_float("x", -3.0, 3.0)?;
    let k = t.suggest_int("k", 1, 4, 1)?;
    if std::env::var(HANG_AT).ok().and_then(|v| v.parse().ok()) == Some(t.number()) {
        std::thread::sleep(Duration::from_secs(600));
    }
    Ok((x - 1.0).powi(2) + k as f64)
}

/// Heartbeat settings: the default, or a short grace (and a beat four times as often).
pub fn options(grace_ms: Option<u64>) -> StorageOptions {
    let mut o = StorageOptions::default();
    if let Some(ms) = grace_ms {
        o.grace_period = Duration::from_millis(ms);
        o.heartbeat_interval = Duration::from_millis(ms / 4);
    }
    o
}

pub fn open(url: &str, study: &str, grace_ms: Option<u64>) -> Arc<dyn StudyStorage> {
    open_storage(url, study, &options(grace_ms)).unwrap()
}

/// In a worker process: run the study the environment names, and say so.
pub fn worker() -> bool {
    let Ok(url) = std::env::var(URL) else {
        return false;
    };
    let study = std::env::var(STUDY).unwrap();
    let n: usize = std::env::var(TRIALS).unwrap().parse().unwrap();
    let grace = std::env::var(GRACE_MS).ok().map(|v| v.parse().unwrap());
    let mut s = Study::new(Direction::Lower)
        .with_storage(open(&url, &study, grace))
        .unwrap();
    s.optimize_to(n, objective).unwrap();
    true
}

/// Starts a worker process running `test`'s study.
pub fn spawn(
    test: &str,
    url: &str,
    study: &str,
    trials: usize,
    hang_at: Option<usize>,
    host_and_grace: Option<(&str, u64)>,
) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(URL, url)
        .env(STUDY, study)
        .env(TRIALS, trials.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(h) = hang_at {
        cmd.env(HANG_AT, h.to_string());
    }
    if let Some((host, grace)) = host_and_grace {
        cmd.env("CONSORT_HPO_WORKER_HOST", host)
            .env(GRACE_MS, grace.to_string());
    }
    cmd.spawn().unwrap()
}

/// A study name of its own per run (a database outlives the test).
pub fn study_name(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{test}-{}-{nanos}", std::process::id())
}

pub fn fresh_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("consort-hpo-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Waits until `storage` shows trial `number` running with both its parameters drawn.
fn wait_running(storage: &dyn StudyStorage, number: usize) -> StorageState {
    let start = Instant::now();
    loop {
        let state = storage.state().unwrap();
        if state
            .running
            .iter()
            .any(|t| t.number == number && t.params.len() == 2)
        {
            return state;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the worker never reached trial {number}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Resumes the study to `n` trials and checks it: every number once, `n` complete, the
/// killed trial failed and retried with its parameters, earlier trials kept exactly.
fn resume_and_check(
    storage: Arc<dyn StudyStorage>,
    n: usize,
    killed: usize,
    before: &[FrozenTrial],
    killed_params: &std::collections::BTreeMap<String, consort_hpo::ParamValue>,
) {
    let mut study = Study::new(Direction::Lower).with_storage(storage).unwrap();
    study.optimize_to(n, objective).unwrap();
    let trials = study.trials();
    let numbers: Vec<usize> = trials.iter().map(|t| t.number).collect();
    let mut unique = numbers.clone();
    unique.dedup();
    assert_eq!(numbers, unique, "no trial twice");
    let complete = trials
        .iter()
        .filter(|t| t.state == TrialState::Complete)
        .count();
    assert_eq!(complete, n);
    let dead = trials.iter().find(|t| t.number == killed).unwrap();
    assert_eq!(dead.state, TrialState::Failed);
    assert!(dead.user_attrs["error"].contains("died"));
    let retry = trials
        .iter()
        .find(|t| t.user_attrs.get("retry_of") == Some(&killed.to_string()))
        .expect("the killed trial is retried");
    assert_eq!(&retry.params, killed_params);
    assert_eq!(retry.state, TrialState::Complete);
    for (old, new) in before.iter().zip(trials) {
        assert_eq!(old, new, "completed trials kept exactly");
    }
}

/// SIGKILL a worker in the middle of trial 3; resuming finishes the study with every
/// completed trial kept once and trial 3 failed and retried.
pub fn killed_worker_is_retried(test: &str, url: &str, study: &str) {
    let storage = open(url, study, None);
    storage.open_study(Direction::Lower).unwrap();
    let mut worker = spawn(test, url, study, 10, Some(3), None);
    wait_running(storage.as_ref(), 3);
    worker.kill().unwrap();
    worker.wait().unwrap();
    let before = storage.state().unwrap();
    assert_eq!(before.finished.len(), 3);
    assert_eq!(
        before.orphaned.len(),
        1,
        "a dead process on this host is seen at once"
    );
    assert_eq!(before.orphaned[0].number, 3);
    let killed_params = before.orphaned[0].params.clone();
    resume_and_check(storage, 10, 3, &before.finished, &killed_params);
}

/// A worker "on another host" (its process cannot be checked from here) stays running while
/// its heartbeat beats, and is found orphaned once it stops for longer than the grace.
pub fn silent_remote_worker_is_retried(test: &str, url: &str, study: &str) {
    const GRACE_MS: u64 = 1200;
    let storage = open(url, study, Some(GRACE_MS));
    storage.open_study(Direction::Lower).unwrap();
    let mut worker = spawn(test, url, study, 6, Some(2), Some(("elsewhere", GRACE_MS)));
    wait_running(storage.as_ref(), 2);
    // Longer than the grace: only the heartbeat keeps it running.
    std::thread::sleep(Duration::from_millis(2 * GRACE_MS));
    let state = storage.state().unwrap();
    assert!(
        state.running.iter().any(|t| t.number == 2) && state.orphaned.is_empty(),
        "a beating worker stays running: {state:?}"
    );
    worker.kill().unwrap();
    worker.wait().unwrap();
    assert!(
        storage.state().unwrap().orphaned.is_empty(),
        "not yet: within the grace"
    );
    let start = Instant::now();
    let before = loop {
        let state = storage.state().unwrap();
        if !state.orphaned.is_empty() {
            break state;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "never orphaned");
        std::thread::sleep(Duration::from_millis(50));
    };
    let waited = start.elapsed();
    eprintln!("silent worker found orphaned {waited:?} after its kill (grace {GRACE_MS} ms)");
    assert!(waited >= Duration::from_millis(GRACE_MS / 2));
    assert_eq!(before.orphaned[0].number, 2);
    let killed_params = before.orphaned[0].params.clone();
    resume_and_check(storage, 6, 2, &before.finished, &killed_params);
}

/// Four worker processes run a 200-trial study on one storage: no failure, every number
/// once and none skipped.
pub fn four_processes(test: &str, url: &str, study: &str) -> StorageState {
    let storage = open(url, study, None);
    storage.open_study(Direction::Lower).unwrap();
    let workers: Vec<_> = (0..4)
        .map(|_| spawn(test, url, study, 200, None, None))
        .collect();
    for mut w in workers {
        assert!(w.wait().unwrap().success(), "a worker failed");
    }
    let state = storage.state().unwrap();
    let count = |s: TrialState| state.finished.iter().filter(|t| t.state == s).count();
    let (complete, failed) = (count(TrialState::Complete), count(TrialState::Failed));
    eprintln!(
        "4 processes on {}: {} trials finished ({complete} complete, {failed} failed)",
        url.split('@').next_back().unwrap_or(url),
        state.finished.len()
    );
    assert!(complete >= 200 && failed == 0);
    assert!(state.running.is_empty() && state.orphaned.is_empty());
    let numbers: Vec<usize> = state.finished.iter().map(|t| t.number).collect();
    assert_eq!(
        numbers,
        (0..numbers.len()).collect::<Vec<_>>(),
        "numbers unique and gapless"
    );
    state
}

/// Four threads, each with its own connection, run a 100-trial study.
pub fn four_threads(url: &str, study: &str) {
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let mut st = Study::new(Direction::Lower)
                    .with_storage(open(url, study, None))
                    .unwrap();
                st.optimize_to(100, objective).unwrap();
            });
        }
    });
    let state = open(url, study, None).state().unwrap();
    let numbers: Vec<usize> = state.finished.iter().map(|t| t.number).collect();
    assert_eq!(numbers, (0..numbers.len()).collect::<Vec<_>>());
    assert!(
        state
            .finished
            .iter()
            .all(|t| t.state == TrialState::Complete)
    );
    assert!((100..104).contains(&numbers.len()), "{}", numbers.len());
}
