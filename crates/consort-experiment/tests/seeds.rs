//! The experiment's seed reaches every stochastic part of a run: each member's training
//! (forest bootstraps and feature draws, boosting's early-stopping split, network
//! initialisation and shuffles) and the folds of the out-of-fold scores; the same seed gives
//! the same bits. (Before, forest and boosting members kept their sub-table's seed, 0.)

use std::path::Path;

use consort_data::embedded;
use consort_experiment::{DataConfig, Experiment, ExperimentConfig};

/// Iris as CSV, the rows `keep` selects.
fn iris_csv(path: &Path, keep: impl Fn(usize) -> bool) {
    let iris = embedded::iris();
    let mut body = String::from("a,b,c,d,species\n");
    for i in (0..iris.len()).filter(|&i| keep(i)) {
        let r = iris.features().row(i);
        body.push_str(&format!(
            "{},{},{},{},{}\n",
            r[0],
            r[1],
            r[2],
            r[3],
            iris.labels()[i]
        ));
    }
    std::fs::write(path, body).unwrap();
}

/// Each member's test log-loss and out-of-fold log-loss, as bits, for one seed.
fn fingerprint(dir: &Path, seed: u64) -> Vec<(String, u64, u64)> {
    // A given test file: the split does not depend on the seed, only what the seed drives.
    let (train, test) = (dir.join("train.csv"), dir.join("test.csv"));
    iris_csv(&train, |i| i % 4 != 0);
    iris_csv(&test, |i| i % 4 == 0);
    let text = r#"
folds = 3
[data]
embedded = "iris"

[[model]]
name = "forest"
forest = { n_trees = 10, max_features = { fraction = 0.5 } }

[[model]]
name = "boosting"
boosting = { max_iter = 10, min_samples_leaf = 5, early_stopping = { validation_fraction = 0.2, n_iter_no_change = 3, tol = 1e-7 } }

[[model]]
name = "mlp"
mlp = { hidden = [8], epochs = 3 }

[[model]]
name = "logistic"
logistic = {}
"#;
    let mut cfg = ExperimentConfig::from_toml(text, "seeds").unwrap();
    let mut data = DataConfig::csv(&train);
    data.test = Some(test);
    cfg.data = data;
    cfg.seed = seed;
    cfg.out = Some(dir.join("runs"));
    let out = Experiment::new(cfg).unwrap().run().unwrap();
    out.report
        .results
        .iter()
        .map(|r| {
            let oof = out
                .selection
                .candidates
                .iter()
                .find(|c| c.name == r.name)
                .unwrap();
            (
                r.name.clone(),
                r.metrics.log_loss.to_bits(),
                oof.log_loss.to_bits(),
            )
        })
        .collect()
}

#[test]
fn the_seed_reaches_every_stochastic_member_and_the_folds() {
    let dir = tempfile::tempdir().unwrap();
    let first = fingerprint(dir.path(), 0);
    assert_eq!(
        first,
        fingerprint(dir.path(), 0),
        "the same seed, the same bits"
    );
    let other = fingerprint(dir.path(), 1);
    for ((name, test_a, oof_a), (_, test_b, oof_b)) in first.iter().zip(&other) {
        if name == "logistic" {
            // Deterministic on the same rows: only its folds move with the seed.
            assert_eq!(test_a, test_b, "logistic regression has nothing to seed");
        } else {
            assert_ne!(test_a, test_b, "{name}: --seed did not reach it");
        }
        assert_ne!(oof_a, oof_b, "{name}: the folds did not move with the seed");
    }
}
