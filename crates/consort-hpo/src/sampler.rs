//! Samplers: what value a trial gets for a parameter, given the trials so far.

use std::collections::BTreeMap;

use consort_core::{ConsortError, Result};
use rand::Rng;
use rand::rngs::StdRng;

use crate::frozen::FrozenTrial;
use crate::space::{Distribution, ParamValue};
use consort_core::Direction;

/// Proposes parameter values.
pub trait Sampler: Send + Sync {
    /// A value for parameter `name` of `dist` in trial `trial_number`, from the finished
    /// trials in `history`; `rng` is seeded by the study's seed, the trial and the name.
    fn sample(
        &self,
        history: &[FrozenTrial],
        direction: Direction,
        trial_number: usize,
        name: &str,
        dist: &Distribution,
        rng: &mut StdRng,
    ) -> Result<ParamValue>;

    /// Values for several parameters at once, drawn jointly when trial `trial_number` starts
    /// (a multivariate sampler), each with the distribution it was drawn for: the trial
    /// takes a value when it asks for that parameter with that distribution, and asks
    /// [`Sampler::sample`] for the rest. None by default.
    fn sample_relative(
        &self,
        _history: &[FrozenTrial],
        _direction: Direction,
        _trial_number: usize,
        _rng: &mut StdRng,
    ) -> Result<BTreeMap<String, (Distribution, ParamValue)>> {
        Ok(BTreeMap::new())
    }

    /// Whether trial `trial_number` would have nothing new to try (a finished grid).
    fn exhausted(&self, _trial_number: usize) -> bool {
        false
    }
}

/// Independent uniform draws (on the log scale for log parameters).
pub fn random_value(dist: &Distribution, rng: &mut StdRng) -> ParamValue {
    match dist {
        Distribution::Categorical { choices } => {
            ParamValue::Categorical(choices[rng.random_range(0..choices.len())].clone())
        }
        Distribution::Int {
            low,
            high,
            step,
            log: false,
        } => ParamValue::Int(low + step * rng.random_range(0..=(high - low) / step)),
        _ => {
            let (lo, hi) = dist.internal_bounds();
            // Integers on a log scale: widen by half a unit so the end values are as likely.
            let (lo, hi) = match dist {
                Distribution::Int { low, high, .. } => {
                    ((*low as f64 - 0.5).max(0.5).ln(), (*high as f64 + 0.5).ln())
                }
                _ => (lo, hi),
            };
            dist.from_internal(if hi > lo {
                rng.random_range(lo..hi)
            } else {
                lo
            })
        }
    }
}

/// Uniform random search.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomSampler;

impl Sampler for RandomSampler {
    fn sample(
        &self,
        _: &[FrozenTrial],
        _: Direction,
        _: usize,
        _: &str,
        dist: &Distribution,
        rng: &mut StdRng,
    ) -> Result<ParamValue> {
        Ok(random_value(dist, rng))
    }
}

/// Every combination of given values, one per trial, in order (the last parameter varying
/// fastest); the study stops when the grid is done.
#[derive(Debug, Clone)]
pub struct GridSampler {
    grid: BTreeMap<String, Vec<ParamValue>>,
}

impl GridSampler {
    /// The grid: each parameter's values.
    pub fn new(grid: BTreeMap<String, Vec<ParamValue>>) -> Result<Self> {
        if grid.values().any(Vec::is_empty) {
            return Err(ConsortError::config(
                "every grid parameter needs >= 1 value",
            ));
        }
        Ok(Self { grid })
    }

    /// Number of combinations.
    pub fn len(&self) -> usize {
        self.grid.values().map(Vec::len).product()
    }

    /// True for a grid without parameters.
    pub fn is_empty(&self) -> bool {
        self.grid.is_empty()
    }
}

impl Sampler for GridSampler {
    fn sample(
        &self,
        _: &[FrozenTrial],
        _: Direction,
        trial_number: usize,
        name: &str,
        dist: &Distribution,
        _: &mut StdRng,
    ) -> Result<ParamValue> {
        let mut index = trial_number % self.len().max(1);
        // Mixed radix, the last name varying fastest.
        for (key, values) in self.grid.iter().rev() {
            let digit = index % values.len();
            index /= values.len();
            if key == name {
                let v = values[digit].clone();
                if dist.to_internal(&v).is_none() {
                    return Err(ConsortError::config(format!(
                        "grid value {v:?} of {name:?} does not fit {dist:?}"
                    )));
                }
                return Ok(v);
            }
        }
        Err(ConsortError::config(format!(
            "parameter {name:?} is not in the grid"
        )))
    }

    fn exhausted(&self, trial_number: usize) -> bool {
        trial_number >= self.len()
    }
}
