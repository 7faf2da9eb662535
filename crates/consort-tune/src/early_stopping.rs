//! Early stopping as a hook: stop after `patience` epochs without an improvement of the
//! monitored quantity, by the same rule as reduce-on-plateau and best-epoch selection
//! ([`PlateauTracker`]). The loop restores the best weights when it validated.

use consort_core::{Direction, EpochRecord, Result};

use crate::hooks::EpochEvents;
use crate::hooks::{Control, TrainingHook};
use crate::monitor::{Monitor, PlateauTracker};

/// What [`EarlyStopping::update`] concluded about the latest epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopDecision {
    /// The metric improved.
    Improved,
    /// No improvement yet, but patience is not exhausted.
    Wait,
    /// Patience exhausted: stop.
    Stop,
}

/// Stops training after `patience` epochs without an improvement of a [`Monitor`].
#[derive(Debug, Clone)]
pub struct EarlyStopping {
    patience: usize,
    monitor: Monitor,
    direction: Direction,
    tracker: PlateauTracker,
}

impl EarlyStopping {
    /// Watches the validation loss (lower is better, relative threshold 1e-4).
    pub fn new(patience: usize) -> Self {
        Self::with_monitor(patience, Monitor::valid_loss(), Direction::Lower)
    }

    /// Watches `monitor`; `score_direction` is the objective's, used when the monitor watches
    /// the validation score without a direction of its own.
    pub fn with_monitor(patience: usize, monitor: Monitor, score_direction: Direction) -> Self {
        Self {
            patience,
            direction: monitor.resolved(score_direction),
            monitor,
            tracker: PlateauTracker::default(),
        }
    }

    /// Records the value of `epoch`. A NaN never counts as an improvement.
    pub fn update(&mut self, epoch: usize, value: f64) -> StopDecision {
        if self
            .tracker
            .update(epoch, value, self.direction, self.monitor.threshold)
        {
            StopDecision::Improved
        } else if self.tracker.bad_epochs >= self.patience {
            StopDecision::Stop
        } else {
            StopDecision::Wait
        }
    }

    /// The best value seen.
    pub fn best(&self) -> Option<f64> {
        self.tracker.best
    }

    /// The epoch of the best value.
    pub fn best_epoch(&self) -> usize {
        self.tracker.best_epoch
    }
}

impl<M, I> TrainingHook<M, I> for EarlyStopping {
    fn name(&self) -> &str {
        "early-stopping"
    }

    fn state(&self) -> Option<serde_json::Value> {
        serde_json::to_value(&self.tracker).ok()
    }

    fn load_state(&mut self, state: serde_json::Value) -> Result<()> {
        self.tracker = serde_json::from_value(state)?;
        Ok(())
    }

    fn epoch_events(&mut self) -> Option<&mut dyn EpochEvents<M>> {
        Some(self)
    }
}

impl<M> EpochEvents<M> for EarlyStopping {
    fn on_epoch_end(&mut self, record: &EpochRecord) -> Control {
        match self.monitor.value(record) {
            Some(v) if self.update(record.epoch, v) == StopDecision::Stop => Control::Stop,
            _ => Control::Continue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_metric_sequence() {
        let mut es = EarlyStopping::new(2);
        let script = [1.0, 0.8, 0.79995, 0.9, 0.7, 0.71, 0.75];
        let decisions: Vec<_> = script
            .iter()
            .enumerate()
            .map(|(e, &m)| es.update(e, m))
            .collect();
        use StopDecision::*;
        // 0.79995 is within the relative threshold (1e-4) of 0.8: not an improvement.
        assert_eq!(
            decisions,
            vec![Improved, Improved, Wait, Stop, Improved, Wait, Stop]
        );
        assert_eq!(es.best(), Some(0.7));
        assert_eq!(es.best_epoch(), 4);
    }

    #[test]
    fn nan_is_never_best_and_accuracy_rises() {
        let mut es = EarlyStopping::new(1);
        assert_eq!(es.update(0, f64::NAN), StopDecision::Stop);
        assert_eq!(es.best(), None);
        let mut acc = EarlyStopping::with_monitor(1, Monitor::valid_score(), Direction::Higher);
        assert_eq!(acc.update(1, 0.9), StopDecision::Improved);
        assert_eq!(acc.update(2, 0.95), StopDecision::Improved);
        assert_eq!(acc.update(3, 0.94), StopDecision::Stop);
    }
}
