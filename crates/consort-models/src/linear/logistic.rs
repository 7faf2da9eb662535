//! Multinomial logistic regression with L2 regularisation, fitted by L-BFGS.

use consort_core::params::{ensure_count_in, ensure_positive};
use consort_core::{
    Classifier, ConsortError, Fit, FitWeighted, FitWith, Matrix, ParamGuard, Result, check_input,
    check_labels, check_sample_weights,
};
use consort_data::Dataset;
use serde::{Deserialize, Serialize};

use super::lbfgs::{LbfgsOptions, minimize};

/// Hyperparameters of [`LogisticRegression`] (scikit-learn's conventions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogisticRegressionConfig {
    /// Inverse regularisation strength: the objective is
    /// `C * sum(cross-entropy) + ||W||^2 / 2` (the intercept is not penalised).
    pub c: f64,
    /// L-BFGS iterations at most.
    pub max_iter: usize,
    /// Gradient tolerance (on the per-sample-averaged objective).
    pub tol: f64,
}

impl Default for LogisticRegressionConfig {
    fn default() -> Self {
        Self {
            c: 1.0,
            max_iter: 500,
            tol: 1e-5,
        }
    }
}

impl ParamGuard for LogisticRegressionConfig {
    fn check(&self) -> Result<()> {
        ensure_positive("c", self.c)?;
        ensure_count_in("max_iter", self.max_iter, 1..=crate::MAX_ROUNDS)?;
        ensure_positive("tol", self.tol)
    }
}

/// A fitted multinomial logistic regression: `softmax(x W^T + b)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticRegression {
    /// `n_classes x n_features`, row-major.
    weights: Vec<f64>,
    /// One intercept per class.
    intercepts: Vec<f64>,
    n_features: usize,
    n_classes: usize,
    /// L-BFGS iterations the fit took.
    pub iterations: usize,
    /// Whether L-BFGS met its tolerance.
    pub converged: bool,
    /// Gradient steps taken by incremental updates ([`FitWith`]) since the fit; they set the
    /// decay of the step size.
    #[serde(default)]
    pub incremental_steps: usize,
}

impl LogisticRegressionConfig {
    /// Fits on soft targets: one probability row per sample (hard labels are one-hot rows).
    /// Knowledge distillation into this model uses it with a teacher's probabilities.
    pub fn fit_soft(&self, x: &Matrix, targets: &Matrix) -> Result<LogisticRegression> {
        self.fit_soft_weighted(x, targets, None)
    }

