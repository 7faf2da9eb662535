//! Trends in per-epoch validation metrics: the signals the adaptive controller acts on.

use consort_core::{ConsortError, EpochRecord, ParamGuard, Result};
use serde::{Deserialize, Serialize};

/// What the last epochs say about training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Trend {
    /// The validation score reached a new best.
    Improving,
    /// No new best yet, but not for long enough to call it a plateau.
    Steady,
    /// The validation score reached no new best for `patience` epochs: the strategy has
    /// given what it can.
    Plateau,
    /// The validation loss rose for `overfit_epochs` epochs in a row while the training loss
    /// fell: the model is fitting noise.
    Overfitting,
    /// The validation score stayed more than `degrade` below its best for `degrade_epochs`
    /// epochs in a row: something broke (too high a rate, forgetting what the pretrained
    /// weights knew), beyond an epoch's noise.
    Degrading,
}

/// Thresholds of the trend detector.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrendConfig {
    /// Epochs without a new best that make a plateau.
    pub patience: usize,
    /// A new best must beat the old by more than this (in score units, e.g. accuracy).
    pub min_delta: f64,
    /// Consecutive epochs of rising validation loss and falling training loss that make
    /// overfitting.
    pub overfit_epochs: usize,
    /// A drop of the score below its best by more than this is degradation...
    pub degrade: f64,
    /// ...when it lasts this many epochs in a row.
    pub degrade_epochs: usize,
}

impl Default for TrendConfig {
    fn default() -> Self {
        Self {
            patience: 5,
            min_delta: 1e-4,
            overfit_epochs: 3,
            degrade: 0.05,
            degrade_epochs: 2,
        }
    }
}

impl ParamGuard for TrendConfig {
    fn check(&self) -> Result<()> {
        if self.patience == 0 || self.overfit_epochs == 0 || self.degrade_epochs == 0 {
            return Err(ConsortError::config(
                "trend patience, overfit_epochs and degrade_epochs must be at least 1",
            ));
        }
        let min_delta_ok = self.min_delta.is_finite() && self.min_delta >= 0.0;
        let degrade_ok = self.degrade.is_finite() && self.degrade > 0.0;
        if !(min_delta_ok && degrade_ok) {
            return Err(ConsortError::config(format!(
                "trend min_delta must be >= 0 and degrade > 0, got {} and {}",
                self.min_delta, self.degrade
            )));
        }
        Ok(())
    }
}

/// Follows one run's validation score (higher is better) and losses epoch by epoch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrendDetector {
    config: Option<TrendConfig>,
    best: Option<f64>,
    since_best: usize,
    rising: usize,
    degraded: usize,
    last: Option<(f64, f64)>,
}

impl TrendDetector {
    /// A detector with `config`'s thresholds.
    pub fn new(config: TrendConfig) -> Self {
        Self {
            config: Some(config),
            ..Self::default()
        }
    }

    /// The best score seen.
    pub fn best(&self) -> Option<f64> {
        self.best
    }

    /// Starts afresh from a known best score (after a probe chose a strategy).
    pub fn reset_to(&mut self, best: f64) {
        self.restart_patience();
        self.best = Some(best);
    }

    /// Starts counting the plateau afresh (after the strategy changed), keeping the best.
    pub fn restart_patience(&mut self) {
        self.since_best = 0;
        self.rising = 0;
        self.degraded = 0;
        self.last = None;
    }

    /// Reads one epoch. Epochs without validation are [`Trend::Steady`].
    pub fn observe(&mut self, record: &EpochRecord) -> Trend {
        let config = self.config.unwrap_or_default();
        let Some(score) = record.valid_score else {
            return Trend::Steady;
        };
        let overfitting = match (record.valid_loss, self.last) {
            (Some(valid), Some((last_valid, last_train))) => {
                if valid > last_valid && record.train_loss < last_train {
                    self.rising += 1;
                } else {
                    self.rising = 0;
                }
                self.rising >= config.overfit_epochs
            }
            _ => false,
        };
        if let Some(valid) = record.valid_loss {
            self.last = Some((valid, record.train_loss));
        }
        match self.best {
            Some(best) if score <= best + config.min_delta => {
                self.since_best += 1;
                self.degraded = if score < best - config.degrade {
                    self.degraded + 1
                } else {
                    0
                };
                if self.degraded >= config.degrade_epochs {
                    Trend::Degrading
                } else if overfitting {
                    Trend::Overfitting
                } else if self.since_best >= config.patience {
                    Trend::Plateau
                } else {
                    Trend::Steady
                }
            }
            _ => {
                self.best = Some(score);
                self.since_best = 0;
                self.degraded = 0;
                Trend::Improving
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(epoch: usize, score: f64, valid_loss: f64, train_loss: f64) -> EpochRecord {
        EpochRecord {
            epoch,
            train_loss,
            valid_loss: Some(valid_loss),
            valid_score: Some(score),
            learning_rate: 1e-3,
            seconds: 0.0,
        }
    }

    fn detector() -> TrendDetector {
        TrendDetector::new(TrendConfig {
            patience: 3,
            min_delta: 0.0,
            overfit_epochs: 2,
            degrade: 0.1,
            degrade_epochs: 2,
        })
    }

    #[test]
    fn new_bests_improve_and_a_flat_score_becomes_a_plateau() {
        let mut d = detector();
        assert_eq!(d.observe(&record(1, 0.5, 1.0, 1.0)), Trend::Improving);
        assert_eq!(d.observe(&record(2, 0.6, 0.9, 0.9)), Trend::Improving);
        // Same validation loss, so no overfitting signal: only the score is flat.
        assert_eq!(d.observe(&record(3, 0.6, 0.9, 0.8)), Trend::Steady);
        assert_eq!(d.observe(&record(4, 0.6, 0.9, 0.7)), Trend::Steady);
        assert_eq!(d.observe(&record(5, 0.6, 0.9, 0.6)), Trend::Plateau);
        d.restart_patience();
        assert_eq!(d.observe(&record(6, 0.6, 0.9, 0.6)), Trend::Steady);
        assert_eq!(d.best(), Some(0.6));
    }

    #[test]
    fn rising_validation_loss_with_falling_training_loss_is_overfitting() {
        let mut d = detector();
        d.observe(&record(1, 0.8, 0.5, 0.5));
        assert_eq!(d.observe(&record(2, 0.8, 0.6, 0.4)), Trend::Steady);
        assert_eq!(d.observe(&record(3, 0.8, 0.7, 0.3)), Trend::Overfitting);
    }

    #[test]
    fn one_bad_epoch_is_noise_two_are_degradation() {
        let mut d = TrendDetector::new(TrendConfig {
            patience: 10,
            ..TrendConfig::default()
        });
        d.observe(&record(1, 0.9, 0.5, 0.5));
        // Default: more than 0.05 below the best for 2 epochs.
        assert_eq!(d.observe(&record(2, 0.8, 0.5, 0.5)), Trend::Steady);
        assert_eq!(d.observe(&record(3, 0.88, 0.5, 0.5)), Trend::Steady);
        assert_eq!(d.observe(&record(4, 0.8, 0.5, 0.5)), Trend::Steady);
        assert_eq!(d.observe(&record(5, 0.8, 0.5, 0.5)), Trend::Degrading);
    }

    #[test]
    fn bad_thresholds_are_config_errors() {
        let bad = TrendConfig {
            degrade: 0.0,
            ..TrendConfig::default()
        };
        assert!(bad.check().is_err());
        let bad = TrendConfig {
            patience: 0,
            ..TrendConfig::default()
        };
        assert!(bad.check().is_err());
    }
}
