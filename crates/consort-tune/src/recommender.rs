//! Fitting the matrix-factorisation recommender with the training loop.

use burn::tensor::{Device, Tensor};
use consort_core::seed::derive_seed;
use consort_core::{BackendKind, ConsortError, Fit, ObserverHandle, ParamGuard, Result};
use consort_data::Ratings;
use consort_models::{Forward, MatrixFactorization, MatrixFactorizationConfig, MfRecommender};
use serde::{Deserialize, Serialize};

use crate::config::TrainConfig;
use crate::fit::{FitSettings, HookFactory, fit_network};
use crate::hooks::LossTerm;
use crate::hooks::{Batch, TrainingHook};
use crate::objective::BinaryFeedback;
use crate::trainer::TrainOutcome;

/// What the ratings mean to the recommender.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Feedback {
    /// Rating values are the targets (mean squared error); predictions are ratings.
    Explicit,
    /// Only *that* a user rated an item counts: observed pairs are positives, `negatives`
    /// unrated items per positive are sampled as negatives (binary cross-entropy); predictions
    /// are logits of interaction.
    Implicit {
        /// Sampled negatives per positive.
        negatives: usize,
    },
}

/// Fits a [`MatrixFactorization`] on [`Ratings`] with the training loop.
#[derive(Debug, Clone)]
pub struct MatrixFactorizationEstimator {
    /// Latent factors per user and item.
    pub n_factors: usize,
    /// Standard deviation of the initial factors.
    pub init_std: f64,
    /// L2 penalty on the factors and biases of each batch's users and items.
    pub l2: f32,
    /// Explicit ratings or implicit feedback.
    pub feedback: Feedback,
    /// Training hyperparameters (validation holds out `validation_fraction` of each user's
    /// ratings).
    pub train: TrainConfig,
    /// Backend to train on (`None`: [`BackendKind::default_kind`]).
    pub backend: Option<BackendKind>,
    /// Where training events go.
    pub observer: ObserverHandle,
}

impl Default for MatrixFactorizationEstimator {
    fn default() -> Self {
        Self {
            n_factors: 16,
            init_std: 0.05,
            l2: 0.02,
            feedback: Feedback::Explicit,
            train: TrainConfig::new()
                .with_epochs(30)
                .with_batch_size(256)
                .with_learning_rate(0.01),
            backend: None,
            observer: ObserverHandle::none(),
        }
    }
}

impl ParamGuard for MatrixFactorizationEstimator {
    fn check(&self) -> Result<()> {
        self.train.check()?;
        if self.n_factors == 0 {
            return Err(ConsortError::config("n_factors must be at least 1"));
        }
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return Err(ConsortError::config("l2 must be finite and >= 0"));
        }
        if self.feedback == (Feedback::Implicit { negatives: 0 }) {
            return Err(ConsortError::config(
                "implicit feedback needs at least one negative per positive",
            ));
        }
        Ok(())
    }
}

/// The per-batch L2 regulariser, as a hook on the loop.
struct FactorL2(f32);

impl TrainingHook<MatrixFactorization> for FactorL2 {
    fn name(&self) -> &str {
        "factor-l2"
    }

    fn loss_term(&mut self) -> Option<&mut dyn LossTerm<MatrixFactorization>> {
        Some(self)
    }
}

impl LossTerm<MatrixFactorization> for FactorL2 {
    fn extra_loss(
        &mut self,
        model: &MatrixFactorization,
        batch: &Batch,
        _forward: &Forward,
    ) -> Option<Tensor<1>> {
        (self.0 > 0.0).then(|| model.l2_penalty(batch.inputs.clone()) * self.0)
    }
}

impl MatrixFactorizationEstimator {
    /// Fits and also returns the training history.
    pub fn fit_with_history(
        &self,
        ratings: &Ratings,
    ) -> Result<(MfRecommender, TrainOutcome<MatrixFactorization>)> {
        let checked = self.clone().checked()?;
        if ratings.is_empty() {
            return Err(ConsortError::EmptyDataset("no ratings to fit on".into()));
        }
        let (train, valid) = if self.train.validation_fraction > 0.0 {
            let (t, v) = ratings.split_per_user(
                self.train.validation_fraction,
                derive_seed(self.train.seed, "validation-split"),
            )?;
            (t, Some(v))
        } else {
            (ratings.clone(), None)
        };
        let global_mean = match self.feedback {
            Feedback::Explicit => train.mean(),
            Feedback::Implicit { .. } => 0.0,
        };
        let config = MatrixFactorizationConfig::new(ratings.n_users(), ratings.n_items())
            .with_n_factors(self.n_factors)
            .with_init_std(self.init_std);
        let config = config.with_global_mean(global_mean);
        let l2 = self.l2;
        let mut settings =
            FitSettings::new(checked.part(|c| c.train.clone()), "matrix-factorization");
        settings.backend = self.backend;
        settings.options.observer = self.observer.clone();
        settings
            .hooks
            .push(HookFactory::new(move |_| Ok(Box::new(FactorL2(l2)))));
        let build = |device: &Device| config.try_init(device);
        let (outcome, device) = match self.feedback {
            Feedback::Explicit => {
                let valid = valid.as_ref().map(Ratings::to_regression).transpose()?;
                fit_network(&settings, build, &train.to_regression()?, valid.as_ref())?
            }
            Feedback::Implicit { negatives } => {
                let implicit = |r: &Ratings, what: &str| -> Result<BinaryFeedback> {
                    BinaryFeedback::new(
                        r.to_implicit(negatives, derive_seed(self.train.seed, what))?,
                    )
                };
                let valid = valid
                    .as_ref()
                    .map(|v| implicit(v, "valid-negatives"))
                    .transpose()?;
                fit_network(
                    &settings,
                    build,
                    &implicit(&train, "train-negatives")?,
                    valid.as_ref(),
                )?
            }
        };
        let recommender = MfRecommender::new(outcome.model.clone(), device, config);
        Ok((recommender, outcome))
    }

    /// Sends training events to `observer`.
    pub fn with_observer(mut self, observer: impl Into<ObserverHandle>) -> Self {
        self.observer = observer.into();
        self
    }
}

impl Fit<Ratings> for MatrixFactorizationEstimator {
    type Object = MfRecommender;

    fn fit(&self, ratings: &Ratings) -> Result<MfRecommender> {
        self.fit_with_history(ratings).map(|(r, _)| r)
    }
}
