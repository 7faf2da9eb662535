//! A network that keeps learning: [`FitWith`] for networks. Each call continues from the
//! current weights through the same estimator (its hooks, sampler, observer and checkpoint
//! settings), so an experience, a day's data or one mini-batch updates the model in place.
//! The optimiser's state carries over too (Adam's moments and step counts), so a stream of
//! small updates trains like one long run rather than restarting Adam's bias correction at
//! every update; [`IncrementalNetwork::with_fresh_optimizer`] restarts it instead.

use consort_core::seed::{derive_seed, seeded};
use consort_core::{BackendKind, Classifier, ConsortError, FitWith, Matrix, Result};
use consort_data::Dataset;
use consort_models::nn::{NetworkClassifier, NetworkSpec};

use crate::{NetworkEstimator, OptimizerState};

/// A network fitted incrementally: `fit_with` trains on new rows from the current weights;
/// between updates it predicts like any classifier.
pub struct IncrementalNetwork<S: NetworkSpec> {
    estimator: NetworkEstimator<S>,
    /// The weights on the autodiff device, where the next update starts (behind a lock, as
    /// burn modules are not `Sync`).
    model: std::sync::Mutex<S::Net>,
    current: NetworkClassifier<S::Net>,
    updates: usize,
    /// The optimiser's state after the last update (`None` before the first, or when every
    /// update starts a fresh optimiser).
    optimizer: Option<OptimizerState>,
    carry_optimizer: bool,
}

impl<S: NetworkSpec> std::fmt::Debug for IncrementalNetwork<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncrementalNetwork")
            .field("n_features", &self.current.n_features())
            .field("n_classes", &self.current.n_classes())
            .field("updates", &self.updates)
            .field("carry_optimizer", &self.carry_optimizer)
            .finish()
    }
}

impl<S: NetworkSpec> IncrementalNetwork<S>
where
    NetworkClassifier<S::Net>: Classifier,
{
    /// A freshly initialised network of `n_features` inputs and `n_classes` outputs (the
    /// weights a one-shot fit of `estimator` would start from), updated by `estimator` at each [`FitWith::fit_with`].
    pub fn new(
        estimator: NetworkEstimator<S>,
        n_features: usize,
        n_classes: usize,
    ) -> Result<Self> {
        if n_features == 0 || n_classes < 2 {
            return Err(ConsortError::config(
                "an incremental network needs >= 1 feature and >= 2 classes",
            ));
        }
        let device = BackendKind::chosen(estimator.backend)?.device()?;
        let train_device = device.clone().autodiff();
        // The same initial weights as a one-shot fit of this estimator.
        let seed = derive_seed(estimator.train.seed, "init");
        let spec = estimator.spec.clone();
        let model = seeded(&train_device, seed, || {
            spec.build(n_features, n_classes, &train_device)
        })?;
        let current = NetworkClassifier::new(model.clone(), device, n_features, n_classes);
        Ok(Self {
            estimator,
            model: std::sync::Mutex::new(model),
            current,
            updates: 0,
            optimizer: None,
            carry_optimizer: true,
        })
    }

    /// Starts every update with a fresh optimiser (zero moments) instead of the state the
    /// previous update left: Avalanche's default between experiences.
    pub fn with_fresh_optimizer(mut self) -> Self {
        self.carry_optimizer = false;
        self
    }

    /// The optimiser state the next update starts from, if any.
    pub fn optimizer_state(&self) -> Option<&OptimizerState> {
        self.optimizer.as_ref()
    }

    /// Updates applied so far.
    pub fn updates(&self) -> usize {
        self.updates
    }

    /// The network as it predicts now.
    pub fn classifier(&self) -> &NetworkClassifier<S::Net> {
        &self.current
    }
}

impl<S: NetworkSpec> FitWith<Dataset> for IncrementalNetwork<S>
where
    NetworkClassifier<S::Net>: Classifier,
{
    fn fit_with(&mut self, data: &Dataset) -> Result<()> {
        if data.n_features() != self.current.n_features()
            || data.n_classes() != self.current.n_classes()
        {
            return Err(ConsortError::ShapeMismatch(format!(
                "the network takes {} features and {} classes, the update has {} and {}",
                self.current.n_features(),
                self.current.n_classes(),
                data.n_features(),
                data.n_classes()
            )));
        }
        let mut estimator = self.estimator.clone();
        estimator.train.seed =
            derive_seed(estimator.train.seed, &format!("update{}", self.updates));
        let start = self
            .model
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut estimator = estimator.with_start(start);
        if let Some(state) = self.optimizer.as_ref().filter(|_| self.carry_optimizer) {
            estimator = estimator.with_optimizer_state(state.clone());
        }
        let (classifier, outcome) = estimator.fit_with_history(data)?;
        *self.model.get_mut().unwrap_or_else(|p| p.into_inner()) = outcome.model;
        self.optimizer = self.carry_optimizer.then_some(outcome.optimizer);
        self.current = classifier;
        self.updates += 1;
        Ok(())
    }
}

impl<S: NetworkSpec> Classifier for IncrementalNetwork<S>
where
    NetworkClassifier<S::Net>: Classifier,
{
    fn n_classes(&self) -> usize {
        self.current.n_classes()
    }

    fn n_features(&self) -> usize {
        self.current.n_features()
    }

    fn macs_per_sample(&self) -> Option<u64> {
        self.current.macs_per_sample()
    }

    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        self.current.predict_proba(x)
    }
}
