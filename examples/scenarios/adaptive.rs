//! Adaptive strategy switching on digits, shared by the `adaptive` example and its test. A CNN
//! pretrained on digits 0-4 moves to digits 5-9 in three scenarios where different fixed
//! strategies win: few labels (16 images per class), many labels (every training image) and
//! a shifted domain (every training image, intensities inverted). Each fixed strategy (head
//! only, upper layers, full fine-tuning) and the adaptive controller get the same epochs, rate
//! and validation rows (a quarter of the target's training rows, for best-epoch restoration
//! and the controller's trends).

use consort_core::seed::seeded;
use consort_core::{EpochRecord, Matrix, Result};
use consort_data::{
    Dataset, ImageShape, StandardScaler, embedded, shifted_copies, train_test_split,
};
use consort_eval::{LineChart, model_accuracy};
use consort_models::{Cnn, CnnConfig, HasHead};
use consort_tune::{
    AdaptiveConfig, AdaptiveController, HookFactory, NetworkEstimator, Stage, Switch, TrainConfig,
};

/// One scenario's results (test accuracy).
#[derive(Debug, Clone)]
pub struct ScenarioOutcome {
    /// The scenario's name.
    pub name: String,
    /// Labelled target rows (before the validation quarter is held out).
    pub rows: usize,
    /// Each fixed strategy: (name, test accuracy, best validation loss).
    pub fixed: Vec<(String, f64, f64)>,
    /// The adaptive controller's test accuracy.
    pub adaptive: f64,
    /// Its best validation loss.
    pub adaptive_valid_loss: f64,
    /// Its epochs (validation loss and accuracy per epoch).
    pub adaptive_history: Vec<EpochRecord>,
    /// The controller's switches.
    pub switches: Vec<Switch>,
}

impl ScenarioOutcome {
    /// The best fixed strategy's accuracy.
    pub fn best_fixed(&self) -> f64 {
        self.fixed.iter().map(|f| f.1).fold(0.0, f64::max)
    }
}

fn invert(data: &Dataset) -> Result<Dataset> {
    let x = data.features();
    let inverted: Vec<f32> = x.as_slice().iter().map(|v| 16.0 - v).collect();
    Dataset::new(
        Matrix::new(x.rows(), x.cols(), inverted)?,
        data.labels().to_vec(),
        data.n_classes(),
    )
}

/// The controller's ladder for the CNN: head → dense layer and head → everything, opened by
/// an 8-epoch probe of each (4-epoch probes misjudged the few-labels scenario: full
/// fine-tuning learns faster early and overfits later).
pub fn cnn_ladder() -> AdaptiveConfig {
    AdaptiveConfig::ladder(&["dense"]).with_probe(8)
}

const EPOCHS: usize = 60;

/// Test accuracy, the best validation loss and the epochs of a fine-tuning run.
fn fine_tune(
    start: Cnn,
    target: &Dataset,
    test: &Dataset,
    hook: Option<AdaptiveController>,
    seed: u64,
) -> Result<(f64, f64, Vec<EpochRecord>)> {
    let config = TrainConfig::new()
        .with_epochs(EPOCHS)
        .with_learning_rate(2e-3)
        .with_validation_fraction(0.25)
        .with_seed(seed);
    let mut estimator = NetworkEstimator::new(CnnConfig::new(), config).with_start(start);
    if let Some(controller) = hook {
        estimator = estimator.with_hook_factory(HookFactory::cloned(controller));
    }
    let (model, outcome) = estimator.fit_with_history(target)?;
    let best_loss = outcome
        .history
        .iter()
        .filter_map(|r| r.valid_loss)
        .fold(f64::INFINITY, f64::min);
    Ok((
        model_accuracy(&model, test.features(), test.labels())?,
        best_loss,
        outcome.history,
    ))
}

