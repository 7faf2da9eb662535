//! Training events and their observers: library crates never print.
//!
//! Long work (a training run, the folds of a stacking fit) reports what happens as [`Event`]s
//! to an [`Observer`]. The command-line tool renders them as progress bars; tests collect
//! them; the default is to drop them. [`ObserverHandle`] is the optional, cloneable observer
//! that configs and estimators carry.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Whether a metric improves by going down (a loss, RMSE) or up (accuracy, F1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Direction {
    /// Lower is better.
    #[default]
    Lower,
    /// Higher is better.
    Higher,
}

impl Direction {
    /// Whether `value` improves on `best` by more than the relative `threshold` (PyTorch's
    /// "rel" rule: `value < best - threshold * |best|` when lower is better). A NaN never
    /// improves; anything finite improves on no best at all.
    pub fn improves(self, value: f64, best: Option<f64>, threshold: f64) -> bool {
        if value.is_nan() {
            return false;
        }
        let Some(best) = best else {
            return true;
        };
        let margin = threshold * best.abs();
        match self {
            Direction::Lower => value < best - margin,
            Direction::Higher => value > best + margin,
        }
    }

    /// The better of two values.
    pub fn better(self, a: f64, b: f64) -> f64 {
        match self {
            Direction::Lower => a.min(b),
            Direction::Higher => a.max(b),
        }
    }
}

/// What happened in one training epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean total training loss over the epoch's batches.
    pub train_loss: f64,
    /// Validation loss (the objective's: cross-entropy, MSE, ...), when validating.
    pub valid_loss: Option<f64>,
    /// Validation score (accuracy for classification, RMSE for regression), when validating.
    pub valid_score: Option<f64>,
    /// Learning rate used in this epoch.
    pub learning_rate: f64,
    /// Wall time of the epoch including validation.
    pub seconds: f64,
}

/// Something a long-running piece of work reports.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A training run starts (or resumes at `first_epoch > 1`).
    RunStarted {
        /// The run's name ("mlp", "cnn").
        label: &'a str,
        /// The epoch it starts at (1-based).
        first_epoch: usize,
        /// Epochs planned in all.
        epochs: usize,
    },
    /// One optimiser step's batch is done (for progress bars within an epoch).
    BatchEnded {
        /// The run's name.
        label: &'a str,
        /// 1-based epoch.
        epoch: usize,
        /// Batches done in this epoch.
        done: usize,
        /// Batches in this epoch.
        total: usize,
    },
    /// An epoch ended (after validation).
    EpochEnded {
        /// The run's name.
        label: &'a str,
        /// Epochs planned in all.
        epochs: usize,
        /// What happened.
        record: &'a EpochRecord,
        /// The name of `record.valid_score` ("acc", "rmse").
        score_name: &'a str,
    },
    /// A checkpoint was written (atomically) to `path`.
    CheckpointSaved {
        /// The run's name.
        label: &'a str,
        /// The epoch it holds.
        epoch: usize,
        /// Its folder.
        path: &'a Path,
        /// Whether it is the best epoch so far.
        best: bool,
    },
    /// A run continues from a checkpoint.
    Resumed {
        /// The run's name.
        label: &'a str,
        /// The last epoch the checkpoint had finished.
        epoch: usize,
        /// Its folder.
        path: &'a Path,
    },
    /// The divergence guard rolled an epoch back and lowered the learning rate.
    RolledBack {
        /// The run's name.
        label: &'a str,
        /// The epoch being retried.
        epoch: usize,
        /// Which retry this is (1-based).
        attempt: usize,
        /// The learning-rate multiplier from now on.
        lr_scale: f64,
        /// What went non-finite.
        reason: &'a str,
    },
    /// Training ended; the weights of `best_epoch` were kept.
    RunFinished {
        /// The run's name.
        label: &'a str,
        /// The epoch whose weights were kept.
        best_epoch: usize,
        /// The last epoch run.
        last_epoch: usize,
    },
    /// A stage of a longer job began or ended ("[3/6] fitting knn", "knn: accuracy 0.98"):
    /// a line for people to read.
    Stage {
        /// The line.
        message: &'a str,
    },
    /// A step of some other long job (a fold of out-of-fold predictions, say).
    Progress {
        /// The job's name.
        label: &'a str,
        /// Steps done.
        done: usize,
        /// Steps in all.
        total: usize,
    },
    /// Bytes of a download so far (a registry client's, watched on disk).
    Download {
        /// What is downloaded.
        label: &'a str,
        /// Bytes on disk so far.
        bytes: u64,
        /// Bytes expected in all (the pinned file's size); `bytes == total` ends it.
        total: u64,
    },
}

