//! Ensemble-based fine-tuning by fused supervision: several members (networks, classical
//! models), their outputs fused by averaging, weighting or stacking, and **the fused soft
//! output used as the training target of one backbone network**. The backbone learns the
//! ensemble's decision function on the labelled rows and on rows nobody labelled (the
//! ensemble labels them), and then predicts at the cost of one network instead of all
//! members.
//!
//! The fused teacher is any [`Classifier`]: an `AverageEnsemble` with fitted weights, a
//! `StackingClassifier`, a vote. Training goes through the distillation hook
//! ([`KnowledgeDistillation`]) over a [`PartiallyLabelled`] objective, so it keeps the one
//! loop's validation, checkpoints and observers.

use std::sync::Arc;

use consort_core::{Classifier, ConsortError, Matrix, ParamGuard, Result};
use consort_data::Dataset;
use consort_models::NetworkSpec;
use serde::{Deserialize, Serialize};

use crate::distill::KnowledgeDistillation;
use crate::estimator::{FittedNetwork, NetworkEstimator};
use crate::objective::PartiallyLabelled;

/// How the fused targets train the backbone.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FusedSupervision {
    /// Softening temperature of the fused distribution (1: as the ensemble gives it).
    pub temperature: f32,
    /// Weight of the hard-label loss on labelled rows; `1 - alpha` weighs the fused soft
    /// targets on every row (unlabelled rows learn from the ensemble alone).
    pub alpha: f32,
}

impl Default for FusedSupervision {
    /// The fused distribution as it is, as the only target: temperature 1, `alpha` 0 (on
    /// digits this matched or beat T = 4 with alpha = 0.1 on each of five seeds).
    fn default() -> Self {
        Self {
            temperature: 1.0,
            alpha: 0.0,
        }
    }
}

impl ParamGuard for FusedSupervision {
    fn check(&self) -> Result<()> {
        if !(self.temperature.is_finite() && self.temperature > 0.0) {
            return Err(ConsortError::config(format!(
                "fused-supervision temperature must be positive, got {}",
                self.temperature
            )));
        }
        if !(0.0..=1.0).contains(&self.alpha) {
            return Err(ConsortError::config(format!(
                "fused-supervision alpha must lie in [0, 1], got {}",
                self.alpha
            )));
        }
        Ok(())
    }
}

impl FusedSupervision {
    /// Trains `backbone` on `labelled` plus the `unlabelled` rows, with `fused` (the fitted
    /// ensemble) giving soft targets for all of them. Returns the fitted backbone and its
    /// training run.
    pub fn train<S: NetworkSpec>(
        &self,
        backbone: &NetworkEstimator<S>,
        fused: Arc<dyn Classifier>,
        labelled: &Dataset,
        unlabelled: Option<&Matrix>,
    ) -> Result<FittedNetwork<S::Net>> {
        self.check()?;
        check_classes(&*fused, labelled)?;
        let objective = partially_labelled(labelled, unlabelled)?;
        let (temperature, alpha) = (self.temperature, self.alpha);
        backbone
            .clone()
            .with_hook(move |ctx| {
                // The rows this fit trains on, after any validation split: the ensemble's
                // targets are computed for exactly these.
                let rows = ctx.rows.ok_or_else(|| {
                    ConsortError::config("fused supervision needs dense training rows")
                })?;
                Ok(Box::new(KnowledgeDistillation::new(
                    &*fused,
                    rows,
                    temperature,
                    alpha,
                )?))
            })
            .fit_with_history(&objective)
    }

    /// Trains `backbone` on its own view of the rows while the ensemble reads another: the
    /// members see `teacher_labelled` / `teacher_unlabelled` (say pretrained-encoder
    /// embeddings beside TF-IDF), the backbone sees `labelled` / `unlabelled` (TF-IDF alone),
    /// so that it predicts without the members' feature extractors. Row `i` of each teacher
    /// view is row `i` of the matching student view.
    ///
    /// The targets are computed once, before training, for the rows in that order; the
    /// backbone must therefore train on all of them (`validation_fraction` 0; hold out
    /// validation rows before calling).
    pub fn train_across_views<S: NetworkSpec>(
        &self,
        backbone: &NetworkEstimator<S>,
        fused: &dyn Classifier,
        teacher_labelled: &Matrix,
        teacher_unlabelled: Option<&Matrix>,
        labelled: &Dataset,
        unlabelled: Option<&Matrix>,
    ) -> Result<FittedNetwork<S::Net>> {
        self.check()?;
        check_classes(fused, labelled)?;
        if backbone.train.validation_fraction > 0.0 {
            return Err(ConsortError::config(
                "fused supervision across views computes its targets for the rows as given: \
                 set the backbone's validation_fraction to 0 and hold validation rows out first",
            ));
        }
        let rows = |what: &str, teacher: usize, student: usize| {
            if teacher == student {
                Ok(())
            } else {
                Err(ConsortError::ShapeMismatch(format!(
                    "the ensemble's view of the {what} rows has {teacher} rows, the backbone's \
                     {student}"
                )))
            }
        };
        rows("labelled", teacher_labelled.rows(), labelled.len())?;
        rows(
            "unlabelled",
            teacher_unlabelled.map_or(0, Matrix::rows),
            unlabelled.map_or(0, Matrix::rows),
        )?;
        let teacher_rows = match teacher_unlabelled {
            Some(t) => Matrix::vstack(&[teacher_labelled, t])?,
            None => teacher_labelled.clone(),
        };
        let proba = fused.predict_proba(&teacher_rows)?;
        let objective = partially_labelled(labelled, unlabelled)?;
        let hook = KnowledgeDistillation::from_probabilities(&proba, self.temperature, self.alpha)?;
        backbone
            .clone()
            .with_hook(move |_| Ok(Box::new(hook.clone())))
            .fit_with_history(&objective)
    }
}

fn check_classes(fused: &dyn Classifier, labelled: &Dataset) -> Result<()> {
    if fused.n_classes() != labelled.n_classes() {
        return Err(ConsortError::ShapeMismatch(format!(
            "the fused ensemble predicts {} classes, the labelled data has {}",
            fused.n_classes(),
            labelled.n_classes()
        )));
    }
    Ok(())
}

/// The labelled rows followed by the unlabelled ones, whose labels are unknown.
fn partially_labelled(
    labelled: &Dataset,
    unlabelled: Option<&Matrix>,
) -> Result<PartiallyLabelled> {
    let mut labels: Vec<Option<usize>> = labelled.labels().iter().map(|&y| Some(y)).collect();
    let features = match unlabelled {
        Some(extra) => {
            extra.ensure_cols(labelled.n_features(), "unlabelled rows")?;
            labels.extend(std::iter::repeat_n(None, extra.rows()));
            Matrix::vstack(&[labelled.features(), extra])?
        }
        None => labelled.features().clone(),
    };
    PartiallyLabelled::new(features, &labels, labelled.n_classes())
}
