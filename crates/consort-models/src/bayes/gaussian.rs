//! Gaussian naive Bayes: per class, each feature is an independent normal.

use consort_core::params::ensure_non_negative;
use consort_core::{
    Classifier, ConsortError, Fit, FitWeighted, FitWith, Matrix, ParamGuard, Result, check_input,
    check_sample_weights,
};
use consort_data::Dataset;
use serde::{Deserialize, Serialize};

use crate::linear::softmax_into;

/// Hyperparameters of [`GaussianNb`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GaussianNbConfig {
    /// Added to every variance, as a fraction of the largest feature variance (scikit-learn's
    /// `var_smoothing`): keeps constant features from producing zero variances.
    pub var_smoothing: f64,
}

impl Default for GaussianNbConfig {
    fn default() -> Self {
        Self {
            var_smoothing: 1e-9,
        }
    }
}

impl ParamGuard for GaussianNbConfig {
    fn check(&self) -> Result<()> {
        ensure_non_negative("var_smoothing", self.var_smoothing)
    }
}

/// A fitted Gaussian naive Bayes model. Supports incremental updates ([`FitWith`]): the
/// sufficient statistics (count, mean, sum of squared deviations) merge exactly (Chan et al.).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianNb {
    var_smoothing: f64,
    /// Samples seen per class.
    counts: Vec<f64>,
    /// Per class and feature, row-major `k x d`.
    means: Vec<f64>,
    /// Sums of squared deviations from the mean, `k x d`.
    m2: Vec<f64>,
    n_features: usize,
}

impl GaussianNb {
    /// An untrained model for `n_classes` and `n_features`, to be fed with [`FitWith`].
    pub fn empty(config: &GaussianNbConfig, n_classes: usize, n_features: usize) -> Result<Self> {
        config.check()?;
        if n_classes == 0 || n_features == 0 {
            return Err(ConsortError::config(
                "naive Bayes needs at least one class and one feature",
            ));
        }
        Ok(Self {
            var_smoothing: config.var_smoothing,
            counts: vec![0.0; n_classes],
            means: vec![0.0; n_classes * n_features],
            m2: vec![0.0; n_classes * n_features],
            n_features,
        })
    }

    /// Samples seen per class.
    pub fn class_counts(&self) -> &[f64] {
        &self.counts
    }

    /// Per-class feature means, `n_classes x n_features`.
    pub fn means(&self) -> Matrix {
        let v = self.means.iter().map(|&m| m as f32).collect();
        Matrix::new(self.counts.len(), self.n_features, v).expect("shape kept by construction")
    }

    /// Variances including smoothing, row-major `k x d`.
    fn variances(&self) -> Vec<f64> {
        let d = self.n_features;
        // Smoothing is relative to the largest per-feature variance over all data seen, as in
        // scikit-learn; computed from the merged class statistics.
        let total: f64 = self.counts.iter().sum();
        let mut max_var: f64 = 0.0;
        for j in 0..d {
            let mean = (0..self.counts.len())
                .map(|c| self.counts[c] * self.means[c * d + j])
                .sum::<f64>()
                / total.max(1.0);
            let ss: f64 = (0..self.counts.len())
                .map(|c| {
                    self.m2[c * d + j] + self.counts[c] * (self.means[c * d + j] - mean).powi(2)
                })
                .sum();
            max_var = max_var.max(ss / total.max(1.0));
        }
        let eps = (self.var_smoothing * max_var).max(1e-12);
        (0..self.counts.len() * d)
            .map(|i| {
                let n = self.counts[i / d];
                (if n > 0.0 { self.m2[i] / n } else { 0.0 }) + eps
            })
            .collect()
    }
}

impl FitWith<Dataset> for GaussianNb {
    fn fit_with(&mut self, data: &Dataset) -> Result<()> {
        self.update(data, None)
    }
}

