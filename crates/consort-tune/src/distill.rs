//! Knowledge distillation: a student learns a teacher's softened class distribution.
//!
//! * Into networks: [`KnowledgeDistillation`] is a [`TrainingHook`] adding Hinton's soft-target
//!   term `(1 - alpha) * T² * KL(teacher_T || student_T)` while the objective's hard-label loss
//!   is weighted by `alpha`. The teacher is any [`Classifier`] (a network, a classical model, an
//!   ensemble); with a [`PartiallyLabelled`](crate::PartiallyLabelled) objective the student
//!   also learns from rows that have no label at all.
//! * Into classical models: [`distillation_targets`] builds the per-row probability targets
//!   that `LogisticRegressionConfig::fit_soft` and `DecisionTreeConfig::fit_soft` take.

use burn::tensor::{Tensor, TensorData, activation};
use consort_core::{Classifier, ConsortError, Matrix, Result, check_labels};
use consort_models::Forward;

use crate::hooks::LossTerm;
use crate::hooks::{Batch, TrainingHook};

/// Softens probability rows to temperature `t`: `p^(1/t)`, renormalised. For `p =
/// softmax(z)` this is exactly `softmax(z / t)`, so a teacher's logits are not needed.
pub fn soften(proba: &Matrix, temperature: f32) -> Result<Matrix> {
    if !(temperature.is_finite() && temperature > 0.0) {
        return Err(ConsortError::config(format!(
            "temperature must be positive, got {temperature}"
        )));
    }
    proba.ensure_finite("teacher probabilities")?;
    let mut out = proba.clone();
    for i in 0..out.rows() {
        let row = out.row_mut(i);
        // In log space, shifted by the max, so small probabilities at low T do not underflow
        // to an all-zero row.
        let logs: Vec<f64> = row
            .iter()
            .map(|&p| f64::from(p.max(1e-30)).ln() / f64::from(temperature))
            .collect();
        let max = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = logs.iter().map(|l| (l - max).exp()).sum();
        for (o, l) in row.iter_mut().zip(&logs) {
            *o = ((l - max).exp() / total) as f32;
        }
    }
    Ok(out)
}

/// Hinton et al.'s soft-target distillation as a training-loop hook.
#[derive(Debug, Clone)]
pub struct KnowledgeDistillation {
    /// The teacher's distribution at temperature `T`, one row per training row.
    soft_targets: Matrix,
    temperature: f32,
    alpha: f32,
}

impl KnowledgeDistillation {
    /// The teacher's probabilities for the training rows `x` (in the order the training
    /// objective holds them), softened to `temperature`; `alpha` weights the hard-label loss
    /// and `1 - alpha` the soft-target term.
    pub fn new(teacher: &dyn Classifier, x: &Matrix, temperature: f32, alpha: f32) -> Result<Self> {
        Self::from_probabilities(&teacher.predict_proba(x)?, temperature, alpha)
    }

    /// From teacher probabilities already computed.
    pub fn from_probabilities(proba: &Matrix, temperature: f32, alpha: f32) -> Result<Self> {
        if !(0.0..=1.0).contains(&alpha) {
            return Err(ConsortError::config(format!(
                "distillation alpha must lie in [0, 1], got {alpha}"
            )));
        }
        Ok(Self {
            soft_targets: soften(proba, temperature)?,
            temperature,
            alpha,
        })
    }

    /// The softened teacher distribution.
    pub fn soft_targets(&self) -> &Matrix {
        &self.soft_targets
    }
}

impl<M, I> TrainingHook<M, I> for KnowledgeDistillation {
    fn name(&self) -> &str {
        "knowledge-distillation"
    }

    /// The soft targets must cover every training row, with the student's classes.
    fn check(&self, n_rows: usize, n_classes: usize) -> Result<()> {
        if self.soft_targets.rows() != n_rows || self.soft_targets.cols() != n_classes {
            return Err(ConsortError::ShapeMismatch(format!(
                "teacher targets are {}x{}, the training data has {n_rows} rows of {n_classes} \
                 classes",
                self.soft_targets.rows(),
                self.soft_targets.cols()
            )));
        }
        Ok(())
    }

