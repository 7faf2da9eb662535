//! (Weighted) averaging of member probabilities.

use consort_core::{Classifier, ConsortError, Matrix, Result};

use consort_data::Dataset;

use crate::member::{
    Combiner, Member, check_held_out, check_member_probas, check_members, member_probas,
};
use crate::simplex::minimise_on_simplex;

/// Mixture probabilities are floored here in the log-loss, as metrics do.
const LOG_EPS: f64 = 1e-15;

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
        let weights = normalise_weights(weights, members.len())?;
        Ok(Self {
            members,
            weights,
            n_classes,
            n_features,
        })
    }

    /// A weighted average whose weights minimise the log-loss on held-out data `valid` (data
    /// the members were not fitted on) over the probability simplex. The fit starts from
    /// uniform weights and only accepts improving steps, so its validation log-loss is never
    /// above the simple average's.
    pub fn fit_weights(members: Vec<Member>, valid: &Dataset) -> Result<Self> {
        let (n_classes, n_features) = check_members(&members)?;
        valid.ensure_trainable()?;
        if valid.n_features() != n_features || valid.n_classes() > n_classes {
            return Err(ConsortError::ShapeMismatch(format!(
                "validation data has {} features / {} classes, the members {n_features} / \
                 {n_classes}",
                valid.n_features(),
                valid.n_classes()
            )));
        }
        let probas = member_probas(&members, valid.features())?;
        Self::fit_weights_on(members, &probas, valid.labels())
    }

    /// [`AverageEnsemble::fit_weights`] from the members' held-out probabilities already
    /// computed (one matrix per member, e.g. [`crate::OutOfFold`]'s) and the true `labels`.
    pub fn fit_weights_on(
        members: Vec<Member>,
        probas: &[Matrix],
        labels: &[usize],
    ) -> Result<Self> {
        check_held_out(&members, probas, labels)?;
        // p[i][m]: member m's probability of sample i's true class.
        let p: Vec<Vec<f64>> = labels
            .iter()
            .enumerate()
            .map(|(i, &y)| probas.iter().map(|pm| f64::from(pm.get(i, y))).collect())
            .collect();
        let n = p.len() as f64;
        let weights = minimise_on_simplex(members.len(), |w| {
            let mut value = 0.0;
            let mut grad = vec![0.0; w.len()];
            for pi in &p {
                let mix = pi
                    .iter()
                    .zip(w)
                    .map(|(a, b)| a * b)
                    .sum::<f64>()
                    .max(LOG_EPS);
                value -= mix.ln();
                for (g, a) in grad.iter_mut().zip(pi) {
                    *g -= a / mix;
                }
            }
            grad.iter_mut().for_each(|g| *g /= n);
            (value / n, grad)
        });
        Self::weighted(members, weights)
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

/// Checks user weights (one per member, finite, non-negative, not all zero) and scales them
/// to sum to 1.
pub(crate) fn normalise_weights(weights: Vec<f64>, n_members: usize) -> Result<Vec<f64>> {
    if weights.len() != n_members {
        return Err(ConsortError::ShapeMismatch(format!(
            "{} weights for {n_members} members",
            weights.len()
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
    Ok(weights.iter().map(|w| w / total).collect())
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
        Ok(self.combine(&member_probas(&self.members, x)?, x)?.0)
    }
}

impl Combiner for AverageEnsemble {
    fn combined_members(&self) -> &[Member] {
        &self.members
    }

    fn combine(&self, member_probas: &[Matrix], x: &Matrix) -> Result<(Matrix, Vec<usize>)> {
        check_member_probas(&self.members, member_probas, x, self.n_classes)?;
        let proba = weighted_sum(member_probas, &self.weights);
        let predicted = proba.argmax_rows();
        Ok((proba, predicted))
    }
}
