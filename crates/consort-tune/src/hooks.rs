//! How fine-tuning strategies plug into the one training loop.
//!
//! A strategy never copies the loop: it implements [`TrainingHook`] and is handed to
//! [`Trainer::fit`](crate::Trainer::fit). The loop asks a hook for each of four roles, and a
//! strategy implements only the roles it plays, as burn-train splits its learner into parts:
//!
//! * [`LossTerm`]: an extra loss on each batch's forward pass and the weight of the
//!   objective's own loss (distillation, regularisers, task heads);
//! * [`BatchTransform`]: what the forward pass sees of a batch's inputs (augmentation);
//! * [`RateSchedule`]: the learning rate of each epoch and per parameter group (schedules,
//!   discriminative rates);
//! * [`EpochEvents`]: the model before and after each epoch, the epoch's record, the optimiser
//!   restart and the checkpoint (freezing, weight averaging, early stopping).
//!
//! Several hooks compose in one run (say, a distillation loss plus a learning-rate schedule):
//! extra losses add up, task-loss weights multiply, and learning-rate hooks apply in order. A
//! hook with state ([`TrainingHook::state`]) has it saved in checkpoints and restored on resume
//! and on a divergence rollback.

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

/// A strategy plugged into the training loop over network `M` reading inputs `I`: its name and
/// checkpointed state, and the roles it plays. Every method has a neutral default; a strategy
/// answers `Some(self)` for each role it implements.
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

    /// The hook's state, saved in checkpoints (`None`: stateless).
    fn state(&self) -> Option<serde_json::Value> {
        None
    }

    /// Restores a state saved by [`TrainingHook::state`].
    fn load_state(&mut self, _state: serde_json::Value) -> consort_core::Result<()> {
        Ok(())
    }

    /// The hook as a loss term, if it adds one.
    fn loss_term(&mut self) -> Option<&mut dyn LossTerm<M, I>> {
        None
    }

    /// The hook as a transform of the training inputs, if it changes them.
    fn batch_transform(&mut self) -> Option<&mut dyn BatchTransform<I>> {
        None
    }

    /// The hook as a learning-rate schedule, if it sets rates.
    fn rate_schedule(&mut self) -> Option<&mut dyn RateSchedule> {
        None
    }

    /// The hook as a listener to epoch events, if it acts on them.
    fn epoch_events(&mut self) -> Option<&mut dyn EpochEvents<M>> {
        None
    }
}

/// Role: a term of the loss.
pub trait LossTerm<M, I = Dense> {
    /// An extra loss term for this batch (distillation, regularisers, ...). `forward` is the
    /// model's one forward pass on `batch.inputs` (logits and features; on the augmented
    /// inputs where a hook augments), already computed by the loop.
    fn extra_loss(&mut self, model: &M, batch: &Batch<I>, forward: &Forward) -> Option<Tensor<1>>;

    /// Weight of the objective's own loss term (e.g. `alpha` of distillation).
    fn task_loss_weight(&self) -> f32 {
        1.0
    }
}

/// Role: what the forward pass sees of a batch.
pub trait BatchTransform<I = Dense> {
    /// This batch's training inputs as the forward pass should see them: data augmentation
    /// (see [`crate::augment`]). Called inside the loop's per-batch seeded section, so draws
    /// from the backend generator are reproducible; hooks apply in order. Validation, the
    /// targets and `Batch::inputs` as other hooks see it are unchanged.
    fn augment(&mut self, inputs: I) -> I;
}

/// Role: the learning rates of an epoch.
pub trait RateSchedule {
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
}

/// Role: acting between epochs.
pub trait EpochEvents<M> {
    /// Changes the model before `epoch` (1-based) starts: freezing or unfreezing parameter
    /// groups (gradual unfreezing), say.
    fn before_epoch(&mut self, _epoch: usize, model: M) -> M {
        model
    }

    /// Whether the optimiser should start afresh (no moments, step count 0) for the epoch
    /// about to start; asked after [`before_epoch`](EpochEvents::before_epoch). A hook that
    /// put other weights in place answers `true` once, so that moments gathered on another
    /// trajectory do not push the restored weights.
    fn reset_optimizer(&mut self) -> bool {
        false
    }

    /// Sees the weights at the end of `epoch` (1-based), after validation and before
    /// [`on_epoch_end`](EpochEvents::on_epoch_end): weight averaging (SWA) and snapshot
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
}

/// The hooks of one run, asked role by role.
pub(crate) struct Hooks<'a, M, I>(pub(crate) Vec<&'a mut dyn TrainingHook<M, I>>);

impl<'a, M, I> Hooks<'a, M, I> {
    /// The caller's hooks, each with its trait-object lifetime shortened to the borrow's, so
    /// hooks of different origins (the caller's slice, the loop's own) fit in one list.
    pub(crate) fn new(hooks: &'a mut [&mut dyn TrainingHook<M, I>]) -> Self {
        Self(hooks.iter_mut().map(|h| reborrow(&mut **h)).collect())
    }

