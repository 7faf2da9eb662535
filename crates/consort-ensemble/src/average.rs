//! (Weighted) averaging of member probabilities.

use consort_core::{Classifier, ConsortError, Matrix, Result};

use crate::member::{Member, check_members, member_probas};

/// Averages the members' class probabilities, uniformly or with fixed non-negative weights.
///
/// With uniform weights this is also soft voting.
#[derive(Debug, Clone)]
pub struct AverageEnsemble {
    members: Vec<Member>,
    /// Normalised to sum to 1.
    weights: Vec<f64>,
    n_classes: usize,
    n_features: usize,
}

impl AverageEnsemble {
    /// The simple average.
    pub fn new(members: Vec<Member>) -> Result<Self> {
        let n = members.len();
        Self::weighted(members, vec![1.0; n.max(1)])
    }

    /// A weighted average; weights must match the members, be finite, non-negative and not
    /// all zero. They are normalised to sum to 1.
    pub fn weighted(members: Vec<Member>, weights: Vec<f64>) -> Result<Self> {
        let (n_classes, n_features) = check_members(&members)?;
        if weights.len() != members.len() {
            return Err(ConsortError::ShapeMismatch(format!(
                "{} weights for {} members",
                weights.len(),
                members.len()
            )));
        }
        if let Some(w) = weights.iter().find(|w| !w.is_finite() || **w < 0.0) {
            return Err(ConsortError::config(format!(
                "ensemble weights must be finite and non-negative, got {w}"
            )));
        }
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return Err(ConsortError::config(
                "ensemble weights must not all be zero",
            ));
        }
        Ok(Self {
            members,
            weights: weights.iter().map(|w| w / total).collect(),
            n_classes,
            n_features,
        })
    }

    /// The members.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// The normalised weights, one per member.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }
}

/// Weighted sum of probability matrices of equal shape.
pub(crate) fn weighted_sum(probas: &[Matrix], weights: &[f64]) -> Matrix {
    let (rows, cols) = probas[0].shape();
    let mut out = Matrix::zeros(rows, cols);
    for (p, &w) in probas.iter().zip(weights) {
        for (o, &v) in out.as_mut_slice().iter_mut().zip(p.as_slice()) {
            *o += (w * f64::from(v)) as f32;
        }
    }
    out
}

impl Classifier for AverageEnsemble {
    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        let probas = member_probas(&self.members, x)?;
        Ok(weighted_sum(&probas, &self.weights))
    }
}
