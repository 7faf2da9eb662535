//! # consort-ensemble
//!
//! Combiners over any mix of fitted members — networks, classical models, other ensembles —
//! each itself a [`consort_core::Classifier`], so ensembles nest and evaluate like any model.
//!
//! * [`AverageEnsemble`]: simple or fixed-weight average of class probabilities;
//! * [`VotingEnsemble`]: hard (majority, deterministic ties) or soft voting.

#![warn(missing_docs)]

mod average;
mod member;
mod voting;

pub use average::AverageEnsemble;
pub use member::Member;
pub use voting::{Voting, VotingEnsemble};
