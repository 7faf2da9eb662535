//! Training hyperparameters.

use burn::config::Config;
use consort_core::params::{
    ensure_at_least, ensure_count_in, ensure_non_negative, ensure_positive, ensure_within,
};
use consort_core::{ParamGuard, Result};
use serde::{Deserialize, Serialize};

use crate::checkpoint::CheckpointConfig;
use crate::monitor::Monitor;
use crate::optimizer::OptimizerConfig;
use crate::sampler::SamplerKind;

/// What the loop does when a loss or a weight goes NaN or infinite: roll back to the start
/// of the epoch, multiply the learning rate by `lr_factor`, and retry, at most `max_retries`
/// times in a run; then fail with [`ConsortError::Diverged`](consort_core::ConsortError::Diverged).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DivergenceGuard {
    /// Rollbacks allowed in one run (0: fail at the first non-finite value).
    pub max_retries: usize,
    /// Learning-rate multiplier applied at each rollback, in (0, 1).
    pub lr_factor: f64,
}

impl Default for DivergenceGuard {
    fn default() -> Self {
        Self {
            max_retries: 3,
            lr_factor: 0.5,
        }
    }
}

/// The most epochs a run may ask for: beyond it a typo (`--epochs 1000000000`) is more likely
/// than a plan, and per-epoch records would fill the memory.
pub const MAX_EPOCHS: usize = 100_000;

/// Hyperparameters of the training loop.
#[derive(Config, Debug)]
pub struct TrainConfig {
    /// Passes over the training data at most.
    #[config(default = 40)]
    pub epochs: usize,
    /// Samples per optimiser step.
    #[config(default = 64)]
    pub batch_size: usize,
    /// Base learning rate (hooks may schedule it).
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    /// The optimiser.
    #[config(default = "OptimizerConfig::Adam")]
    pub optimizer: OptimizerConfig,
    /// Batches whose gradients are summed (losses scaled by 1/k) before one optimiser step:
    /// an effective batch of `k * batch_size` in the memory of one.
    #[config(default = 1)]
    pub accumulation_steps: usize,
    /// How batches are drawn.
    #[config(default = "SamplerKind::Shuffled")]
    pub sampler: SamplerKind,
    /// Decoupled L2 weight decay (0 disables it).
    #[config(default = 0.0)]
    pub weight_decay: f32,
    /// Clip the gradient norm to this value (`None` disables clipping).
    #[config(default = "None")]
    pub grad_clip_norm: Option<f32>,
    /// Seed for weight initialisation and batch shuffling.
    #[config(default = 0)]
    pub seed: u64,
    /// Fraction of the training data held out (stratified) for validation by estimators;
    /// 0 trains on everything and disables early stopping.
    #[config(default = 0.0)]
    pub validation_fraction: f64,
    /// Stop after this many epochs without an improvement of `monitor` (an
    /// [`EarlyStopping`](crate::EarlyStopping) hook), restoring the best weights (`None`: run
    /// every epoch, still restoring the best if validating).
    #[config(default = "None")]
    pub patience: Option<usize>,
    /// The quantity that decides the best epoch (restored weights, best checkpoint, early
    /// stopping).
    #[config(default = "Monitor::valid_loss()")]
    pub monitor: Monitor,
    /// Checkpoints: where, how often, how many, and whether to resume.
    #[config(default = "None")]
    pub checkpoint: Option<CheckpointConfig>,
    /// Rollback and retry on NaN/Inf.
    #[config(default = "DivergenceGuard::default()")]
    pub divergence: DivergenceGuard,
}

/// The one epoch rule, for every place that takes an epoch count (`--epochs`, an experiment
/// file's `epochs`, a network's settings): 1 to [`MAX_EPOCHS`].
pub fn ensure_epochs(key: &str, epochs: usize) -> Result<()> {
    ensure_count_in(key, epochs, 1..=MAX_EPOCHS)
}

impl ParamGuard for TrainConfig {
    fn check(&self) -> Result<()> {
        ensure_epochs("epochs", self.epochs)?;
        ensure_at_least("batch_size", self.batch_size, 1)?;
        ensure_positive("learning_rate", self.learning_rate)?;
        ensure_non_negative("weight_decay", self.weight_decay)?;
        if let Some(clip) = self.grad_clip_norm {
            ensure_positive("grad_clip_norm", clip)?;
        }
        ensure_within(
            "validation_fraction",
            self.validation_fraction,
            0.0,
            1.0,
            (true, false),
        )?;
        if let Some(patience) = self.patience {
            ensure_at_least("patience", patience, 1)?;
        }
        ensure_at_least("accumulation_steps", self.accumulation_steps, 1)?;
        ensure_non_negative("monitor.threshold", self.monitor.threshold)?;
        ensure_within(
            "divergence.lr_factor",
            self.divergence.lr_factor,
            0.0,
            1.0,
            (false, false),
        )?;
        self.optimizer.check()?;
        if let Some(c) = &self.checkpoint {
            c.check()?;
        }
        Ok(())
    }
}
