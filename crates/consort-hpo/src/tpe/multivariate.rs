//! Multivariate TPE (Falkner et al. 2018's product kernels, Optuna's `multivariate=True`):
//! the parameters that every complete trial asked for, with the same distribution (the
//! "intersection search space"), are drawn together at the start of a trial. Each side of
//! the split (the best `gamma(n)` trials, and the rest with the pruned ones) becomes a
//! mixture with one component per trial, a product over the parameters of a truncated
//! Gaussian (numbers, in their internal coordinate) or a peaked categorical (choices), plus a
//! wide prior component; of `n_ei_candidates` joint draws from the good side, the one with
//! the highest `l(x) / g(x)` is kept. Because a component keeps a trial's values together, a
//! good value of one parameter is proposed along with the values of the others that made it
//! good: what the univariate estimator, which scores each parameter alone, cannot see.

use std::collections::BTreeMap;

use rand::Rng;
use rand::rngs::StdRng;

use super::parzen::normal_cdf;
use super::{TpeSampler, gamma, search_bounds};
use crate::frozen::{FrozenTrial, TrialState};
use crate::space::{Distribution, ParamValue};
use consort_core::Direction;

/// Share of a categorical kernel's mass spread evenly over the choices.
const CATEGORICAL_BLEND: f64 = 0.2;

/// One parameter of the joint space.
enum Dim {
    Numeric { low: f64, high: f64 },
    Categorical { k: usize },
}

/// A mixture over the joint space.
struct Joint<'a> {
    dims: &'a [Dim],
    /// Each component's centre, per parameter (internal coordinate or choice index).
    centres: Vec<Vec<f64>>,
    /// Per component and parameter: the bandwidth (numbers); NaN for the prior component.
    sigmas: Vec<Vec<f64>>,
    weights: Vec<f64>,
}

impl<'a> Joint<'a> {
    fn new(dims: &'a [Dim], points: &[Vec<f64>], prior_weight: f64) -> Self {
        let n = points.len();
        let d = dims.len();
        // Scott's rule over the joint space, clipped as the univariate estimator is.
        let scale = 0.2 * (n.max(1) as f64).powf(-1.0 / (d as f64 + 4.0));
        let mut centres: Vec<Vec<f64>> = points.to_vec();
        let mut sigmas: Vec<Vec<f64>> = Vec::with_capacity(n + 1);
        let per_dim: Vec<f64> = dims
            .iter()
            .map(|dim| match dim {
                Dim::Numeric { low, high } => {
                    let range = (high - low).max(1e-12);
                    (scale * range).max(range / (100.0f64).min(n as f64 + 1.0))
                }
                Dim::Categorical { .. } => f64::NAN,
            })
            .collect();
        for _ in 0..n {
            sigmas.push(per_dim.clone());
        }
        // The prior: centred, as wide as each range, uniform over the choices.
        centres.push(
            dims.iter()
                .map(|dim| match dim {
                    Dim::Numeric { low, high } => 0.5 * (low + high),
                    Dim::Categorical { .. } => f64::NAN,
                })
                .collect(),
        );
        sigmas.push(
            dims.iter()
                .map(|dim| match dim {
                    Dim::Numeric { low, high } => (high - low).max(1e-12),
                    Dim::Categorical { .. } => f64::NAN,
                })
                .collect(),
        );
        let mut weights = vec![1.0; n];
        weights.push(prior_weight);
        let total: f64 = weights.iter().sum();
        weights.iter_mut().for_each(|w| *w /= total);
        Self {
            dims,
            centres,
            sigmas,
            weights,
        }
    }

