//! Weight-space ensembles on digits, shared by the `ensemble_tuning` example and its test:
//! model soups of an MLP fine-tuned six ways from one pretrained start (and the uniform soup
//! of three independently trained MLPs, which fails), stochastic weight averaging and a
//! snapshot ensemble from a cyclic schedule. Digits split 25 / 15 / 60 (train / validation /
//! test), so that differences rest on 1,078 test images.

use consort_core::{Classifier, Fit, Result};
use consort_data::{Dataset, StandardScaler, embedded, train_validation_test_split};
use consort_ensemble::{AverageEnsemble, Member};
use consort_eval::model_accuracy;
use consort_models::{Mlp, MlpSpec, NetworkClassifier};
use consort_tune::{
    HookFactory, NetworkEstimator, OptimizerConfig, SnapshotConfig, SnapshotEnsemble,
    StochasticWeightAveraging, SwaConfig, TrainConfig, greedy_soup, uniform_soup,
};
use std::sync::Arc;

/// Train, validation and test rows, standardised on the training rows.
pub struct Splits {
    /// Rows to fit on.
    pub train: Dataset,
    /// Rows the greedy soup is chosen on.
    pub valid: Dataset,
    /// Rows for the figures.
    pub test: Dataset,
}

/// Digits split 25 / 15 / 60.
pub fn digits_splits() -> Result<Splits> {
    let s = train_validation_test_split(&embedded::digits(), 0.15, 0.60, 0)?;
    let scaler = StandardScaler::fit(s.train.features())?;
    Ok(Splits {
        train: scaler.transform_dataset(&s.train)?,
        valid: scaler.transform_dataset(&s.validation)?,
        test: scaler.transform_dataset(&s.test)?,
    })
}

fn spec() -> MlpSpec {
    MlpSpec::new(vec![128])
}

fn accuracy(model: &dyn Classifier, data: &Dataset) -> Result<f64> {
    model_accuracy(model, data.features(), data.labels())
}

/// The soups' figures (test accuracy throughout).
#[derive(Debug, Clone)]
pub struct SoupOutcome {
    /// Each fine-tuned ingredient: (learning rate, weight decay, test accuracy).
    pub ingredients: Vec<(f64, f32, f64)>,
    /// The ingredient validation accuracy picks (what a user without soups ships).
    pub best_on_validation: usize,
    /// Ingredients the greedy soup kept.
    pub kept: Vec<usize>,
    /// The greedy soup, on the validation rows and on the test rows.
    pub greedy_validation: f64,
    /// Validation accuracy of the ingredient picked on validation.
    pub best_validation: f64,
    /// The greedy soup on the test rows.
    pub greedy: f64,
    /// The uniform soup of all six.
    pub uniform: f64,
    /// Three MLPs trained from different initialisations.
    pub independent: Vec<f64>,
    /// Their uniform soup.
    pub independent_uniform: f64,
}

