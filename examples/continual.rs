//! Continual learning on split digits: the strategy table for each scenario (5 experiences
//! of 2 classes for class- and task-incremental, 4 pixel permutations for domain-incremental;
//! the usual 75/25 split, MLP 64-256-256-10, 10 epochs per experience), and the accuracy
//! matrix of replay in the class-incremental stream.
//!
//! `cargo run --release -p consort-examples --example continual`

use consort_core::ObserverHandle;
use consort_data::{Scenario, StandardScaler, embedded, train_test_split};
use consort_models::MlpSpec;
use consort_tune::TrainConfig;
use consort_tune::continual::{
    EwcConfig, LwfConfig, ReplayConfig, Strategy, run_stream, strategy_table,
};

fn main() -> consort_core::Result<()> {
    consort_core::allocator::keep_freed_memory();
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0)?;
    let (train, test) = StandardScaler::standardize_split(&train, &test)?;
    let mlp = MlpSpec::new(vec![256, 256]);
    let cfg = TrainConfig::new().with_epochs(10).with_seed(0);
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
            .map(|s| run_stream(&mlp, &cfg, &scenario, s, &ObserverHandle::none()))
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
    Ok(())
}
