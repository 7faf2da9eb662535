//! The fitted histogram-boosting models: the classifier (softmax over per-class scores) and
//! the regressor, both over the rounds of trees that [`Boosted`] holds.

use consort_core::{
    Classifier, Fit, FitWeighted, Matrix, ParamGuard, Regressor, Result, check_input, check_labels,
    check_sample_weights,
};
use consort_data::{Dataset, RegressionDataset};
use serde::{Deserialize, Serialize};

use super::{Boosted, HistGradientBoostingConfig, Loss};
use crate::linear::softmax_into;

/// A fitted boosted classifier: class probabilities are the softmax of the summed trees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistGradientBoosting {
    model: Boosted,
    n_classes: usize,
}

impl HistGradientBoosting {
    /// Boosting rounds kept.
    pub fn n_iter(&self) -> usize {
        self.model.rounds.len()
    }

    /// Validation loss after each round run (empty without early stopping).
    pub fn validation_losses(&self) -> &[f64] {
        &self.model.validation_losses
    }
}

impl Fit<Dataset> for HistGradientBoostingConfig {
    type Object = HistGradientBoosting;

    fn fit(&self, data: &Dataset) -> Result<HistGradientBoosting> {
        self.fit_classes(data, None)
    }
}

/// Every row's gradient and hessian (so its pull on split gains and leaf values) and its share
/// of the starting class priors scale with its weight; the early-stopping loss is unweighted.
impl FitWeighted<Dataset> for HistGradientBoostingConfig {
    fn fit_weighted(&self, data: &Dataset, sample_weights: &[f32]) -> Result<HistGradientBoosting> {
        check_sample_weights(sample_weights, data.len())?;
        self.fit_classes(data, Some(sample_weights))
    }
}

impl HistGradientBoostingConfig {
    fn fit_classes(&self, data: &Dataset, weights: Option<&[f32]>) -> Result<HistGradientBoosting> {
        self.check()?;
        data.ensure_trainable()?;
        check_labels(data.labels(), data.n_classes())?;
        data.features().ensure_finite("boosting input")?;
        let k = data.n_classes();
        let split = self.holdout(data.len(), Some((data.labels(), k)))?;
        // Log class priors of the training rows as the starting scores.
        let weight = |i: usize| weights.map_or(1.0, |w| f64::from(w[i]));
        let mut counts = vec![0.0f64; k];
        split
            .0
            .iter()
            .for_each(|&i| counts[data.labels()[i]] += weight(i));
        let total: f64 = counts.iter().sum::<f64>().max(f64::MIN_POSITIVE);
        let baseline = counts
            .iter()
            .map(|&c| ((c / total).max(1e-12)).ln() as f32)
            .collect();
        let loss = Loss::Softmax(data.labels());
        let model = self.boost(
            data.features(),
            loss,
            loss.width(k),
            baseline,
            split,
            weights,
        )?;
        Ok(HistGradientBoosting {
            model,
            n_classes: k,
        })
    }
}

impl Classifier for HistGradientBoosting {
    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn n_features(&self) -> usize {
        self.model.n_features
    }

    /// One comparison per level of every tree.
    fn macs_per_sample(&self) -> Option<u64> {
        Some(
            self.model
                .rounds
                .iter()
                .flatten()
                .map(|t| t.depth().max(1) as u64)
                .sum(),
        )
    }

    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        check_input(x, self.model.n_features)?;
        let mut out = Matrix::zeros(x.rows(), self.n_classes);
        for (i, row) in x.iter_rows().enumerate() {
            let s: Vec<f64> = self.model.raw(row).into_iter().map(f64::from).collect();
            softmax_into(&s, out.row_mut(i));
        }
        Ok(out)
    }
}

/// A fitted boosted regressor (squared error).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistGradientBoostingRegressor {
    model: Boosted,
}

impl HistGradientBoostingRegressor {
    /// Boosting rounds kept.
    pub fn n_iter(&self) -> usize {
        self.model.rounds.len()
    }
}

impl Fit<RegressionDataset> for HistGradientBoostingConfig {
    type Object = HistGradientBoostingRegressor;

    fn fit(&self, data: &RegressionDataset) -> Result<HistGradientBoostingRegressor> {
        self.check()?;
        data.ensure_trainable()?;
        data.features().ensure_finite("boosting input")?;
        let split = self.holdout(data.len(), None)?;
        let y = data.targets();
        let mean = split.0.iter().map(|&i| f64::from(y[i])).sum::<f64>() / split.0.len() as f64;
        let model = self.boost(
            data.features(),
            Loss::Squared(y),
            1,
            vec![mean as f32],
            split,
            None,
        )?;
        Ok(HistGradientBoostingRegressor { model })
    }
}

impl Regressor for HistGradientBoostingRegressor {
    fn n_features(&self) -> usize {
        self.model.n_features
    }

    fn predict(&self, x: &Matrix) -> Result<Vec<f32>> {
        check_input(x, self.model.n_features)?;
        Ok(x.iter_rows().map(|r| self.model.raw(r)[0]).collect())
    }
}

impl consort_core::io::Validate for HistGradientBoosting {
    fn validate(&self) -> Result<()> {
        consort_core::io::ensure(self.n_classes >= 2, || {
            format!("boosting needs >= 2 classes, has {}", self.n_classes)
        })?;
        // One output (score) per class, softmaxed.
        self.model.check(self.n_classes)
    }
}

impl consort_core::io::Validate for HistGradientBoostingRegressor {
    fn validate(&self) -> Result<()> {
        self.model.check(1)
    }
}
