//! A network architecture plus training settings, behind [`Fit`].

use std::sync::{Arc, Mutex};

use burn::module::Module;
use burn::tensor::Device;
use consort_core::{
    BackendKind, ConsortError, Fit, FitWeighted, Matrix, ObserverHandle, ParamGuard, Result,
    check_sample_weights,
};
use consort_data::Dataset;
use consort_models::{NetworkClassifier, NetworkSpec};

use crate::config::TrainConfig;
use crate::fit::{FitContext, FitSettings, HookFactory, fit_network, validation_split};
use crate::hooks::TrainingHook;
use crate::objective::Objective;
use crate::optimizer::OptimizerState;
use crate::sampler::{BatchSampler, Weighted};
use crate::trainer::{RunOptions, TrainOutcome};

/// A fitted network together with the record of its training run.
pub type FittedNetwork<N> = (NetworkClassifier<N>, TrainOutcome<N>);

/// Fits a network of architecture `spec` with the training loop: the estimator side of
/// [`NetworkClassifier`]. Strategies plug in as hook factories ([`with_hook`]), so an
/// estimator can distil, freeze, schedule or checkpoint and still be a plain [`Fit`].
///
/// [`with_hook`]: NetworkEstimator::with_hook
#[derive(Debug, Clone)]
pub struct NetworkEstimator<S: NetworkSpec> {
    /// The architecture (input and output sizes come from the data).
    pub spec: S,
    /// Training hyperparameters.
    pub train: TrainConfig,
    /// Backend to train on (`None`: [`BackendKind::default_kind`]).
    pub backend: Option<BackendKind>,
    hooks: Vec<HookFactory<S::Net>>,
    /// Observer, custom sampler, and the optimiser state to start from (an incremental
    /// update continuing an earlier fit); handed to the loop as they are.
    options: RunOptions,
    /// Weights to start from instead of a fresh initialisation (fine-tuning).
    start: Option<Arc<Mutex<S::Net>>>,
}

impl<S: NetworkSpec> NetworkEstimator<S> {
    /// An estimator on the default backend.
    pub fn new(spec: S, train: TrainConfig) -> Self {
        let options = RunOptions::new(spec.name());
        Self {
            spec,
            train,
            backend: None,
            hooks: Vec::new(),
            options,
            start: None,
        }
    }

    /// Chooses the backend.
    pub fn with_backend(mut self, backend: BackendKind) -> Self {
        self.backend = Some(backend);
        self
    }

