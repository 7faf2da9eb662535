//! A study: trials run one after another against one objective, each given the history so
//! far; the best one by the objective's direction.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};

use consort_core::seed::{derive_seed, rng};
use consort_core::{ConsortError, Direction, Event, ObserverHandle, Result};

use crate::storage::{Journal, MemoryStorage, StorageOptions, StudyStorage, open_storage};

use crate::frozen::{FrozenTrial, TrialState};
use crate::pruner::{NopPruner, Pruner};
use crate::sampler::Sampler;
use crate::tpe::TpeSampler;
use crate::trial::Trial;

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
    storage: Arc<dyn StudyStorage>,
    retries: VecDeque<FrozenTrial>,
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
            storage: Arc::new(MemoryStorage::new()),
            retries: VecDeque::new(),
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

    /// Stores the study in `storage` (shared with every thread, process or machine that
    /// opens it): trials already there are loaded, trial numbers are claimed atomically, and
    /// a trial whose worker died is marked failed and retried with its parameters.
    pub fn with_storage(mut self, storage: Arc<dyn StudyStorage>) -> Result<Self> {
        storage.open_study(self.direction)?;
        self.trials = storage.state()?.finished;
        self.storage = storage;
        Ok(self)
    }

    /// Stores the study where `url` says ([`open_storage`]: `sqlite:///study.db`,
    /// `postgresql://...`, or a journal file's path), under the name `study`.
    pub fn with_storage_url(
        self,
        url: &str,
        study: &str,
        options: &StorageOptions,
    ) -> Result<Self> {
        let storage = open_storage(url, study, options)?;
        self.with_storage(storage)
    }

    /// Stores the study in the journal file at `path` (created if missing).
    pub fn with_journal(self, path: impl Into<std::path::PathBuf>) -> Result<Self> {
        self.with_storage(Arc::new(Journal::new(path)))
    }

    /// The study's storage.
    pub fn storage(&self) -> &Arc<dyn StudyStorage> {
        &self.storage
    }

    /// Runs trials until the study holds `n` complete or pruned ones (counting those in the
    /// journal, by any worker): what resuming a crashed study calls.
    pub fn optimize_to(
        &mut self,
        n: usize,
        mut objective: impl FnMut(&mut Trial<'_>) -> Result<f64>,
    ) -> Result<()> {
        loop {
            let state = self.storage.state()?;
            self.trials = state.finished;
            let done = self
                .trials
                .iter()
                .filter(|t| matches!(t.state, TrialState::Complete | TrialState::Pruned))
                .count();
            // Trials other workers are running now count too: two workers that both see one
            // trial missing would otherwise both run it (n + 1 trials). A running trial whose
            // worker dies is retried by the next resume.
            if done + state.running.len() >= n {
                return Ok(());
            }
            let before = self.trials.len();
            self.optimize(1, &mut objective)?;
            if self.trials.len() == before {
                return Ok(());
            }
        }
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
        for done in 1..=n_trials {
            // A finite sampler (a grid) is asked before claiming, so that a finished grid
            // leaves no trial behind; `exhausted(usize::MAX)` is true only for those.
            if self.sampler.exhausted(usize::MAX)
                && self.sampler.exhausted(self.storage.state()?.next_number)
            {
                break;
            }
            let claim = self.storage.claim()?;
            let number = claim.number;
            self.trials = claim.state.finished;
            self.retries.extend(claim.orphans);
            if self.sampler.exhausted(number) {
                // Another worker took the last value meanwhile: close the number as failed
                // rather than leave it running.
                let mut record = FrozenTrial::new(number);
                record.state = TrialState::Failed;
                record
                    .user_attrs
                    .insert("error".into(), "the sampler has no values left".into());
                self.storage.finish(&record)?;
                break;
            }
            let retry = self.retries.pop_front();
            let fixed = match &retry {
                Some(r) => r
                    .params
                    .iter()
                    .filter_map(|(n, v)| {
                        Some((n.clone(), (r.distributions.get(n)?.clone(), v.clone())))
                    })
                    .collect(),
                None => self.sampler.sample_relative(
                    &self.trials,
                    self.direction,
                    number,
                    &mut rng(derive_seed(self.seed, &format!("trial{number}.relative"))),
                )?,
            };
            let mut trial = Trial {
                record: FrozenTrial::new(number),
                history: &self.trials,
                sampler: self.sampler.as_ref(),
                pruner: self.pruner.as_ref(),
                direction: self.direction,
                seed: self.seed,
                pruned: false,
                fixed,
                storage: self.storage.as_ref(),
            };
            let outcome = with_heartbeat(self.storage.as_ref(), number, || objective(&mut trial));
            let pruned = trial.pruned;
            let mut record = trial.record;
            if let Some(r) = &retry {
                record
                    .user_attrs
                    .insert("retry_of".into(), r.number.to_string());
            }
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
            self.storage.finish(&record)?;
            self.trials.push(record);
            // A bar with an ETA over this process's trials.
            self.observer.notify(&Event::Progress {
                label: "trials",
                done,
                total: n_trials,
            });
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

/// Runs `work` while a thread refreshes trial `number`'s heartbeat in `storage` (where the
/// storage has heartbeats), so that other workers see it alive however long it runs.
fn with_heartbeat<T>(storage: &dyn StudyStorage, number: usize, work: impl FnOnce() -> T) -> T {
    let Some(interval) = storage.heartbeat_interval() else {
        return work();
    };
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::scope(|s| {
        s.spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                // A missed beat is not fatal: the next one may get through, and the worst
                // case is a retry of a trial that was in fact alive.
                let _ = storage.heartbeat(number);
            }
        });
        let value = work();
        drop(stop);
        value
    })
}
