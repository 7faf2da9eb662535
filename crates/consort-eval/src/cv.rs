//! k-fold cross-validated scores of any estimator.

use consort_core::{ClassifierEstimator, RegressorEstimator, Result};
use consort_data::{Dataset, RegressionDataset, kfold, over_folds, stratified_kfold};
use serde::{Deserialize, Serialize};

use crate::metrics::model_accuracy;
use crate::regression::mse;

/// One score per fold, with their mean and (sample) standard deviation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvScores {
    /// Score of each fold's held-out part.
    pub folds: Vec<f64>,
    /// Mean over folds.
    pub mean: f64,
    /// Sample standard deviation over folds.
    pub std: f64,
}

impl CvScores {
    /// Summarises per-fold scores.
    pub fn from_folds(folds: Vec<f64>) -> Self {
        Self::new(folds)
    }

    fn new(folds: Vec<f64>) -> Self {
        let n = folds.len() as f64;
        let mean = folds.iter().sum::<f64>() / n;
        let var = folds.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        Self {
            folds,
            mean,
            std: var.sqrt(),
        }
    }
}

impl std::fmt::Display for CvScores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.4} ± {:.4} over {} folds",
            self.mean,
            self.std,
            self.folds.len()
        )
    }
}

/// Stratified k-fold accuracy of `estimator` on `data`: each fold is scored by a model fitted
/// on the other folds.
pub fn cross_validate(
    estimator: &dyn ClassifierEstimator<Dataset>,
    data: &Dataset,
    k: usize,
    seed: u64,
) -> Result<CvScores> {
    data.ensure_trainable()?;
    let folds = stratified_kfold(data.labels(), data.n_classes(), k, seed)?;
    let scores = over_folds(data, &folds, |train, test| {
        let model = estimator.fit_classifier(&train)?;
        model_accuracy(model.as_ref(), test.features(), test.labels())
    })?;
    Ok(CvScores::new(scores))
}

/// k-fold mean squared error of a regression `estimator` on `data`.
pub fn cross_validate_regressor(
    estimator: &dyn RegressorEstimator<RegressionDataset>,
    data: &RegressionDataset,
    k: usize,
    seed: u64,
) -> Result<CvScores> {
    data.ensure_trainable()?;
    let folds = kfold(data.len(), k, seed)?;
    let scores = over_folds(data, &folds, |train, test| {
        let model = estimator.fit_regressor(&train)?;
        mse(test.targets(), &model.predict(test.features())?)
    })?;
    Ok(CvScores::new(scores))
}
