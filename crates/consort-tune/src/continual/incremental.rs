//! A network that keeps learning: [`FitWith`] for networks. Each call continues from the
//! current weights through the same estimator (its hooks, sampler, observer and checkpoint
//! settings), so an experience, a day's data or one mini-batch updates the model in place.

use consort_core::seed::{derive_seed, seeded};
use consort_core::{BackendKind, Classifier, ConsortError, FitWith, Matrix, Result};
use consort_data::Dataset;
use consort_models::nn::{NetworkClassifier, NetworkSpec};

use crate::NetworkEstimator;

/// A network fitted incrementally: `fit_with` trains on new rows from the current weights;
/// between updates it predicts like any classifier.
pub struct IncrementalNetwork<S: NetworkSpec> {
    estimator: NetworkEstimator<S>,
    /// The weights on the autodiff device, where the next update starts (behind a lock, as
    /// burn modules are not `Sync`).
    model: std::sync::Mutex<S::Net>,
    current: NetworkClassifier<S::Net>,
    updates: usize,
}

impl<S: NetworkSpec> std::fmt::Debug for IncrementalNetwork<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncrementalNetwork")
            .field("n_features", &self.current.n_features())
            .field("n_classes", &self.current.n_classes())
            .field("updates", &self.updates)
            .finish()
    }
}

impl<S: NetworkSpec> IncrementalNetwork<S>
where
    NetworkClassifier<S::Net>: Classifier,
{
    /// A freshly initialised network of `n_features` inputs and `n_classes` outputs (seeded by
    /// the estimator's training seed), updated by `estimator` at each [`FitWith::fit_with`].
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
        let seed = estimator.train.seed;
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
        })
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
        let estimator = estimator.with_start(start);
        let (classifier, outcome) = estimator.fit_with_history(data)?;
        *self.model.get_mut().unwrap_or_else(|p| p.into_inner()) = outcome.model;
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
