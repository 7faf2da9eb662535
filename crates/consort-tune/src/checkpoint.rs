//! Checkpoints: everything a run needs to continue exactly where it stopped.
//!
//! A checkpoint is a folder `epoch-NNNNNN/` (or `best-NNNNNN/` for the best epoch so far)
//! holding the model's weights (`model.bpk`, burn's format, parameter ids included), the
//! optimiser's state (`optimizer.bpk`) and the loop's state (`state.json`: epoch cursor, seed,
//! learning-rate scale, history, best-epoch tracker, every hook's state). The loop's random
//! draws (batch order, dropout masks) are pure functions of `(seed, epoch, batch)`, so the
//! seed and the cursor are the whole RNG state.
//!
//! Writes are atomic: the folder is written under a temporary name, then renamed into place,
//! and older checkpoints are pruned only after that. A process killed mid-write leaves the
//! previous checkpoint as the latest one.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use consort_core::io::{load_json, save_json};
use consort_core::{ConsortError, EpochRecord, ParamGuard, Result};
use serde::{Deserialize, Serialize};

use crate::monitor::PlateauTracker;

const MODEL_FILE: &str = "model.bpk";
const OPTIMIZER_FILE: &str = "optimizer.bpk";
const STATE_FILE: &str = "state.json";
const PERIODIC: &str = "epoch-";
const BEST: &str = "best-";
/// Version of `state.json`'s layout.
const FORMAT: u32 = 1;

/// Where and how often the loop checkpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointConfig {
    /// The folder holding the checkpoints (created if missing).
    pub dir: PathBuf,
    /// Write a checkpoint every this many epochs (and after the last epoch).
    pub every: usize,
    /// Periodic checkpoints kept (older ones are deleted).
    pub keep_last: usize,
    /// Also keep a checkpoint of the best epoch (when validating).
    pub keep_best: bool,
    /// Continue from the latest checkpoint in `dir` when there is one.
    pub resume: bool,
}

impl CheckpointConfig {
    /// Every epoch into `dir`, keeping the last 2 and the best, resuming when possible.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            every: 1,
            keep_last: 2,
            keep_best: true,
            resume: true,
        }
    }

    /// Sets the interval in epochs.
    pub fn with_every(mut self, every: usize) -> Self {
        self.every = every;
        self
    }

    /// Sets how many periodic checkpoints are kept.
    pub fn with_keep_last(mut self, keep_last: usize) -> Self {
        self.keep_last = keep_last;
        self
    }

    /// Whether to resume from the latest checkpoint.
    pub fn with_resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }
}

impl ParamGuard for CheckpointConfig {
    fn check(&self) -> Result<()> {
        if self.every == 0 || self.keep_last == 0 {
            return Err(ConsortError::config(
                "checkpoints need every >= 1 and keep_last >= 1",
            ));
        }
        if self.dir.as_os_str().is_empty() {
            return Err(ConsortError::config("checkpoint folder is empty"));
        }
        Ok(())
    }
}

/// The loop's state saved beside the model and optimiser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoopState {
    /// Layout version.
    pub format: u32,
    /// The last finished epoch (1-based).
    pub epoch: usize,
    /// Batches of the next epoch already done (checkpoints are written at epoch ends: 0).
    pub batch: usize,
    /// The run's seed: with the cursor, the state of every random draw.
    pub seed: u64,
    /// Learning-rate multiplier left by divergence rollbacks.
    pub lr_scale: f64,
    /// Rollbacks used so far.
    pub rollbacks: usize,
    /// Every epoch so far.
    pub history: Vec<EpochRecord>,
    /// The best-epoch tracker.
    pub best: PlateauTracker,
    /// Hook states by hook name.
    pub hooks: Vec<(String, serde_json::Value)>,
}

impl LoopState {
    /// A fresh run's state.
    pub fn new(seed: u64) -> Self {
        Self {
            format: FORMAT,
            epoch: 0,
            batch: 0,
            seed,
            lr_scale: 1.0,
            rollbacks: 0,
            history: Vec::new(),
            best: PlateauTracker::default(),
            hooks: Vec::new(),
        }
    }
}

/// A checkpoint folder found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Its folder.
    pub path: PathBuf,
    /// The epoch it holds.
    pub epoch: usize,
}

impl Checkpoint {
    /// The newest periodic checkpoint in `dir` (`None` if there is none or no folder).
    pub fn latest(dir: &Path) -> Result<Option<Self>> {
        Ok(list(dir, PERIODIC)?.pop())
    }

