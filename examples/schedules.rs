//! Adaptive learning: the same MLP on digits with a constant rate, step, exponential and
//! cosine-with-warm-up schedules, and reduce-on-plateau with early stopping.
//!
//! `cargo run --release -p consort-examples --example schedules`

use burn::tensor::Device;
use consort_core::seed::{derive_seed, seeded};
use consort_core::{BackendKind, Result, burn};
use consort_data::{Dataset, StandardScaler, embedded, train_test_split};
use consort_examples::{f4, print_table};
use consort_models::{Mlp, MlpConfig, NetworkSpec};
use consort_tune::{ReduceOnPlateau, Schedule, TrainConfig, Trainer, TrainingHook, evaluate};

const BASE_LR: f64 = 3e-3;
const EPOCHS: usize = 30;

struct Data {
    fit: Dataset,
    valid: Dataset,
    test: Dataset,
}

/// Trains the MLP from the same initial weights with `hooks`; returns a table row.
fn run(
    name: &str,
    data: &Data,
    device: &Device,
    hooks: &mut [&mut dyn TrainingHook<Mlp>],
    patience: Option<usize>,
) -> Result<Vec<String>> {
    let model = seeded(device, derive_seed(0, "init"), || {
        MlpConfig::new(0, vec![128], 0).build(64, 10, device)
    })?;
    let mut cfg = TrainConfig::new()
        .with_epochs(EPOCHS)
        .with_learning_rate(BASE_LR);
    cfg.patience = patience;
    let out = Trainer::new(cfg).with_label(name).fit(
        model,
        device,
        &data.fit,
        Some(&data.valid),
        hooks,
    )?;
    let (_, test_acc) = evaluate(&out.model, device, &data.test)?;
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
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0)?;
    let (train, test) = StandardScaler::standardize_split(&train, &test)?;
    let (fit, valid) = train_test_split(&train, 0.2, 1)?;
    let data = Data { fit, valid, test };
    let device = BackendKind::default_kind()?.device()?.autodiff();

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
    let mut rows = vec![run("constant", &data, &device, &mut [], None)?];
    for (name, schedule) in schedules {
        let mut hook = schedule.hook(BASE_LR)?;
        rows.push(run(name, &data, &device, &mut [&mut hook], None)?);
    }
    let mut plateau = ReduceOnPlateau::new(0.3, 2)
        .with_cooldown(1)
        .with_min_lr(1e-5);
    rows.push(run(
        "plateau (x0.3, patience 2) + early stop (6)",
        &data,
        &device,
        &mut [&mut plateau],
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
