//! Experiment files: the shipped main job, typed errors with key and line, round trips, and
//! no panic on any bytes.

use consort_experiment::{
    CombinerKind, ExperimentConfig, MAIN_JOB_TOML, MemberSet, ModelKind, Role,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

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

#[test]
fn fuzzed_experiment_files_never_panic() {
    let mut rng = StdRng::seed_from_u64(7);
    let base = MAIN_JOB_TOML.as_bytes();
    let tokens = [
        "=",
        "[",
        "]",
        "\"",
        "{",
        "}",
        "-1",
        "1e400",
        "nan",
        "\n",
        "[[model]]",
        "x",
    ];
    for case in 0..600 {
        let text = match case % 3 {
            // Random truncation.
            0 => String::from_utf8_lossy(&base[..rng.random_range(0..base.len())]).into_owned(),
            // Random token edits.
            1 => {
                let mut s = MAIN_JOB_TOML.to_string();
                for _ in 0..rng.random_range(1..6) {
                    let mut at = rng.random_range(0..s.len());
                    while !s.is_char_boundary(at) {
                        at -= 1;
                    }
                    s.insert_str(at, tokens[rng.random_range(0..tokens.len())]);
                }
                s
            }
            // Random bytes.
            _ => {
                let bytes: Vec<u8> = (0..rng.random_range(0..300))
                    .map(|_| rng.random())
                    .collect();
                String::from_utf8_lossy(&bytes).into_owned()
            }
        };
        let outcome = std::panic::catch_unwind(|| ExperimentConfig::from_toml(&text, "fuzz.toml"));
        assert!(outcome.is_ok(), "panicked on case {case}:\n{text}");
    }
}
