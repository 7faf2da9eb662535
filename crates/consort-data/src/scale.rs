//! Standardisation (zero mean, unit variance per feature), fitted on training data only.

use consort_core::{ConsortError, Matrix, Result};

use crate::Dataset;
use serde::{Deserialize, Serialize};

/// Per-feature mean and standard deviation learnt from a training matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StandardScaler {
    mean: Vec<f32>,
    std: Vec<f32>,
}

impl StandardScaler {
    /// Fits a scaler on `train`'s features and returns `train` and `test` scaled by it: the
    /// test rows never inform the fit.
    pub fn standardize_split(train: &Dataset, test: &Dataset) -> Result<(Dataset, Dataset)> {
        let scaler = Self::fit(train.features())?;
        Ok((
            scaler.transform_dataset(train)?,
            scaler.transform_dataset(test)?,
        ))
    }

    /// `data` with its features standardised; samples and names unchanged.
    pub fn transform_dataset(&self, data: &Dataset) -> Result<Dataset> {
        data.with_features(self.transform(data.features())?)
    }

    /// Learns means and (population) standard deviations. Constant features get std 1 so they
    /// map to 0 rather than to NaN.
    pub fn fit(x: &Matrix) -> Result<Self> {
        if x.rows() == 0 {
            return Err(ConsortError::EmptyDataset(
                "cannot fit a scaler on zero rows".into(),
            ));
        }
        x.ensure_finite("scaler input")?;
        let n = x.rows() as f64;
        let mut sum = vec![0f64; x.cols()];
        for row in x.iter_rows() {
            for (s, &v) in sum.iter_mut().zip(row) {
                *s += f64::from(v);
            }
        }
        let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
        let mut var = vec![0f64; x.cols()];
        for row in x.iter_rows() {
            for ((acc, &v), m) in var.iter_mut().zip(row).zip(&mean) {
                *acc += (f64::from(v) - m).powi(2);
            }
        }
        let std = var
            .iter()
            .map(|v| {
                let s = (v / n).sqrt();
                if s < 1e-12 { 1.0 } else { s as f32 }
            })
            .collect();
        Ok(Self {
            mean: mean.iter().map(|&m| m as f32).collect(),
            std,
        })
    }

    /// The fitted per-feature means.
    pub fn mean(&self) -> &[f32] {
        &self.mean
    }

    /// The fitted per-feature standard deviations (1 for constant features).
    pub fn std(&self) -> &[f32] {
        &self.std
    }

    /// Number of features the scaler was fitted on.
    pub fn n_features(&self) -> usize {
        self.mean.len()
    }

    /// Standardises `x` with the fitted statistics.
    pub fn transform(&self, x: &Matrix) -> Result<Matrix> {
        x.ensure_cols(self.mean.len(), "scaler input")?;
        let mut out = x.clone();
        for i in 0..out.rows() {
            for ((v, m), s) in out.row_mut(i).iter_mut().zip(&self.mean).zip(&self.std) {
                *v = (*v - m) / s;
            }
        }
        Ok(out)
    }
}

impl consort_core::io::Validate for StandardScaler {
    fn validate(&self) -> Result<()> {
        use consort_core::io::ensure;
        ensure(self.mean.len() == self.std.len(), || {
            format!(
                "the scaler has {} means and {} deviations",
                self.mean.len(),
                self.std.len()
            )
        })?;
        ensure(self.mean.iter().all(|m| m.is_finite()), || {
            "a scaler mean is not finite".into()
        })?;
        ensure(self.std.iter().all(|s| s.is_finite() && *s > 0.0), || {
            "a scaler deviation is not a positive finite number".into()
        })
    }
}
