//! # consort-core
//!
//! The foundation every Consort crate builds on:
//!
//! * [`backend`]: which burn backend runs networks (Cargo features `flex`, `ndarray`, `wgpu`);
//! * [`allocator`]: keeping freed tensor memory for reuse (a process-wide choice for
//!   binaries);
//! * [`seed`]: seeded generators and a lock for burn's global one;
//! * [`error`]: [`ConsortError`], the typed error returned everywhere;
//! * [`io`]: atomic writes and JSON persistence;
//! * [`observe`]: training events and the [`Observer`] that receives them (libraries never
//!   print);
//! * [`params`]: [`ParamGuard`] and [`Checked`], settings checked once at the boundary;
//! * [`matrix`]: [`Matrix`], the dense `f32` matrix models read and write;
//! * [`traits`]: [`Fit`], [`FitWith`], [`Classifier`] and [`ParamGuard`], the one contract that
//!   networks, classical models and ensembles share.

#![warn(missing_docs)]

pub mod allocator;
pub mod backend;
pub mod error;
pub mod io;
pub mod matrix;
pub mod observe;
pub mod params;
pub mod seed;
pub mod traits;

pub use backend::{BackendKind, default_device};
pub use burn;
pub use error::{ConsortError, Result};
pub use matrix::Matrix;
pub use observe::{
    Direction, EpochHistory, EpochRecord, Event, EventLog, Observer, ObserverHandle,
};
pub use params::Checked;
pub use traits::{
    Classifier, ClassifierEstimator, Fit, FitWeighted, FitWith, ParamGuard, Recommend, Regressor,
    RegressorEstimator, balanced_sample_weights, check_input, check_labels, check_sample_weights,
    check_user,
};
