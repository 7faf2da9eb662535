//! Stacking for regression: the members' out-of-fold predictions (and optionally the
//! features) feed a meta-regressor.

use std::sync::Arc;

use consort_core::{Matrix, Regressor, RegressorEstimator, Result, check_input};
use consort_data::{RegressionDataset, kfold};

use super::{RegressorCandidate, StackingConfig, check_stacking, meta_input, out_of_fold};
use crate::regression::{RegressorMember, check_regressors, member_predictions};

/// A stacked regressor: members' predictions (and optionally the features) feed a
/// meta-regressor trained on out-of-fold predictions.
#[derive(Clone)]
pub struct StackingRegressor {
    members: Vec<RegressorMember>,
    meta: Arc<dyn Regressor>,
    passthrough: bool,
    n_features: usize,
}

impl std::fmt::Debug for StackingRegressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StackingRegressor")
            .field("members", &self.members)
            .field("passthrough", &self.passthrough)
            .finish()
    }
}

impl StackingRegressor {
    /// k-fold stacking (plain folds), then every candidate refitted on all of `data`.
    pub fn fit(
        candidates: &[RegressorCandidate],
        meta: &dyn RegressorEstimator<RegressionDataset>,
        config: &StackingConfig,
        data: &RegressionDataset,
    ) -> Result<Self> {
        check_stacking(config, candidates.len())?;
        data.ensure_trainable()?;
        let folds = kfold(data.len(), config.folds, config.seed)?;
        let oof = out_of_fold(
            &folds,
            data.len(),
            candidates.len(),
            1,
            (&config.observer, "stacking"),
            |m, train, test| {
                let model = candidates[m].estimator.fit_regressor(&data.subset(train))?;
                let x = data.features().select_rows(test);
                let p = model.predict(&x)?;
                Matrix::new(p.len(), 1, p)
            },
        )?;
        let outputs = Matrix::hstack(&oof.iter().collect::<Vec<_>>())?;
        let meta_data = RegressionDataset::new(
            meta_input(outputs, data.features(), config.passthrough)?,
            data.targets().to_vec(),
        )?;
        let meta = meta.fit_regressor(&meta_data)?;
        let members = candidates
            .iter()
            .map(|c| {
                Ok(RegressorMember::regressor(
                    &c.name,
                    c.estimator.fit_regressor(data)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let n_features = check_regressors(&members)?;
        Ok(Self {
            members,
            meta,
            passthrough: config.passthrough,
            n_features,
        })
    }

    /// The fitted members.
    pub fn members(&self) -> &[RegressorMember] {
        &self.members
    }
}

impl Regressor for StackingRegressor {
    fn n_features(&self) -> usize {
        self.n_features
    }

    fn predict(&self, x: &Matrix) -> Result<Vec<f32>> {
        check_input(x, self.n_features)?;
        let preds = member_predictions(&self.members, x)?;
        let cols: Vec<f32> = (0..x.rows())
            .flat_map(|i| preds.iter().map(move |p| p[i]))
            .collect();
        let outputs = Matrix::new(x.rows(), preds.len(), cols)?;
        self.meta
            .predict(&meta_input(outputs, x, self.passthrough)?)
    }
}