    /// Adds a strategy: `make` builds a fresh hook for each fit from the run's rows.
    pub fn with_hook(
        self,
        make: impl Fn(&FitContext<'_>) -> Result<Box<dyn TrainingHook<S::Net>>> + Send + Sync + 'static,
    ) -> Self {
        self.with_hook_factory(HookFactory::new(make))
    }

    /// Adds a strategy from a [`HookFactory`] (say [`HookFactory::cloned`]).
    pub fn with_hook_factory(mut self, factory: HookFactory<S::Net>) -> Self {
        self.hooks.push(factory);
        self
    }

    /// Sends training events to `observer`.
    pub fn with_observer(mut self, observer: impl Into<ObserverHandle>) -> Self {
        self.options.observer = observer.into();
        self
    }

    /// Where training events go.
    pub fn observer(&self) -> &ObserverHandle {
        &self.options.observer
    }

    /// Draws batches with a custom sampler.
    pub fn with_sampler(mut self, sampler: Arc<dyn BatchSampler>) -> Self {
        self.options.sampler = Some(sampler);
        self
    }

    /// Starts every fit from `model`'s weights (built on the training backend's autodiff
    /// device) instead of a fresh initialisation: fine-tuning a pretrained network, possibly
    /// frozen in parts or carrying LoRA adapters.
    pub fn with_start(mut self, model: S::Net) -> Self {
        self.start = Some(Arc::new(Mutex::new(model)));
        self
    }

    /// Starts the optimiser from `state` (an earlier fit's [`TrainOutcome::optimizer`]):
    /// with [`with_start`](Self::with_start), the fit continues where that one stopped.
    pub fn with_optimizer_state(mut self, state: OptimizerState) -> Self {
        self.options.optimizer_state = Some(state);
        self
    }

    /// The boundary: the hyperparameters are checked here, once, for the whole fit.
    fn settings(&self) -> Result<FitSettings<S::Net>> {
        Ok(FitSettings {
            train: self.train.clone().checked()?,
            backend: self.backend,
            hooks: self.hooks.clone(),
            options: self.options.clone(),
        })
    }

    fn build(&self, n_features: usize, n_outputs: usize, device: &Device) -> Result<S::Net> {
        match &self.start {
            // A fork, not a clone: the same values (and frozen parts stay frozen), on fresh
            // autodiff leaves. Clones would share the start's leaves, so the autodiff graphs
            // of every fit made from it (earlier ones, or concurrent ones on other threads)
            // would be merged into one by burn's graph locator.
            Some(m) => Ok(m
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
                .fork(device)),
            None => self.spec.build(n_features, n_outputs, device),
        }
    }

    /// Trains on any dense-row objective (partially labelled rows, regression targets, ...);
    /// returns the outcome and the inference device.
    pub fn fit_objective<O>(&self, data: &O) -> Result<(TrainOutcome<S::Net>, Device)>
    where
        O: Objective<Inputs = Matrix> + Clone,
    {
        let settings = self.settings()?;
        let (train, valid) = validation_split(data, &settings.train)?;
        let width = data.inputs().cols();
        fit_network(
            &settings,
            |device| self.build(width, data.n_outputs(), device),
            &train,
            valid.as_ref(),
        )
    }

    /// Fits on a classification objective over dense rows ([`Dataset`], partially labelled
    /// rows) and also returns the training history.
    pub fn fit_with_history<O>(&self, data: &O) -> Result<FittedNetwork<S::Net>>
    where
        O: Objective<Inputs = Matrix> + Clone,
    {
        let (outcome, device) = self.fit_objective(data)?;
        let (n_features, n_classes) = (data.inputs().cols(), data.n_outputs());
        let classifier =
            NetworkClassifier::new(outcome.model.clone(), device, n_features, n_classes)
                .with_macs_per_sample(self.spec.macs_per_sample(n_features, n_classes));
        Ok((classifier, outcome))
    }
}

impl<S: NetworkSpec> Fit<Dataset> for NetworkEstimator<S> {
    type Object = NetworkClassifier<S::Net>;

    fn fit(&self, data: &Dataset) -> Result<Self::Object> {
        self.fit_with_history(data).map(|(c, _)| c)
    }
}

/// Sample weights reach a network through the training core's sampler: each epoch draws
/// as many rows as there are, row `i` with probability proportional to its weight
/// ([`Weighted`]), so the expected loss is the weighted one.
impl<S: NetworkSpec> FitWeighted<Dataset> for NetworkEstimator<S> {
    fn fit_weighted(&self, data: &Dataset, sample_weights: &[f32]) -> Result<Self::Object> {
        check_sample_weights(sample_weights, data.len())?;
        if self.train.validation_fraction > 0.0 {
            return Err(ConsortError::config(
                "sample weights index the rows handed to fit; with validation_fraction > 0 \
                 some of them are held out: split the validation rows off first",
            ));
        }
        if self.options.sampler.is_some() {
            return Err(ConsortError::config(
                "this network already draws its batches with a custom sampler; sample weights \
                 would replace it",
            ));
        }
        let weights: Vec<f64> = sample_weights.iter().map(|&w| f64::from(w)).collect();
        let mut weighted = self.clone();
        weighted.options.sampler = Some(Arc::new(Weighted::new(&weights)?));
        weighted.fit(data)
    }
}
