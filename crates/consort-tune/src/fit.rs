//! The one fit path behind every network estimator: backend, validation split, seeded
//! construction, hooks made for this run's rows, the loop, events.

use std::fmt;
use std::sync::Arc;

use burn::tensor::Device;
use consort_core::seed::{derive_seed, seeded};
use consort_core::{BackendKind, Checked, Matrix, Result};
use consort_data::InputSource;
use consort_models::Network;

use crate::config::TrainConfig;
use crate::hooks::{TrainingHook, reborrow};
use crate::objective::{InputOf, Objective};
use crate::trainer::{RunOptions, TrainOutcome, Trainer};

/// What a hook factory knows about the run it makes a hook for.
#[derive(Debug, Clone, Copy)]
pub struct FitContext<'a> {
    /// The training rows, in the order the loop indexes them (after any validation split);
    /// `None` for composite inputs.
    pub rows: Option<&'a Matrix>,
    /// Number of training rows.
    pub n_rows: usize,
    /// Outputs of the network (classes, or 1).
    pub n_outputs: usize,
    /// The training (autodiff) device.
    pub device: &'a Device,
}

/// Makes a fresh hook for each fit (hooks carry per-run state, estimators are reusable): a
/// distillation hook from the teacher's view of `ctx.rows`, say.
pub struct HookFactory<M, I = consort_models::Dense>(
    #[allow(clippy::type_complexity)]
    Arc<dyn Fn(&FitContext<'_>) -> Result<Box<dyn TrainingHook<M, I>>> + Send + Sync>,
);

impl<M, I> HookFactory<M, I> {
    /// Wraps a factory function.
    pub fn new(
        f: impl Fn(&FitContext<'_>) -> Result<Box<dyn TrainingHook<M, I>>> + Send + Sync + 'static,
    ) -> Self {
        Self(Arc::new(f))
    }

    /// Every fit starts from a clone of `hook` (a configured strategy with no per-run data).
    pub fn cloned<H>(hook: H) -> Self
    where
        H: TrainingHook<M, I> + Clone + Send + Sync + 'static,
    {
        Self::new(move |_| Ok(Box::new(hook.clone())))
    }

    /// A hook for one run.
    pub fn make(&self, ctx: &FitContext<'_>) -> Result<Box<dyn TrainingHook<M, I>>> {
        (self.0)(ctx)
    }
}

impl<M, I> Clone for HookFactory<M, I> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<M, I> fmt::Debug for HookFactory<M, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HookFactory")
    }
}

/// Everything a fit takes besides the model and the data: checked hyperparameters, the
/// backend, the strategies' hook factories, and the loop's [`RunOptions`].
#[derive(Debug, Clone)]
pub struct FitSettings<M, I = consort_models::Dense> {
    /// Hyperparameters, optimiser, sampler kind, checkpoints (checked once, by the caller).
    pub train: Checked<TrainConfig>,
    /// Backend (`None`: [`BackendKind::default_kind`]).
    pub backend: Option<BackendKind>,
    /// Hooks, made afresh for each fit.
    pub hooks: Vec<HookFactory<M, I>>,
    /// Label, observer, custom sampler, carried optimiser state.
    pub options: RunOptions,
}

impl<M, I> FitSettings<M, I> {
    /// Settings with `train` and nothing else.
    pub fn new(train: Checked<TrainConfig>, label: impl Into<String>) -> Self {
        Self {
            train,
            backend: None,
            hooks: Vec::new(),
            options: RunOptions::new(label),
        }
    }
}

/// Splits off the validation rows `train.validation_fraction` asks for (none at 0).
pub fn validation_split<O: Objective + Clone>(
    data: &O,
    train: &TrainConfig,
) -> Result<(O, Option<O>)> {
    if train.validation_fraction > 0.0 {
        let (t, v) = data.holdout(
            train.validation_fraction,
            derive_seed(train.seed, "validation-split"),
        )?;
        Ok((t, Some(v)))
    } else {
        Ok((data.clone(), None))
    }
}

/// The shared fit: builds the model with `build` on the chosen backend's autodiff device
/// (seeded), makes the hooks for these rows, and runs the loop. Returns the outcome and the
/// plain (inference) device.
pub fn fit_network<M, O>(
    settings: &FitSettings<M, InputOf<O>>,
    build: impl FnOnce(&Device) -> Result<M>,
    train: &O,
    valid: Option<&O>,
) -> Result<(TrainOutcome<M>, Device)>
where
    O: Objective,
    M: Network<InputOf<O>>,
{
    train.ensure_trainable()?;
    let device = BackendKind::chosen(settings.backend)?.device()?;
    let autodiff = device.clone().autodiff();
    let model = seeded(&autodiff, derive_seed(settings.train.seed, "init"), || {
        build(&autodiff)
    })?;
    let ctx = FitContext {
        rows: train.inputs().rows(),
        n_rows: train.len(),
        n_outputs: train.n_outputs(),
        device: &autodiff,
    };
    let mut made: Vec<Box<dyn TrainingHook<M, InputOf<O>>>> = settings
        .hooks
        .iter()
        .map(|f| f.make(&ctx))
        .collect::<Result<_>>()?;
    let mut hooks: Vec<&mut dyn TrainingHook<M, InputOf<O>>> =
        made.iter_mut().map(|h| reborrow(&mut **h)).collect();
    let trainer = Trainer::new(settings.train.clone()).with_options(settings.options.clone());
    let outcome = trainer.fit(model, &autodiff, train, valid, &mut hooks)?;
    Ok((outcome, device))
}
