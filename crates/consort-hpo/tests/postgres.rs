//! The PostgreSQL storage against a real server (feature `postgres`). The server's URL comes
//! from `CONSORT_TEST_POSTGRES_URL` (default `postgresql://postgres@127.0.0.1:5432/postgres`);
//! `.ci/run` installs PostgreSQL from the OS packages, starts it on loopback and runs these.
//! A test that cannot reach the server fails: it does not skip.
#![cfg(feature = "postgres")]

mod common;

use common::{study_name, worker};

fn url() -> String {
    std::env::var("CONSORT_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/postgres".into())
}

#[test]
fn postgres_a_killed_worker_is_resumed() {
    if worker() {
        return;
    }
    let test = "postgres_a_killed_worker_is_resumed";
    common::killed_worker_is_retried(test, &url(), &study_name(test));
}

#[test]
fn postgres_a_silent_remote_worker_is_found_by_its_heartbeat() {
    if worker() {
        return;
    }
    let test = "postgres_a_silent_remote_worker_is_found_by_its_heartbeat";
    common::silent_remote_worker_is_retried(test, &url(), &study_name(test));
}

#[test]
fn postgres_four_processes_share_one_study() {
    if worker() {
        return;
    }
    let test = "postgres_four_processes_share_one_study";
    common::four_processes(test, &url(), &study_name(test));
}

#[test]
fn postgres_four_threads_share_one_study() {
    if worker() {
        return;
    }
    common::four_threads(&url(), &study_name("postgres_four_threads"));
}
