//! A study: trials run one after another against one objective, each given the history so
//! far; the best one by the objective's direction.

use consort_core::{ConsortError, Direction, Event, ObserverHandle, Result};

use crate::pruner::{NopPruner, Pruner};
use crate::sampler::Sampler;
use crate::tpe::TpeSampler;
use crate::trial::{FrozenTrial, Trial, TrialState};

/// Whether the objective is to be minimised or maximised.
pub type StudyDirection = Direction;

/// A study.
pub struct Study {
    direction: StudyDirection,
    sampler: Box<dyn Sampler>,
    pruner: Box<dyn Pruner>,
    trials: Vec<FrozenTrial>,
    seed: u64,
    observer: ObserverHandle,
}

impl std::fmt::Debug for Study {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Study")
            .field("direction", &self.direction)
            .field("trials", &self.trials.len())
            .finish_non_exhaustive()
    }
}

impl Study {
    /// A study in `direction` (a metric's [`Direction`]: lower or higher is better), with
    /// TPE, no pruning, seed 0.
    pub fn new(direction: StudyDirection) -> Self {
        Self {
            direction,
            sampler: Box::new(TpeSampler::default()),
            pruner: Box::new(NopPruner),
            trials: Vec::new(),
            seed: 0,
            observer: ObserverHandle::none(),
        }
    }

    /// Proposes parameters with `sampler`.
    pub fn with_sampler(mut self, sampler: impl Sampler + 'static) -> Self {
        self.sampler = Box::new(sampler);
        self
    }

    /// Stops trials early with `pruner`.
    pub fn with_pruner(mut self, pruner: impl Pruner + 'static) -> Self {
        self.pruner = Box::new(pruner);
        self
    }

    /// Seeds every draw.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Reports each finished trial to `observer`.
    pub fn with_observer(mut self, observer: impl Into<ObserverHandle>) -> Self {
        self.observer = observer.into();
        self
    }

    /// Every trial so far.
    pub fn trials(&self) -> &[FrozenTrial] {
        &self.trials
    }

    /// The study's direction.
    pub fn direction(&self) -> StudyDirection {
        self.direction
    }

    /// Runs `n_trials` trials of `objective` (fewer if the sampler runs out, as a grid does).
    /// A trial whose objective fails is recorded as failed, with the message, and the study
    /// goes on.
    pub fn optimize(
        &mut self,
        n_trials: usize,
        mut objective: impl FnMut(&mut Trial<'_>) -> Result<f64>,
    ) -> Result<()> {
        for _ in 0..n_trials {
            let number = self.trials.len();
            if self.sampler.exhausted(number) {
                break;
            }
            let mut trial = Trial {
                record: FrozenTrial::new(number),
                history: &self.trials,
                sampler: self.sampler.as_ref(),
                pruner: self.pruner.as_ref(),
                direction: self.direction,
                seed: self.seed,
                pruned: false,
            };
            let outcome = objective(&mut trial);
            let pruned = trial.pruned;
            let mut record = trial.record;
            match outcome {
                Ok(_) if pruned => {
                    record.state = TrialState::Pruned;
                    record.value = record.last_intermediate().map(|(_, v)| v);
                }
                Ok(v) if v.is_finite() => {
                    record.state = TrialState::Complete;
                    record.value = Some(v);
                }
                Ok(v) => {
                    record.state = TrialState::Failed;
                    record
                        .user_attrs
                        .insert("error".into(), format!("objective returned {v}"));
                }
                Err(e) => {
                    record.state = TrialState::Failed;
                    record.user_attrs.insert("error".into(), e.to_string());
                }
            }
            let message = format!(
                "trial {number}: {:?} {}",
                record.state,
                record.value.map_or(String::new(), |v| format!("{v:.6}"))
            );
            self.observer.notify(&Event::Stage { message: &message });
            self.trials.push(record);
        }
        Ok(())
    }

    /// The best complete trial.
    pub fn best_trial(&self) -> Result<&FrozenTrial> {
        self.trials
            .iter()
            .filter(|t| t.state == TrialState::Complete)
            .min_by(|a, b| {
                let (a, b) = (a.value.unwrap_or(f64::NAN), b.value.unwrap_or(f64::NAN));
                match self.direction {
                    Direction::Lower => a.total_cmp(&b),
                    Direction::Higher => b.total_cmp(&a),
                }
            })
            .ok_or_else(|| ConsortError::InvalidInput("the study has no complete trial".into()))
    }
}
