//! Training hyperparameters.

use burn::config::Config;
use consort_core::{ConsortError, ParamGuard, Result};
use serde::{Deserialize, Serialize};

use crate::checkpoint::CheckpointConfig;
use crate::monitor::Monitor;
use crate::optimizer::OptimizerConfig;
use crate::sampler::SamplerKind;

/// What the loop does when a loss or a weight goes NaN or infinite: roll back to the start
/// of the epoch, multiply the learning rate by `lr_factor`, and retry, at most `max_retries`
/// times in a run; then fail with [`ConsortError::Diverged`].
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

impl ParamGuard for TrainConfig {
    fn check(&self) -> Result<()> {
        if self.epochs > MAX_EPOCHS {
            return Err(ConsortError::config(format!(
                "{} epochs exceed the limit of {MAX_EPOCHS}",
                self.epochs
            )));
        }
        if self.epochs == 0 || self.batch_size == 0 {
            return Err(ConsortError::config(format!(
                "training needs epochs >= 1 and batch_size >= 1, got {} and {}",
                self.epochs, self.batch_size
            )));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(ConsortError::config(format!(
                "learning rate must be positive, got {}",
                self.learning_rate
            )));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(ConsortError::config("weight decay must be >= 0"));
        }
        if self
            .grad_clip_norm
            .is_some_and(|c| !(c.is_finite() && c > 0.0))
        {
            return Err(ConsortError::config("gradient clip norm must be positive"));
        }
        if !(0.0..1.0).contains(&self.validation_fraction) {
            return Err(ConsortError::config(format!(
                "validation fraction must be in [0, 1), got {}",
                self.validation_fraction
            )));
        }
        if self.patience == Some(0) {
            return Err(ConsortError::config("patience must be >= 1"));
        }
        if self.accumulation_steps == 0 {
            return Err(ConsortError::config("accumulation_steps must be >= 1"));
        }
        if !(self.monitor.threshold.is_finite() && self.monitor.threshold >= 0.0) {
            return Err(ConsortError::config("monitor threshold must be >= 0"));
        }
        if !(self.divergence.lr_factor > 0.0 && self.divergence.lr_factor < 1.0) {
            return Err(ConsortError::config(format!(
                "divergence lr_factor must lie in (0, 1), got {}",
                self.divergence.lr_factor
            )));
        }
        self.optimizer.check()?;
        if let Some(c) = &self.checkpoint {
            c.check()?;
        }
        Ok(())
    }
}
