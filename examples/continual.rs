//! Continual learning on split digits: the strategy table for each scenario (5 experiences
//! of 2 classes for class- and task-incremental, 4 pixel permutations for domain-incremental;
//! the usual 75/25 split, MLP 64-256-256-10, 10 epochs per experience), and the accuracy
//! matrix of replay in the class-incremental stream; then incremental rounds to a target (an
//! MLP fed 100-row chunks until its held-out accuracy reaches 0.90).
//!
//! `cargo run --release -p consort-examples --example continual`

use consort_core::ParamGuard;
use consort_data::{Dataset, Scenario, StandardScaler, embedded, train_test_split};
use consort_models::MlpSpec;
use consort_tune::continual::{
    EwcConfig, IncrementalNetwork, LwfConfig, ReplayConfig, RoundsConfig, Strategy, chunked_stream,
    holdout_accuracy, rounds_to_target, run_stream, strategy_table,
};
use consort_tune::{NetworkEstimator, TrainConfig};

fn main() -> consort_core::Result<()> {
    consort_core::allocator::keep_freed_memory();
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0)?;
    let (train, test) = StandardScaler::standardize_split(&train, &test)?;
    let mlp = MlpSpec::new(vec![256, 256]);
    let cfg = TrainConfig::new().with_epochs(10).with_seed(0);
    let mut network = NetworkEstimator::new(mlp.clone(), cfg.clone());
    network.backend = Some(consort_examples::backend()?);
    let ewc = |lambda| {
        Strategy::naive().with_ewc(EwcConfig {
            lambda,
            ..Default::default()
        })
    };
    let scenarios = [
        (
            "class-incremental",
            Scenario::class_incremental(&train, &test, 5, 0)?,
            10_000.0,
        ),
        (
            "task-incremental",
            Scenario::task_incremental(&train, &test, 5, 0)?,
            100.0,
        ),
        (
            "domain-incremental (permuted pixels)",
            Scenario::permuted(&train, &test, 4, 0)?,
            1000.0,
        ),
    ];
    for (name, scenario, lambda) in scenarios {
        let strategies = [
            Strategy::naive(),
            Strategy::naive().with_replay(ReplayConfig::class_balanced(200)),
            Strategy::naive().with_replay(ReplayConfig::reservoir(200)),
            Strategy::naive().with_lwf(LwfConfig::default()),
            ewc(lambda),
            Strategy::naive()
                .with_replay(ReplayConfig::class_balanced(200))
                .with_lwf(LwfConfig::default()),
            Strategy::joint(),
        ];
        let runs = strategies
            .iter()
            .map(|s| run_stream(&network, &scenario, s))
            .collect::<consort_core::Result<Vec<_>>>()?;
        println!("\n## {name}\n\n{}", strategy_table(&runs));
        if name == "class-incremental" {
            let names: Vec<String> = scenario
                .experiences
                .iter()
                .map(|e| format!("{:?}", e.classes))
                .collect();
            println!(
                "Accuracy matrix of {} (rows: after training on; columns: tested on)\n\n{}",
                runs[1].strategy,
                runs[1].matrix.to_markdown(&names)
            );
        }
    }
    rounds_table(&train, &test, &mlp, &cfg)
}

/// Incremental rounds to a target: 100-row chunks of 80% of the training rows until the
/// accuracy on the other 20% reaches 0.90 (at most 20 rounds), for chunk orders 0-2.
fn rounds_table(
    train: &Dataset,
    test: &Dataset,
    mlp: &MlpSpec,
    cfg: &TrainConfig,
) -> consort_core::Result<()> {
    let (stream_rows, holdout) = train_test_split(train, 0.2, 0)?;
    let target = RoundsConfig::accuracy(0.90, 20).checked()?;
    println!(
        "\n## Rounds to a target (held-out accuracy 0.90, 100-row chunks)\n\n\
         | chunk order | rounds | rows used | held-out after each round | test accuracy |\n\
         |---:|---:|---:|---|---:|"
    );
    for seed in 0..3 {
        let chunks = chunked_stream(&stream_rows, 100, seed)?;
        let mut net = IncrementalNetwork::new(
            NetworkEstimator::new(mlp.clone(), cfg.clone()),
            train.n_features(),
            train.n_classes(),
        )?;
        let report = rounds_to_target(
            &mut net,
            chunks.into_iter().map(Ok),
            &holdout,
            &target,
            holdout_accuracy,
            &consort_examples::progress(),
        )?;
        let scores: Vec<String> = report
            .rounds
            .iter()
            .map(|r| format!("{:.4}", r.score))
            .collect();
        println!(
            "| {seed} | {} | {} of {} | {} | {:.4} |",
            report.rounds.len(),
            report.rows_used(),
            stream_rows.len(),
            scores.join(", "),
            holdout_accuracy(&net, test)?
        );
    }
    Ok(())
}