    fn sample(&self, rng: &mut StdRng) -> Vec<f64> {
        let u: f64 = rng.random();
        let mut acc = 0.0;
        let mut c = self.weights.len() - 1;
        for (i, w) in self.weights.iter().enumerate() {
            acc += w;
            if u < acc {
                c = i;
                break;
            }
        }
        self.dims
            .iter()
            .enumerate()
            .map(|(j, dim)| {
                let (mu, s) = (self.centres[c][j], self.sigmas[c][j]);
                match dim {
                    Dim::Numeric { low, high } => {
                        for _ in 0..100 {
                            let (u1, u2): (f64, f64) =
                                (rng.random::<f64>().max(1e-300), rng.random());
                            let z =
                                (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                            let x = mu + s * z;
                            if (*low..=*high).contains(&x) {
                                return x;
                            }
                        }
                        mu.clamp(*low, *high)
                    }
                    Dim::Categorical { k } => {
                        if mu.is_nan() || rng.random::<f64>() < CATEGORICAL_BLEND {
                            rng.random_range(0..*k) as f64
                        } else {
                            mu
                        }
                    }
                }
            })
            .collect()
    }

    fn log_density(&self, x: &[f64]) -> f64 {
        let mut p = 0.0;
        for ((centre, sigma), w) in self.centres.iter().zip(&self.sigmas).zip(&self.weights) {
            let mut q = *w;
            for (j, dim) in self.dims.iter().enumerate() {
                q *= match dim {
                    Dim::Numeric { low, high } => {
                        let (mu, s) = (centre[j], sigma[j]);
                        let mass = normal_cdf((high - mu) / s) - normal_cdf((low - mu) / s);
                        let z = (x[j] - mu) / s;
                        (-0.5 * z * z).exp()
                            / (s * (2.0 * std::f64::consts::PI).sqrt() * mass.max(1e-12))
                    }
                    Dim::Categorical { k } => {
                        let even = 1.0 / *k as f64;
                        if centre[j].is_nan() {
                            even
                        } else if centre[j] == x[j] {
                            1.0 - CATEGORICAL_BLEND + CATEGORICAL_BLEND * even
                        } else {
                            CATEGORICAL_BLEND * even
                        }
                    }
                };
            }
            p += q;
        }
        p.max(1e-300).ln()
    }
}

/// Joint values for the intersection search space, or nothing (too few complete trials, or
/// no parameter that all of them share).
pub(super) fn sample(
    tpe: &TpeSampler,
    history: &[FrozenTrial],
    direction: Direction,
    rng: &mut StdRng,
) -> BTreeMap<String, (Distribution, ParamValue)> {
    let complete: Vec<&FrozenTrial> = history
        .iter()
        .filter(|t| t.state == TrialState::Complete && t.value.is_some_and(f64::is_finite))
        .collect();
    if complete.len() < tpe.n_startup_trials.max(1) {
        return BTreeMap::new();
    }
    let space: Vec<(String, Distribution)> = complete[0]
        .distributions
        .iter()
        .filter(|(name, dist)| {
            complete
                .iter()
                .all(|t| t.distributions.get(*name) == Some(dist) && t.params.contains_key(*name))
        })
        .map(|(n, d)| (n.clone(), d.clone()))
        .collect();
    if space.is_empty() {
        return BTreeMap::new();
    }
    let dims: Vec<Dim> = space
        .iter()
        .map(|(_, dist)| match dist {
            Distribution::Categorical { choices } => Dim::Categorical { k: choices.len() },
            _ => {
                let (low, high) = search_bounds(dist);
                Dim::Numeric { low, high }
            }
        })
        .collect();
    let point = |t: &FrozenTrial| -> Option<Vec<f64>> {
        space
            .iter()
            .map(|(name, dist)| {
                (t.distributions.get(name) == Some(dist))
                    .then(|| dist.to_internal(t.params.get(name)?))
                    .flatten()
            })
            .collect()
    };
    let sign = match direction {
        Direction::Lower => 1.0,
        Direction::Higher => -1.0,
    };
    let mut scored: Vec<(Vec<f64>, f64)> = complete
        .iter()
        .filter_map(|t| Some((point(t)?, sign * t.value?)))
        .collect();
    scored.sort_by(|a, b| a.1.total_cmp(&b.1));
    let n_below = gamma(scored.len()).max(1);
    let below: Vec<Vec<f64>> = scored[..n_below].iter().map(|s| s.0.clone()).collect();
    let mut above: Vec<Vec<f64>> = scored[n_below..].iter().map(|s| s.0.clone()).collect();
    above.extend(
        history
            .iter()
            .filter(|t| t.state == TrialState::Pruned)
            .filter_map(point),
    );
    let l = Joint::new(&dims, &below, tpe.prior_weight);
    let g = Joint::new(&dims, &above, tpe.prior_weight);
    let best = (0..tpe.n_ei_candidates.max(1))
        .map(|_| {
            let x = l.sample(rng);
            let score = l.log_density(&x) - g.log_density(&x);
            (x, score)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(x, _)| x)
        .unwrap_or_default();
    space
        .into_iter()
        .zip(best)
        .map(|((name, dist), x)| {
            let value = dist.from_internal(x);
            (name, (dist, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_joint_estimator_is_a_density_over_its_box() {
        let dims = [
            Dim::Numeric {
                low: 0.0,
                high: 1.0,
            },
            Dim::Categorical { k: 3 },
        ];
        let j = Joint::new(&dims, &[vec![0.2, 0.0], vec![0.7, 2.0]], 1.0);
        let n = 2000;
        let mut total = 0.0;
        for c in 0..3 {
            for i in 0..n {
                let x = (i as f64 + 0.5) / n as f64;
                total += j.log_density(&[x, c as f64]).exp() / n as f64;
            }
        }
        assert!((total - 1.0).abs() < 0.01, "{total}");
        // Values kept together: (0.2, choice 0) is likelier than (0.2, choice 2).
        assert!(j.log_density(&[0.2, 0.0]) > j.log_density(&[0.2, 2.0]));
    }
}
