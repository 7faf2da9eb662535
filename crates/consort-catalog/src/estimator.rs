//! Any catalogue entry as an estimator on tabular data (a [`Dataset`]).

use std::sync::Arc;

use consort_core::{
    BackendKind, Classifier, ClassifierEstimator, ConsortError, Fit, ObserverHandle, Result,
};
use consort_data::Dataset;
use consort_models::{HistGradientBoostingConfig, NetworkSpec, RandomForestConfig, Standardized};
use consort_tune::{NetworkEstimator, TrainConfig};

use crate::kind::ModelKind;
use crate::params::{CnnParams, SequenceParams};

/// What a consumer decides about an estimator beyond the hyperparameters.
#[derive(Debug, Clone, Default)]
pub struct EstimatorSettings {
    /// The seed of every stochastic part: a forest's or boosting's stream, a network's
    /// initialisation and batches (it replaces the entry's own `seed`).
    pub seed: u64,
    /// Standardise the features (fitted on the training rows) before the model.
    pub standardize: bool,
    /// A network's epochs instead of its own.
    pub epochs: Option<usize>,
    /// The backend networks train on (`None`: the default).
    pub backend: Option<BackendKind>,
    /// Training events of networks.
    pub observer: ObserverHandle,
}

impl EstimatorSettings {
    /// Seeded by `seed`, standardised when `kind` is scale-sensitive.
    pub fn for_kind(kind: &ModelKind, seed: u64) -> Self {
        Self {
            seed,
            standardize: kind.standardizes_by_default(),
            ..Self::default()
        }
    }

    fn network<S: NetworkSpec>(&self, spec: S, train: TrainConfig) -> NetworkEstimator<S> {
        let mut estimator = NetworkEstimator::new(spec, train).with_observer(self.observer.clone());
        estimator.backend = self.backend;
        estimator
    }
}

/// `estimator`, behind a scaler when asked.
fn boxed<E>(estimator: E, standardize: bool) -> Box<dyn ClassifierEstimator<Dataset>>
where
    E: ClassifierEstimator<Dataset> + 'static,
    Standardized<E>: ClassifierEstimator<Dataset>,
{
    if standardize {
        Box::new(Standardized(estimator))
    } else {
        Box::new(estimator)
    }
}

impl ModelKind {
    /// This entry as an estimator on tabular rows. A CNN reads each row as an image (its
    /// `height` and `width`, else a square); a sequence network reads each row as token ids
    /// (the vocabulary: ids up to the largest seen). Networks run their own epochs, or
    /// `settings.epochs`.
    pub fn estimator(&self, settings: &EstimatorSettings) -> Box<dyn ClassifierEstimator<Dataset>> {
        let s = settings;
        let std = s.standardize;
        match self {
            Self::Mlp(p) => {
                let train = p.train_config(s.epochs.unwrap_or(p.epochs), s.seed);
                boxed(s.network(p.network(), train), std)
            }
            Self::Cnn(p) => boxed(ImageNetwork(p.clone(), s.clone()), std),
            Self::Logistic(c) => boxed(c.clone(), std),
            Self::Tree(c) => boxed(c.clone(), std),
            Self::Forest(c) => boxed(
                RandomForestConfig {
                    seed: s.seed,
                    ..c.clone()
                },
                std,
            ),
            Self::Boosting(c) => boxed(
                HistGradientBoostingConfig {
                    seed: s.seed,
                    ..c.clone()
                },
                std,
            ),
            Self::AdaBoost(c) => boxed(c.clone(), std),
            Self::Knn(c) => boxed(c.clone(), std),
            Self::GaussianNb(c) => boxed(c.clone(), std),
            Self::MultinomialNb(c) => boxed(c.clone(), std),
            Self::Transformer(p) => Box::new(TokenNetwork(p.clone(), s.clone(), true)),
            Self::Lstm(p) => Box::new(TokenNetwork(p.clone(), s.clone(), false)),
        }
    }
}

/// A CNN whose image shape comes from the data it is fitted on.
#[derive(Debug, Clone)]
struct ImageNetwork(CnnParams, EstimatorSettings);

impl Fit<Dataset> for ImageNetwork {
    type Object = Arc<dyn Classifier>;

    fn fit(&self, data: &Dataset) -> Result<Self::Object> {
        let (p, s) = (&self.0, &self.1);
        let shape = p.image_shape(data.n_features()).ok_or_else(|| {
            ConsortError::config(format!(
                "cnn: {} features do not form a square image of at least 4x4 (set height and \
                 width)",
                data.n_features()
            ))
        })?;
        let train = p.train_config(s.epochs.unwrap_or(p.epochs), s.seed);
        s.network(p.network(shape), train).fit_classifier(data)
    }
}

/// A Transformer (`true`) or LSTM over rows of token ids, its vocabulary up to the largest id
/// in the rows it is fitted on.
#[derive(Debug, Clone)]
struct TokenNetwork(SequenceParams, EstimatorSettings, bool);

impl ClassifierEstimator<Dataset> for TokenNetwork {
    fn fit_classifier(&self, data: &Dataset) -> Result<Arc<dyn Classifier>> {
        let (p, s) = (&self.0, &self.1);
        let largest = data
            .features()
            .as_slice()
            .iter()
            .fold(0.0f32, |m, &v| m.max(v));
        let vocab_size = largest as usize + 1;
        let train = p.train_config(s.epochs.unwrap_or(p.epochs), s.seed);
        if self.2 {
            s.network(p.transformer(vocab_size, data.n_features()), train)
                .fit_classifier(data)
        } else {
            s.network(p.lstm(vocab_size), train).fit_classifier(data)
        }
    }
}
