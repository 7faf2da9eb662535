//! How fine-tuning strategies plug into the one training loop.
//!
//! A strategy never copies the loop: it implements [`TrainingHook`] and is handed to
//! [`Trainer::fit`](crate::Trainer::fit). Several hooks compose in one run (say, a distillation
//! loss plus a learning-rate schedule): extra losses add up, task-loss weights multiply, and
//! learning-rate hooks apply in order. A hook with state ([`TrainingHook::state`]) has it saved
//! in checkpoints and restored on resume and on a divergence rollback.

use burn::lr_scheduler::module_lr_scheduler::ModuleLearningRate;
use burn::tensor::Tensor;
use consort_models::{Dense, Forward};
use std::path::Path;

pub use consort_core::EpochRecord;

use crate::objective::Targets;

/// One mini-batch as the loop sees it.
#[derive(Debug, Clone)]
pub struct Batch<I = Dense> {
    /// The network input of these rows, on the training device.
    pub inputs: I,
    /// The objective's targets for these rows.
    pub targets: Targets,
    /// Row indices into the training data (to look up per-sample data such as a teacher's
    /// soft labels).
    pub indices: Vec<usize>,
}

/// Whether training should go on after an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Carry on.
    Continue,
    /// Stop now (the loop still restores the best weights if it validated).
    Stop,
}

/// Extension points of the training loop over network `M` reading inputs `I`. Every method
/// has a neutral default.
pub trait TrainingHook<M, I = Dense> {
    /// A stable name, the key of the hook's state in checkpoints.
    fn name(&self) -> &str {
        std::any::type_name::<Self>()
    }

    /// Checked once before training: errors if the hook cannot serve a training set of
    /// `n_rows` rows whose network has `n_outputs` outputs (a teacher's soft labels for other
    /// rows, say).
    fn check(&self, _n_rows: usize, _n_outputs: usize) -> consort_core::Result<()> {
        Ok(())
    }

    /// This batch's training inputs as the forward pass should see them: data augmentation
    /// (see [`crate::augment`]). Called inside the loop's per-batch seeded section, so draws
    /// from the backend generator are reproducible; hooks apply in order. Validation, the
    /// targets and `Batch::inputs` as other hooks see it are unchanged.
    fn augment(&mut self, inputs: I) -> I {
        inputs
    }

    /// An extra loss term for this batch (distillation, regularisers, ...). `forward` is the
    /// model's one forward pass on `batch.inputs` (logits and features; on the augmented
    /// inputs where a hook augments), already computed by the loop.
    fn extra_loss(
        &mut self,
        _model: &M,
        _batch: &Batch<I>,
        _forward: &Forward,
    ) -> Option<Tensor<1>> {
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

    /// Whether the optimiser should start afresh (no moments, step count 0) for the epoch
    /// about to start; asked after [`before_epoch`](TrainingHook::before_epoch). A hook that
    /// put other weights in place answers `true` once, so that moments gathered on another
    /// trajectory do not push the restored weights.
    fn reset_optimizer(&mut self) -> bool {
        false
    }

    /// Sees the weights at the end of `epoch` (1-based), after validation and before
    /// [`on_epoch_end`](TrainingHook::on_epoch_end): weight averaging (SWA) and snapshot
    /// ensembles collect them here. Not called for an epoch rolled back by the divergence guard.
    /// An error ends the run.
    fn after_epoch(&mut self, _epoch: usize, _model: &M) -> consort_core::Result<()> {
        Ok(())
    }

    /// Called after each epoch (after validation).
    fn on_epoch_end(&mut self, _record: &EpochRecord) -> Control {
        Control::Continue
    }

    /// Called when a checkpoint has been written to its temporary folder `staged` and is
    /// about to be renamed into place. An error aborts the run there (what a crash between
    /// the write and the rename would do): the previous checkpoint stays the latest.
    fn on_checkpoint_staged(&mut self, _staged: &Path) -> consort_core::Result<()> {
        Ok(())
    }

    /// The hook's state, saved in checkpoints (`None`: stateless).
    fn state(&self) -> Option<serde_json::Value> {
        None
    }

    /// Restores a state saved by [`TrainingHook::state`].
    fn load_state(&mut self, _state: serde_json::Value) -> consort_core::Result<()> {
        Ok(())
    }
}

/// A hook reference with its trait-object lifetime shortened to the borrow's, so hooks of
/// different origins (the caller's slice, boxes, the loop's own) fit in one list.
pub(crate) fn reborrow<'a, M, I>(
    hook: &'a mut (dyn TrainingHook<M, I> + '_),
) -> &'a mut (dyn TrainingHook<M, I> + 'a) {
    hook
}

/// Saves every hook's state by name.
pub(crate) fn hook_states<M, I>(
    hooks: &[&mut dyn TrainingHook<M, I>],
) -> Vec<(String, serde_json::Value)> {
    hooks
        .iter()
        .filter_map(|h| h.state().map(|s| (h.name().to_string(), s)))
        .collect()
}

/// Restores hook states saved by [`hook_states`]; hooks absent from `states` keep theirs.
pub(crate) fn restore_hook_states<M, I>(
    hooks: &mut [&mut dyn TrainingHook<M, I>],
    states: &[(String, serde_json::Value)],
) -> consort_core::Result<()> {
    for hook in hooks.iter_mut() {
        if let Some((_, state)) = states.iter().find(|(name, _)| name == hook.name()) {
            hook.load_state(state.clone())?;
        }
    }
    Ok(())
}
