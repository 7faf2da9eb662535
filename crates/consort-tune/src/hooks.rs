//! How fine-tuning strategies plug into the one training loop.
//!
//! A strategy never copies the loop: it implements [`TrainingHook`] and is handed to
//! [`Trainer::fit`](crate::Trainer::fit). Several hooks compose in one run (say, a distillation
//! loss plus a learning-rate schedule): extra losses add up, task-loss weights multiply, and
//! learning-rate hooks apply in order.

use burn::lr_scheduler::module_lr_scheduler::ModuleLearningRate;
use burn::tensor::Tensor;

use crate::objective::Targets;

/// One mini-batch as the loop sees it.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Input rows, `[batch, n_features]`, on the training device.
    pub inputs: Tensor<2>,
    /// The objective's targets for these rows.
    pub targets: Targets,
    /// Row indices into the training dataset (to look up per-sample data such as a teacher's
    /// soft labels).
    pub indices: Vec<usize>,
}

/// What happened in one epoch.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean total training loss over the epoch's batches.
    pub train_loss: f64,
    /// Validation loss (the objective's: cross-entropy, MSE, ...), when validating.
    pub valid_loss: Option<f64>,
    /// Validation score (accuracy for classification, RMSE for regression), when validating.
    pub valid_score: Option<f64>,
    /// Learning rate used in this epoch.
    pub learning_rate: f64,
    /// Wall time of the epoch including validation.
    pub seconds: f64,
}

/// Whether training should go on after an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Carry on.
    Continue,
    /// Stop now (the loop still restores the best weights if it validated).
    Stop,
}

/// Extension points of the training loop. Every method has a neutral default.
pub trait TrainingHook<M> {
    /// Checked once before training: errors if the hook cannot serve a training set of
    /// `n_rows` rows whose network has `n_outputs` outputs (a teacher's soft labels for other
    /// rows, say).
    fn check(&self, _n_rows: usize, _n_outputs: usize) -> consort_core::Result<()> {
        Ok(())
    }

    /// An extra loss term for this batch (distillation, regularisers, ...). `logits` are the
    /// model's outputs for `batch.inputs`, already computed by the loop.
    fn extra_loss(&mut self, _model: &M, _batch: &Batch, _logits: &Tensor<2>) -> Option<Tensor<1>> {
        None
    }

    /// Weight of the objective's own loss term (e.g. `alpha` of distillation).
    fn task_loss_weight(&self) -> f32 {
        1.0
    }

    /// Learning rate for `epoch` (1-based), given the rate the previous hooks settled on.
    fn learning_rate(&mut self, _epoch: usize, lr: f64) -> f64 {
        lr
    }

    /// Per-parameter-group learning rates for this epoch, from the settled rate `lr`
    /// (discriminative fine-tuning: a lower rate for the backbone than for the head). The last
    /// hook that returns one wins; `None` applies `lr` to every parameter.
    fn module_learning_rate(&mut self, _lr: f64) -> Option<ModuleLearningRate> {
        None
    }

    /// Changes the model before `epoch` (1-based) starts: freezing or unfreezing parameter
    /// groups (gradual unfreezing), say.
    fn before_epoch(&mut self, _epoch: usize, model: M) -> M {
        model
    }

    /// Called after each epoch (after validation).
    fn on_epoch_end(&mut self, _record: &EpochRecord) -> Control {
        Control::Continue
    }
}
