//! Continual learning: a network trained on a stream of experiences, one after another,
//! through the one training loop, with the strategies that keep it from forgetting.
//!
//! Each experience continues from the weights the previous one left (a fresh optimiser per
//! experience, as Avalanche does by default). The strategies change what the loop trains on,
//! never the loop itself: naive fine-tuning trains on the new rows alone, replay mixes a
//! bounded buffer of past rows into them (shuffled together, so every batch mixes old and
//! new), and joint training, the upper bound, trains on every experience seen so far. After
//! each experience the network is tested on every experience, filling the accuracy matrix
//! ([`consort_eval::AccuracyMatrix`]) that average accuracy, forgetting and backward and
//! forward transfer come from.

mod replay;

pub use replay::{BufferPolicy, ReplayBuffer, ReplayConfig};

use consort_core::seed::{derive_seed, seeded};
use consort_core::{BackendKind, Classifier, Result};
use consort_data::{Dataset, Scenario};
use consort_eval::AccuracyMatrix;
use consort_models::nn::{NetworkClassifier, NetworkSpec};

use crate::{NetworkEstimator, TrainConfig};

/// What each experience trains on.
#[derive(Debug, Clone)]
pub enum Strategy {
    /// The new rows only: the baseline that forgets.
    Naive,
    /// The new rows and a replay buffer of past ones.
    Replay(ReplayConfig),
    /// Every experience seen so far (the upper bound; not continual).
    Joint,
}

impl Strategy {
    /// A short name for tables.
    pub fn name(&self) -> String {
        match self {
            Self::Naive => "naive fine-tuning".into(),
            Self::Replay(c) => format!(
                "replay ({} rows, {})",
                c.capacity,
                match c.policy {
                    BufferPolicy::ClassBalanced => "class-balanced",
                    BufferPolicy::Reservoir => "reservoir",
                }
            ),
            Self::Joint => "joint training".into(),
        }
    }
}

/// What a run over a stream measured.
#[derive(Debug, Clone)]
pub struct ContinualRun {
    /// The strategy's name.
    pub strategy: String,
    /// Accuracy after each experience on each experience.
    pub matrix: AccuracyMatrix,
    /// Accuracy of the untrained network on each experience (the forward-transfer baseline).
    pub random_baseline: Vec<f64>,
}

impl ContinualRun {
    /// Forward transfer against the untrained network.
    pub fn forward_transfer(&self) -> f64 {
        self.matrix
            .forward_transfer(&self.random_baseline)
            .expect("one baseline per experience")
    }
}

/// Accuracy of `model` on `test`, choosing among `classes` only when the task is known.
fn accuracy(model: &dyn Classifier, test: &Dataset, task: Option<&[usize]>) -> Result<f64> {
    let proba = model.predict_proba(test.features())?;
    let correct = proba
        .iter_rows()
        .zip(test.labels())
        .filter(|(row, label)| {
            let best = (0..row.len())
                .filter(|c| task.is_none_or(|t| t.contains(c)))
                .max_by(|&a, &b| row[a].total_cmp(&row[b]));
            best == Some(**label)
        })
        .count();
    Ok(correct as f64 / test.len().max(1) as f64)
}

/// Trains a network of `spec` on `scenario`'s experiences in order with `strategy`, each
/// experience with `train`'s settings, and tests it on every experience after each one.
pub fn run_stream<S: NetworkSpec>(
    spec: &S,
    train: &TrainConfig,
    scenario: &Scenario,
    strategy: &Strategy,
) -> Result<ContinualRun>
where
    NetworkClassifier<S::Net>: Classifier,
{
    let first = &scenario.experiences[0].train;
    let (d, k) = (first.n_features(), first.n_classes());
    let device = BackendKind::chosen(None)?.device()?;
    let train_device = device.clone().autodiff();
    let mut model = seeded(&train_device, train.seed, || {
        spec.build(d, k, &train_device)
    })?;
    let test_all = |m: &NetworkClassifier<S::Net>| -> Result<Vec<f64>> {
        scenario
            .experiences
            .iter()
            .map(|e| {
                let task = scenario.task_known().then_some(e.classes.as_slice());
                accuracy(m, &e.test, task)
            })
            .collect()
    };
    let untrained = NetworkClassifier::new(model.clone(), device.clone(), d, k);
    let random_baseline = test_all(&untrained)?;
    let mut buffer = match strategy {
        Strategy::Replay(c) => Some(ReplayBuffer::new(*c)?),
        _ => None,
    };
    let mut rows = Vec::new();
    for (i, experience) in scenario.experiences.iter().enumerate() {
        let data = match (strategy, &buffer) {
            (Strategy::Replay(_), Some(b)) if !b.is_empty() => {
                Dataset::concat(&[&experience.train, b.rows().expect("not empty")])?
            }
            (Strategy::Joint, _) => {
                let seen: Vec<&Dataset> = scenario.experiences[..=i]
                    .iter()
                    .map(|e| &e.train)
                    .collect();
                Dataset::concat(&seen)?
            }
            _ => experience.train.clone(),
        };
        let cfg = train
            .clone()
            .with_seed(derive_seed(train.seed, &format!("experience{i}")));
        let (classifier, outcome) = NetworkEstimator::new(spec.clone(), cfg)
            .with_start(model)
            .fit_with_history(&data)?;
        model = outcome.model;
        rows.push(test_all(&classifier)?);
        if let Some(b) = &mut buffer {
            b.update(&experience.train)?;
        }
    }
    Ok(ContinualRun {
        strategy: strategy.name(),
        matrix: AccuracyMatrix::new(rows)?,
        random_baseline,
    })
}
