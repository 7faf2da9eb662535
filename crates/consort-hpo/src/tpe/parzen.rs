//! Parzen estimators over one internal coordinate: mixtures of Gaussians truncated to the
//! parameter's bounds, one per observation plus a wide prior.

use rand::Rng;
use rand::rngs::StdRng;

/// The standard normal CDF (Abramowitz and Stegun 7.1.26, |error| < 1.5e-7).
pub(crate) fn normal_cdf(z: f64) -> f64 {
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
pub(crate) struct Parzen {
    mus: Vec<f64>,
    sigmas: Vec<f64>,
    weights: Vec<f64>,
    low: f64,
    high: f64,
}

impl Parzen {
    pub(crate) fn new(points: &[f64], low: f64, high: f64, prior_weight: f64) -> Self {
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

    pub(crate) fn sample(&self, rng: &mut StdRng) -> f64 {
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

    pub(crate) fn log_density(&self, x: f64) -> f64 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tpe::gamma;

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
