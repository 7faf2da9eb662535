//! The adaptive controller's settings: its stages, the measure it follows, the trend
//! thresholds and how far it may lower the rate or raise regularisation.

use consort_core::{ConsortError, Direction, EpochRecord, ParamGuard, Result};
use serde::{Deserialize, Serialize};

use super::stage::Stage;
use super::trend::TrendConfig;
use crate::augment::Augmentation;

/// The validation measure the controller follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Signal {
    /// The objective's validation score (accuracy), in its direction.
    Score(Direction),
    /// The validation loss, followed as `-ln(loss)` so that the trend thresholds are relative
    /// (0.01 ≈ 1%): finer-grained than accuracy on a few validation rows, and what the loop's
    /// default monitor restores the best epoch by.
    Loss,
}

impl Signal {
    /// The measure of `record`, oriented so that higher is better.
    pub fn value(self, record: &EpochRecord) -> Option<f64> {
        match self {
            Signal::Score(Direction::Higher) => record.valid_score,
            Signal::Score(Direction::Lower) => record.valid_score.map(|s| -s),
            Signal::Loss => record.valid_loss.map(|l| -l.max(1e-12).ln()),
        }
    }

    /// An oriented value back in the measure's own units, for logs.
    pub(super) fn display(self, value: f64) -> f64 {
        match self {
            Signal::Score(Direction::Higher) => value,
            Signal::Score(Direction::Lower) => -value,
            Signal::Loss => (-value).exp(),
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Signal::Score(_) => "validation score",
            Signal::Loss => "validation loss",
        }
    }
}

/// The controller's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdaptiveConfig {
    /// Strategies from least to most capacity; training starts in the first.
    pub stages: Vec<Stage>,
    /// Trend thresholds.
    pub trend: TrendConfig,
    /// The validation measure followed.
    pub signal: Signal,
    /// L2-SP coefficients to step through on overfitting (the first is the starting one).
    pub l2sp: Vec<f64>,
    /// Factor applied to the rate on a plateau at the last stage or on degradation.
    pub lr_decay: f64,
    /// Rate decays allowed per stage.
    pub max_lr_decays: usize,
    /// Epochs of the opening probe of each stage (0: no probe, start in the first stage).
    pub probe_epochs: usize,
    /// Augmentation turned on at the first sign of overfitting, before any L2-SP raise
    /// (`None`: never).
    #[serde(default)]
    pub augmentation: Option<Augmentation>,
}

impl AdaptiveConfig {
    /// Opens with a probe of `epochs` epochs per stage.
    pub fn with_probe(mut self, epochs: usize) -> Self {
        self.probe_epochs = epochs;
        self
    }

    /// Turns `augmentation` on at the first overfitting.
    pub fn with_augmentation(mut self, augmentation: Augmentation) -> Self {
        self.augmentation = Some(augmentation);
        self
    }

    /// Head only → `upper` layers (with the head) → everything, with default trends.
    pub fn ladder(upper: &[&str]) -> Self {
        let mut upper_and_head = upper.to_vec();
        upper_and_head.push(consort_models::HEAD_PATH);
        Self {
            stages: vec![
                Stage::head_only(),
                Stage::layers("upper layers", &upper_and_head, 1.0),
                Stage::full(1.0),
            ],
            // On the log of the validation loss: a new best must be 0.5% lower, degradation
            // is a loss 35% above the best.
            trend: TrendConfig {
                min_delta: 0.005,
                degrade: 0.3,
                ..TrendConfig::default()
            },
            signal: Signal::Loss,
            l2sp: vec![0.0, 1e-3, 1e-2],
            lr_decay: 0.5,
            max_lr_decays: 2,
            probe_epochs: 0,
            augmentation: None,
        }
    }
}

impl ParamGuard for AdaptiveConfig {
    fn check(&self) -> Result<()> {
        self.trend.check()?;
        if let Some(augmentation) = &self.augmentation {
            augmentation.check()?;
        }
        if self.stages.is_empty() {
            return Err(ConsortError::config(
                "the adaptive controller needs a stage",
            ));
        }
        if self
            .stages
            .iter()
            .any(|s| !(s.lr_factor.is_finite() && s.lr_factor > 0.0))
        {
            return Err(ConsortError::config(
                "stage learning-rate factors must be positive",
            ));
        }
        if self.l2sp.is_empty() || self.l2sp.iter().any(|c| !(c.is_finite() && *c >= 0.0)) {
            return Err(ConsortError::config(
                "L2-SP coefficients must be a non-empty list of values >= 0",
            ));
        }
        if !(self.lr_decay > 0.0 && self.lr_decay < 1.0) {
            return Err(ConsortError::config(format!(
                "lr_decay must lie in (0, 1), got {}",
                self.lr_decay
            )));
        }
        Ok(())
    }
}
