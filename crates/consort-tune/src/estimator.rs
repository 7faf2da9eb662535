//! A network architecture plus training hyperparameters, behind [`Fit`].

use consort_core::seed::{derive_seed, seeded};
use consort_core::{BackendKind, Fit, ParamGuard, Result};
use consort_data::{Dataset, train_test_split};
use consort_models::{NetworkClassifier, NetworkSpec};

use crate::config::TrainConfig;
use crate::trainer::{TrainOutcome, Trainer};

/// A fitted network together with the record of its training run.
pub type FittedNetwork<N> = (NetworkClassifier<N>, TrainOutcome<N>);

/// Fits a network of architecture `spec` with the training loop: the estimator side of
/// [`NetworkClassifier`].
#[derive(Debug, Clone)]
pub struct NetworkEstimator<S: NetworkSpec> {
    /// The architecture (input and output sizes come from the data).
    pub spec: S,
    /// Training hyperparameters.
    pub train: TrainConfig,
    /// Backend to train on (`None`: [`BackendKind::default_kind`]).
    pub backend: Option<BackendKind>,
}

impl<S: NetworkSpec> NetworkEstimator<S> {
    /// An estimator on the default backend.
    pub fn new(spec: S, train: TrainConfig) -> Self {
        Self {
            spec,
            train,
            backend: None,
        }
    }

    /// Chooses the backend.
    pub fn with_backend(mut self, backend: BackendKind) -> Self {
        self.backend = Some(backend);
        self
    }

    /// Fits and also returns the training history.
    pub fn fit_with_history(&self, data: &Dataset) -> Result<FittedNetwork<S::Net>> {
        self.train.check()?;
        data.ensure_trainable()?;
        let kind = BackendKind::chosen(self.backend)?;
        let device = kind.device()?;
        let autodiff = device.clone().autodiff();
        let (train, valid) = if self.train.validation_fraction > 0.0 {
            let (t, v) = train_test_split(
                data,
                self.train.validation_fraction,
                derive_seed(self.train.seed, "validation-split"),
            )?;
            (t, Some(v))
        } else {
            (data.clone(), None)
        };
        let model = seeded(&autodiff, derive_seed(self.train.seed, "init"), || {
            self.spec
                .build(data.n_features(), data.n_classes(), &autodiff)
        })?;
        let outcome = Trainer::new(self.train.clone())
            .with_label(self.spec.name())
            .fit(model, &autodiff, &train, valid.as_ref(), &mut [])?;
        let classifier = NetworkClassifier::new(
            outcome.model.clone(),
            device,
            data.n_features(),
            data.n_classes(),
        )
        .with_macs_per_sample(
            self.spec
                .macs_per_sample(data.n_features(), data.n_classes()),
        );
        Ok((classifier, outcome))
    }
}

impl<S: NetworkSpec> Fit<Dataset> for NetworkEstimator<S> {
    type Object = NetworkClassifier<S::Net>;

    fn fit(&self, data: &Dataset) -> Result<Self::Object> {
        self.fit_with_history(data).map(|(c, _)| c)
    }
}
