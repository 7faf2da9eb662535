//! Continual learning: a network trained on a stream of experiences, one after another,
//! through the one training loop, with the strategies that keep it from forgetting.
//!
//! Each experience continues from the weights the previous one left, with a fresh optimiser
//! (as Avalanche does by default) or the optimiser state the previous one left
//! ([`Strategy::carry_optimizer`]). The strategies change what the loop trains on,
//! never the loop itself: naive fine-tuning trains on the new rows alone, replay mixes a
//! bounded buffer of past rows into them (shuffled together, so every batch mixes old and
//! new), and joint training, the upper bound, trains on every experience seen so far. After
//! each experience the network is tested on every experience, filling the accuracy matrix
//! ([`consort_eval::AccuracyMatrix`]) that average accuracy, forgetting and backward and
//! forward transfer come from.

mod ewc;
mod hooks;
mod incremental;
mod replay;
mod rounds;
mod stream;

pub use ewc::{ElasticWeightConsolidation, EwcConfig};
pub use hooks::{LearningWithoutForgetting, TaskHead};
pub use incremental::IncrementalNetwork;
pub use replay::{BufferPolicy, ReplayBuffer, ReplayConfig};
pub use rounds::{
    Round, RoundsConfig, RoundsReport, RoundsStop, chunked_stream, holdout_accuracy,
    rounds_to_target,
};
pub use stream::{Adaptation, PageHinkley, Prequential, prequential};

use consort_core::seed::{derive_seed, seeded};
use consort_core::{BackendKind, Classifier, Event, Result};
use consort_data::{Dataset, Scenario};
use consort_eval::AccuracyMatrix;
pub use consort_eval::continual::{ContinualRun, strategy_table};
use consort_models::nn::{NetworkClassifier, NetworkSpec};

use crate::NetworkEstimator;

/// Learning without forgetting's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LwfConfig {
    /// Weight of the distillation term (against 1 for the task's loss).
    pub weight: f32,
    /// Softmax temperature.
    pub temperature: f32,
}

impl Default for LwfConfig {
    /// Weight 1, temperature 2 (the paper's).
    fn default() -> Self {
        Self {
            weight: 1.0,
            temperature: 2.0,
        }
    }
}

/// What each experience trains on and against: naive fine-tuning by default, with replay,
/// LwF or both (they compose), or joint training on everything seen.
#[derive(Debug, Clone, Default)]
pub struct Strategy {
    /// Past rows mixed into each experience.
    pub replay: Option<ReplayConfig>,
    /// Distillation from the network as it was before the experience.
    pub lwf: Option<LwfConfig>,
    /// A penalty on moving the weights earlier experiences relied on.
    pub ewc: Option<EwcConfig>,
    /// Train on every experience seen so far (the upper bound; not continual).
    pub joint: bool,
    /// Start each experience from the optimiser state the previous one left (Adam's moments
    /// and step counts) instead of a fresh optimiser.
    pub carry_optimizer: bool,
}

impl Strategy {
    /// The new rows only: the baseline that forgets.
    pub fn naive() -> Self {
        Self::default()
    }

    /// Every experience seen so far.
    pub fn joint() -> Self {
        Self {
            joint: true,
            ..Self::default()
        }
    }

    /// Adds a replay buffer.
    pub fn with_replay(mut self, replay: ReplayConfig) -> Self {
        self.replay = Some(replay);
        self
    }

    /// Adds elastic weight consolidation (online when `decay < 1`).
    pub fn with_ewc(mut self, ewc: EwcConfig) -> Self {
        self.ewc = Some(ewc);
        self
    }

    /// Adds learning without forgetting.
    pub fn with_lwf(mut self, lwf: LwfConfig) -> Self {
        self.lwf = Some(lwf);
        self
    }

    /// Carries the optimiser state from one experience to the next.
    pub fn with_carried_optimizer(mut self) -> Self {
        self.carry_optimizer = true;
        self
    }

