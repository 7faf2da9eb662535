//! Combining regressors: mean, median and (fitted) weighted average of predictions.

use consort_core::{ConsortError, Matrix, Regressor, Result};
use consort_data::RegressionDataset;
use serde::{Deserialize, Serialize};

use crate::simplex::minimise_on_simplex;

/// A named fitted regressor taking part in an ensemble.
pub type RegressorMember = crate::Member<dyn Regressor>;

/// Checks there is at least one member and all take the same features; returns that count.
pub(crate) fn check_regressors(members: &[RegressorMember]) -> Result<usize> {
    let first = members
        .first()
        .ok_or_else(|| ConsortError::config("an ensemble needs at least one member, got none"))?;
    let d = first.model.n_features();
    if let Some(m) = members.iter().find(|m| m.model.n_features() != d) {
        return Err(ConsortError::ShapeMismatch(format!(
            "member {:?} takes {} features, member {:?} takes {d}",
            m.name,
            m.model.n_features(),
            first.name
        )));
    }
    Ok(d)
}

/// Every member's predictions for `x`, checked for length.
pub(crate) fn member_predictions(members: &[RegressorMember], x: &Matrix) -> Result<Vec<Vec<f32>>> {
    members
        .iter()
        .map(|m| {
            let p = m.model.predict(x)?;
            if p.len() != x.rows() {
                return Err(ConsortError::ShapeMismatch(format!(
                    "member {:?} returned {} predictions for {} rows",
                    m.name,
                    p.len(),
                    x.rows()
                )));
            }
            Ok(p)
        })
        .collect()
}

/// How member predictions are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Combine {
    /// Weighted mean (uniform unless weights are given or fitted).
    Mean,
    /// Median of the members' predictions (robust to one wild member; ignores weights).
    Median,
}

/// Averages regressors' predictions: mean (uniform, fixed or fitted weights) or median.
#[derive(Debug, Clone)]
pub struct RegressionEnsemble {
    members: Vec<RegressorMember>,
    weights: Vec<f64>,
    combine: Combine,
    n_features: usize,
}

impl RegressionEnsemble {
    /// Simple mean or median of the members.
    pub fn new(members: Vec<RegressorMember>, combine: Combine) -> Result<Self> {
        let n_features = check_regressors(&members)?;
        let n = members.len();
        Ok(Self {
            members,
            weights: vec![1.0 / n as f64; n],
            combine,
            n_features,
        })
    }

    /// A weighted mean; weights must match the members, be finite, non-negative and not all
    /// zero (normalised to sum to 1).
    pub fn weighted(members: Vec<RegressorMember>, weights: Vec<f64>) -> Result<Self> {
        let n_features = check_regressors(&members)?;
        let weights = crate::average::normalise_weights(weights, members.len())?;
        Ok(Self {
            members,
            weights,
            combine: Combine::Mean,
            n_features,
        })
    }

    /// A weighted mean with weights minimising the MSE on held-out `valid` over the simplex
    /// (never worse on `valid` than the simple mean, where the fit starts).
    pub fn fit_weights(members: Vec<RegressorMember>, valid: &RegressionDataset) -> Result<Self> {
        let n_features = check_regressors(&members)?;
        valid.ensure_trainable()?;
        if valid.n_features() != n_features {
            return Err(ConsortError::ShapeMismatch(format!(
                "validation data has {} features, the members take {n_features}",
                valid.n_features()
            )));
        }
        let preds = member_predictions(&members, valid.features())?;
        let y = valid.targets();
        let n = y.len() as f64;
        let weights = minimise_on_simplex(members.len(), |w| {
            let mut value = 0.0;
            let mut grad = vec![0.0; w.len()];
            for (i, &t) in y.iter().enumerate() {
                let mix: f64 = preds
                    .iter()
                    .zip(w)
                    .map(|(p, wm)| wm * f64::from(p[i]))
                    .sum();
                let r = mix - f64::from(t);
                value += r * r;
                for (g, p) in grad.iter_mut().zip(&preds) {
                    *g += 2.0 * r * f64::from(p[i]);
                }
            }
            grad.iter_mut().for_each(|g| *g /= n);
            (value / n, grad)
        });
        Self::weighted(members, weights)
    }

    /// The members.
    pub fn members(&self) -> &[RegressorMember] {
        &self.members
    }

    /// The normalised weights (used by [`Combine::Mean`]).
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }
}

impl Regressor for RegressionEnsemble {
    fn n_features(&self) -> usize {
        self.n_features
    }

    fn predict(&self, x: &Matrix) -> Result<Vec<f32>> {
        let preds = member_predictions(&self.members, x)?;
        Ok((0..x.rows())
            .map(|i| match self.combine {
                Combine::Mean => preds
                    .iter()
                    .zip(&self.weights)
                    .map(|(p, &w)| w * f64::from(p[i]))
                    .sum::<f64>() as f32,
                Combine::Median => {
                    let mut v: Vec<f32> = preds.iter().map(|p| p[i]).collect();
                    v.sort_by(f32::total_cmp);
                    let m = v.len() / 2;
                    if v.len() % 2 == 1 {
                        v[m]
                    } else {
                        (v[m - 1] + v[m]) / 2.0
                    }
                }
            })
            .collect())
    }
}
