//! The SQLite storage (feature `sqlite`, which the `consort` CLI turns on, so the workspace's
//! tests run these): a killed worker's trial retried, a silent worker on another host found
//! by its heartbeat, four processes with zero "database is locked" failures, four threads,
//! several studies in one file.
#![cfg(feature = "sqlite")]

mod common;

use common::{fresh_dir, study_name, worker};
use consort_core::Direction;
use consort_hpo::{SqliteStorage, StorageOptions, Study, StudyStorage};

fn url(dir: &std::path::Path) -> String {
    format!("sqlite://{}", dir.join("study.db").display())
}

#[test]
fn sqlite_a_killed_worker_is_resumed() {
    if worker() {
        return;
    }
    let dir = fresh_dir("sqlite-kill");
    common::killed_worker_is_retried("sqlite_a_killed_worker_is_resumed", &url(&dir), "s");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sqlite_a_silent_remote_worker_is_found_by_its_heartbeat() {
    if worker() {
        return;
    }
    let dir = fresh_dir("sqlite-heartbeat");
    common::silent_remote_worker_is_retried(
        "sqlite_a_silent_remote_worker_is_found_by_its_heartbeat",
        &url(&dir),
        "s",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sqlite_four_processes_never_fail_on_a_locked_database() {
    if worker() {
        return;
    }
    let dir = fresh_dir("sqlite-workers");
    common::four_processes(
        "sqlite_four_processes_never_fail_on_a_locked_database",
        &url(&dir),
        "s",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sqlite_four_threads_share_one_file() {
    if worker() {
        return;
    }
    let dir = fresh_dir("sqlite-threads");
    common::four_threads(&url(&dir), "s");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_file_holds_several_studies_each_with_its_direction() {
    let dir = fresh_dir("sqlite-studies");
    let path = dir.join("studies.db");
    let o = StorageOptions::default();
    for (name, direction, n) in [("a", Direction::Lower, 3), ("b", Direction::Higher, 5)] {
        let storage = std::sync::Arc::new(SqliteStorage::open(&path, name, &o).unwrap());
        let mut s = Study::new(direction).with_storage(storage).unwrap();
        s.optimize(n, common::objective).unwrap();
    }
    let a = SqliteStorage::open(&path, "a", &o).unwrap();
    assert_eq!(a.state().unwrap().finished.len(), 3);
    let b = SqliteStorage::open(&path, "b", &o).unwrap();
    assert_eq!(b.state().unwrap().finished.len(), 5);
    // Reopening a study the other way round is refused, not silently flipped.
    let wrong = Study::new(Direction::Higher)
        .with_storage(std::sync::Arc::new(a))
        .unwrap_err();
    assert!(wrong.to_string().contains("minimize"), "{wrong}");
    let _ = study_name("unused");
    std::fs::remove_dir_all(&dir).unwrap();
}