/// Receives [`Event`]s. Observers are shared across threads, so they take `&self` (use
/// interior mutability to keep state).
pub trait Observer: Send + Sync {
    /// Called for every event, on the thread doing the work.
    fn notify(&self, event: &Event<'_>);
}

/// An optional shared observer: what configs and estimators carry. Cloning shares the
/// observer; equality ignores it; it is never serialised.
#[derive(Clone, Default)]
pub struct ObserverHandle(Option<Arc<dyn Observer>>);

impl ObserverHandle {
    /// No observer: events are dropped.
    pub fn none() -> Self {
        Self(None)
    }

    /// Events go to `observer`.
    pub fn new(observer: Arc<dyn Observer>) -> Self {
        Self(Some(observer))
    }

    /// Whether an observer is attached.
    pub fn is_some(&self) -> bool {
        self.0.is_some()
    }

    /// Sends `event` to the observer, if any.
    pub fn notify(&self, event: &Event<'_>) {
        if let Some(o) = &self.0 {
            o.notify(event);
        }
    }

    /// This observer and `other` together: both are told every event (the caller's progress
    /// bars and a recorder of training curves, say).
    pub fn and(&self, other: impl Into<ObserverHandle>) -> Self {
        Self::new(Arc::new(Both(self.clone(), other.into())))
    }
}

/// Two observers told every event, in order.
struct Both(ObserverHandle, ObserverHandle);

impl Observer for Both {
    fn notify(&self, event: &Event<'_>) {
        self.0.notify(event);
        self.1.notify(event);
    }
}

/// Keeps every finished epoch's record with its run's label: the training curves of a report.
#[derive(Debug, Default)]
pub struct EpochHistory(std::sync::Mutex<Vec<(String, EpochRecord)>>);

impl EpochHistory {
    /// Records kept so far.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no record was kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The records kept after the first `start` (those of the runs since a [`len`](Self::len)
    /// taken earlier).
    pub fn since(&self, start: usize) -> Vec<(String, EpochRecord)> {
        let records = self.0.lock().unwrap_or_else(|p| p.into_inner());
        records.get(start..).unwrap_or_default().to_vec()
    }
}

impl Observer for EpochHistory {
    fn notify(&self, event: &Event<'_>) {
        if let Event::EpochEnded { label, record, .. } = event {
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(((*label).to_string(), (*record).clone()));
        }
    }
}

impl fmt::Debug for ObserverHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "ObserverHandle(attached)"
        } else {
            "ObserverHandle(none)"
        })
    }
}

impl PartialEq for ObserverHandle {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T: Observer + 'static> From<Arc<T>> for ObserverHandle {
    fn from(o: Arc<T>) -> Self {
        Self(Some(o))
    }
}

/// Collects events as text lines (for tests and logs).
#[derive(Debug, Default)]
pub struct EventLog(std::sync::Mutex<Vec<String>>);

impl EventLog {
    /// The lines so far.
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Observer for EventLog {
    fn notify(&self, event: &Event<'_>) {
        if matches!(event, Event::BatchEnded { .. }) {
            return;
        }
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(format!("{event:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn improvement_rule_in_both_directions() {
        assert!(Direction::Lower.improves(0.9, Some(1.0), 0.01));
        assert!(!Direction::Lower.improves(0.995, Some(1.0), 0.01));
        assert!(Direction::Higher.improves(0.9, Some(0.8), 0.01));
        assert!(!Direction::Higher.improves(0.805, Some(0.8), 0.01));
        assert!(!Direction::Lower.improves(f64::NAN, None, 0.0));
        assert!(Direction::Higher.improves(0.1, None, 0.0));
        // A negative best: the margin is relative to its magnitude.
        assert!(Direction::Lower.improves(-1.1, Some(-1.0), 0.01));
    }

    #[test]
    fn the_handle_forwards_to_its_observer() {
        let log = Arc::new(EventLog::default());
        let handle = ObserverHandle::from(log.clone());
        handle.notify(&Event::Progress {
            label: "folds",
            done: 1,
            total: 5,
        });
        ObserverHandle::none().notify(&Event::Progress {
            label: "x",
            done: 0,
            total: 0,
        });
        assert_eq!(log.lines().len(), 1);
        assert!(log.lines()[0].contains("folds"));
    }
}
