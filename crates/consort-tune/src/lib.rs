//! # consort-tune
//!
//! The one training loop of Consort. [`Trainer`] runs mini-batch optimisation (Adam, AdamW,
//! SGD with momentum; gradient accumulation) over any [`consort_models::Network`] reading any
//! input type (dense rows, images, token ids with masks, pairs), with samplers (shuffled,
//! class-balanced, weighted, mixing), validation and best-weight restoration, atomic
//! checkpoints that resume bit-identically, and a divergence guard that rolls back NaN epochs.
//! It reports to an observer and never prints. Fine-tuning strategies extend it through
//! [`TrainingHook`]s (extra loss terms on the one forward pass, loss weights, learning-rate
//! control, stopping, state in checkpoints) rather than copying it. [`NetworkEstimator`] pairs
//! an architecture with a [`TrainConfig`] and hook factories behind [`consort_core::Fit`];
//! every estimator fits through [`fit_network`].

#![warn(missing_docs)]

pub mod adaptive;
pub mod augment;
pub mod averaging;
pub mod checkpoint;
mod config;
pub mod continual;
pub mod distill;
pub mod early_stopping;
mod estimator;
pub mod feature_distill;
mod fit;
pub mod fused;
pub mod hooks;
pub mod lora;
pub mod monitor;
pub mod objective;
pub mod optimizer;
mod recommender;
pub mod sampler;
pub mod schedule;
mod step;
mod trainer;
pub mod transfer;

pub use adaptive::{AdaptiveConfig, AdaptiveController, Signal, Stage, Switch, Trend, TrendConfig};
pub use augment::{Augment, Augmentation};
pub use averaging::{
    SnapshotConfig, SnapshotEnsemble, StochasticWeightAveraging, SwaConfig, greedy_soup,
    uniform_soup,
};
pub use checkpoint::{Checkpoint, CheckpointConfig, LoopState};
pub use config::{DivergenceGuard, MAX_EPOCHS, TrainConfig, ensure_epochs};
pub use distill::{KnowledgeDistillation, distillation_targets, soften};
pub use early_stopping::{EarlyStopping, StopDecision};
pub use estimator::{FittedNetwork, NetworkEstimator};
pub use feature_distill::{FeatureDistillation, HintedSpec, HintedStudent};
pub use fit::{FitContext, FitSettings, HookFactory, fit_network, validation_split};
pub use fused::FusedSupervision;
pub use hooks::{
    Batch, BatchTransform, Control, EpochEvents, EpochRecord, LossTerm, RateSchedule, TrainingHook,
};
pub use lora::{AdapterBank, LoraConfig, LoraFactors, LoraModel};
pub use monitor::{Monitor, PlateauTracker, Quantity};
pub use objective::{
    BinaryFeedback, Classification, Evaluation, InputOf, Objective, PartiallyLabelled, Targets,
    TrainingData, evaluate,
};
pub use optimizer::{OptimizerConfig, OptimizerState};
pub use recommender::{Feedback, MatrixFactorizationEstimator};
pub use sampler::{
    BatchSampler, ClassBalanced, Mixing, Reshuffled, SamplerKind, Shuffled, Weighted,
};
pub use schedule::{ReduceOnPlateau, Schedule, ScheduleHook};
pub use trainer::{RunOptions, TrainOutcome, Trainer};
pub use transfer::{
    DiscriminativeLr, GradualUnfreezing, LinearProbe, ParamCount, count_parameters,
    freeze_backbone, freeze_layers, freeze_paths, layer_paths, unfreeze_layers,
};