    /// [`Self::fit_soft`] with each sample's loss scaled by its weight.
    fn fit_soft_weighted(
        &self,
        x: &Matrix,
        targets: &Matrix,
        sample_weights: Option<&[f32]>,
    ) -> Result<LogisticRegression> {
        self.check()?;
        if x.rows() == 0 {
            return Err(ConsortError::EmptyDataset(
                "logistic regression needs at least one sample".into(),
            ));
        }
        if targets.rows() != x.rows() || targets.cols() < 2 {
            return Err(ConsortError::ShapeMismatch(format!(
                "targets are {}x{}, need {} rows and >= 2 classes",
                targets.rows(),
                targets.cols(),
                x.rows()
            )));
        }
        x.ensure_finite("logistic regression input")?;
        targets.ensure_finite("logistic regression targets")?;
        let (n, d, k) = (x.rows(), x.cols(), targets.cols());
        let xs: Vec<f64> = x.as_slice().iter().map(|&v| f64::from(v)).collect();
        let ys: Vec<f64> = targets.as_slice().iter().map(|&v| f64::from(v)).collect();
        if let Some(w) = sample_weights {
            check_sample_weights(w, n)?;
        }
        let weight = |i: usize| sample_weights.map_or(1.0, |w| f64::from(w[i]));
        // Objective divided by C*n so the tolerance does not depend on the data size.
        let l2 = 1.0 / (self.c * n as f64);

        let objective = |theta: &[f64], grad: &mut [f64]| -> f64 {
            let (w, b) = theta.split_at(k * d);
            grad.iter_mut().for_each(|g| *g = 0.0);
            let mut loss = 0.0;
            let mut z = vec![0.0; k];
            for i in 0..n {
                let xi = &xs[i * d..(i + 1) * d];
                for c in 0..k {
                    z[c] = b[c] + dot(&w[c * d..(c + 1) * d], xi);
                }
                let lse = log_sum_exp(&z);
                let yi = &ys[i * k..(i + 1) * k];
                let wi = weight(i);
                for c in 0..k {
                    let p = (z[c] - lse).exp();
                    loss -= wi * yi[c] * (z[c] - lse);
                    let r = wi * (p - yi[c]) / n as f64;
                    let gw = &mut grad[c * d..(c + 1) * d];
                    gw.iter_mut().zip(xi).for_each(|(g, &xv)| *g += r * xv);
                    grad[k * d + c] += r;
                }
            }
            let mut penalty = 0.0;
            for (g, &wv) in grad[..k * d].iter_mut().zip(w) {
                *g += l2 * wv;
                penalty += wv * wv;
            }
            loss / n as f64 + 0.5 * l2 * penalty
        };
        let result = minimize(
            objective,
            vec![0.0; k * d + k],
            LbfgsOptions {
                max_iter: self.max_iter,
                grad_tol: self.tol,
                memory: 10,
            },
        );
        let mut weights = result.x;
        let intercepts = weights.split_off(k * d);
        Ok(LogisticRegression {
            weights,
            intercepts,
            n_features: d,
            n_classes: k,
            iterations: result.iterations,
            incremental_steps: 0,
            converged: result.converged,
        })
    }
}

impl Fit<Dataset> for LogisticRegressionConfig {
    type Object = LogisticRegression;

    fn fit(&self, data: &Dataset) -> Result<LogisticRegression> {
        data.ensure_trainable()?;
        check_labels(data.labels(), data.n_classes())?;
        self.fit_soft(data.features(), &one_hot(data.labels(), data.n_classes()))
    }
}

/// Each sample's log-loss term scaled by its weight (the L2 penalty is not).
impl FitWeighted<Dataset> for LogisticRegressionConfig {
    fn fit_weighted(&self, data: &Dataset, sample_weights: &[f32]) -> Result<LogisticRegression> {
        data.ensure_trainable()?;
        check_labels(data.labels(), data.n_classes())?;
        self.fit_soft_weighted(
            data.features(),
            &one_hot(data.labels(), data.n_classes()),
            Some(sample_weights),
        )
    }
}

