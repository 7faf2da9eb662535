//! # consort-tune
//!
//! The one training loop of Consort. [`Trainer`] runs mini-batch Adam over any
//! [`consort_models::Network`] with validation, early stopping that restores the best
//! weights, and a progress line per epoch. Fine-tuning strategies extend it through
//! [`TrainingHook`]s (extra loss terms, loss weights, learning-rate control, stopping) rather
//! than copying it. [`NetworkEstimator`] pairs an architecture with a [`TrainConfig`] behind
//! [`consort_core::Fit`], so networks fit like every other model.

#![warn(missing_docs)]

mod config;
pub mod distill;
pub mod early_stopping;
mod estimator;
pub mod feature_distill;
pub mod hooks;
pub mod lora;
pub mod objective;
mod recommender;
pub mod schedule;
mod trainer;
pub mod transfer;

pub use config::TrainConfig;
pub use distill::{KnowledgeDistillation, distillation_targets, soften};
pub use early_stopping::{EarlyStopping, StopDecision};
pub use estimator::{FittedNetwork, NetworkEstimator};
pub use feature_distill::{FeatureDistillation, HintedStudent};
pub use hooks::{Batch, Control, EpochRecord, TrainingHook};
pub use lora::{AdapterBank, LoraConfig, LoraFactors, LoraModel};
pub use objective::{BinaryFeedback, Evaluation, Objective, PartiallyLabelled, Targets};
pub use recommender::{Feedback, MatrixFactorizationEstimator};
pub use schedule::{ReduceOnPlateau, Schedule, ScheduleHook};
pub use trainer::{TrainOutcome, Trainer, evaluate};
pub use transfer::{
    DiscriminativeLr, GradualUnfreezing, LinearProbe, ParamCount, count_parameters,
    freeze_backbone, freeze_layers, freeze_paths, layer_paths, unfreeze_layers,
};
