//! Stochastic weight averaging (Izmailov et al., 2018): from a start epoch on, the weights at
//! the end of every epoch join an equal-weight running average, optionally under a constant
//! SWA learning rate; the average is the model kept. It lands in a wider optimum than the
//! last iterate, which usually generalises at least as well.

use burn::module::Module;
use consort_core::{ConsortError, ParamGuard, Result};
use serde::{Deserialize, Serialize};

use super::recorded::{Recorded, RecordingHook};
use super::weights::RunningAverage;
use crate::hooks::{EpochEvents, RateSchedule};

/// When averaging starts and the learning rate it runs at.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SwaConfig {
    /// The first epoch (1-based) whose end-of-epoch weights are averaged.
    pub start_epoch: usize,
    /// The constant learning rate from `start_epoch` on (`None`: whatever the loop and
    /// earlier hooks set).
    pub learning_rate: Option<f64>,
}

impl SwaConfig {
    /// Averages from `start_epoch` on at the loop's learning rate.
    pub fn new(start_epoch: usize) -> Self {
        Self {
            start_epoch,
            learning_rate: None,
        }
    }

    /// Runs the averaged epochs at a constant `lr`.
    pub fn with_learning_rate(mut self, lr: f64) -> Self {
        self.learning_rate = Some(lr);
        self
    }
}

impl ParamGuard for SwaConfig {
    fn check(&self) -> Result<()> {
        if self.start_epoch == 0 {
            return Err(ConsortError::config("SWA's start epoch is 1-based, got 0"));
        }
        if let Some(lr) = self.learning_rate
            && !(lr.is_finite() && lr > 0.0)
        {
            return Err(ConsortError::config(format!(
                "SWA's learning rate must be positive, got {lr}"
            )));
        }
        Ok(())
    }
}

/// The SWA hook. Clones share one average, so the caller keeps a clone as the handle to read
/// the result from after the fit (the estimator's hook factories clone the hook per fit):
///
/// ```ignore
/// let swa = StochasticWeightAveraging::new(SwaConfig::new(21).with_learning_rate(1e-3))?;
/// let (_, outcome) = estimator.with_hook_factory(HookFactory::cloned(swa.clone()))
///     .fit_with_history(&train)?;
/// let averaged = swa.apply_to(outcome.model).expect("epochs >= 21")?;
/// ```
///
/// A new fit starts a new average. The average is saved in checkpoints and restored on resume.
pub type StochasticWeightAveraging = Recorded<SwaConfig, RunningAverage>;

impl RecordingHook for SwaConfig {
    const NAME: &'static str = "swa";
}

impl StochasticWeightAveraging {
    /// Epochs averaged so far.
    pub fn count(&self) -> usize {
        self.lock().count()
    }

    /// `model` (any network of the trained architecture, e.g. the fit's final one) carrying
    /// the averaged weights; `None` when no epoch reached the start.
    pub fn apply_to<M: Module>(&self, model: M) -> Option<Result<M>> {
        self.lock().apply(model)
    }
}

impl RateSchedule for StochasticWeightAveraging {
    fn learning_rate(&mut self, epoch: usize, lr: f64) -> f64 {
        match self.config.learning_rate {
            Some(swa_lr) if epoch >= self.config.start_epoch => swa_lr,
            _ => lr,
        }
    }
}

impl<M: Module> EpochEvents<M> for StochasticWeightAveraging {
    fn after_epoch(&mut self, epoch: usize, model: &M) -> Result<()> {
        if epoch >= self.config.start_epoch {
            self.lock().add(model)?;
        }
        Ok(())
    }
}
