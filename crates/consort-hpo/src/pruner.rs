//! Pruners: whether a running trial, from its intermediate values, should stop.

use crate::frozen::{FrozenTrial, TrialState};
use consort_core::Direction;

/// Decides whether a trial stops early.
pub trait Pruner: Send + Sync {
    /// Whether `trial` (its latest intermediate value) should stop, given the `history`.
    fn prune(&self, history: &[FrozenTrial], trial: &FrozenTrial, direction: Direction) -> bool;
}

/// Never prunes.
#[derive(Debug, Clone, Copy, Default)]
pub struct NopPruner;

impl Pruner for NopPruner {
    fn prune(&self, _: &[FrozenTrial], _: &FrozenTrial, _: Direction) -> bool {
        false
    }
}

fn worse(direction: Direction, value: f64, than: f64) -> bool {
    match direction {
        Direction::Lower => value > than,
        Direction::Higher => value < than,
    }
}

/// Stops a trial whose value at a step is worse than the median of the finished trials'
/// values at the same step (Optuna's `MedianPruner`), once `n_startup_trials` trials have
/// finished and after `n_warmup_steps` steps.
#[derive(Debug, Clone, Copy)]
pub struct MedianPruner {
    /// Finished trials needed before pruning starts.
    pub n_startup_trials: usize,
    /// Steps a trial always runs.
    pub n_warmup_steps: usize,
}

impl Default for MedianPruner {
    /// 5 startup trials, no warm-up.
    fn default() -> Self {
        Self {
            n_startup_trials: 5,
            n_warmup_steps: 0,
        }
    }
}

impl Pruner for MedianPruner {
    fn prune(&self, history: &[FrozenTrial], trial: &FrozenTrial, direction: Direction) -> bool {
        let Some((step, value)) = trial.last_intermediate() else {
            return false;
        };
        if step < self.n_warmup_steps {
            return false;
        }
        let finished = history.iter().filter(|t| t.state == TrialState::Complete);
        if finished.clone().count() < self.n_startup_trials {
            return false;
        }
        let mut at_step: Vec<f64> = finished
            .filter_map(|t| t.intermediate.get(&step).copied())
            .collect();
        if at_step.is_empty() {
            return false;
        }
        at_step.sort_by(f64::total_cmp);
        let m = at_step.len();
        let median = if m % 2 == 1 {
            at_step[m / 2]
        } else {
            0.5 * (at_step[m / 2 - 1] + at_step[m / 2])
        };
        worse(direction, value, median)
    }
}

/// Asynchronous successive halving (Li et al. 2018, Optuna's `SuccessiveHalvingPruner`):
/// rungs at steps `min_resource * eta^(rate + k)`; a trial reaching a rung continues only if
/// its value there is among the best `1/eta` of every trial that reached that rung.
#[derive(Debug, Clone, Copy)]
pub struct SuccessiveHalving {
    /// Steps before the first rung.
    pub min_resource: usize,
    /// Reduction factor eta.
    pub reduction_factor: usize,
    /// Skips the first rungs (Hyperband's brackets differ in this).
    pub min_early_stopping_rate: u32,
}

impl Default for SuccessiveHalving {
    /// Rungs at 1, 3, 9, ... steps; eta 3.
    fn default() -> Self {
        Self {
            min_resource: 1,
            reduction_factor: 3,
            min_early_stopping_rate: 0,
        }
    }
}

impl SuccessiveHalving {
    /// The rung `step` is, if it is one.
    fn rung_of(&self, step: usize) -> Option<u32> {
        let eta = self.reduction_factor.max(2);
        let mut rung_step = self.min_resource.max(1) * eta.pow(self.min_early_stopping_rate);
        let mut rung = 0;
        while rung_step <= step {
            if rung_step == step {
                return Some(rung);
            }
            rung_step *= eta;
            rung += 1;
        }
        None
    }

