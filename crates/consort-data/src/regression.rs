//! Features with real-valued targets.

use consort_core::{ConsortError, Matrix, Result};

/// A regression dataset: one finite target per feature row.
#[derive(Debug, Clone, PartialEq)]
pub struct RegressionDataset {
    features: Matrix,
    targets: Vec<f32>,
}

impl RegressionDataset {
    /// Builds and validates (one target per row, everything finite).
    pub fn new(features: Matrix, targets: Vec<f32>) -> Result<Self> {
        if features.rows() != targets.len() {
            return Err(ConsortError::ShapeMismatch(format!(
                "{} feature rows but {} targets",
                features.rows(),
                targets.len()
            )));
        }
        features.ensure_finite("features")?;
        if let Some(i) = targets.iter().position(|t| !t.is_finite()) {
            return Err(ConsortError::NonFinite(format!("target of row {i}")));
        }
        Ok(Self { features, targets })
    }

    /// The feature matrix.
    pub fn features(&self) -> &Matrix {
        &self.features
    }

    /// The targets.
    pub fn targets(&self) -> &[f32] {
        &self.targets
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Number of feature columns.
    pub fn n_features(&self) -> usize {
        self.features.cols()
    }

    /// The rows at `indices`.
    pub fn subset(&self, indices: &[usize]) -> Self {
        Self {
            features: self.features.select_rows(indices),
            targets: crate::take(&self.targets, indices),
        }
    }

    /// Errors if there is nothing to fit on.
    pub fn ensure_trainable(&self) -> Result<()> {
        if self.is_empty() {
            Err(ConsortError::EmptyDataset(
                "regression data has no samples".into(),
            ))
        } else {
            Ok(())
        }
    }
}
