//! Feature distillation (FitNets, Romero et al. 2015): the student's intermediate features
//! are pulled towards the teacher's through a learned projection.
//!
//! The student and teacher rarely share a feature width (an MLP's 32 hidden units against a
//! CNN's 128), so a linear *regressor* maps the student's penultimate features into the
//! teacher's space, and the hint loss is the mean squared distance there. The regressor
//! trains with the student ([`HintedStudent`] is one module for the loop) and is dropped
//! afterwards ([`HintedStudent::into_student`]). [`FeatureDistillation`] is the loss, a
//! [`TrainingHook`]; it composes with [`KnowledgeDistillation`](crate::KnowledgeDistillation)
//! (hints on the features, soft targets on the logits) in one run.

use burn::module::{Module, ModuleDisplay};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor, TensorData};
use consort_core::seed::init_now;
use consort_core::{ConsortError, Matrix, Result};
use consort_models::{Forward, Network, NetworkSpec};

use crate::hooks::LossTerm;
use crate::hooks::{Batch, TrainingHook};

/// A student network plus the regressor from its features to the teacher's.
#[derive(Module, Debug)]
pub struct HintedStudent<M: Module> {
    student: M,
    regressor: Linear,
}

impl<M: Network> HintedStudent<M> {
    /// Wraps `student` (taking rows of `n_inputs` features) with a fresh regressor onto
    /// `teacher_dim` teacher features; the student's feature width is read from one forward
    /// pass. Call it inside [`consort_core::seed::seeded`] for a reproducible regressor.
    pub fn new(student: M, n_inputs: usize, teacher_dim: usize, device: &Device) -> Result<Self> {
        if n_inputs == 0 || teacher_dim == 0 {
            return Err(ConsortError::config(
                "a hinted student needs inputs and teacher features",
            ));
        }
        let probe = Tensor::<2>::zeros([1, n_inputs], device);
        let [_, student_dim] = student.features(probe).dims();
        Ok(Self {
            student,
            regressor: init_now(LinearConfig::new(student_dim, teacher_dim).init(device)),
        })
    }

    /// The student alone, regressor dropped.
    pub fn into_student(self) -> M {
        self.student
    }

    /// The student's features projected into the teacher's feature space.
    pub fn projected_features(&self, x: Tensor<2>) -> Tensor<2> {
        self.project(self.student.features(x))
    }

    /// Student features (of a forward pass already run) projected into the teacher's space.
    pub fn project(&self, student_features: Tensor<2>) -> Tensor<2> {
        self.regressor.forward(student_features)
    }
}

impl<I, M: Network<I> + ModuleDisplay> Network<I> for HintedStudent<M> {
    /// The student's own pass; the regressor is applied by [`FeatureDistillation`] to these
    /// features, so hints cost no second pass.
    fn forward(&self, x: I) -> Forward {
        self.student.forward(x)
    }

    fn check_input(&self, x: &Matrix) -> Result<()> {
        self.student.check_input(x)
    }
}

/// The architecture of a hinted student: `student` plus a regressor onto `teacher_dim`
/// teacher features, so a [`NetworkEstimator`](crate::NetworkEstimator) can train it with a
/// [`FeatureDistillation`] hook (the fitted classifier answers with the student's logits).
#[derive(Debug, Clone)]
pub struct HintedSpec<S> {
    /// The student's architecture.
    pub student: S,
    /// Width of the teacher's features.
    pub teacher_dim: usize,
}

impl<S: NetworkSpec> NetworkSpec for HintedSpec<S>
where
    S::Net: ModuleDisplay,
{
    type Net = HintedStudent<S::Net>;

    fn name(&self) -> &'static str {
        self.student.name()
    }

    fn build(&self, n_features: usize, n_classes: usize, device: &Device) -> Result<Self::Net> {
        let student = self.student.build(n_features, n_classes, device)?;
        HintedStudent::new(student, n_features, self.teacher_dim, device)
    }

    fn macs_per_sample(&self, n_features: usize, n_classes: usize) -> u64 {
        self.student.macs_per_sample(n_features, n_classes)
    }
}

