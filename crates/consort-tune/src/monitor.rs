//! Which number decides "better", and the one improvement rule every strategy uses.
//!
//! Early stopping, reduce-on-plateau, best-weight restoration and best-checkpoint selection
//! all watch a [`Monitor`] (a quantity of the [`EpochRecord`] plus its [`Direction`]) through
//! one [`PlateauTracker`], so they agree on which epoch improved.

use consort_core::{Direction, EpochRecord};
use serde::{Deserialize, Serialize};

/// A per-epoch quantity to watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Quantity {
    /// The validation loss (the training loss when not validating). Lower is better.
    #[default]
    ValidLoss,
    /// The objective's validation score (accuracy: higher is better; RMSE: lower).
    ValidScore,
    /// The mean training loss. Lower is better.
    TrainLoss,
}

/// A quantity and the direction in which it improves.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Monitor {
    /// What to watch.
    pub quantity: Quantity,
    /// Which way is better. For [`Quantity::ValidScore`] the objective's own direction is
    /// used when this is `None`.
    pub direction: Option<Direction>,
    /// Relative improvement needed to count as better (1e-4: 0.01%).
    pub threshold: f64,
}

impl Default for Monitor {
    fn default() -> Self {
        Self::valid_loss()
    }
}

impl Monitor {
    /// The validation loss, lower is better, relative threshold 1e-4.
    pub fn valid_loss() -> Self {
        Self {
            quantity: Quantity::ValidLoss,
            direction: Some(Direction::Lower),
            threshold: 1e-4,
        }
    }

    /// The objective's validation score in its own direction.
    pub fn valid_score() -> Self {
        Self {
            quantity: Quantity::ValidScore,
            direction: None,
            threshold: 1e-4,
        }
    }

    /// Sets the relative threshold.
    pub fn with_threshold(mut self, threshold: f64) -> Self {
        self.threshold = threshold;
        self
    }

    /// The watched value of `record` (the training loss stands in for a missing validation
    /// loss; a missing score is `None`).
    pub fn value(&self, record: &EpochRecord) -> Option<f64> {
        match self.quantity {
            Quantity::ValidLoss => Some(record.valid_loss.unwrap_or(record.train_loss)),
            Quantity::ValidScore => record.valid_score,
            Quantity::TrainLoss => Some(record.train_loss),
        }
    }

    /// The direction, filling in the objective's score direction where unset.
    pub fn resolved(&self, score_direction: Direction) -> Direction {
        self.direction.unwrap_or(match self.quantity {
            Quantity::ValidScore => score_direction,
            _ => Direction::Lower,
        })
    }
}

/// Tracks the best value of a monitored quantity and the epochs since it last improved.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlateauTracker {
    /// The best value so far.
    pub best: Option<f64>,
    /// The epoch of the best value.
    pub best_epoch: usize,
    /// Epochs since the last improvement.
    pub bad_epochs: usize,
}

impl PlateauTracker {
    /// Records `value` of `epoch`; returns whether it improved on the best (by the relative
    /// `threshold` in `direction`; a NaN never improves).
    pub fn update(
        &mut self,
        epoch: usize,
        value: f64,
        direction: Direction,
        threshold: f64,
    ) -> bool {
        if direction.improves(value, self.best, threshold) {
            self.best = Some(value);
            self.best_epoch = epoch;
            self.bad_epochs = 0;
            true
        } else {
            self.bad_epochs += 1;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tracker_counts_epochs_without_improvement() {
        let mut t = PlateauTracker::default();
        let seq = [1.0, 0.8, 0.79999, 0.9, 0.7];
        let improved: Vec<bool> = seq
            .iter()
            .enumerate()
            .map(|(e, &v)| t.update(e + 1, v, Direction::Lower, 1e-4))
            .collect();
        assert_eq!(improved, vec![true, true, false, false, true]);
        assert_eq!((t.best, t.best_epoch, t.bad_epochs), (Some(0.7), 5, 0));
        let mut acc = PlateauTracker::default();
        assert!(acc.update(1, 0.5, Direction::Higher, 0.0));
        assert!(!acc.update(2, 0.4, Direction::Higher, 0.0));
        assert_eq!(acc.bad_epochs, 1);
    }

    #[test]
    fn the_monitor_reads_its_quantity() {
        let r = EpochRecord {
            epoch: 1,
            train_loss: 2.0,
            valid_loss: None,
            valid_score: Some(0.9),
            learning_rate: 0.1,
            seconds: 0.0,
        };
        assert_eq!(Monitor::valid_loss().value(&r), Some(2.0));
        assert_eq!(Monitor::valid_score().value(&r), Some(0.9));
        assert_eq!(
            Monitor::valid_score().resolved(Direction::Higher),
            Direction::Higher
        );
    }
}
