//! Crash safety of a stored study: a worker process is killed (SIGKILL) in the middle of a
//! trial; resuming from the journal finishes the study with every completed trial kept
//! exactly once and the killed trial marked failed and retried with its parameters. Then
//! four worker processes share one journal without a lost or doubled trial.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use consort_core::{Direction, Result};
use consort_hpo::{Journal, Study, Trial, TrialState};

const CHILD: &str = "CONSORT_HPO_JOURNAL_CHILD";

fn objective(t: &mut Trial<'_>) -> Result<f64> {
    let x = t.suggest_float("x", -3.0, 3.0)?;
    let k = t.suggest_int("k", 1, 4, 1)?;
    if std::env::var("CONSORT_HPO_HANG_AT")
        .ok()
        .and_then(|v| v.parse().ok())
        == Some(t.number())
    {
        std::thread::sleep(Duration::from_secs(600));
    }
    Ok((x - 1.0).powi(2) + k as f64)
}

/// In a child process: run the study in the journal the environment names.
fn child() -> bool {
    let Ok(path) = std::env::var(CHILD) else {
        return false;
    };
    let n: usize = std::env::var("CONSORT_HPO_TRIALS")
        .unwrap()
        .parse()
        .unwrap();
    let mut study = Study::new(Direction::Lower).with_journal(&path).unwrap();
    study.optimize_to(n, objective).unwrap();
    true
}

fn spawn(test: &str, journal: &Path, trials: usize, hang_at: Option<usize>) -> std::process::Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, journal)
        .env("CONSORT_HPO_TRIALS", trials.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    if let Some(h) = hang_at {
        cmd.env("CONSORT_HPO_HANG_AT", h.to_string());
    }
    cmd.spawn().unwrap()
}

fn fresh_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("consort-hpo-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_killed_worker_is_resumed_without_losing_or_rerunning_a_trial() {
    if child() {
        return;
    }
    let dir = fresh_dir("kill");
    let path = dir.join("study.jsonl");
    let mut worker = spawn(
        "a_killed_worker_is_resumed_without_losing_or_rerunning_a_trial",
        &path,
        10,
        Some(3),
    );
    // Wait until trial 3 has its parameters and hangs, then kill the worker outright.
    let journal = Journal::new(&path);
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.contains(r#"{"param":{"number":3,"name":"k""#) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the worker never reached trial 3"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    worker.kill().unwrap();
    worker.wait().unwrap();
    let before = journal.state().unwrap();
    assert_eq!(before.finished.len(), 3);
    let killed_params = before.orphaned[0].params.clone();
    assert_eq!(before.orphaned[0].number, 3);

    let mut study = Study::new(Direction::Lower).with_journal(&path).unwrap();
    study.optimize_to(10, objective).unwrap();
    let trials = study.trials();
    let numbers: Vec<usize> = trials.iter().map(|t| t.number).collect();
    let mut unique = numbers.clone();
    unique.dedup();
    assert_eq!(numbers, unique, "no trial twice");
    let complete = trials
        .iter()
        .filter(|t| t.state == TrialState::Complete)
        .count();
    assert_eq!(complete, 10);
    let killed = trials.iter().find(|t| t.number == 3).unwrap();
    assert_eq!(killed.state, TrialState::Failed);
    assert!(killed.user_attrs["error"].contains("died"));
    let retry = trials
        .iter()
        .find(|t| t.user_attrs.get("retry_of").map(String::as_str) == Some("3"))
        .unwrap();
    assert_eq!(retry.params, killed_params);
    assert_eq!(retry.state, TrialState::Complete);
    for (old, new) in before.finished.iter().zip(trials) {
        assert_eq!(old, new, "completed trials kept exactly");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn four_workers_share_one_journal() {
    if child() {
        return;
    }
    let dir = fresh_dir("workers");
    let path = dir.join("study.jsonl");
    let workers: Vec<_> = (0..4)
        .map(|_| spawn("four_workers_share_one_journal", &path, 200, None))
        .collect();
    for mut w in workers {
        assert!(w.wait().unwrap().success());
    }
    let state = Journal::new(&path).state().unwrap();
    let complete = state
        .finished
        .iter()
        .filter(|t| t.state == TrialState::Complete)
        .count();
    let failed = state
        .finished
        .iter()
        .filter(|t| t.state == TrialState::Failed)
        .count();
    eprintln!(
        "4 workers: {} trials finished ({complete} complete, {failed} failed)",
        state.finished.len()
    );
    assert!(complete >= 200 && failed == 0);
    let numbers: Vec<usize> = state.finished.iter().map(|t| t.number).collect();
    assert_eq!(
        numbers,
        (0..numbers.len()).collect::<Vec<_>>(),
        "numbers unique and gapless"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn four_threads_share_one_journal() {
    if child() {
        return;
    }
    let dir = fresh_dir("threads");
    let path = dir.join("study.jsonl");
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let mut study = Study::new(Direction::Lower).with_journal(&path).unwrap();
                study.optimize_to(100, objective).unwrap();
            });
        }
    });
    let state = Journal::new(&path).state().unwrap();
    let numbers: Vec<usize> = state.finished.iter().map(|t| t.number).collect();
    assert_eq!(numbers, (0..numbers.len()).collect::<Vec<_>>());
    assert!(
        state
            .finished
            .iter()
            .all(|t| t.state == TrialState::Complete)
    );
    assert!((100..104).contains(&numbers.len()), "{}", numbers.len());
    std::fs::remove_dir_all(&dir).unwrap();
}
