//! Regression metrics.

use consort_core::{ConsortError, Result};
use serde::{Deserialize, Serialize};

fn pairs(y_true: &[f32], y_pred: &[f32]) -> Result<impl Iterator<Item = (f64, f64)>> {
    if y_true.is_empty() {
        return Err(ConsortError::EmptyDataset("no samples to score".into()));
    }
    if y_true.len() != y_pred.len() {
        return Err(ConsortError::ShapeMismatch(format!(
            "{} true values but {} predictions",
            y_true.len(),
            y_pred.len()
        )));
    }
    if y_true.iter().chain(y_pred).any(|v| !v.is_finite()) {
        return Err(ConsortError::NonFinite(
            "regression targets or predictions".into(),
        ));
    }
    Ok(y_true
        .iter()
        .zip(y_pred)
        .map(|(&t, &p)| (f64::from(t), f64::from(p))))
}

/// Mean squared error.
pub fn mse(y_true: &[f32], y_pred: &[f32]) -> Result<f64> {
    Ok(pairs(y_true, y_pred)?
        .map(|(t, p)| (t - p).powi(2))
        .sum::<f64>()
        / y_true.len() as f64)
}

/// Root mean squared error.
pub fn rmse(y_true: &[f32], y_pred: &[f32]) -> Result<f64> {
    mse(y_true, y_pred).map(f64::sqrt)
}

/// Mean absolute error.
pub fn mae(y_true: &[f32], y_pred: &[f32]) -> Result<f64> {
    Ok(pairs(y_true, y_pred)?
        .map(|(t, p)| (t - p).abs())
        .sum::<f64>()
        / y_true.len() as f64)
}

/// Coefficient of determination (1 is perfect, 0 is predicting the mean; 0 when the targets
/// are constant and predicted exactly).
pub fn r2(y_true: &[f32], y_pred: &[f32]) -> Result<f64> {
    let n = y_true.len() as f64;
    let ss_res: f64 = pairs(y_true, y_pred)?.map(|(t, p)| (t - p).powi(2)).sum();
    let mean = y_true.iter().map(|&t| f64::from(t)).sum::<f64>() / n;
    let ss_tot: f64 = y_true.iter().map(|&t| (f64::from(t) - mean).powi(2)).sum();
    Ok(if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else if ss_res == 0.0 {
        1.0
    } else {
        0.0
    })
}

/// MSE, RMSE, MAE and R² in one pass over the data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RegressionMetrics {
    /// Mean squared error.
    pub mse: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Coefficient of determination.
    pub r2: f64,
}

impl RegressionMetrics {
    /// All four metrics.
    pub fn compute(y_true: &[f32], y_pred: &[f32]) -> Result<Self> {
        let mse = mse(y_true, y_pred)?;
        Ok(Self {
            mse,
            rmse: mse.sqrt(),
            mae: mae(y_true, y_pred)?,
            r2: r2(y_true, y_pred)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_forms() {
        let t = [1.0, 2.0, 3.0, 4.0];
        let p = [1.0, 2.0, 3.0, 6.0];
        assert_eq!(mse(&t, &p).unwrap(), 1.0);
        assert_eq!(rmse(&t, &p).unwrap(), 1.0);
        assert_eq!(mae(&t, &p).unwrap(), 0.5);
        assert!((r2(&t, &p).unwrap() - (1.0 - 4.0 / 5.0)).abs() < 1e-12);
        assert_eq!(r2(&t, &t).unwrap(), 1.0);
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        assert!(matches!(mse(&[], &[]), Err(ConsortError::EmptyDataset(_))));
        assert!(matches!(
            mse(&[1.0], &[1.0, 2.0]),
            Err(ConsortError::ShapeMismatch(_))
        ));
        assert!(matches!(
            mse(&[1.0], &[f32::NAN]),
            Err(ConsortError::NonFinite(_))
        ));
    }
}
