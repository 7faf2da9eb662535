//! Snapshot ensembles (Huang et al., 2017, "Train 1, get M for free"): a cyclic cosine
//! learning rate restarts every `cycle_epochs` epochs; at the end of each cycle, where the rate
//! is lowest and the network sits in a local minimum, its weights are kept as a snapshot. The
//! snapshots' averaged predictions form an ensemble for the training cost of one network.

use burn::module::Module;
use consort_core::{ConsortError, ParamGuard, Result};
use serde::{Deserialize, Serialize};

use super::recorded::{Recorded, RecordingHook};
use super::weights::{parameter_values, tensors_to_vecs, vecs_to_tensors, with_parameter_values};
use crate::hooks::{EpochEvents, RateSchedule};

/// The cyclic schedule and how many snapshots to keep.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SnapshotConfig {
    /// Epochs per cosine cycle; a snapshot is taken at the end of each.
    pub cycle_epochs: usize,
    /// The rate each cycle anneals to (its start is the loop's rate).
    pub min_lr: f64,
    /// Keep only the last `keep` snapshots (`None`: all).
    pub keep: Option<usize>,
}

impl SnapshotConfig {
    /// Cycles of `cycle_epochs` epochs annealing to zero, every snapshot kept.
    pub fn new(cycle_epochs: usize) -> Self {
        Self {
            cycle_epochs,
            min_lr: 0.0,
            keep: None,
        }
    }

    /// Keeps the last `keep` snapshots only.
    pub fn with_keep(mut self, keep: usize) -> Self {
        self.keep = Some(keep);
        self
    }

    /// The learning rate of 1-based `epoch` from the cycle's top rate `base`:
    /// `min + (base - min) * (1 + cos(pi * ((e - 1) mod c) / c)) / 2`.
    pub fn rate(&self, base: f64, epoch: usize) -> f64 {
        let c = self.cycle_epochs.max(1);
        let t = ((epoch.max(1) - 1) % c) as f64 / c as f64;
        self.min_lr + (base - self.min_lr) * (1.0 + (std::f64::consts::PI * t).cos()) / 2.0
    }
}

impl ParamGuard for SnapshotConfig {
    fn check(&self) -> Result<()> {
        if self.cycle_epochs < 2 {
            return Err(ConsortError::config(format!(
                "a snapshot cycle needs at least 2 epochs to anneal, got {}",
                self.cycle_epochs
            )));
        }
        if !(self.min_lr.is_finite() && self.min_lr >= 0.0) {
            return Err(ConsortError::config(format!(
                "snapshot min_lr must be finite and non-negative, got {}",
                self.min_lr
            )));
        }
        if self.keep == Some(0) {
            return Err(ConsortError::config(
                "keeping 0 snapshots leaves no ensemble",
            ));
        }
        Ok(())
    }
}

/// The snapshots a [`SnapshotEnsemble`] took: epoch and weights of each.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Snapshots {
    /// (epoch, weights in visit order).
    taken: Vec<(usize, Vec<Vec<f32>>)>,
}

/// The snapshot-ensemble hook: it sets the cyclic rate and records a snapshot at each cycle's
/// end. Clones share the snapshots (keep one as the handle, as with
/// [`StochasticWeightAveraging`](super::StochasticWeightAveraging)); a new fit starts afresh;
/// snapshots are saved in checkpoints.
pub type SnapshotEnsemble = Recorded<SnapshotConfig, Snapshots>;

impl RecordingHook for SnapshotConfig {
    const NAME: &'static str = "snapshot-ensemble";
}

impl SnapshotEnsemble {
    /// The epochs at which the kept snapshots were taken.
    pub fn epochs(&self) -> Vec<usize> {
        self.lock().taken.iter().map(|(e, _)| *e).collect()
    }

    /// The kept snapshots, each as a copy of `template` (a network of the trained
    /// architecture, e.g. the fit's final one) carrying the snapshot's weights.
    pub fn networks<M: Module + Clone>(&self, template: &M) -> Result<Vec<M>> {
        let device = parameter_values(template)
            .first()
            .map(|t| t.device())
            .ok_or_else(|| ConsortError::config("the template network has no parameters"))?;
        self.lock()
            .taken
            .iter()
            .map(|(_, w)| {
                with_parameter_values(template.clone(), vecs_to_tensors(w.clone(), &device))
            })
            .collect()
    }
}

impl RateSchedule for SnapshotEnsemble {
    fn learning_rate(&mut self, epoch: usize, lr: f64) -> f64 {
        self.config.rate(lr, epoch)
    }
}

impl<M: Module> EpochEvents<M> for SnapshotEnsemble {
    fn after_epoch(&mut self, epoch: usize, model: &M) -> Result<()> {
        if epoch.is_multiple_of(self.config.cycle_epochs) {
            let weights = tensors_to_vecs(&parameter_values(model))?;
            let mut snapshots = self.lock();
            snapshots.taken.push((epoch, weights));
            if let Some(keep) = self.config.keep {
                let excess = snapshots.taken.len().saturating_sub(keep);
                snapshots.taken.drain(..excess);
            }
        }
        Ok(())
    }
}
