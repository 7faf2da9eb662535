//! The journal file storage: a killed worker's trial retried, four processes and four
//! threads sharing one file (the checks in `common`).

mod common;

use common::{fresh_dir, worker};

#[test]
fn a_killed_worker_is_resumed_without_losing_or_rerunning_a_trial() {
    if worker() {
        return;
    }
    let dir = fresh_dir("journal-kill");
    let url = dir.join("study.jsonl").display().to_string();
    common::killed_worker_is_retried(
        "a_killed_worker_is_resumed_without_losing_or_rerunning_a_trial",
        &url,
        "s",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn four_workers_share_one_journal() {
    if worker() {
        return;
    }
    let dir = fresh_dir("journal-workers");
    let url = dir.join("study.jsonl").display().to_string();
    common::four_processes("four_workers_share_one_journal", &url, "s");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn four_threads_share_one_journal() {
    if worker() {
        return;
    }
    let dir = fresh_dir("journal-threads");
    common::four_threads(&dir.join("study.jsonl").display().to_string(), "s");
    std::fs::remove_dir_all(&dir).unwrap();
}
