//! Continual learning on split digits (5 experiences of 2 classes, the usual 75/25 split, MLP
//! 64-256-256-10): naive fine-tuning forgets, replay with 200 stored rows barely does, joint
//! training is the upper bound; in the domain-incremental stream replay beats naive.

use consort_data::{Dataset, Scenario, StandardScaler, embedded, train_test_split};
use consort_models::MlpConfig;
use consort_tune::TrainConfig;
use consort_tune::continual::{ReplayConfig, Strategy, run_stream};

fn digits() -> (Dataset, Dataset) {
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    StandardScaler::standardize_split(&train, &test).unwrap()
}

fn mlp() -> MlpConfig {
    MlpConfig::new(0, vec![256, 256], 0)
}

fn cfg() -> TrainConfig {
    TrainConfig::new().with_epochs(10).with_seed(0)
}

#[test]
fn class_incremental_replay_forgets_far_less_than_naive_fine_tuning() {
    let (train, test) = digits();
    let scenario = Scenario::class_incremental(&train, &test, 5, 0).unwrap();
    let naive = run_stream(&mlp(), &cfg(), &scenario, &Strategy::Naive).unwrap();
    let replay = run_stream(
        &mlp(),
        &cfg(),
        &scenario,
        &Strategy::Replay(ReplayConfig::class_balanced(200)),
    )
    .unwrap();
    let joint = run_stream(&mlp(), &cfg(), &scenario, &Strategy::Joint).unwrap();
    for run in [&naive, &replay, &joint] {
        eprintln!(
            "{}: average accuracy {:.4}, forgetting {:.4}, BWT {:+.4}, FWT {:+.4}",
            run.strategy,
            run.matrix.average_accuracy(),
            run.matrix.forgetting(),
            run.matrix.backward_transfer(),
            run.forward_transfer()
        );
    }
    let (n, r, j) = (&naive.matrix, &replay.matrix, &joint.matrix);
    assert!(n.average_accuracy() <= 0.30, "{}", n.average_accuracy());
    assert!(n.forgetting() >= 0.8, "{}", n.forgetting());
    assert!(r.average_accuracy() >= 0.90, "{}", r.average_accuracy());
    assert!(r.forgetting() <= 0.10, "{}", r.forgetting());
    assert!(j.average_accuracy() >= 0.97, "{}", j.average_accuracy());
}

#[test]
fn domain_incremental_replay_beats_naive() {
    let (train, test) = digits();
    let scenario = Scenario::permuted(&train, &test, 4, 0).unwrap();
    let naive = run_stream(&mlp(), &cfg(), &scenario, &Strategy::Naive).unwrap();
    let replay = run_stream(
        &mlp(),
        &cfg(),
        &scenario,
        &Strategy::Replay(ReplayConfig::class_balanced(200)),
    )
    .unwrap();
    let (n, r) = (
        naive.matrix.average_accuracy(),
        replay.matrix.average_accuracy(),
    );
    eprintln!("permuted digits: naive {n:.4}, replay {r:.4}");
    assert!(r > n, "replay {r} vs naive {n}");
}
