//! Experiment files: the shipped main job, typed errors with key and line, round trips, and
//! no panic on any bytes.

use consort_experiment::{
    CombinerKind, ExperimentConfig, MAIN_JOB_TOML, MemberSet, ModelKind, Role,
};

fn err(text: &str) -> String {
    ExperimentConfig::from_toml(text, "exp.toml")
        .unwrap_err()
        .to_string()
}

const SMALL: &str = r#"
seed = 3
[data]
embedded = "iris"

[[model]]
name = "lr"
role = "cheap"
logistic = { c = 0.5 }

[[model]]
name = "forest"
forest = { n_trees = 20, max_features = { fraction = 0.5 } }

[[combiner]]
kind = "soft-vote"
"#;

#[test]
fn the_main_job_is_the_shipped_file() {
    let cfg = ExperimentConfig::main_job();
    assert_eq!(cfg.seed, 0);
    assert_eq!(cfg.folds.get(), 5);
    assert_eq!(cfg.data.embedded.as_deref(), Some("digits"));
    let names: Vec<&str> = cfg.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "mlp 256-256",
            "cnn",
            "logistic regression",
            "decision tree",
            "gaussian nb",
            "knn (k=5)"
        ]
    );
    assert_eq!(cfg.models[2].role, Role::Cheap);
    assert!(cfg.models[2].standardize && !cfg.models[3].standardize);
    let combiners: Vec<String> = cfg.combiners.iter().map(|c| c.display_name()).collect();
    assert_eq!(
        combiners,
        [
            "soft vote (all)",
            "hard vote (all)",
            "average (networks)",
            "weighted average (all)",
            "stacking (all, logistic meta)",
            "cascade (all)"
        ]
    );
    assert!(MAIN_JOB_TOML.contains("[[combiner]]"));
}

#[test]
fn a_file_round_trips_through_toml() {
    let cfg = ExperimentConfig::from_toml(SMALL, "small.toml").unwrap();
    match &cfg.models[1].kind {
        ModelKind::Forest(f) => assert_eq!(f.n_trees, 20),
        other => panic!("{other:?}"),
    }
    assert_eq!(cfg.combiners[0].kind, CombinerKind::SoftVote);
    assert_eq!(cfg.combiners[0].members, MemberSet::All);
    let again = ExperimentConfig::from_toml(&cfg.to_toml().unwrap(), "again.toml").unwrap();
    assert_eq!(again, cfg);
    let main = ExperimentConfig::main_job();
    assert_eq!(
        ExperimentConfig::from_toml(&main.to_toml().unwrap(), "m").unwrap(),
        main
    );
}

#[test]
fn unknown_keys_and_bad_values_name_the_key_and_line() {
    // Line 3: a typo at the top level.
    let e = err("seed = 1\n[data]\nembeded = \"iris\"\n");
    assert!(e.contains("exp.toml:3") && e.contains("embeded"), "{e}");
    // A typo inside a model's hyperparameters, on its own line.
    let e = err(&SMALL.replace("n_trees = 20", "n_tree = 20"));
    assert!(e.contains("n_tree") && e.contains("exp.toml:13"), "{e}");
    // A bad value.
    let e = err(&SMALL.replace("seed = 3", "seed = 3\nfolds = 1"));
    assert!(
        e.contains("exp.toml:3") && e.contains("at least 2 folds"),
        "{e}"
    );
    let e = err(&SMALL.replace("c = 0.5", "c = -1.0"));
    assert!(e.contains("exp.toml:") && e.contains("\"lr\""), "{e}");
    let e = err(&SMALL.replace("\"soft-vote\"", "\"softvote\""));
    assert!(e.contains("softvote") && e.contains("exp.toml:16"), "{e}");
    // No model, two models, a combiner naming a stranger, two data sources.
    assert!(err(&SMALL.replace("logistic = { c = 0.5 }", "")).contains("names no model"));
    assert!(
        err(&SMALL.replace("logistic = { c = 0.5 }", "logistic = {}\nknn = {}"))
            .contains("names 2 models")
    );
    // Problems across keys name the line too.
    let e = err(&format!("{SMALL}members = [\"lr\", \"svm\"]\n"));
    assert!(
        e.contains("exp.toml:17:") && e.contains("\"svm\"") && e.contains("lr, forest"),
        "{e}"
    );
    let two = SMALL.replace(
        "embedded = \"iris\"",
        "embedded = \"iris\"\ncsv = \"a.csv\"",
    );
    let e = err(&two);
    assert!(
        e.contains("exp.toml:3:") && e.contains("exactly one of"),
        "{e}"
    );
    let e = err(&SMALL.replace("name = \"forest\"", "name = \"lr\""));
    assert!(e.contains("exp.toml:12:") && e.contains("unique"), "{e}");
    assert!(err("[data]\nembedded = \"iris\"\n").contains("at least one [[model]]"));
}

mod fuzz {
    //! Property tests: truncations, token insertions and random bytes never panic the
    //! experiment-file reader, and a file it accepts validates again after a TOML round trip.
    //! 12,000 cases in all.

    use consort_experiment::{ExperimentConfig, MAIN_JOB_TOML};
    use proptest::prelude::*;

    const TOKENS: [&str; 16] = [
        "=",
        "[",
        "]",
        "\"",
        "{",
        "}",
        "-1",
        "0",
        "1e400",
        "nan",
        "\n",
        "[[model]]",
        "[[combiner]]",
        "x",
        "k = 0",
        "epochs = 99999999999",
    ];

    fn exercise(text: &str) {
        if let Ok(cfg) = ExperimentConfig::from_toml(text, "fuzz.toml") {
            let again = cfg.to_toml().expect("an accepted file serialises");
            ExperimentConfig::from_toml(&again, "again.toml").expect("and reads back");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 4000,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn truncations(cut in 0usize..10_000) {
            let base = MAIN_JOB_TOML.as_bytes();
            exercise(&String::from_utf8_lossy(&base[..cut % (base.len() + 1)]));
        }

        #[test]
        fn token_insertions(
            edits in proptest::collection::vec((0usize..10_000, 0usize..TOKENS.len()), 1..6),
        ) {
            let mut s = MAIN_JOB_TOML.to_string();
            for (at, t) in edits {
                let mut at = at % s.len();
                while !s.is_char_boundary(at) {
                    at -= 1;
                }
                s.insert_str(at, TOKENS[t]);
            }
            exercise(&s);
        }

        #[test]
        fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            exercise(&String::from_utf8_lossy(&bytes));
        }
    }
}
