//! The continual strategies that change the loss: a task's own head (task-incremental
//! training) and learning without forgetting (LwF). Both are [`TrainingHook`]s on the one
//! loop.

use burn::tensor::{Tensor, TensorData, activation};
use consort_core::{ConsortError, Matrix, Result};
use consort_models::nn::Forward;

use crate::hooks::LossTerm;
use crate::hooks::{Batch, TrainingHook};
use crate::objective::{Targets, cross_entropy};

/// A large negative logit: classes outside the task take no part in the softmax.
const MASKED: f32 = -1e4;

/// `[1, k]` additive mask: 0 on `classes`, [`MASKED`] elsewhere.
fn class_mask(classes: &[usize], k: usize, device: &burn::tensor::Device) -> Tensor<2> {
    let values: Vec<f32> = (0..k)
        .map(|c| if classes.contains(&c) { 0.0 } else { MASKED })
        .collect();
    Tensor::from_data(TensorData::new(values, [1, k]), device)
}

/// Task-incremental training: each row's cross-entropy over the classes of its own task (its
/// head), replacing the loss over every class, so learning a task never pushes down another
/// task's outputs; replayed rows of earlier tasks train their own heads.
#[derive(Debug, Clone)]
pub struct TaskHead {
    /// Row `c`: the additive mask of the task holding class `c`, `k x k`.
    masks: Vec<f32>,
    k: usize,
}

impl TaskHead {
    /// Heads of `tasks` (disjoint class lists) over `k` outputs; a class in no task is
    /// scored against every class.
    pub fn new(tasks: &[Vec<usize>], k: usize) -> Self {
        let mut masks = vec![0.0; k * k];
        for task in tasks {
            for &c in task.iter().filter(|&&c| c < k) {
                for j in 0..k {
                    masks[c * k + j] = if task.contains(&j) { 0.0 } else { MASKED };
                }
            }
        }
        Self { masks, k }
    }
}

impl<M> TrainingHook<M> for TaskHead {
    fn name(&self) -> &str {
        "task-head"
    }

    fn loss_term(&mut self) -> Option<&mut dyn LossTerm<M>> {
        Some(self)
    }
}

impl<M> LossTerm<M> for TaskHead {
    fn extra_loss(&mut self, _model: &M, batch: &Batch, forward: &Forward) -> Option<Tensor<1>> {
        let device = forward.logits.device();
        let Targets::Classes(classes) = &batch.targets else {
            return None;
        };
        let table = Tensor::<2>::from_data(
            TensorData::new(self.masks.clone(), [self.k, self.k]),
            &device,
        );
        let mask = table.select(0, classes.clone());
        Some(cross_entropy(
            forward.logits.clone() + mask,
            batch.targets.clone(),
        ))
    }

    fn task_loss_weight(&self) -> f32 {
        0.0
    }
}

/// Learning without forgetting (Li & Hoiem 2016): before an experience, the network's own
/// outputs on its training rows are recorded; while it trains, a distillation term keeps its
/// outputs on the classes of earlier experiences close to them (KL divergence at a
/// temperature, over those classes only).
#[derive(Debug, Clone)]
pub struct LearningWithoutForgetting {
    /// The earlier network's logits on every training row of this experience.
    old_logits: Matrix,
    old_classes: Vec<usize>,
    /// Weight of the distillation term.
    pub weight: f32,
    /// Softmax temperature (2 in the paper).
    pub temperature: f32,
}

impl LearningWithoutForgetting {
    /// Distils `old_logits` (one row per training row) over `old_classes`.
    pub fn new(
        old_logits: Matrix,
        old_classes: Vec<usize>,
        weight: f32,
        temperature: f32,
    ) -> Result<Self> {
        if !(weight.is_finite() && weight >= 0.0 && temperature.is_finite() && temperature > 0.0) {
            return Err(ConsortError::config(
                "LwF needs a weight >= 0 and a temperature > 0",
            ));
        }
        Ok(Self {
            old_logits,
            old_classes,
            weight,
            temperature,
        })
    }
}

impl<M> TrainingHook<M> for LearningWithoutForgetting {
    fn name(&self) -> &str {
        "lwf"
    }

    fn check(&self, n_rows: usize, n_outputs: usize) -> Result<()> {
        if self.old_logits.rows() != n_rows || self.old_logits.cols() != n_outputs {
            return Err(ConsortError::ShapeMismatch(format!(
                "LwF recorded {}x{} logits, the experience has {n_rows} rows of {n_outputs} \
                 outputs",
                self.old_logits.rows(),
                self.old_logits.cols()
            )));
        }
        Ok(())
    }

    fn loss_term(&mut self) -> Option<&mut dyn LossTerm<M>> {
        Some(self)
    }
}

impl<M> LossTerm<M> for LearningWithoutForgetting {
    fn extra_loss(&mut self, _model: &M, batch: &Batch, forward: &Forward) -> Option<Tensor<1>> {
        if self.old_classes.is_empty() || self.weight == 0.0 {
            return None;
        }
        let [b, k] = forward.logits.dims();
        let device = forward.logits.device();
        let mask = class_mask(&self.old_classes, k, &device);
        let old = self.old_logits.select_rows(&batch.indices);
        let old = Tensor::<2>::from_data(TensorData::new(old.into_vec(), [b, k]), &device);
        let t = self.temperature;
        let teacher = activation::softmax((old + mask.clone()) / t, 1);
        let log_student = activation::log_softmax((forward.logits.clone() + mask) / t, 1);
        let log_teacher = teacher.clone().clamp_min(1e-12).log();
        let kl = (teacher * (log_teacher - log_student)).sum_dim(1).mean();
        Some(kl * (t * t * self.weight))
    }
}
