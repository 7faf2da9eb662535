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

#[test]
fn a_torn_last_record_is_dropped_at_every_byte_offset() {
    if worker() {
        return;
    }
    use consort_core::Direction;
    use consort_hpo::{Study, TrialState};
    let dir = fresh_dir("journal-torn");
    let path = dir.join("study.jsonl");
    // Written by another process, as a resumed study's journal is (a trial started by this
    // one would count as still running).
    let status = common::spawn(
        "a_torn_last_record_is_dropped_at_every_byte_offset",
        &path.display().to_string(),
        "s",
        3,
        None,
        None,
    )
    .wait()
    .unwrap();
    assert!(status.success());
    let whole = std::fs::read(&path).unwrap();
    // The last record: the third trial's `finish` line.
    let last_start = whole[..whole.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let torn_path = dir.join("torn.jsonl");
    // Cut after every byte of the last record (a full disk, a kill mid-write), including the
    // whole record without its line break: the study resumes to 4 trials, and again to 5
    // (the failure before was on the resume after the first one, every time).
    for cut in last_start..whole.len() {
        std::fs::write(&torn_path, &whole[..cut]).unwrap();
        for n in [4, 5] {
            let mut resumed = Study::new(Direction::Lower)
                .with_journal(&torn_path)
                .unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
            resumed
                .optimize_to(n, common::objective)
                .unwrap_or_else(|e| panic!("cut at {cut}, resuming to {n}: {e}"));
            let complete = resumed
                .trials()
                .iter()
                .filter(|t| t.state == TrialState::Complete)
                .count();
            assert_eq!(complete, n, "cut at {cut}");
        }
        // The first two trials are never lost; the third is kept exactly when its record
        // was whole (all but the line break).
        let text = std::fs::read_to_string(&torn_path).unwrap();
        assert!(text.ends_with('\n'), "cut at {cut}");
        let again = Study::new(Direction::Lower)
            .with_journal(&torn_path)
            .unwrap();
        let numbers: Vec<usize> = again.trials().iter().map(|t| t.number).collect();
        assert!(numbers.starts_with(&[0, 1]), "cut at {cut}: {numbers:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

mod garbled {
    //! Whatever a journal's bytes, reading it gives its state or a typed error, and a study
    //! on it either goes on or says why: never a panic.
    use std::sync::OnceLock;

    use consort_core::Direction;
    use consort_hpo::{Journal, Study, StudyStorage};
    use proptest::prelude::*;

    /// A valid journal of two trials, written once per test process.
    fn valid() -> &'static [u8] {
        static VALID: OnceLock<Vec<u8>> = OnceLock::new();
        VALID.get_or_init(|| {
            let dir = tempfile_dir("journal-valid");
            let path = dir.join("study.jsonl");
            let mut s = Study::new(Direction::Lower).with_journal(&path).unwrap();
            s.optimize(2, super::common::objective).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            let _ = std::fs::remove_dir_all(&dir);
            bytes
        })
    }

    fn tempfile_dir(name: &str) -> std::path::PathBuf {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        super::common::fresh_dir(&format!("{name}-{}", N.fetch_add(1, Ordering::Relaxed)))
    }

    fn exercise(bytes: &[u8]) {
        let dir = tempfile_dir("journal-garbled");
        let path = dir.join("study.jsonl");
        std::fs::write(&path, bytes).unwrap();
        let journal = Journal::new(&path);
        if let Ok(state) = journal.state() {
            assert!(state.next_number >= state.finished.len());
            // Readable: a study goes on from it (or says why it cannot).
            if let Ok(mut s) = Study::new(Direction::Lower).with_journal(&path) {
                let _ = s.optimize(1, super::common::objective);
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 300,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            exercise(&bytes);
        }

        #[test]
        fn truncations(cut in 0usize..4000) {
            let v = valid();
            exercise(&v[..cut.min(v.len())]);
        }

        #[test]
        fn byte_edits(edits in proptest::collection::vec((0usize..4000, any::<u8>()), 1..4)) {
            let mut v = valid().to_vec();
            for (at, b) in edits {
                let n = v.len();
                v[at % n] = b;
            }
            exercise(&v);
        }
    }
}
