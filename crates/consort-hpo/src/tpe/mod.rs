//! The tree-structured Parzen estimator (Bergstra et al. 2011), univariate, as Optuna runs
//! it: after `n_startup_trials` random trials, the finished trials that have the parameter
//! are split into the best `gamma(n) = min(ceil(0.1 n), 25)` ("below") and the rest
//! ("above", pruned trials among them); each side becomes a Parzen estimator (a mixture of
//! truncated Gaussians, one per observation plus a wide prior) over the parameter's internal
//! coordinate (log for log scales), and of 24 candidates drawn from the good side's the one
//! with the highest `l(x) / g(x)` is taken. Categories use smoothed counts instead.
//! Conditional parameters need nothing special: only trials that asked for a parameter
//! inform it.

use consort_core::Result;
use rand::Rng;
use rand::rngs::StdRng;

mod multivariate;
mod parzen;

use std::collections::BTreeMap;

use parzen::Parzen;

use crate::frozen::{FrozenTrial, TrialState};
use crate::sampler::{Sampler, random_value};
use crate::space::{Distribution, ParamValue};
use consort_core::Direction;

/// TPE's settings.
#[derive(Debug, Clone, Copy)]
pub struct TpeSampler {
    /// Random trials before TPE starts.
    pub n_startup_trials: usize,
    /// Candidates drawn from the good side per parameter.
    pub n_ei_candidates: usize,
    /// Weight of the prior component.
    pub prior_weight: f64,
    /// Draw the parameters every complete trial shares jointly, from Parzen estimators
    /// over their product space (Optuna's `multivariate=True`), instead of each on its own:
    /// it helps where parameters interact (a good value of one depends on another).
    pub multivariate: bool,
}

impl Default for TpeSampler {
    /// Optuna's: 10 startup trials, 24 candidates, prior weight 1.
    fn default() -> Self {
        Self {
            n_startup_trials: 10,
            n_ei_candidates: 24,
            prior_weight: 1.0,
            multivariate: false,
        }
    }
}

impl TpeSampler {
    /// Multivariate TPE with otherwise default settings.
    pub fn multivariate() -> Self {
        Self {
            multivariate: true,
            ..Self::default()
        }
    }
}

/// Optuna's default split: the best `min(ceil(0.1 n), 25)`.
pub(crate) fn gamma(n: usize) -> usize {
    n.div_ceil(10).min(25)
}

impl Sampler for TpeSampler {
    fn sample(
        &self,
        history: &[FrozenTrial],
        direction: Direction,
        _: usize,
        name: &str,
        dist: &Distribution,
        rng: &mut StdRng,
    ) -> Result<ParamValue> {
        let sign = match direction {
            Direction::Lower => 1.0,
            Direction::Higher => -1.0,
        };
        let observed = |t: &&FrozenTrial| {
            t.distributions.get(name) == Some(dist) && t.params.contains_key(name)
        };
        let mut complete: Vec<(f64, f64)> = history
            .iter()
            .filter(|t| t.state == TrialState::Complete)
            .filter(observed)
            .filter_map(|t| Some((dist.to_internal(&t.params[name])?, sign * t.value?)))
            .collect();
        if complete.len() < self.n_startup_trials {
            return Ok(random_value(dist, rng));
        }
        complete.sort_by(|a, b| a.1.total_cmp(&b.1));
        let n_below = gamma(complete.len()).max(1);
        let below: Vec<f64> = complete[..n_below].iter().map(|p| p.0).collect();
        let mut above: Vec<f64> = complete[n_below..].iter().map(|p| p.0).collect();
        above.extend(
            history
                .iter()
                .filter(|t| t.state == TrialState::Pruned)
                .filter(observed)
                .filter_map(|t| dist.to_internal(&t.params[name])),
        );
        if let Distribution::Categorical { choices } = dist {
            let k = choices.len();
            let smoothed = |points: &[f64]| -> Vec<f64> {
                let mut w = vec![self.prior_weight / k as f64; k];
                for &p in points {
                    w[p as usize] += 1.0;
                }
                let total: f64 = w.iter().sum();
                w.into_iter().map(|v| v / total).collect()
            };
            let (l, g) = (smoothed(&below), smoothed(&above));
            let best = (0..self.n_ei_candidates)
                .map(|_| {
                    let u: f64 = rng.random();
                    let mut acc = 0.0;
                    l.iter()
                        .position(|&p| {
                            acc += p;
                            u < acc
                        })
                        .unwrap_or(k - 1)
                })
                .max_by(|&a, &b| (l[a] / g[a]).total_cmp(&(l[b] / g[b])))
                .unwrap_or(0);
            return Ok(dist.from_internal(best as f64));
        }
        let (low, high) = search_bounds(dist);
        let l = Parzen::new(&below, low, high, self.prior_weight);
        let g = Parzen::new(&above, low, high, self.prior_weight);
        let best = (0..self.n_ei_candidates)
            .map(|_| l.sample(rng))
            .max_by(|&a, &b| {
                (l.log_density(a) - g.log_density(a))
                    .total_cmp(&(l.log_density(b) - g.log_density(b)))
            })
            .unwrap_or(0.5 * (low + high));
        Ok(dist.from_internal(best))
    }

    fn sample_relative(
        &self,
        history: &[FrozenTrial],
        direction: Direction,
        _trial_number: usize,
        rng: &mut StdRng,
    ) -> Result<BTreeMap<String, (Distribution, ParamValue)>> {
        if !self.multivariate {
            return Ok(BTreeMap::new());
        }
        Ok(multivariate::sample(self, history, direction, rng))
    }
}

/// A numeric distribution's internal bounds as TPE searches them: integers own half a step
/// on either side, so that the end values are as likely as the others.
pub(crate) fn search_bounds(dist: &Distribution) -> (f64, f64) {
    match dist {
        Distribution::Int {
            low: l,
            high: h,
            step,
            log,
        } => {
            let half = 0.5 * *step as f64;
            if *log {
                ((*l as f64 - 0.5).max(0.5).ln(), (*h as f64 + 0.5).ln())
            } else {
                (*l as f64 - half, *h as f64 + half)
            }
        }
        _ => dist.internal_bounds(),
    }
}
