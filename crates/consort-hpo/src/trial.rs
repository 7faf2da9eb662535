//! A trial: the parameters an objective asked for, the intermediate values it reported, and
//! what became of it.

use std::collections::BTreeMap;

use consort_core::seed::{derive_seed, rng};
use consort_core::{ConsortError, Direction, Result};

use crate::frozen::FrozenTrial;
use crate::pruner::Pruner;
use crate::sampler::Sampler;
use crate::space::{Distribution, ParamValue};

/// A running trial, handed to the objective.
pub struct Trial<'a> {
    pub(crate) record: FrozenTrial,
    pub(crate) history: &'a [FrozenTrial],
    pub(crate) sampler: &'a dyn Sampler,
    pub(crate) pruner: &'a dyn Pruner,
    pub(crate) direction: Direction,
    pub(crate) seed: u64,
    pub(crate) pruned: bool,
    /// Values to use instead of sampling, each for the distribution it belongs to: a retried
    /// trial's, or those a multivariate sampler drew jointly.
    pub(crate) fixed: BTreeMap<String, (Distribution, ParamValue)>,
    pub(crate) storage: &'a dyn crate::storage::StudyStorage,
}

impl Trial<'_> {
    /// The trial's number.
    pub fn number(&self) -> usize {
        self.record.number
    }

    fn suggest(&mut self, name: &str, dist: Distribution) -> Result<ParamValue> {
        dist.check(name)?;
        if let Some(existing) = self.record.distributions.get(name) {
            if *existing != dist {
                return Err(ConsortError::config(format!(
                    "parameter {name:?} asked again with another distribution \
                     ({existing:?}, now {dist:?})"
                )));
            }
            return Ok(self.record.params[name].clone());
        }
        let fixed = self
            .fixed
            .get(name)
            .filter(|(d, v)| *d == dist && dist.to_internal(v).is_some())
            .map(|(_, v)| v.clone());
        let value = match fixed {
            Some(v) => v,
            None => {
                let mut r = rng(derive_seed(
                    self.seed,
                    &format!("trial{}.{name}", self.record.number),
                ));
                self.sampler.sample(
                    self.history,
                    self.direction,
                    self.record.number,
                    name,
                    &dist,
                    &mut r,
                )?
            }
        };
        self.storage.record_param(crate::storage::DrawnParam {
            number: self.record.number,
            name,
            distribution: &dist,
            value: &value,
        })?;
        self.record.params.insert(name.to_string(), value.clone());
        self.record.distributions.insert(name.to_string(), dist);
        Ok(value)
    }

    /// A real number in `[low, high]`, uniform.
    pub fn suggest_float(&mut self, name: &str, low: f64, high: f64) -> Result<f64> {
        self.float(
            name,
            Distribution::Float {
                low,
                high,
                log: false,
            },
        )
    }

    /// A real number in `[low, high]`, uniform on a log scale.
    pub fn suggest_float_log(&mut self, name: &str, low: f64, high: f64) -> Result<f64> {
        self.float(
            name,
            Distribution::Float {
                low,
                high,
                log: true,
            },
        )
    }

    fn float(&mut self, name: &str, dist: Distribution) -> Result<f64> {
        match self.suggest(name, dist)? {
            ParamValue::Float(v) => Ok(v),
            other => Err(ConsortError::config(format!("{name:?} holds {other:?}"))),
        }
    }

    /// An integer in `[low, high]` on a grid of `step`.
    pub fn suggest_int(&mut self, name: &str, low: i64, high: i64, step: i64) -> Result<i64> {
        self.int(
            name,
            Distribution::Int {
                low,
                high,
                step,
                log: false,
            },
        )
    }

    /// An integer in `[low, high]`, uniform on a log scale.
    pub fn suggest_int_log(&mut self, name: &str, low: i64, high: i64) -> Result<i64> {
        self.int(
            name,
            Distribution::Int {
                low,
                high,
                step: 1,
                log: true,
            },
        )
    }

    fn int(&mut self, name: &str, dist: Distribution) -> Result<i64> {
        match self.suggest(name, dist)? {
            ParamValue::Int(v) => Ok(v),
            other => Err(ConsortError::config(format!("{name:?} holds {other:?}"))),
        }
    }

    /// One of `choices`.
    pub fn suggest_categorical(&mut self, name: &str, choices: &[&str]) -> Result<String> {
        let dist = Distribution::Categorical {
            choices: choices.iter().map(|c| c.to_string()).collect(),
        };
        match self.suggest(name, dist)? {
            ParamValue::Categorical(c) => Ok(c),
            other => Err(ConsortError::config(format!("{name:?} holds {other:?}"))),
        }
    }

    /// Records `value` at `step` (an epoch, say).
    pub fn report(&mut self, step: usize, value: f64) -> Result<()> {
        if !value.is_finite() {
            return Err(ConsortError::NonFinite(format!(
                "trial {} reported {value} at step {step}",
                self.record.number
            )));
        }
        self.record.intermediate.insert(step, value);
        Ok(())
    }

    /// Whether the pruner would stop this trial now, from its last reported value; once it
    /// says yes, the trial ends as pruned whatever the objective returns.
    pub fn should_prune(&mut self) -> bool {
        if self.record.intermediate.is_empty() {
            return false;
        }
        if self
            .pruner
            .prune(self.history, &self.record, self.direction)
        {
            self.pruned = true;
        }
        self.pruned
    }

    /// Attaches a note to the trial.
    pub fn set_user_attr(&mut self, key: &str, value: impl Into<String>) {
        self.record.user_attrs.insert(key.to_string(), value.into());
    }
}
