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

use crate::sampler::{Sampler, random_value};
use crate::space::{Distribution, ParamValue};
use crate::study::StudyDirection;
use crate::trial::{FrozenTrial, TrialState};

/// TPE's settings.
#[derive(Debug, Clone, Copy)]
pub struct TpeSampler {
    /// Random trials before TPE starts.
    pub n_startup_trials: usize,
    /// Candidates drawn from the good side per parameter.
    pub n_ei_candidates: usize,
    /// Weight of the prior component.
    pub prior_weight: f64,
}

impl Default for TpeSampler {
    /// Optuna's: 10 startup trials, 24 candidates, prior weight 1.
    fn default() -> Self {
        Self {
            n_startup_trials: 10,
            n_ei_candidates: 24,
            prior_weight: 1.0,
        }
    }
}

/// Optuna's default split: the best `min(ceil(0.1 n), 25)`.
fn gamma(n: usize) -> usize {
    n.div_ceil(10).min(25)
}

/// The standard normal CDF (Abramowitz and Stegun 7.1.26, |error| < 1.5e-7).
fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    0.5 * (1.0 + if z < 0.0 { -erf } else { erf })
}

/// A mixture of Gaussians truncated to `[low, high]`.
struct Parzen {
    mus: Vec<f64>,
    sigmas: Vec<f64>,
    weights: Vec<f64>,
    low: f64,
    high: f64,
}

impl Parzen {
    fn new(points: &[f64], low: f64, high: f64, prior_weight: f64) -> Self {
        let range = (high - low).max(1e-12);
        let prior_mu = 0.5 * (low + high);
        let mut mus: Vec<f64> = points.to_vec();
        mus.push(prior_mu);
        let mut weights = vec![1.0; points.len()];
        weights.push(prior_weight);
        // Each point's bandwidth: the larger gap to its sorted neighbours (the bounds at the
        // ends), clipped to [range / min(100, n + 1), range]; the prior's is the range.
        let mut order: Vec<usize> = (0..mus.len()).collect();
        order.sort_by(|&a, &b| mus[a].total_cmp(&mus[b]));
        let n = points.len();
        let min_sigma = range / (100.0f64).min(n as f64 + 1.0);
        let mut sigmas = vec![range; mus.len()];
        for (k, &i) in order.iter().enumerate() {
            let left = if k == 0 { low } else { mus[order[k - 1]] };
            let right = if k + 1 == order.len() {
                high
            } else {
                mus[order[k + 1]]
            };
            sigmas[i] = (mus[i] - left).max(right - mus[i]).clamp(min_sigma, range);
        }
        sigmas[n] = range;
        let total: f64 = weights.iter().sum();
        weights.iter_mut().for_each(|w| *w /= total);
        Self {
            mus,
            sigmas,
            weights,
            low,
            high,
        }
    }

    fn sample(&self, rng: &mut StdRng) -> f64 {
        let u: f64 = rng.random();
        let mut acc = 0.0;
        let mut i = self.weights.len() - 1;
        for (k, w) in self.weights.iter().enumerate() {
            acc += w;
            if u < acc {
                i = k;
                break;
            }
        }
        for _ in 0..100 {
            // Box-Muller.
            let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            let x = self.mus[i] + self.sigmas[i] * z;
            if (self.low..=self.high).contains(&x) {
                return x;
            }
        }
        self.mus[i].clamp(self.low, self.high)
    }

    fn log_density(&self, x: f64) -> f64 {
        let mut p = 0.0;
        for ((mu, s), w) in self.mus.iter().zip(&self.sigmas).zip(&self.weights) {
            let mass = normal_cdf((self.high - mu) / s) - normal_cdf((self.low - mu) / s);
            let z = (x - mu) / s;
            p += w * (-0.5 * z * z).exp()
                / (s * (2.0 * std::f64::consts::PI).sqrt() * mass.max(1e-12));
        }
        p.max(1e-300).ln()
    }
}

impl Sampler for TpeSampler {
    fn sample(
        &self,
        history: &[FrozenTrial],
        direction: StudyDirection,
        _: usize,
        name: &str,
        dist: &Distribution,
        rng: &mut StdRng,
    ) -> Result<ParamValue> {
        let sign = match direction {
            StudyDirection::Lower => 1.0,
            StudyDirection::Higher => -1.0,
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
        let (mut low, mut high) = dist.internal_bounds();
        if let Distribution::Int {
            low: l,
            high: h,
            step,
            log,
        } = dist
        {
            // Integers own half a step on either side.
            let half = 0.5 * *step as f64;
            (low, high) = if *log {
                ((*l as f64 - 0.5).max(0.5).ln(), (*h as f64 + 0.5).ln())
            } else {
                (*l as f64 - half, *h as f64 + half)
            };
        }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normal_cdf_and_the_split() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.96) - 0.975).abs() < 1e-4);
        assert!((normal_cdf(-1.0) - 0.158_655).abs() < 1e-5);
        assert_eq!((gamma(10), gamma(11), gamma(1000)), (1, 2, 25));
    }

    #[test]
    fn a_parzen_estimator_is_a_density_on_its_bounds() {
        let p = Parzen::new(&[0.2, 0.25, 0.8], 0.0, 1.0, 1.0);
        let n = 10_000;
        let integral: f64 = (0..n)
            .map(|i| p.log_density((i as f64 + 0.5) / n as f64).exp() / n as f64)
            .sum();
        assert!((integral - 1.0).abs() < 0.01, "{integral}");
        assert!(p.log_density(0.22) > p.log_density(0.5));
    }
}
