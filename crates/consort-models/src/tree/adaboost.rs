//! AdaBoost, multiclass SAMME (Zhu et al. 2009): shallow CART trees (stumps by default) fitted
//! in turn on re-weighted samples, each weighted in the vote by how much better than chance
//! it is among K classes.

use consort_core::params::{ensure_at_least, ensure_count_in, ensure_positive};
use consort_core::{
    Classifier, ConsortError, Fit, FitWeighted, Matrix, ParamGuard, Result, check_input,
    check_labels, check_sample_weights,
};
use consort_data::Dataset;
use serde::{Deserialize, Serialize};

use super::cart::{DecisionTree, DecisionTreeConfig};
use crate::linear::{one_hot, softmax_into};

/// Hyperparameters of SAMME boosting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdaBoostConfig {
    /// Weak learners at most.
    pub n_estimators: usize,
    /// Shrinks each learner's vote weight.
    pub learning_rate: f64,
    /// Depth of each weak tree (1: stumps).
    pub max_depth: usize,
}

impl Default for AdaBoostConfig {
    fn default() -> Self {
        Self {
            n_estimators: 50,
            learning_rate: 1.0,
            max_depth: 1,
        }
    }
}

impl ParamGuard for AdaBoostConfig {
    fn check(&self) -> Result<()> {
        ensure_count_in("n_estimators", self.n_estimators, 1..=crate::MAX_ROUNDS)?;
        ensure_at_least("max_depth", self.max_depth, 1)?;
        ensure_positive("learning_rate", self.learning_rate)
    }
}

/// A fitted SAMME ensemble.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdaBoost {
    learners: Vec<(DecisionTree, f64)>,
    n_features: usize,
    n_classes: usize,
    /// Weighted training error of each learner, in order.
    errors: Vec<f64>,
}

impl AdaBoost {
    /// The weighted training error of each weak learner when it was fitted.
    pub fn learner_errors(&self) -> &[f64] {
        &self.errors
    }

    /// Weak learners kept.
    pub fn n_learners(&self) -> usize {
        self.learners.len()
    }
}

impl Fit<Dataset> for AdaBoostConfig {
    type Object = AdaBoost;

    fn fit(&self, data: &Dataset) -> Result<AdaBoost> {
        self.boost(data, vec![1.0 / data.len().max(1) as f64; data.len()])
    }
}

/// The sample weights are the first round's weights (normalised); boosting reweights from
/// there.
impl FitWeighted<Dataset> for AdaBoostConfig {
    fn fit_weighted(&self, data: &Dataset, sample_weights: &[f32]) -> Result<AdaBoost> {
        check_sample_weights(sample_weights, data.len())?;
        let total: f64 = sample_weights.iter().map(|&w| f64::from(w)).sum();
        self.boost(
            data,
            sample_weights
                .iter()
                .map(|&w| f64::from(w) / total)
                .collect(),
        )
    }
}

impl AdaBoostConfig {
    fn boost(&self, data: &Dataset, mut weights: Vec<f64>) -> Result<AdaBoost> {
        let config = self.clone().checked()?;
        data.ensure_trainable()?;
        check_labels(data.labels(), data.n_classes())?;
        let (x, y, k) = (data.features(), data.labels(), data.n_classes());
        // The weak learner's settings are derived from checked ones: a depth >= 1 tree.
        let tree = config.part(|c| DecisionTreeConfig {
            max_depth: Some(c.max_depth),
            ..Default::default()
        });
        let hard = one_hot(y, k);
        let chance = 1.0 - 1.0 / k as f64;
        let (mut learners, mut errors) = (Vec::new(), Vec::new());
        for _ in 0..config.n_estimators {
            // Weighted one-hot rows: the tree's class masses are the sample weights.
            let mut targets = hard.clone();
            for (i, w) in weights.iter().enumerate() {
                targets.row_mut(i).iter_mut().for_each(|v| *v *= *w as f32);
            }
            let learner = DecisionTreeConfig::fit_soft_checked(&tree, x, &targets)?;
            let predicted = learner.predict(x)?;
            let wrong: Vec<bool> = predicted.iter().zip(y).map(|(p, t)| p != t).collect();
            let err: f64 = weights
                .iter()
                .zip(&wrong)
                .filter(|(_, w)| **w)
                .map(|(w, _)| w)
                .sum::<f64>()
                / weights.iter().sum::<f64>();
            if err >= chance {
                // No better than guessing: this and further learners add nothing.
                break;
            }
            errors.push(err);
            if err <= 1e-12 {
                // A perfect learner decides alone.
                learners.push((learner, 1.0));
                break;
            }
            let alpha = config.learning_rate * (((1.0 - err) / err).ln() + ((k - 1) as f64).ln());
            for (w, &bad) in weights.iter_mut().zip(&wrong) {
                if bad {
                    *w *= alpha.exp();
                }
            }
            let total: f64 = weights.iter().sum();
            weights.iter_mut().for_each(|w| *w /= total);
            learners.push((learner, alpha));
        }
        if learners.is_empty() {
            return Err(ConsortError::InvalidInput(format!(
                "adaboost: the first weak learner is no better than chance among {k} classes"
            )));
        }
        Ok(AdaBoost {
            learners,
            n_features: x.cols(),
            n_classes: k,
            errors,
        })
    }
}

impl Classifier for AdaBoost {
    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn macs_per_sample(&self) -> Option<u64> {
        Some(
            self.learners
                .iter()
                .map(|(t, _)| t.depth().max(1) as u64)
                .sum(),
        )
    }

    /// scikit-learn's SAMME probabilities: the softmax of the weighted votes divided by
    /// `K - 1`.
    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        check_input(x, self.n_features)?;
        let k = self.n_classes;
        let mut votes = Matrix::zeros(x.rows(), k);
        for (learner, alpha) in &self.learners {
            for (i, p) in learner.predict(x)?.into_iter().enumerate() {
                *votes.row_mut(i).get_mut(p).expect("class in range") += *alpha as f32;
            }
        }
        let scale = 1.0 / (k.max(2) - 1) as f64;
        let mut scaled = vec![0.0f64; k];
        for i in 0..votes.rows() {
            for (z, &v) in scaled.iter_mut().zip(votes.row(i)) {
                *z = f64::from(v) * scale;
            }
            softmax_into(&scaled, votes.row_mut(i));
        }
        Ok(votes)
    }
}

impl consort_core::io::Validate for AdaBoost {
    fn validate(&self) -> Result<()> {
        use consort_core::io::ensure;
        ensure(!self.learners.is_empty() && self.n_classes >= 2, || {
            "AdaBoost needs >= 1 learner and >= 2 classes".into()
        })?;
        for (t, (tree, weight)) in self.learners.iter().enumerate() {
            tree.validate()
                .map_err(|e| ConsortError::invalid_model(format!("learner {t}: {e}")))?;
            ensure(
                weight.is_finite()
                    && tree.n_classes() == self.n_classes
                    && tree.n_features() == self.n_features,
                || format!("learner {t} does not match the ensemble (or its weight is not finite)"),
            )?;
        }
        Ok(())
    }
}