/// Pretrains on a third of the training rows, fine-tunes six copies on all of them, soups.
pub fn soups_on_digits(d: &Splits) -> Result<SoupOutcome> {
    let third: Vec<usize> = (0..d.train.len()).step_by(3).collect();
    let start = NetworkEstimator::new(spec(), TrainConfig::new().with_epochs(10).with_seed(7))
        .fit_with_history(&d.train.subset(&third))?
        .1
        .model;
    let grid = [
        (5e-3, 0.0, 1),
        (1e-2, 0.0, 2),
        (5e-3, 1e-3, 3),
        (1e-2, 1e-3, 4),
        (7e-3, 0.0, 5),
        (7e-3, 5e-4, 6),
    ];
    let ingredients = grid
        .iter()
        .map(|&(lr, wd, seed)| {
            NetworkEstimator::new(
                spec(),
                TrainConfig::new()
                    .with_epochs(12)
                    .with_learning_rate(lr)
                    .with_weight_decay(wd)
                    .with_seed(seed),
            )
            .with_start(start.clone())
            .fit(&d.train)
        })
        .collect::<Result<Vec<_>>>()?;
    let (soup, report) = greedy_soup(&ingredients, &d.valid)?;
    let independent = [11, 12, 13]
        .iter()
        .map(|&seed| {
            NetworkEstimator::new(spec(), TrainConfig::new().with_epochs(20).with_seed(seed))
                .fit(&d.train)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(SoupOutcome {
        ingredients: grid
            .iter()
            .zip(&ingredients)
            .map(|(&(lr, wd, _), m)| Ok((lr, wd, accuracy(m, &d.test)?)))
            .collect::<Result<_>>()?,
        best_on_validation: report.steps[0].ingredient,
        kept: report.kept(),
        greedy_validation: report.score.accuracy,
        best_validation: report.steps[0].alone.accuracy,
        greedy: accuracy(&soup, &d.test)?,
        uniform: accuracy(&uniform_soup(&ingredients)?, &d.test)?,
        independent: independent
            .iter()
            .map(|m| accuracy(m, &d.test))
            .collect::<Result<_>>()?,
        independent_uniform: accuracy(&uniform_soup(&independent)?, &d.test)?,
    })
}

/// SWA's and the snapshot ensemble's figures (test accuracy).
#[derive(Debug, Clone)]
pub struct AveragingOutcome {
    /// The SWA run's final-epoch weights.
    pub swa_final_epoch: f64,
    /// Its average over epochs 21-40.
    pub swa: f64,
    /// Epochs averaged.
    pub swa_epochs: usize,
    /// The same network trained the same 40 epochs with no hook.
    pub plain: f64,
    /// Each snapshot (epochs 10, 20, 30, 40 of the cyclic run); the last is that run's
    /// final-epoch model.
    pub snapshots: Vec<f64>,
    /// Their averaged predictions.
    pub snapshot_ensemble: f64,
}

/// MLP 64-128-10 with dropout 0.2, SGD with momentum 0.9 at 0.05, batch 32, 40 epochs.
pub fn swa_and_snapshots_on_digits(d: &Splits) -> Result<AveragingOutcome> {
    // Dropout keeps the iterates moving around the minimum, which is what SWA averages over.
    let spec = spec().with_dropout(0.2);
    let config = TrainConfig::new()
        .with_epochs(40)
        .with_learning_rate(0.05)
        .with_batch_size(32)
        .with_optimizer(OptimizerConfig::sgd(0.9))
        .with_seed(3);
    let estimator = NetworkEstimator::new(spec, config);
    let swa = StochasticWeightAveraging::new(SwaConfig::new(21))?;
    let (last, outcome) = estimator
        .clone()
        .with_hook_factory(HookFactory::cloned(swa.clone()))
        .fit_with_history(&d.train)?;
    let averaged = match swa.apply_to(outcome.model) {
        Some(model) => like(&last, model?),
        None => unreachable!("40 epochs reach SWA's start at 21"),
    };
    let plain = estimator.fit(&d.train)?;
    let snapshots = SnapshotEnsemble::new(SnapshotConfig::new(10))?;
    let (snap_last, snap_outcome) = estimator
        .with_hook_factory(HookFactory::cloned(snapshots.clone()))
        .fit_with_history(&d.train)?;
    let members: Vec<NetworkClassifier<Mlp>> = snapshots
        .networks(&snap_outcome.model)?
        .into_iter()
        .map(|m| like(&snap_last, m))
        .collect();
    let snapshot_accuracies = members
        .iter()
        .map(|m| accuracy(m, &d.test))
        .collect::<Result<_>>()?;
    let ensemble = AverageEnsemble::new(
        members
            .into_iter()
            .enumerate()
            .map(|(i, m)| Member::new(format!("snapshot {}", i + 1), Arc::new(m)))
            .collect(),
    )?;
    Ok(AveragingOutcome {
        swa_final_epoch: accuracy(&last, &d.test)?,
        swa: accuracy(&averaged, &d.test)?,
        swa_epochs: swa.count(),
        plain: accuracy(&plain, &d.test)?,
        snapshots: snapshot_accuracies,
        snapshot_ensemble: accuracy(&ensemble, &d.test)?,
    })
}

/// A classifier like `like` around other weights.
fn like(like: &NetworkClassifier<Mlp>, model: Mlp) -> NetworkClassifier<Mlp> {
    NetworkClassifier::new(
        model,
        like.device().clone(),
        like.n_features(),
        like.n_classes(),
    )
}
