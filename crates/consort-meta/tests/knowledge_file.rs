//! Whatever a knowledge-base file's bytes, loading it gives a knowledge base or a typed
//! error naming the file (never a panic), and recording into a readable one keeps every
//! entry it had.

use consort_meta::selection::KnowledgeBase;
use proptest::prelude::*;

/// The built-in knowledge base's first three entries, as a file would hold them.
fn valid() -> String {
    let mut kb = KnowledgeBase::builtin().unwrap();
    kb.entries.truncate(3);
    serde_json::to_string_pretty(&kb).unwrap()
}

fn exercise(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kb.json");
    std::fs::write(&path, bytes).unwrap();
    match KnowledgeBase::load(&path) {
        Ok(kb) => {
            let before = kb.entries.len();
            let mut entry = KnowledgeBase::builtin().unwrap().entries.remove(0);
            entry.dataset = "fresh".into();
            if let Some(first) = kb.entries.first() {
                entry.meta.names = first.meta.names.clone();
                entry.meta.values = vec![7e6; first.meta.names.len()];
            }
            if KnowledgeBase::record_in(&path, entry).is_ok() {
                let after = KnowledgeBase::load(&path).unwrap();
                assert!(after.entries.len() >= before.max(1));
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 400,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        exercise(&bytes);
    }

    #[test]
    fn truncations(cut in 0usize..20_000) {
        let v = valid();
        exercise(&v.as_bytes()[..cut.min(v.len())]);
    }

    #[test]
    fn byte_edits(edits in proptest::collection::vec((0usize..20_000, any::<u8>()), 1..4)) {
        let mut v = valid().into_bytes();
        for (at, b) in edits {
            let n = v.len();
            v[at % n] = b;
        }
        exercise(&v);
    }
}
