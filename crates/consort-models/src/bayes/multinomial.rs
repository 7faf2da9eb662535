//! Multinomial naive Bayes for count features (bag-of-words, pixel intensities).

use consort_core::params::ensure_positive;
use consort_core::{
    Classifier, ConsortError, Fit, FitWeighted, FitWith, Matrix, ParamGuard, Result, check_input,
    check_sample_weights,
};
use consort_data::Dataset;
use serde::{Deserialize, Serialize};

use crate::linear::softmax_into;

/// Hyperparameters of [`MultinomialNb`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MultinomialNbConfig {
    /// Additive (Laplace / Lidstone) smoothing of feature counts.
    pub alpha: f64,
}

impl Default for MultinomialNbConfig {
    fn default() -> Self {
        Self { alpha: 1.0 }
    }
}

impl ParamGuard for MultinomialNbConfig {
    fn check(&self) -> Result<()> {
        ensure_positive("alpha", self.alpha)
    }
}

/// A fitted multinomial naive Bayes model; incremental through [`FitWith`] (counts add up).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultinomialNb {
    alpha: f64,
    class_counts: Vec<f64>,
    /// Summed feature values per class, `k x d`.
    feature_counts: Vec<f64>,
    n_features: usize,
}

impl MultinomialNb {
    /// An untrained model, to be fed with [`FitWith`].
    pub fn empty(
        config: &MultinomialNbConfig,
        n_classes: usize,
        n_features: usize,
    ) -> Result<Self> {
        config.check()?;
        if n_classes == 0 || n_features == 0 {
            return Err(ConsortError::config(
                "naive Bayes needs at least one class and one feature",
            ));
        }
        Ok(Self {
            alpha: config.alpha,
            class_counts: vec![0.0; n_classes],
            feature_counts: vec![0.0; n_classes * n_features],
            n_features,
        })
    }
}

fn ensure_counts(x: &Matrix) -> Result<()> {
    match x.as_slice().iter().position(|&v| v < 0.0) {
        None => Ok(()),
        Some(p) => Err(ConsortError::InvalidInput(format!(
            "multinomial naive Bayes needs non-negative counts; row {}, column {} is {}",
            p / x.cols().max(1),
            p % x.cols().max(1),
            x.as_slice()[p]
        ))),
    }
}

impl FitWith<Dataset> for MultinomialNb {
    fn fit_with(&mut self, data: &Dataset) -> Result<()> {
        self.update(data, None)
    }
}

impl MultinomialNb {
    /// Adds a batch's class and feature counts, each row counting `sample_weights[i]` times.
    fn update(&mut self, data: &Dataset, sample_weights: Option<&[f32]>) -> Result<()> {
        super::check_update(data, self.n_features, self.class_counts.len())?;
        ensure_counts(data.features())?;
        if let Some(w) = sample_weights {
            check_sample_weights(w, data.len())?;
        }
        let d = self.n_features;
        for (i, (row, &c)) in data.features().iter_rows().zip(data.labels()).enumerate() {
            let w = sample_weights.map_or(1.0, |w| f64::from(w[i]));
            self.class_counts[c] += w;
            for (acc, &v) in self.feature_counts[c * d..(c + 1) * d].iter_mut().zip(row) {
                *acc += w * f64::from(v);
            }
        }
        Ok(())
    }
}

impl Fit<Dataset> for MultinomialNbConfig {
    type Object = MultinomialNb;

    fn fit(&self, data: &Dataset) -> Result<MultinomialNb> {
        data.ensure_trainable()?;
        let mut model = MultinomialNb::empty(self, data.n_classes(), data.n_features())?;
        model.fit_with(data)?;
        Ok(model)
    }
}

/// Weighted class and feature counts.
impl FitWeighted<Dataset> for MultinomialNbConfig {
    fn fit_weighted(&self, data: &Dataset, sample_weights: &[f32]) -> Result<MultinomialNb> {
        data.ensure_trainable()?;
        let mut model = MultinomialNb::empty(self, data.n_classes(), data.n_features())?;
        model.update(data, Some(sample_weights))?;
        Ok(model)
    }
}

impl Classifier for MultinomialNb {
    fn n_classes(&self) -> usize {
        self.class_counts.len()
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    /// One dot product with the log-probabilities per class.
    fn macs_per_sample(&self) -> Option<u64> {
        Some((self.n_features * self.class_counts.len()) as u64)
    }

    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        check_input(x, self.n_features)?;
        ensure_counts(x)?;
        let (d, k) = (self.n_features, self.class_counts.len());
        let total: f64 = self.class_counts.iter().sum();
        if total == 0.0 {
            return Err(ConsortError::EmptyDataset(
                "naive Bayes has seen no samples yet".into(),
            ));
        }
        // log theta_cj = log((N_cj + alpha) / (N_c + alpha d)).
        let log_theta: Vec<f64> = (0..k)
            .flat_map(|c| {
                let counts = &self.feature_counts[c * d..(c + 1) * d];
                let denom = (counts.iter().sum::<f64>() + self.alpha * d as f64).ln();
                counts.iter().map(move |n| (n + self.alpha).ln() - denom)
            })
            .collect();
        let log_prior: Vec<f64> = self
            .class_counts
            .iter()
            .map(|&n| {
                if n > 0.0 {
                    (n / total).ln()
                } else {
                    f64::NEG_INFINITY
                }
            })
            .collect();
        let mut out = Matrix::zeros(x.rows(), k);
        let mut joint = vec![0.0; k];
        for (i, row) in x.iter_rows().enumerate() {
            for c in 0..k {
                joint[c] = log_prior[c]
                    + row
                        .iter()
                        .zip(&log_theta[c * d..(c + 1) * d])
                        .map(|(&v, lt)| f64::from(v) * lt)
                        .sum::<f64>();
            }
            softmax_into(&joint, out.row_mut(i));
        }
        Ok(out)
    }
}

impl consort_core::io::Validate for MultinomialNb {
    fn validate(&self) -> Result<()> {
        use consort_core::io::ensure;
        let (k, d) = (self.class_counts.len(), self.n_features);
        ensure(k >= 2 && d >= 1, || {
            format!("naive Bayes needs >= 2 classes and >= 1 feature, has {k} and {d}")
        })?;
        ensure(k.checked_mul(d) == Some(self.feature_counts.len()), || {
            format!(
                "{} feature counts do not fit {k} classes x {d} features",
                self.feature_counts.len()
            )
        })?;
        ensure(self.alpha.is_finite() && self.alpha > 0.0, || {
            "alpha must be a positive finite number".into()
        })?;
        ensure(
            self.class_counts
                .iter()
                .chain(&self.feature_counts)
                .all(|c| c.is_finite() && *c >= 0.0)
                && self.class_counts.iter().any(|&c| c > 0.0),
            || "counts must be finite, >= 0 and not all 0".into(),
        )
    }
}
