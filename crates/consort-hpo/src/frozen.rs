//! A finished (or running) trial as storages, samplers and pruners read it: its state, value,
//! parameters and intermediate reports. The live handle an objective receives is
//! [`Trial`](crate::Trial).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::space::{Distribution, ParamValue};

/// What became of a trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrialState {
    /// Still running.
    Running,
    /// Finished with a value.
    Complete,
    /// Stopped early by the pruner (its last intermediate value stands for it).
    Pruned,
    /// The objective failed or returned a non-finite value.
    Failed,
}

/// A trial's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrozenTrial {
    /// 0-based number in the study.
    pub number: usize,
    /// What became of it.
    pub state: TrialState,
    /// The objective's value (complete trials) or the last intermediate value (pruned).
    pub value: Option<f64>,
    /// Parameters asked for, by name.
    pub params: BTreeMap<String, ParamValue>,
    /// Their distributions.
    pub distributions: BTreeMap<String, Distribution>,
    /// Intermediate values by step.
    pub intermediate: BTreeMap<usize, f64>,
    /// Free-form attributes set by the objective (and the failure message).
    pub user_attrs: BTreeMap<String, String>,
}

impl FrozenTrial {
    pub(crate) fn new(number: usize) -> Self {
        Self {
            number,
            state: TrialState::Running,
            value: None,
            params: BTreeMap::new(),
            distributions: BTreeMap::new(),
            intermediate: BTreeMap::new(),
            user_attrs: BTreeMap::new(),
        }
    }

    /// The last reported step and its value.
    pub fn last_intermediate(&self) -> Option<(usize, f64)> {
        self.intermediate.iter().next_back().map(|(&s, &v)| (s, v))
    }
}
