//! # consort-models
//!
//! Large and small models behind one contract ([`consort_core::Classifier`]):
//!
//! * [`nn`]: burn networks — [`nn::Mlp`], [`nn::Cnn`] — each a `#[derive(Config)]` with
//!   `init(&device)`, exposing logits and penultimate features; [`nn::NetworkClassifier`] wraps
//!   a trained one. Training lives in `consort-tune`.
//! * [`linear`]: multinomial [`linear::LogisticRegression`] (L2, L-BFGS).
//! * [`tree`]: CART [`tree::DecisionTree`] (gini / entropy).
//! * [`bayes`]: [`bayes::GaussianNb`], incremental through [`consort_core::FitWith`].
//! * [`pipeline`]: [`pipeline::Standardized`], scaling fitted on training rows only.
//!
//! Classical models fit on hard labels through [`consort_core::Fit`] and, for logistic
//! regression and trees, on soft class-probability targets (`fit_soft`).

#![warn(missing_docs)]

pub mod bayes;
pub mod linear;
pub mod nn;
pub mod pipeline;
pub mod tree;

pub use bayes::{GaussianNb, GaussianNbConfig};
pub use linear::{LogisticRegression, LogisticRegressionConfig};
pub use nn::{Cnn, CnnConfig, Mlp, MlpConfig, Network, NetworkClassifier, NetworkSpec};
pub use pipeline::{Standardized, StandardizedModel};
pub use tree::{DecisionTree, DecisionTreeConfig, SplitCriterion};
