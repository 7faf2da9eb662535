//! Adaptive learning: the same MLP on digits with a constant rate, step, exponential and
//! cosine-with-warm-up schedules, and reduce-on-plateau with early stopping.
//!
//! `cargo run --release -p consort-examples --example schedules`

use consort_core::Result;
use consort_data::{Dataset, StandardScaler, embedded, train_test_split};
use consort_eval::model_accuracy;
use consort_examples::{f4, print_table};
use consort_models::{Mlp, MlpSpec};
use consort_tune::{NetworkEstimator, ReduceOnPlateau, Schedule, TrainConfig, TrainingHook};

const BASE_LR: f64 = 3e-3;
const EPOCHS: usize = 30;

/// Trains the MLP (same initial weights every run; 20% of the training split validates)
/// with the hook `make` builds; returns a table row.
fn run(
    name: &str,
    train: &Dataset,
    test: &Dataset,
    make: impl Fn() -> Result<Option<Box<dyn TrainingHook<Mlp>>>> + Send + Sync + 'static,
    patience: Option<usize>,
) -> Result<Vec<String>> {
    let mut cfg = TrainConfig::new()
        .with_epochs(EPOCHS)
        .with_learning_rate(BASE_LR)
        .with_validation_fraction(0.2);
    cfg.patience = patience;
    let mut estimator = NetworkEstimator::new(MlpSpec::new(vec![128]), cfg);
    if make()?.is_some() {
        estimator = estimator.with_hook(move |_| Ok(make()?.expect("checked above")));
    }
    let (model, out) = estimator.fit_with_history(train)?;
    let test_acc = model_accuracy(&model, test.features(), test.labels())?;
    let last_lr = out.history.last().map_or(BASE_LR, |r| r.learning_rate);
    Ok(vec![
        name.to_string(),
        out.history.len().to_string(),
        out.best_epoch.to_string(),
        format!("{last_lr:.2e}"),
        f4(test_acc),
    ])
}

fn main() -> Result<()> {
    // Stage lines and progress bars on standard error (-q silences them).
    let _ = consort_examples::progress();
    consort_core::allocator::keep_freed_memory();
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0)?;
    let (train, test) = StandardScaler::standardize_split(&train, &test)?;

    let schedules = [
        (
            "step (every 10, x0.3)",
            Schedule::Step {
                step_size: 10,
                gamma: 0.3,
            },
        ),
        ("exponential (x0.9)", Schedule::Exponential { gamma: 0.9 }),
        (
            "cosine, 3 warm-up epochs",
            Schedule::CosineWithWarmup {
                warmup_epochs: 3,
                total_epochs: EPOCHS,
                min_lr: 1e-5,
            },
        ),
    ];
    let mut rows = vec![run("constant", &train, &test, || Ok(None), None)?];
    for (name, schedule) in schedules {
        let make = move || {
            Ok(Some(
                Box::new(schedule.hook(BASE_LR)?) as Box<dyn TrainingHook<Mlp>>
            ))
        };
        rows.push(run(name, &train, &test, make, None)?);
    }
    let plateau = || {
        let hook = ReduceOnPlateau::new(0.3, 2)
            .with_cooldown(1)
            .with_min_lr(1e-5);
        Ok(Some(Box::new(hook) as Box<dyn TrainingHook<Mlp>>))
    };
    rows.push(run(
        "plateau (x0.3, patience 2) + early stop (6)",
        &train,
        &test,
        plateau,
        Some(6),
    )?);
    print_table(
        &[
            "schedule",
            "epochs run",
            "best epoch",
            "last lr",
            "test accuracy",
        ],
        &rows,
    );
    Ok(())
}