impl GaussianNb {
    /// Merges a batch into the per-class counts, means and squared deviations (Chan et al.'s
    /// parallel update), each row counting `sample_weights[i]` times (once without weights).
    fn update(&mut self, data: &Dataset, sample_weights: Option<&[f32]>) -> Result<()> {
        super::check_update(data, self.n_features, self.counts.len())?;
        if let Some(w) = sample_weights {
            check_sample_weights(w, data.len())?;
        }
        let weight = |i: usize| sample_weights.map_or(1.0, |w| f64::from(w[i]));
        let d = self.n_features;
        for c in 0..self.counts.len() {
            let rows: Vec<(&[f32], f64)> = data
                .features()
                .iter_rows()
                .zip(data.labels())
                .enumerate()
                .filter(|&(i, (_, &l))| l == c && weight(i) > 0.0)
                .map(|(i, (r, _))| (r, weight(i)))
                .collect();
            if rows.is_empty() {
                continue;
            }
            let nb: f64 = rows.iter().map(|(_, w)| w).sum();
            for j in 0..d {
                let mean_b = rows.iter().map(|(r, w)| w * f64::from(r[j])).sum::<f64>() / nb;
                let m2_b: f64 = rows
                    .iter()
                    .map(|(r, w)| w * (f64::from(r[j]) - mean_b).powi(2))
                    .sum();
                let (na, i) = (self.counts[c], c * d + j);
                let delta = mean_b - self.means[i];
                self.means[i] += delta * nb / (na + nb);
                self.m2[i] += m2_b + delta * delta * na * nb / (na + nb);
            }
            self.counts[c] += nb;
        }
        Ok(())
    }
}

impl Fit<Dataset> for GaussianNbConfig {
    type Object = GaussianNb;

    fn fit(&self, data: &Dataset) -> Result<GaussianNb> {
        data.ensure_trainable()?;
        let mut model = GaussianNb::empty(self, data.n_classes(), data.n_features())?;
        model.fit_with(data)?;
        Ok(model)
    }
}

/// Weighted class priors, means and variances.
impl FitWeighted<Dataset> for GaussianNbConfig {
    fn fit_weighted(&self, data: &Dataset, sample_weights: &[f32]) -> Result<GaussianNb> {
        data.ensure_trainable()?;
        let mut model = GaussianNb::empty(self, data.n_classes(), data.n_features())?;
        model.update(data, Some(sample_weights))?;
        Ok(model)
    }
}

impl Classifier for GaussianNb {
    fn n_classes(&self) -> usize {
        self.counts.len()
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    /// A scaled squared difference per feature and class.
    fn macs_per_sample(&self) -> Option<u64> {
        Some((2 * self.n_features * self.counts.len()) as u64)
    }

    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        check_input(x, self.n_features)?;
        let (d, k) = (self.n_features, self.counts.len());
        let total: f64 = self.counts.iter().sum();
        if total == 0.0 {
            return Err(ConsortError::EmptyDataset(
                "naive Bayes has seen no samples yet".into(),
            ));
        }
        let var = self.variances();
        // Per class: log prior - 0.5 * sum(log(2 pi var)); classes never seen get -inf.
        let base: Vec<f64> = (0..k)
            .map(|c| {
                if self.counts[c] == 0.0 {
                    return f64::NEG_INFINITY;
                }
                (self.counts[c] / total).ln()
                    - 0.5
                        * var[c * d..(c + 1) * d]
                            .iter()
                            .map(|v| (2.0 * std::f64::consts::PI * v).ln())
                            .sum::<f64>()
            })
            .collect();
        let mut out = Matrix::zeros(x.rows(), k);
        let mut joint = vec![0.0; k];
        for (i, row) in x.iter_rows().enumerate() {
            for c in 0..k {
                joint[c] = base[c];
                if base[c].is_finite() {
                    for j in 0..d {
                        let diff = f64::from(row[j]) - self.means[c * d + j];
                        joint[c] -= 0.5 * diff * diff / var[c * d + j];
                    }
                }
            }
            softmax_into(&joint, out.row_mut(i));
        }
        Ok(out)
    }
}

impl consort_core::io::Validate for GaussianNb {
    fn validate(&self) -> Result<()> {
        use consort_core::io::ensure;
        let (k, d) = (self.counts.len(), self.n_features);
        ensure(k >= 2 && d >= 1, || {
            format!("naive Bayes needs >= 2 classes and >= 1 feature, has {k} and {d}")
        })?;
        ensure(
            k.checked_mul(d) == Some(self.means.len()) && self.m2.len() == self.means.len(),
            || {
                format!(
                    "{} means and {} squared deviations do not fit {k} classes x {d} features",
                    self.means.len(),
                    self.m2.len()
                )
            },
        )?;
        ensure(
            self.var_smoothing.is_finite() && self.var_smoothing >= 0.0,
            || "var_smoothing must be a finite number >= 0".into(),
        )?;
        ensure(
            self.counts.iter().all(|c| c.is_finite() && *c >= 0.0)
                && self.counts.iter().any(|&c| c > 0.0),
            || "class counts must be finite, >= 0 and not all 0".into(),
        )?;
        ensure(self.means.iter().all(|m| m.is_finite()), || {
            "a class mean is not finite".into()
        })?;
        ensure(self.m2.iter().all(|v| v.is_finite() && *v >= 0.0), || {
            "a squared deviation is negative or not finite".into()
        })
    }
}