    fn prune_among<'a>(
        &self,
        others: impl Iterator<Item = &'a FrozenTrial>,
        trial: &FrozenTrial,
        direction: Direction,
    ) -> bool {
        let Some((step, value)) = trial.last_intermediate() else {
            return false;
        };
        if self.rung_of(step).is_none() {
            return false;
        }
        let mut at_rung: Vec<f64> = others
            .filter(|t| t.number != trial.number)
            .filter_map(|t| t.intermediate.get(&step).copied())
            .collect();
        at_rung.push(value);
        let keep = at_rung.len().div_ceil(self.reduction_factor.max(2));
        if at_rung.len() < self.reduction_factor.max(2) {
            // Too few to compare yet: the first ones through a rung go on.
            return false;
        }
        at_rung.sort_by(|a, b| match direction {
            Direction::Lower => a.total_cmp(b),
            Direction::Higher => b.total_cmp(a),
        });
        worse(direction, value, at_rung[keep - 1])
    }
}

impl Pruner for SuccessiveHalving {
    fn prune(&self, history: &[FrozenTrial], trial: &FrozenTrial, direction: Direction) -> bool {
        self.prune_among(history.iter(), trial, direction)
    }
}

/// Hyperband (Li et al. 2018) over successive halving: trials are dealt round-robin into
/// brackets that differ in how early they start pruning, each bracket compared only within
/// itself.
#[derive(Debug, Clone, Copy)]
pub struct Hyperband {
    /// Steps before the most aggressive bracket's first rung.
    pub min_resource: usize,
    /// The most steps a trial runs.
    pub max_resource: usize,
    /// Reduction factor eta.
    pub reduction_factor: usize,
}

impl Hyperband {
    fn n_brackets(&self) -> u32 {
        let eta = self.reduction_factor.max(2) as f64;
        let ratio = self.max_resource.max(1) as f64 / self.min_resource.max(1) as f64;
        (ratio.ln() / eta.ln()).floor() as u32 + 1
    }

    fn bracket(&self, number: usize) -> u32 {
        (number % self.n_brackets() as usize) as u32
    }
}

impl Pruner for Hyperband {
    fn prune(&self, history: &[FrozenTrial], trial: &FrozenTrial, direction: Direction) -> bool {
        let bracket = self.bracket(trial.number);
        let sha = SuccessiveHalving {
            min_resource: self.min_resource,
            reduction_factor: self.reduction_factor,
            min_early_stopping_rate: bracket,
        };
        sha.prune_among(
            history.iter().filter(|t| self.bracket(t.number) == bracket),
            trial,
            direction,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(number: usize, state: TrialState, curve: &[f64]) -> FrozenTrial {
        let mut t = FrozenTrial::new(number);
        t.state = state;
        t.intermediate = curve.iter().enumerate().map(|(i, &v)| (i + 1, v)).collect();
        t
    }

    #[test]
    fn the_median_pruner_stops_what_is_below_the_median() {
        let history: Vec<FrozenTrial> = (0..5)
            .map(|i| trial(i, TrialState::Complete, &[0.5 + 0.1 * i as f64, 0.9]))
            .collect();
        let p = MedianPruner::default();
        let higher = Direction::Higher;
        assert!(p.prune(&history, &trial(5, TrialState::Running, &[0.6]), higher));
        assert!(!p.prune(&history, &trial(5, TrialState::Running, &[0.8]), higher));
        assert!(
            !p.prune(
                &history[..4],
                &trial(5, TrialState::Running, &[0.1]),
                higher
            ),
            "startup"
        );
    }

    #[test]
    fn successive_halving_keeps_the_top_third_at_each_rung() {
        let sha = SuccessiveHalving::default();
        assert_eq!(
            (
                sha.rung_of(1),
                sha.rung_of(2),
                sha.rung_of(3),
                sha.rung_of(9)
            ),
            (Some(0), None, Some(1), Some(2))
        );
        let history: Vec<FrozenTrial> = (0..5)
            .map(|i| trial(i, TrialState::Complete, &[0.1 * i as f64]))
            .collect();
        let lower = Direction::Lower;
        // Six values at rung 1 (step 1): keep the best 2 (0.0, 0.1).
        assert!(!sha.prune(&history, &trial(9, TrialState::Running, &[0.05]), lower));
        assert!(sha.prune(&history, &trial(9, TrialState::Running, &[0.25]), lower));
        // Step 2 is no rung.
        assert!(!sha.prune(
            &history,
            &trial(9, TrialState::Running, &[0.05, 9.0]),
            lower
        ));
        let hb = Hyperband {
            min_resource: 1,
            max_resource: 27,
            reduction_factor: 3,
        };
        assert_eq!(hb.n_brackets(), 4);
    }
}