/// One-hot rows for hard labels.
pub(crate) fn one_hot(labels: &[usize], n_classes: usize) -> Matrix {
    let mut m = Matrix::zeros(labels.len(), n_classes);
    for (i, &l) in labels.iter().enumerate() {
        m.row_mut(i)[l] = 1.0;
    }
    m
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Writes `softmax(log_scores)` into `out`, stably (log-sum-exp); `-inf` scores get 0.
pub(crate) fn softmax_into(log_scores: &[f64], out: &mut [f32]) {
    let lse = log_sum_exp(log_scores);
    for (o, s) in out.iter_mut().zip(log_scores) {
        *o = (s - lse).exp() as f32;
    }
}

pub(crate) fn log_sum_exp(z: &[f64]) -> f64 {
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + z.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}

impl LogisticRegression {
    /// The class-by-feature weight matrix.
    pub fn coefficients(&self) -> Matrix {
        let w = self.weights.iter().map(|&v| v as f32).collect();
        Matrix::new(self.n_classes, self.n_features, w).expect("shape kept by construction")
    }

    /// The per-class intercepts.
    pub fn intercepts(&self) -> &[f64] {
        &self.intercepts
    }
}

/// Incremental updates (scikit-learn's `partial_fit` of `SGDClassifier(loss="log_loss")`):
/// five passes of mini-batch gradient descent on the cross-entropy over the new rows (batches
/// of 32 in row order, step 0.1 decaying as `0.1 / (1 + 0.01 t)` over the model's updates),
/// starting from the current weights. Labels must lie within the model's classes.
impl FitWith<Dataset> for LogisticRegression {
    fn fit_with(&mut self, data: &Dataset) -> Result<()> {
        check_input(data.features(), self.n_features)?;
        check_labels(data.labels(), self.n_classes)?;
        let (d, k) = (self.n_features, self.n_classes);
        let mut z = vec![0.0; k];
        let mut grad_w = vec![0.0; k * d];
        let mut grad_b = vec![0.0; k];
        for _ in 0..5 {
            for batch in (0..data.len()).collect::<Vec<_>>().chunks(32) {
                let step = 0.1 / (1.0 + 0.01 * self.incremental_steps as f64);
                grad_w.iter_mut().for_each(|g| *g = 0.0);
                grad_b.iter_mut().for_each(|g| *g = 0.0);
                for &i in batch {
                    let xi: Vec<f64> = data
                        .features()
                        .row(i)
                        .iter()
                        .map(|&v| f64::from(v))
                        .collect();
                    for (c, zc) in z.iter_mut().enumerate() {
                        *zc = self.intercepts[c] + dot(&self.weights[c * d..(c + 1) * d], &xi);
                    }
                    let lse = log_sum_exp(&z);
                    for c in 0..k {
                        let r = (z[c] - lse).exp() - f64::from(u8::from(data.labels()[i] == c));
                        grad_b[c] += r;
                        let gw = &mut grad_w[c * d..(c + 1) * d];
                        gw.iter_mut().zip(&xi).for_each(|(g, &x)| *g += r * x);
                    }
                }
                let scale = step / batch.len() as f64;
                self.weights
                    .iter_mut()
                    .zip(&grad_w)
                    .for_each(|(w, g)| *w -= scale * g);
                self.intercepts
                    .iter_mut()
                    .zip(&grad_b)
                    .for_each(|(b, g)| *b -= scale * g);
                self.incremental_steps += 1;
            }
        }
        Ok(())
    }
}

impl Classifier for LogisticRegression {
    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    /// One dot product per class.
    fn macs_per_sample(&self) -> Option<u64> {
        Some((self.n_features * self.n_classes) as u64)
    }

    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        check_input(x, self.n_features)?;
        let (d, k) = (self.n_features, self.n_classes);
        let mut out = Matrix::zeros(x.rows(), k);
        let mut z = vec![0.0; k];
        for (i, row) in x.iter_rows().enumerate() {
            let xi: Vec<f64> = row.iter().map(|&v| f64::from(v)).collect();
            for (c, zc) in z.iter_mut().enumerate() {
                *zc = self.intercepts[c] + dot(&self.weights[c * d..(c + 1) * d], &xi);
            }
            softmax_into(&z, out.row_mut(i));
        }
        Ok(out)
    }
}

impl consort_core::io::Validate for LogisticRegression {
    fn validate(&self) -> Result<()> {
        use consort_core::io::ensure;
        ensure(self.n_classes >= 2 && self.n_features >= 1, || {
            format!(
                "logistic regression needs >= 2 classes and >= 1 feature, has {} and {}",
                self.n_classes, self.n_features
            )
        })?;
        ensure(
            self.n_classes.checked_mul(self.n_features) == Some(self.weights.len())
                && self.intercepts.len() == self.n_classes,
            || {
                format!(
                    "{} weights and {} intercepts do not fit {} classes x {} features",
                    self.weights.len(),
                    self.intercepts.len(),
                    self.n_classes,
                    self.n_features
                )
            },
        )?;
        // Finite is not enough: weights near f64's limit overflow in the first dot product.
        let bound = f64::from(consort_core::io::weights::MAX_WEIGHT_MAGNITUDE);
        ensure(
            self.weights
                .iter()
                .chain(&self.intercepts)
                .all(|w| w.is_finite() && w.abs() <= bound),
            || format!("a weight is not finite or exceeds {bound:e} in magnitude"),
        )
    }
}
