//! Consort hyperparameter search, after Optuna's define-by-run design: an objective asks its
//! [`Trial`] for parameters as it runs (`suggest_float`, `suggest_int`,
//! `suggest_categorical`; a parameter asked on one branch only is conditional), reports
//! intermediate values and asks [`Trial::should_prune`]; a [`Study`] runs trials, a
//! [`Sampler`] proposes values from the finished ones (grid, random, TPE) and a [`Pruner`]
//! stops unpromising ones early (median, successive halving, Hyperband).

#![warn(missing_docs)]

mod frozen;
pub mod objective;
mod pruner;
mod report;
mod sampler;
mod space;
pub mod storage;
mod study;
pub mod study_file;
mod tpe;
mod trial;

pub use frozen::{FrozenTrial, TrialState};
pub use pruner::{Hyperband, MedianPruner, NopPruner, Pruner, SuccessiveHalving};
pub use sampler::{GridSampler, RandomSampler, Sampler};
pub use space::{Distribution, ParamValue};
#[cfg(feature = "postgres")]
pub use storage::PostgresStorage;
#[cfg(feature = "sqlite")]
pub use storage::SqliteStorage;
pub use storage::{
    DrawnParam, Journal, MemoryStorage, StorageOptions, StorageState, StudyStorage, open_storage,
};
pub use study::{Study, StudyDirection};
pub use tpe::TpeSampler;
pub use trial::Trial;