    /// The best-epoch checkpoint in `dir`, if any.
    pub fn best(dir: &Path) -> Result<Option<Self>> {
        Ok(list(dir, BEST)?.pop())
    }

    /// The saved loop state.
    pub fn state(&self) -> Result<LoopState> {
        let state: LoopState = load_json(&self.path.join(STATE_FILE))?;
        if state.format != FORMAT {
            return Err(ConsortError::serialization_at(
                &self.path,
                format!(
                    "checkpoint format {}, this build reads {FORMAT}",
                    state.format
                ),
            ));
        }
        Ok(state)
    }

    /// Loads the saved weights into `model` (built with the same architecture).
    pub fn load_model<M: Module>(&self, model: M) -> Result<M> {
        let file = self.path.join(MODEL_FILE);
        let model = model
            .try_load_file(&file)
            .map_err(|e| ConsortError::serialization_at(&file, format!("{e:?}")))?;
        consort_core::io::check_weights(&model, &file)?;
        Ok(model)
    }

    /// Loads the saved optimiser state into `optim`.
    pub fn load_optimizer(&self, optim: ModuleOptimizer) -> Result<ModuleOptimizer> {
        let file = self.path.join(OPTIMIZER_FILE);
        optim
            .load(&file)
            .map_err(|e| ConsortError::serialization_at(&file, format!("{e:?}")))
    }
}

/// Checkpoint folders in `dir` whose name starts with `prefix` and that hold a state file,
/// oldest epoch first. Temporary folders (a dot in front) are ignored.
fn list(dir: &Path, prefix: &str) -> Result<Vec<Checkpoint>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(ConsortError::io(dir, e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| ConsortError::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(epoch) = name.strip_prefix(prefix).and_then(|n| n.parse().ok()) else {
            continue;
        };
        if entry.path().join(STATE_FILE).is_file() {
            found.push(Checkpoint {
                path: entry.path(),
                epoch,
            });
        }
    }
    found.sort_by_key(|c| c.epoch);
    Ok(found)
}

/// Writes checkpoints for one run.
pub(crate) struct Checkpointer<'a> {
    pub config: &'a CheckpointConfig,
}

impl Checkpointer<'_> {
    /// Writes a periodic (`best == false`) or best-epoch checkpoint of `state.epoch`.
    /// `staged` sees the finished temporary folder just before the rename; an error from it
    /// aborts the write, leaving earlier checkpoints untouched.
    pub fn write<M: Module>(
        &self,
        model: &M,
        optim: &ModuleOptimizer,
        state: &LoopState,
        best: bool,
        staged: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<PathBuf> {
        let dir = &self.config.dir;
        std::fs::create_dir_all(dir).map_err(|e| ConsortError::io(dir, e))?;
        let prefix = if best { BEST } else { PERIODIC };
        let name = format!("{prefix}{:06}", state.epoch);
        let tmp = dir.join(format!(".{name}.tmp"));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(|e| ConsortError::io(&tmp, e))?;
        }
        std::fs::create_dir_all(&tmp).map_err(|e| ConsortError::io(&tmp, e))?;
        let ser = |what: &Path, e: &dyn std::fmt::Debug| {
            ConsortError::serialization_at(what, format!("{e:?}"))
        };
        let model_file = tmp.join(MODEL_FILE);
        model
            .clone()
            .save_file(&model_file)
            .map_err(|e| ser(&model_file, &e))?;
        let optim_file = tmp.join(OPTIMIZER_FILE);
        optim.save(&optim_file).map_err(|e| ser(&optim_file, &e))?;
        save_json(state, &tmp.join(STATE_FILE))?;
        staged(&tmp)?;
        let target = dir.join(&name);
        if target.exists() {
            std::fs::remove_dir_all(&target).map_err(|e| ConsortError::io(&target, e))?;
        }
        std::fs::rename(&tmp, &target).map_err(|e| ConsortError::io(&target, e))?;
        self.prune(prefix, if best { 1 } else { self.config.keep_last })?;
        Ok(target)
    }

    /// Deletes all but the newest `keep` checkpoints of a kind.
    fn prune(&self, prefix: &str, keep: usize) -> Result<()> {
        let all = list(&self.config.dir, prefix)?;
        for old in &all[..all.len().saturating_sub(keep)] {
            std::fs::remove_dir_all(&old.path).map_err(|e| ConsortError::io(&old.path, e))?;
        }
        Ok(())
    }
}
