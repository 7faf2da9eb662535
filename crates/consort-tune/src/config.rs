//! Training hyperparameters.

use burn::config::Config;
use consort_core::{ConsortError, ParamGuard, Result};

/// Hyperparameters of the training loop.
#[derive(Config, Debug)]
pub struct TrainConfig {
    /// Passes over the training data at most.
    #[config(default = 40)]
    pub epochs: usize,
    /// Samples per optimiser step.
    #[config(default = 64)]
    pub batch_size: usize,
    /// Adam learning rate.
    #[config(default = 1e-3)]
    pub learning_rate: f64,
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
    /// Stop after this many epochs without a better validation loss, restoring the best
    /// weights (`None`: run every epoch, still restoring the best if validating).
    #[config(default = "None")]
    pub patience: Option<usize>,
    /// Print a line per epoch to stderr.
    #[config(default = false)]
    pub progress: bool,
}

impl ParamGuard for TrainConfig {
    fn check(&self) -> Result<()> {
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
        Ok(())
    }
}
