//! # consort-models
//!
//! Large and small models behind one contract ([`consort_core::Classifier`]):
//!
//! * [`nn`]: burn networks — [`nn::Mlp`], [`nn::Cnn`], [`nn::LstmClassifier`],
//!   [`nn::TransformerClassifier`], and the [`nn::MatrixFactorization`] recommender — each a
//!   `#[derive(Config)]` with `init(&device)`, exposing logits and penultimate features;
//!   [`nn::NetworkClassifier`] and [`nn::MfRecommender`] wrap trained ones. Training lives in
//!   `consort-tune`.
//! * [`recommend`]: the [`recommend::Popularity`] baseline.
//! * [`linear`]: multinomial [`linear::LogisticRegression`] (L2, L-BFGS) and
//!   [`linear::Ridge`] regression (closed form).
//! * [`tree`]: CART — [`tree::DecisionTree`] (gini / entropy) and [`tree::RegressionTree`].
//! * [`bayes`]: [`bayes::GaussianNb`] and [`bayes::MultinomialNb`], both incremental through
//!   [`consort_core::FitWith`].
//! * [`neighbors`]: [`neighbors::KNeighbors`] (brute-force kNN).
//! * [`pipeline`]: [`pipeline::Standardized`], scaling fitted on training rows only.
//!
//! Classical models fit on hard labels through [`consort_core::Fit`] and, for logistic
//! regression and trees, on soft class-probability targets (`fit_soft`).

#![warn(missing_docs)]

/// The most rounds (trees, boosting iterations, solver iterations) a model's settings may
/// ask for: a typo of `1e9` is refused at once instead of running until killed.
pub const MAX_ROUNDS: usize = 1_000_000;

pub mod bayes;
pub mod linear;
pub mod neighbors;
pub mod nn;
pub mod pipeline;
pub mod recommend;
pub mod tree;

pub use bayes::{GaussianNb, GaussianNbConfig, MultinomialNb, MultinomialNbConfig};
pub use linear::{LogisticRegression, LogisticRegressionConfig, Ridge, RidgeConfig};
pub use neighbors::{KNeighbors, KNeighborsConfig, NeighborWeights};
pub use nn::{
    Cnn, CnnConfig, Dense, Forward, HEAD_PATH, HasHead, Images, LstmClassifier,
    LstmClassifierConfig, MatrixFactorization, MatrixFactorizationConfig, MfRecommender, Mlp,
    MlpConfig, MlpSpec, Modality, MultimodalConfig, MultimodalNet, Network, NetworkClassifier,
    NetworkSpec, Pair, TokenIds, TransformerClassifier, TransformerClassifierConfig,
};
pub use pipeline::{Columns, ColumnsModel, Standardized, StandardizedModel};
pub use recommend::{ContentFilter, ContentFilterConfig, Hybrid, Popularity};
pub use tree::{
    AdaBoost, AdaBoostConfig, BoostingEarlyStop, DecisionTree, DecisionTreeConfig,
    HistGradientBoosting, HistGradientBoostingConfig, HistGradientBoostingRegressor, MaxFeatures,
    RandomForest, RandomForestConfig, RandomForestRegressor, RegressionTree, SplitCriterion,
};
