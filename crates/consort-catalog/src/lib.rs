//! Consort's one catalogue of models.
//!
//! [`ModelKind`] lists every model the project ships (networks and classical models), each
//! with its typed hyperparameters, checked once. Every consumer reads it: the experiment's
//! `[[model]]` entries, `consort search`'s `model = "..."` and its `[params.*]` ranges
//! ([`ModelKind::set_param`]), and the meta-learner's portfolio. [`ModelKind::estimator`]
//! builds any entry into an estimator on tabular data; adding a model is one variant, one
//! entry in [`ModelKind::all`], one arm in each of `key`, `check` and `estimator`.

mod estimator;
mod kind;
mod params;

pub use estimator::EstimatorSettings;
pub use kind::ModelKind;
pub use params::{CnnParams, DEFAULT_MAX_STEPS, MlpParams, SequenceParams};
