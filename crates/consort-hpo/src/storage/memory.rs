//! A study kept in memory: what a study without storage uses, and what threads of one
//! process share (`Arc<MemoryStorage>`). Nothing outlives the process.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use consort_core::{ConsortError, Direction, Result};

use super::{Claim, DrawnParam, StorageState, StudyStorage};
use crate::frozen::{FrozenTrial, TrialState};

/// Trials in memory, by number.
#[derive(Debug, Default)]
pub struct MemoryStorage {
    trials: Mutex<BTreeMap<usize, FrozenTrial>>,
}

impl MemoryStorage {
    /// An empty study.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, BTreeMap<usize, FrozenTrial>>> {
        self.trials
            .lock()
            .map_err(|_| ConsortError::Storage("a worker thread panicked holding the study".into()))
    }

    fn snapshot(trials: &BTreeMap<usize, FrozenTrial>) -> StorageState {
        let (finished, running) = trials
            .values()
            .cloned()
            .partition(|t| t.state != TrialState::Running);
        StorageState {
            finished,
            running,
            orphaned: Vec::new(),
            next_number: trials.keys().next_back().map_or(0, |n| n + 1),
        }
    }
}

impl StudyStorage for MemoryStorage {
    fn open_study(&self, _direction: Direction) -> Result<()> {
        Ok(())
    }

    fn state(&self) -> Result<StorageState> {
        Ok(Self::snapshot(&*self.lock()?))
    }

    fn claim(&self) -> Result<Claim> {
        let mut trials = self.lock()?;
        let number = trials.keys().next_back().map_or(0, |n| n + 1);
        trials.insert(number, FrozenTrial::new(number));
        Ok(Claim {
            number,
            state: Self::snapshot(&trials),
            orphans: Vec::new(),
        })
    }

    fn record_param(&self, param: DrawnParam<'_>) -> Result<()> {
        let mut trials = self.lock()?;
        let t = trials.get_mut(&param.number).ok_or_else(|| {
            ConsortError::Storage(format!("trial {} was never claimed", param.number))
        })?;
        t.params.insert(param.name.to_string(), param.value.clone());
        t.distributions
            .insert(param.name.to_string(), param.distribution.clone());
        Ok(())
    }

    fn finish(&self, trial: &FrozenTrial) -> Result<()> {
        self.lock()?.insert(trial.number, trial.clone());
        Ok(())
    }
}