    fn loss_term(&mut self) -> Option<&mut dyn LossTerm<M, I>> {
        Some(self)
    }
}

impl<M, I> LossTerm<M, I> for KnowledgeDistillation {
    fn extra_loss(&mut self, _model: &M, batch: &Batch<I>, forward: &Forward) -> Option<Tensor<1>> {
        let logits = &forward.logits;
        if self.alpha >= 1.0 {
            return None;
        }
        let [b, k] = logits.dims();
        let rows = self.soft_targets.select_rows(&batch.indices);
        debug_assert_eq!(rows.cols(), k, "checked before training by `check`");
        let device = logits.device();
        let teacher = Tensor::<2>::from_data(TensorData::new(rows.into_vec(), [b, k]), &device);
        let t = self.temperature;
        let log_student = activation::log_softmax(logits.clone() / t, 1);
        let log_teacher = teacher.clone().clamp_min(1e-12).log();
        let kl = (teacher * (log_teacher - log_student)).sum_dim(1).mean();
        Some(kl * (t * t * (1.0 - self.alpha)))
    }

    fn task_loss_weight(&self) -> f32 {
        self.alpha
    }
}

/// Per-row probability targets for distillation into a classical model: the teacher's
/// probabilities, except that rows with a known label get `alpha * one_hot + (1 - alpha) *
/// teacher`. Unlabelled rows (`None`) learn from the teacher alone.
pub fn distillation_targets(
    teacher_proba: &Matrix,
    labels: &[Option<usize>],
    alpha: f32,
) -> Result<Matrix> {
    if labels.len() != teacher_proba.rows() {
        return Err(ConsortError::ShapeMismatch(format!(
            "{} teacher rows but {} labels",
            teacher_proba.rows(),
            labels.len()
        )));
    }
    if !(0.0..=1.0).contains(&alpha) {
        return Err(ConsortError::config(format!(
            "distillation alpha must lie in [0, 1], got {alpha}"
        )));
    }
    let known: Vec<usize> = labels.iter().flatten().copied().collect();
    check_labels(&known, teacher_proba.cols())?;
    let mut targets = teacher_proba.clone();
    for (i, label) in labels.iter().enumerate() {
        if let Some(y) = *label {
            for (c, v) in targets.row_mut(i).iter_mut().enumerate() {
                let hard = if c == y { 1.0 } else { 0.0 };
                *v = alpha * hard + (1.0 - alpha) * *v;
            }
        }
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softening_matches_softmax_of_scaled_logits() {
        let z = [2.0f64, 1.0, -1.0];
        let softmax = |t: f64| -> Vec<f32> {
            let e: Vec<f64> = z.iter().map(|v| (v / t).exp()).collect();
            let s: f64 = e.iter().sum();
            e.iter().map(|v| (v / s) as f32).collect()
        };
        let p = Matrix::from_rows(&[softmax(1.0)]).unwrap();
        let soft = soften(&p, 4.0).unwrap();
        for (a, b) in soft.row(0).iter().zip(softmax(4.0)) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        assert!(soften(&p, 0.0).is_err());
    }

    #[test]
    fn targets_mix_labels_and_teacher() {
        let teacher = Matrix::from_rows(&[[0.2f32, 0.8], [0.6, 0.4]]).unwrap();
        let t = distillation_targets(&teacher, &[Some(0), None], 0.5).unwrap();
        assert_eq!(t.row(0), &[0.6, 0.4]);
        assert_eq!(t.row(1), &[0.6, 0.4]);
        assert!(distillation_targets(&teacher, &[Some(2), None], 0.5).is_err());
        assert!(distillation_targets(&teacher, &[None], 0.5).is_err());
    }
}
