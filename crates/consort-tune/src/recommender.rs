//! Fitting the matrix-factorisation recommender with the training loop.

use burn::tensor::Tensor;
use consort_core::seed::{derive_seed, seeded};
use consort_core::{BackendKind, ConsortError, Fit, ParamGuard, Result};
use consort_data::Ratings;
use consort_models::{MatrixFactorization, MatrixFactorizationConfig, MfRecommender};
use serde::{Deserialize, Serialize};

use crate::config::TrainConfig;
use crate::hooks::{Batch, TrainingHook};
use crate::objective::BinaryFeedback;
use crate::trainer::{TrainOutcome, Trainer};

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
    fn extra_loss(
        &mut self,
        model: &MatrixFactorization,
        batch: &Batch,
        _outputs: &Tensor<2>,
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
        self.check()?;
        if ratings.is_empty() {
            return Err(ConsortError::EmptyDataset("no ratings to fit on".into()));
        }
        let kind = BackendKind::chosen(self.backend)?;
        let device = kind.device()?;
        let autodiff = device.clone().autodiff();
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
            .with_init_std(self.init_std)
            .with_global_mean(global_mean);
        let model = seeded(&autodiff, derive_seed(self.train.seed, "init"), || {
            config.try_init(&autodiff)
        })?;
        let trainer = Trainer::new(self.train.clone()).with_label("matrix-factorization");
        let mut l2 = FactorL2(self.l2);
        let hooks: &mut [&mut dyn TrainingHook<MatrixFactorization>] = &mut [&mut l2];
        let outcome = match self.feedback {
            Feedback::Explicit => {
                let valid = valid.as_ref().map(Ratings::to_regression).transpose()?;
                trainer.fit(
                    model,
                    &autodiff,
                    &train.to_regression()?,
                    valid.as_ref(),
                    hooks,
                )?
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
                trainer.fit(
                    model,
                    &autodiff,
                    &implicit(&train, "train-negatives")?,
                    valid.as_ref(),
                    hooks,
                )?
            }
        };
        let recommender = MfRecommender::new(outcome.model.clone(), device, config);
        Ok((recommender, outcome))
    }
}

impl Fit<Ratings> for MatrixFactorizationEstimator {
    type Object = MfRecommender;

    fn fit(&self, ratings: &Ratings) -> Result<MfRecommender> {
        self.fit_with_history(ratings).map(|(r, _)| r)
    }
}