/// Runs the three scenarios; `seed` draws the split, the labelled images, the new head and
/// the batches.
pub fn adaptive_on_digits(seed: u64) -> Result<Vec<ScenarioOutcome>> {
    log::info!("seed {seed}: pretraining the CNN on digits 0-4");
    let (train, test) = train_test_split(&embedded::digits(), 0.25, seed)?;
    let scaler = StandardScaler::fit(train.features())?;
    let source = scaler.transform_dataset(&shifted_copies(
        &train.with_classes(0..5, None, 0)?,
        ImageShape::grey(8, 8),
        1,
        0.0,
    )?)?;
    let pretrained = NetworkEstimator::new(
        CnnConfig::new(),
        TrainConfig::new().with_epochs(15).with_seed(seed),
    )
    .fit_with_history(&source)?
    .1
    .model;
    let device = crate::backend()?.device()?.autodiff();
    let target_test = test.with_classes(5..10, None, 0)?;
    let all_target = train.with_classes(5..10, None, 0)?;
    let scenarios = [
        (
            "few labels",
            train.with_classes(5..10, Some(16), seed)?,
            target_test.clone(),
        ),
        ("many labels", all_target.clone(), target_test.clone()),
        (
            "shifted domain (inverted)",
            invert(&all_target)?,
            invert(&target_test)?,
        ),
    ];
    let fixed = [
        Stage::head_only(),
        Stage::layers("upper layers", &["dense", consort_models::HEAD_PATH], 1.0),
        Stage::full(1.0),
    ];
    let mut outcomes = Vec::new();
    for (name, target, test) in scenarios {
        log::info!("seed {seed}, {name}: the fixed strategies, then the controller");
        let (target, test) = (
            scaler.transform_dataset(&target)?,
            scaler.transform_dataset(&test)?,
        );
        let start = || {
            seeded(&device, seed + 2, || {
                pretrained.clone().with_new_head(5, &device)
            })
        };
        let fixed = fixed
            .iter()
            .map(|stage| {
                let (acc, loss, _) = fine_tune(stage.apply(start()), &target, &test, None, seed)?;
                Ok((stage.name.clone(), acc, loss))
            })
            .collect::<Result<Vec<_>>>()?;
        let controller = AdaptiveController::new(cnn_ladder())?;
        let (adaptive, adaptive_valid_loss, adaptive_history) =
            fine_tune(start(), &target, &test, Some(controller.clone()), seed)?;
        outcomes.push(ScenarioOutcome {
            name: name.to_string(),
            rows: target.len(),
            fixed,
            adaptive,
            adaptive_valid_loss,
            adaptive_history,
            switches: controller.switches(),
        });
    }
    Ok(outcomes)
}

/// The scenarios over several seeds, averaged per scenario.
#[derive(Debug, Clone)]
pub struct AdaptiveSummary {
    /// Every seed's outcomes.
    pub runs: Vec<(u64, Vec<ScenarioOutcome>)>,
    /// Per scenario, the means over seeds.
    pub means: Vec<ScenarioMean>,
}

/// One scenario's test accuracies averaged over seeds.
#[derive(Debug, Clone)]
pub struct ScenarioMean {
    /// The scenario.
    pub name: String,
    /// Each fixed strategy: (name, mean).
    pub fixed: Vec<(String, f64)>,
    /// The controller's mean.
    pub adaptive: f64,
}

impl AdaptiveSummary {
    /// Mean over scenarios of the controller's per-scenario means.
    pub fn adaptive_average(&self) -> f64 {
        self.means.iter().map(|m| m.adaptive).sum::<f64>() / self.means.len() as f64
    }

    /// Mean over scenarios of fixed strategy `k`'s per-scenario means.
    pub fn fixed_average(&self, k: usize) -> f64 {
        self.means.iter().map(|m| m.fixed[k].1).sum::<f64>() / self.means.len() as f64
    }
}

/// Runs [`adaptive_on_digits`] for each seed and averages.
pub fn adaptive_over_seeds(seeds: &[u64]) -> Result<AdaptiveSummary> {
    let runs = seeds
        .iter()
        .map(|&seed| Ok((seed, adaptive_on_digits(seed)?)))
        .collect::<Result<Vec<_>>>()?;
    let n = runs.len() as f64;
    let first = &runs[0].1;
    let means = (0..first.len())
        .map(|i| {
            let fixed = (0..first[i].fixed.len())
                .map(|k| {
                    let mean = runs.iter().map(|r| r.1[i].fixed[k].1).sum::<f64>() / n;
                    (first[i].fixed[k].0.clone(), mean)
                })
                .collect();
            let adaptive = runs.iter().map(|r| r.1[i].adaptive).sum::<f64>() / n;
            ScenarioMean {
                name: first[i].name.clone(),
                fixed,
                adaptive,
            }
        })
        .collect();
    Ok(AdaptiveSummary { runs, means })
}

/// The controller's run as a figure: validation loss and accuracy per epoch, a marker at each
/// switch (it takes effect from the next epoch).
pub fn switch_chart(o: &ScenarioOutcome) -> LineChart {
    let points = |f: fn(&EpochRecord) -> Option<f64>| -> Vec<(f64, f64)> {
        o.adaptive_history
            .iter()
            .filter_map(|r| f(r).map(|v| (r.epoch as f64, v)))
            .collect()
    };
    let mut chart = LineChart::new(
        format!("Adaptive controller: {}", o.name),
        "epoch",
        "validation",
    )
    .with_series("validation loss", points(|r| r.valid_loss))
    .with_series("validation accuracy", points(|r| r.valid_score));
    for s in &o.switches {
        let label = match s.trend {
            consort_tune::Trend::Steady => format!("probed: {}", s.stage),
            consort_tune::Trend::Plateau => format!("plateau: {}", s.stage),
            consort_tune::Trend::Overfitting => "overfitting: L2-SP up".to_string(),
            consort_tune::Trend::Degrading => "degrading: rate down".to_string(),
            consort_tune::Trend::Improving => s.stage.clone(),
        };
        chart = chart.with_marker(s.epoch as f64 + 0.5, label);
    }
    chart
}