/// The FitNets hint loss, `weight * mean ||regressor(student_features) - teacher_features||²`
/// (mean over rows and feature dimensions), as a training-loop hook.
#[derive(Debug, Clone)]
pub struct FeatureDistillation {
    /// The teacher's features, one row per training row.
    teacher_features: Matrix,
    weight: f32,
}

impl FeatureDistillation {
    /// Hints from the teacher's features of the training rows (in the order the training
    /// objective holds them), e.g. `NetworkClassifier::features`, weighted by `weight`.
    pub fn new(teacher_features: Matrix, weight: f32) -> Result<Self> {
        if !(weight.is_finite() && weight > 0.0) {
            return Err(ConsortError::config(format!(
                "the hint loss weight must be positive, got {weight}"
            )));
        }
        if teacher_features.rows() == 0 || teacher_features.cols() == 0 {
            return Err(ConsortError::EmptyDataset(
                "no teacher features to distil".into(),
            ));
        }
        teacher_features.ensure_finite("teacher features")?;
        Ok(Self {
            teacher_features,
            weight,
        })
    }

    /// Width of the teacher's features (the regressor's output width).
    pub fn teacher_dim(&self) -> usize {
        self.teacher_features.cols()
    }
}

impl<M: Network + ModuleDisplay, I> TrainingHook<HintedStudent<M>, I> for FeatureDistillation {
    fn name(&self) -> &str {
        "feature-distillation"
    }

    /// The teacher's features must cover every training row.
    fn check(&self, n_rows: usize, _n_outputs: usize) -> Result<()> {
        if self.teacher_features.rows() != n_rows {
            return Err(ConsortError::ShapeMismatch(format!(
                "teacher features for {} rows, the training data has {n_rows}",
                self.teacher_features.rows()
            )));
        }
        Ok(())
    }

    fn loss_term(&mut self) -> Option<&mut dyn LossTerm<HintedStudent<M>, I>> {
        Some(self)
    }
}

impl<M: Network + ModuleDisplay, I> LossTerm<HintedStudent<M>, I> for FeatureDistillation {
    fn extra_loss(
        &mut self,
        model: &HintedStudent<M>,
        batch: &Batch<I>,
        forward: &Forward,
    ) -> Option<Tensor<1>> {
        // The loop's one forward pass already holds the student's features: only the
        // regressor runs here.
        let projected = model.project(forward.features.clone());
        let [b, d] = projected.dims();
        let rows = self.teacher_features.select_rows(&batch.indices);
        let teacher = Tensor::<2>::from_data(
            TensorData::new(rows.into_vec(), [b, d]),
            &projected.device(),
        );
        let diff = projected - teacher;
        Some((diff.clone() * diff).mean() * self.weight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use consort_core::BackendKind;
    use consort_models::{MlpSpec, NetworkSpec};

    #[test]
    fn the_wrapper_is_the_student_plus_a_regressor() {
        let device = BackendKind::Flex.device().unwrap();
        let mlp = MlpSpec::new(vec![6]).build(4, 3, &device).unwrap();
        let hinted = HintedStudent::new(mlp.clone(), 4, 9, &device).unwrap();
        let x = Tensor::<2>::ones([2, 4], &device);
        assert_eq!(hinted.projected_features(x.clone()).dims(), [2, 9]);
        hinted
            .logits(x.clone())
            .into_data()
            .assert_eq(&mlp.logits(x.clone()).into_data(), true);
        hinted
            .into_student()
            .features(x.clone())
            .into_data()
            .assert_eq(&mlp.features(x).into_data(), true);
        assert!(HintedStudent::new(mlp, 4, 0, &device).is_err());
    }
}
