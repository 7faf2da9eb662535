//! # consort-experiment
//!
//! The experiment as a library: members (each with a [`Role`]), combiners and evaluation,
//! built in code or read from a TOML experiment file, run by [`Experiment::run`]. The
//! `consort` command only parses arguments into an [`ExperimentConfig`]; its default main job
//! is the shipped file `examples/configs/digits.toml`.
//!
//! A run loads and cleans the data ([`prepare()`]: a given test file or a stratified split,
//! missing cells, one-hot text columns, fitted on training rows only), fits every member,
//! predicts each set once and shares those predictions with every combiner and the report,
//! computes out-of-fold predictions once for the learned combiners and for the selection
//! ([`Selection`]), and writes `report.md`, `report.html` and `report.json` (with figures) to a
//! fresh run folder. With `select`, the recommended member or combiner is refitted on all
//! training rows and saved with its preprocessing ([`SavedModel`]), for `consort predict`.
//!
//! ```no_run
//! use consort_experiment::{Experiment, ExperimentConfig};
//!
//! let mut config = ExperimentConfig::main_job();
//! config.folds = consort_experiment::Folds::new(3)?;
//! let outcome = Experiment::new(config)?.run()?;
//! println!("{}", outcome.report.table());
//! # Ok::<(), consort_core::ConsortError>(())
//! ```

#![warn(missing_docs)]

mod combine;
mod config;
mod member_loader;
mod members;
mod preflight;
mod prepare;
mod prepared;
pub mod recommend;
mod resolve;
mod run;
mod run_dir;
mod saved;
mod sections;
mod selection;
mod stages;
mod text;

pub use config::{
    Categorical, ClassWeight, CnnParams, CombinerKind, CombinerSpec, DataConfig, Delimiter,
    ExperimentConfig, Folds, Fraction, MAIN_JOB_TOML, MemberSet, MlpParams, ModelKind, ModelSpec,
    Role, SequenceParams,
};
pub use prepare::{Prepared, Preprocessing, TextViews, prepare, prepare_observed};
pub use run::{Experiment, ExperimentOutcome};
pub use saved::{Predictions, SavedModel, default_predictions_path, predict_csv};
pub use selection::{Candidate, Selection};
