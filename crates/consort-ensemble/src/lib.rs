//! # consort-ensemble
//!
//! Combiners over any mix of fitted members — networks, classical models, other ensembles —
//! each itself a [`consort_core::Classifier`] (or [`consort_core::Regressor`]), so ensembles
//! nest, teach and evaluate like any model.
//!
//! * [`AverageEnsemble`]: simple, fixed-weight, or fitted-weight average of class
//!   probabilities (weights minimise held-out log-loss over the simplex);
//! * [`VotingEnsemble`]: hard (majority, deterministic ties) or soft voting;
//! * [`StackingClassifier`] / [`StackingRegressor`]: a meta-learner on out-of-fold member
//!   predictions (optionally with the features passed through), or on a held-out split for
//!   prefit members;
//! * [`Cascade`]: cheapest member first, escalating only unconfident samples, with thresholds
//!   given or calibrated to an accuracy or escalation target, and a report of the compute it
//!   saves;
//! * [`RegressionEnsemble`]: mean (uniform, fixed or fitted weights) or median of regressors.

#![warn(missing_docs)]

mod average;
mod cascade;
mod member;
mod regression;
mod simplex;
mod stacking;
mod voting;

pub use average::AverageEnsemble;
pub use cascade::{
    CalibrationTarget, Cascade, CascadeReport, CascadeRun, Confidence, CurvePoint, StageReport,
};
pub use member::{Combiner, Member};
pub use regression::{Combine, RegressionEnsemble, RegressorMember};
pub use stacking::{
    ClassifierCandidate, NamedEstimator, OutOfFold, RegressorCandidate, StackingClassifier,
    StackingConfig, StackingRegressor,
};
pub use voting::{Voting, VotingEnsemble};