    /// A short name for tables.
    pub fn name(&self) -> String {
        if self.joint {
            return "joint training".into();
        }
        let mut parts = Vec::new();
        if let Some(c) = &self.replay {
            parts.push(format!(
                "replay ({} rows, {}{})",
                c.capacity,
                match c.policy {
                    BufferPolicy::ClassBalanced => "class-balanced",
                    BufferPolicy::Reservoir => "reservoir",
                },
                c.batch_share.map_or(String::new(), |s| format!(
                    ", {:.0}% of each batch",
                    100.0 * s
                ))
            ));
        }
        if self.lwf.is_some() {
            parts.push("LwF".into());
        }
        if let Some(e) = &self.ewc {
            parts.push(if e.decay < 1.0 {
                format!("online EWC (lambda {}, decay {})", e.lambda, e.decay)
            } else {
                format!("EWC (lambda {})", e.lambda)
            });
        }
        let name = if parts.is_empty() {
            "naive fine-tuning".to_string()
        } else {
            parts.join(" + ")
        };
        if self.carry_optimizer {
            format!("{name}, optimiser carried")
        } else {
            name
        }
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

/// Trains `network` (its architecture, training settings, backend, hooks and observer) on
/// `scenario`'s experiences in order with `strategy`, and tests it on every experience after
/// each one. The observer sees every experience's training run and a progress event per
/// experience.
pub fn run_stream<S: NetworkSpec>(
    network: &NetworkEstimator<S>,
    scenario: &Scenario,
    strategy: &Strategy,
) -> Result<ContinualRun>
where
    NetworkClassifier<S::Net>: Classifier,
{
    let (spec, train, observer) = (&network.spec, &network.train, network.observer());
    let first = &scenario.experiences[0].train;
    let (d, k) = (first.n_features(), first.n_classes());
    let device = BackendKind::chosen(network.backend)?.device()?;
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
    let mut stream = Stream {
        buffer: strategy.replay.map(ReplayBuffer::new).transpose()?,
        previous: None,
        ewc: strategy
            .ewc
            .map(ElasticWeightConsolidation::new)
            .transpose()?,
        seen_classes: Vec::new(),
        optimizer: None,
    };
    let mut rows = Vec::new();
    let progress_label = format!("{}: experiences", strategy.name());
    for (i, experience) in scenario.experiences.iter().enumerate() {
        let data = stream.rows(strategy, scenario, i)?;
        let cfg = train
            .clone()
            .with_seed(derive_seed(train.seed, &format!("experience{i}")));
        let mut estimator = network.clone().with_start(model);
        estimator.train = cfg;
        let estimator = stream.plug_in(estimator, strategy, scenario, i, &data, k)?;
        let (classifier, outcome) = estimator.fit_with_history(&data)?;
        model = outcome.model;
        if strategy.carry_optimizer {
            stream.optimizer = Some(outcome.optimizer);
        }
        if let Some(e) = &mut stream.ewc {
            e.consolidate(&model, &experience.train)?;
        }
        rows.push(test_all(&classifier)?);
        if let Some(b) = &mut stream.buffer {
            b.update(&experience.train)?;
        }
        let new: Vec<usize> = experience
            .classes
            .iter()
            .filter(|c| !stream.seen_classes.contains(c))
            .copied()
            .collect();
        stream.seen_classes.extend(new);
        stream.previous = Some(classifier);
        observer.notify(&Event::Progress {
            label: &progress_label,
            done: i + 1,
            total: scenario.experiences.len(),
        });
    }
    Ok(ContinualRun {
        strategy: strategy.name(),
        matrix: AccuracyMatrix::new(rows)?,
        random_baseline,
    })
}

/// What a continual run carries from one experience to the next.
struct Stream<N: consort_models::Network> {
    buffer: Option<ReplayBuffer>,
    /// The model after the previous experience (the teacher of learning without forgetting).
    previous: Option<NetworkClassifier<N>>,
    ewc: Option<ElasticWeightConsolidation>,
    seen_classes: Vec<usize>,
    /// The optimiser's state, when the strategy carries it.
    optimizer: Option<crate::OptimizerState>,
}

impl<N: consort_models::Network> Stream<N>
where
    NetworkClassifier<N>: Classifier,
{
    /// The rows experience `i` trains on: every experience so far (joint training), or its
    /// own with the replay buffer's.
    fn rows(&self, strategy: &Strategy, scenario: &Scenario, i: usize) -> Result<Dataset> {
        let experience = &scenario.experiences[i];
        if strategy.joint {
            let seen: Vec<&Dataset> = scenario.experiences[..=i]
                .iter()
                .map(|e| &e.train)
                .collect();
            return Dataset::concat(&seen);
        }
        match self.buffer.as_ref().and_then(ReplayBuffer::rows) {
            Some(kept) => Dataset::concat(&[&experience.train, kept]),
            None => Ok(experience.train.clone()),
        }
    }

    /// The strategy's plug-ins on experience `i`'s estimator: the carried optimiser state,
    /// the replay share of each batch, task heads, learning without forgetting, EWC.
    fn plug_in<S: NetworkSpec<Net = N>>(
        &mut self,
        mut estimator: NetworkEstimator<S>,
        strategy: &Strategy,
        scenario: &Scenario,
        i: usize,
        data: &Dataset,
        k: usize,
    ) -> Result<NetworkEstimator<S>> {
        let experience = &scenario.experiences[i];
        if let Some(state) = self.optimizer.take() {
            estimator = estimator.with_optimizer_state(state);
        }
        if let (Some(share), Some(kept)) = (
            strategy.replay.and_then(|r| r.batch_share),
            self.buffer.as_ref().and_then(ReplayBuffer::rows),
        ) && !strategy.joint
        {
            // New rows first in `data`, then the buffer's: each batch draws its share from
            // the buffer.
            let n = experience.train.len();
            let pools = vec![(0..n).collect(), (n..n + kept.len()).collect()];
            let mixing = crate::Mixing::new(pools, vec![1.0 - share, share])?;
            estimator = estimator.with_sampler(std::sync::Arc::new(mixing));
        }
        if scenario.task_known() {
            // A head per task: each row's loss over its own task's classes.
            let tasks: Vec<Vec<usize>> = scenario
                .experiences
                .iter()
                .map(|e| e.classes.clone())
                .collect();
            let head = TaskHead::new(&tasks, k);
            estimator = estimator.with_hook(move |_| Ok(Box::new(head.clone())));
        }
        if let (Some(lwf), Some(old)) = (strategy.lwf, &self.previous) {
            let hook = LearningWithoutForgetting::new(
                old.logits(data.features())?,
                self.seen_classes.clone(),
                lwf.weight,
                lwf.temperature,
            )?;
            estimator = estimator.with_hook(move |_| Ok(Box::new(hook.clone())));
        }
        if let Some(e) = &self.ewc {
            let hook = e.clone();
            estimator = estimator.with_hook(move |_| Ok(Box::new(hook.clone())));
        }
        Ok(estimator)
    }
}
