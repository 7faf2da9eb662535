//! Linear least squares with an L2 penalty (ridge), solved in closed form.

use consort_core::params::ensure_non_negative;
use consort_core::{ConsortError, Fit, Matrix, ParamGuard, Regressor, Result, check_input};
use consort_data::RegressionDataset;
use serde::{Deserialize, Serialize};

/// Hyperparameters of [`Ridge`]: minimises `||y - Xw - b||^2 + alpha ||w||^2`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RidgeConfig {
    /// Penalty strength; 0 gives ordinary least squares (needs full-rank features).
    pub alpha: f64,
    /// Fit an unpenalised intercept (by centring features and targets).
    pub fit_intercept: bool,
}

impl Default for RidgeConfig {
    fn default() -> Self {
        Self {
            alpha: 1.0,
            fit_intercept: true,
        }
    }
}

impl ParamGuard for RidgeConfig {
    fn check(&self) -> Result<()> {
        ensure_non_negative("alpha", self.alpha)
    }
}

/// A fitted linear regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ridge {
    coefficients: Vec<f64>,
    intercept: f64,
}

impl Ridge {
    /// One weight per feature.
    pub fn coefficients(&self) -> &[f64] {
        &self.coefficients
    }

    /// The intercept.
    pub fn intercept(&self) -> f64 {
        self.intercept
    }
}

/// Solves `A x = b` for symmetric positive-definite `A` (`n x n`, row-major) by Cholesky.
pub(crate) fn cholesky_solve(mut a: Vec<f64>, mut b: Vec<f64>, n: usize) -> Option<Vec<f64>> {
    // A = L L^T, L stored in the lower triangle of `a`.
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if d <= 1e-12 * a[j * n + j].abs().max(1.0) {
            return None;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
    }
    for i in 0..n {
        let s: f64 = (0..i).map(|k| a[i * n + k] * b[k]).sum();
        b[i] = (b[i] - s) / a[i * n + i];
    }
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| a[k * n + i] * b[k]).sum();
        b[i] = (b[i] - s) / a[i * n + i];
    }
    Some(b)
}

impl Fit<RegressionDataset> for RidgeConfig {
    type Object = Ridge;

    fn fit(&self, data: &RegressionDataset) -> Result<Ridge> {
        self.check()?;
        data.ensure_trainable()?;
        let (n, d) = (data.len(), data.n_features());
        let x = data.features();
        let (x_mean, y_mean) = if self.fit_intercept {
            let mut m = vec![0.0; d];
            for row in x.iter_rows() {
                m.iter_mut().zip(row).for_each(|(a, &v)| *a += f64::from(v));
            }
            m.iter_mut().for_each(|a| *a /= n as f64);
            let y = data.targets().iter().map(|&t| f64::from(t)).sum::<f64>() / n as f64;
            (m, y)
        } else {
            (vec![0.0; d], 0.0)
        };
        let mut gram = vec![0.0; d * d];
        let mut xty = vec![0.0; d];
        let mut xc = vec![0.0; d];
        for (row, &t) in x.iter_rows().zip(data.targets()) {
            xc.iter_mut()
                .zip(row)
                .zip(&x_mean)
                .for_each(|((c, &v), m)| *c = f64::from(v) - m);
            let yc = f64::from(t) - y_mean;
            for i in 0..d {
                xty[i] += xc[i] * yc;
                for j in 0..=i {
                    gram[i * d + j] += xc[i] * xc[j];
                }
            }
        }
        for i in 0..d {
            for j in 0..i {
                gram[j * d + i] = gram[i * d + j];
            }
            gram[i * d + i] += self.alpha;
        }
        let coefficients = cholesky_solve(gram, xty, d).ok_or_else(|| {
            ConsortError::InvalidInput(
                "features are collinear: the least-squares system is singular (use alpha > 0)"
                    .into(),
            )
        })?;
        let intercept = y_mean
            - coefficients
                .iter()
                .zip(&x_mean)
                .map(|(w, m)| w * m)
                .sum::<f64>();
        Ok(Ridge {
            coefficients,
            intercept,
        })
    }
}

impl Regressor for Ridge {
    fn n_features(&self) -> usize {
        self.coefficients.len()
    }

    fn predict(&self, x: &Matrix) -> Result<Vec<f32>> {
        check_input(x, self.coefficients.len())?;
        Ok(x.iter_rows()
            .map(|r| {
                let dot: f64 = r
                    .iter()
                    .zip(&self.coefficients)
                    .map(|(&v, w)| f64::from(v) * w)
                    .sum();
                (dot + self.intercept) as f32
            })
            .collect())
    }
}

impl consort_core::io::Validate for Ridge {
    fn validate(&self) -> Result<()> {
        consort_core::io::ensure(
            !self.coefficients.is_empty()
                && self.coefficients.iter().all(|c| c.is_finite())
                && self.intercept.is_finite(),
            || "ridge needs >= 1 finite coefficient and a finite intercept".into(),
        )
    }
}