    /// Adds one of the loop's own hooks (early stopping).
    pub(crate) fn push(&mut self, hook: &'a mut dyn TrainingHook<M, I>) {
        self.0.push(hook);
    }

    /// Checks every hook against the training set.
    pub(crate) fn check(&self, n_rows: usize, n_outputs: usize) -> consort_core::Result<()> {
        self.0.iter().try_for_each(|h| h.check(n_rows, n_outputs))
    }

    /// The epoch's rate, each schedule applied in order to the previous one's.
    pub(crate) fn learning_rate(&mut self, epoch: usize, lr: f64) -> f64 {
        self.0
            .iter_mut()
            .filter_map(|h| h.rate_schedule())
            .fold(lr, |lr, s| s.learning_rate(epoch, lr))
    }

    /// Per-group rates from the last schedule that sets them, else `lr` everywhere.
    pub(crate) fn module_learning_rate(&mut self, lr: f64) -> ModuleLearningRate {
        self.0
            .iter_mut()
            .filter_map(|h| h.rate_schedule())
            .filter_map(|s| s.module_learning_rate(lr))
            .last()
            .unwrap_or_else(|| lr.into())
    }

    /// The model as every hook leaves it before `epoch`.
    pub(crate) fn before_epoch(&mut self, epoch: usize, model: M) -> M {
        self.0
            .iter_mut()
            .filter_map(|h| h.epoch_events())
            .fold(model, |model, e| e.before_epoch(epoch, model))
    }

    /// Whether any hook asks for a fresh optimiser. Every hook is asked (no short-circuit):
    /// the question consumes its answer.
    pub(crate) fn reset_optimizer(&mut self) -> bool {
        let asked: Vec<bool> = self
            .0
            .iter_mut()
            .filter_map(|h| h.epoch_events())
            .map(|e| e.reset_optimizer())
            .collect();
        asked.contains(&true)
    }

    /// The product of the loss terms' weights on the objective's loss.
    pub(crate) fn task_loss_weight(&mut self) -> f32 {
        self.0
            .iter_mut()
            .filter_map(|h| h.loss_term())
            .map(|l| l.task_loss_weight())
            .product()
    }

    /// The inputs after every transform, in order.
    pub(crate) fn augment(&mut self, inputs: I) -> I {
        self.0
            .iter_mut()
            .filter_map(|h| h.batch_transform())
            .fold(inputs, |inputs, t| t.augment(inputs))
    }

    /// `loss` plus every hook's extra term.
    pub(crate) fn add_extra_losses(
        &mut self,
        mut loss: Tensor<1>,
        model: &M,
        batch: &Batch<I>,
        forward: &Forward,
    ) -> Tensor<1> {
        for term in self.0.iter_mut().filter_map(|h| h.loss_term()) {
            if let Some(extra) = term.extra_loss(model, batch, forward) {
                loss = loss + extra;
            }
        }
        loss
    }

    /// Shows every hook the epoch's weights, then its record; whether one asked to stop.
    pub(crate) fn end_epoch(
        &mut self,
        epoch: usize,
        model: &M,
        record: &EpochRecord,
    ) -> consort_core::Result<bool> {
        for events in self.0.iter_mut().filter_map(|h| h.epoch_events()) {
            events.after_epoch(epoch, model)?;
        }
        let mut stop = false;
        for events in self.0.iter_mut().filter_map(|h| h.epoch_events()) {
            stop |= events.on_epoch_end(record) == Control::Stop;
        }
        Ok(stop)
    }

    /// Tells every hook a checkpoint is staged at `staged`.
    pub(crate) fn checkpoint_staged(&mut self, staged: &Path) -> consort_core::Result<()> {
        self.0
            .iter_mut()
            .filter_map(|h| h.epoch_events())
            .try_for_each(|e| e.on_checkpoint_staged(staged))
    }

    /// Every hook's state by name.
    pub(crate) fn states(&self) -> Vec<(String, serde_json::Value)> {
        self.0
            .iter()
            .filter_map(|h| h.state().map(|s| (h.name().to_string(), s)))
            .collect()
    }

    /// Restores states saved by [`Hooks::states`]; hooks absent from `states` keep theirs.
    pub(crate) fn restore(
        &mut self,
        states: &[(String, serde_json::Value)],
    ) -> consort_core::Result<()> {
        for hook in self.0.iter_mut() {
            if let Some((_, state)) = states.iter().find(|(name, _)| name == hook.name()) {
                hook.load_state(state.clone())?;
            }
        }
        Ok(())
    }
}

/// A hook reference with its trait-object lifetime shortened to the borrow's.
pub(crate) fn reborrow<'a, M, I>(
    hook: &'a mut (dyn TrainingHook<M, I> + '_),
) -> &'a mut (dyn TrainingHook<M, I> + 'a) {
    hook
}
