//! # consort-cli
//!
//! The `consort` command. It parses arguments into a `consort_experiment::ExperimentConfig`
//! and renders the experiment's events as progress bars ([`progress`]); the main job itself
//! (fit large and small models, ensemble them, select, report) is `consort-experiment`.
//!
//! The same pieces as a library (this is README's example, compiled and run as a doc test):
//!
//! ```
//! use std::sync::Arc;
//! use consort_core::{Classifier, Fit};
//! use consort_data::{embedded, train_test_split};
//! use consort_ensemble::{Member, Voting, VotingEnsemble};
//! use consort_models::{GaussianNbConfig, LogisticRegressionConfig, MlpSpec, Standardized};
//! use consort_tune::{NetworkEstimator, TrainConfig};
//!
//! let (train, test) = train_test_split(&embedded::digits(), 0.25, 0)?;
//! let mlp = Standardized(NetworkEstimator::new(
//!     MlpSpec::new(vec![256, 256]), // sizes of input and output come from the data
//!     TrainConfig::new().with_epochs(30).with_seed(0),
//! ))
//! .fit(&train)?;
//! let logistic = Standardized(LogisticRegressionConfig::default()).fit(&train)?;
//! let nb = GaussianNbConfig::default().fit(&train)?;
//! let vote = VotingEnsemble::new(
//!     vec![
//!         Member::new("mlp", Arc::new(mlp)),
//!         Member::new("logistic", Arc::new(logistic)),
//!         Member::new("nb", Arc::new(nb)),
//!     ],
//!     Voting::Soft,
//! )?;
//! let proba = vote.predict_proba(test.features())?; // 451 x 10, rows sum to 1
//! assert_eq!(proba.shape(), (451, 10));
//! # Ok::<(), consort_core::ConsortError>(())
//! ```

#![warn(missing_docs)]

pub mod args;
pub mod progress;
pub mod verbosity;
