//! The training loop: epochs of [`run_epoch`](crate::step), validation, the best-epoch
//! tracker, checkpoints, resume, and the divergence guard, all generic over the objective's
//! input type.

use std::sync::Arc;
use std::time::Instant;

use burn::optim::ModuleOptimizer;
use burn::tensor::Device;
use consort_core::{ConsortError, EpochRecord, Event, ObserverHandle, ParamGuard, Result};
use consort_data::InputSource;
use consort_models::Network;

use crate::checkpoint::{Checkpoint, Checkpointer, LoopState};
use crate::config::TrainConfig;
use crate::early_stopping::EarlyStopping;
use crate::hooks::{Control, TrainingHook, hook_states, reborrow, restore_hook_states};
use crate::objective::{InputOf, Objective, evaluate};
use crate::optimizer::OptimizerState;
use crate::sampler::{ClassBalanced, Sampler, SamplerKind, Shuffled};
use crate::step::{EpochPlan, run_epoch};

/// The result of a training run.
#[derive(Debug)]
pub struct TrainOutcome<M> {
    /// The trained network (the best validated weights when validating), still in training
    /// mode on the autodiff device.
    pub model: M,
    /// One record per epoch run (including those before a resume).
    pub history: Vec<EpochRecord>,
    /// The epoch whose weights were kept (1-based).
    pub best_epoch: usize,
    /// Whether early stopping or a hook ended training before the last epoch.
    pub stopped_early: bool,
    /// The epoch of the checkpoint this run resumed from, if it did.
    pub resumed_from: Option<usize>,
    /// Divergence rollbacks taken.
    pub rollbacks: usize,
    /// The optimiser's state after the last step (for the next incremental update).
    pub optimizer: OptimizerState,
}

/// Runs epochs of mini-batch optimisation over a [`Network`], with validation, best-weight
/// restoration, checkpoints, a divergence guard, [`TrainingHook`]s and an observer.
#[derive(Debug, Clone)]
pub struct Trainer {
    config: TrainConfig,
    label: String,
    observer: ObserverHandle,
    sampler: Option<Arc<dyn Sampler>>,
    optimizer_state: Option<OptimizerState>,
}

impl Trainer {
    /// A trainer with the given hyperparameters (validated by [`Trainer::fit`]).
    pub fn new(config: TrainConfig) -> Self {
        Self {
            config,
            label: "train".into(),
            observer: ObserverHandle::none(),
            sampler: None,
            optimizer_state: None,
        }
    }

    /// Names the run in events.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Sends training events to `observer`.
    pub fn with_observer(mut self, observer: impl Into<ObserverHandle>) -> Self {
        self.observer = observer.into();
        self
    }

    /// Draws batches with `sampler` instead of the config's [`SamplerKind`].
    pub fn with_sampler(mut self, sampler: Arc<dyn Sampler>) -> Self {
        self.sampler = Some(sampler);
        self
    }

    /// Starts the optimiser from `state` (a previous run's) instead of from zero moments;
    /// a checkpoint being resumed takes precedence.
    pub fn with_optimizer_state(mut self, state: OptimizerState) -> Self {
        self.optimizer_state = Some(state);
        self
    }

    /// The hyperparameters.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    fn sampler<O: Objective>(&self, train: &O) -> Result<Arc<dyn Sampler>> {
        let sampler: Arc<dyn Sampler> = match (&self.sampler, self.config.sampler) {
            (Some(s), _) => s.clone(),
            (None, SamplerKind::Shuffled) => Arc::new(Shuffled),
            (None, SamplerKind::ClassBalanced) => {
                let labels = train.class_labels().ok_or_else(|| {
                    ConsortError::config("class-balanced sampling needs a classification objective")
                })?;
                Arc::new(ClassBalanced::new(labels)?)
            }
        };
        sampler.check(train.len())?;
        Ok(sampler)
    }

    fn check<M, O>(&self, model: &M, device: &Device, train: &O, valid: Option<&O>) -> Result<()>
    where
        O: Objective,
        M: Network<InputOf<O>>,
    {
        self.config.check()?;
        if !device.is_autodiff() {
            return Err(ConsortError::Backend(
                "training needs an autodiff device (`device.autodiff()`)".into(),
            ));
        }
        train.ensure_trainable()?;
        if let Some(rows) = train.inputs().rows() {
            model.check_input(rows)?;
        }
        if let Some(v) = valid {
            if v.is_empty() {
                return Err(ConsortError::EmptyDataset("validation set is empty".into()));
            }
            train.check_compatible(v)?;
            if let Some(rows) = v.inputs().rows() {
                model.check_input(rows)?;
            }
        }
        Ok(())
    }

    /// Trains `model` (initialised on `device`, an autodiff device) to minimise `objective`
    /// over `train`, validating on `valid` after every epoch when given. With checkpoints
    /// configured to resume and one on disk, `model` only supplies the architecture: the run
    /// continues from the checkpoint's weights, optimiser, hooks and cursor.
    pub fn fit<M, O>(
        &self,
        model: M,
        device: &Device,
        train: &O,
        valid: Option<&O>,
        hooks: &mut [&mut dyn TrainingHook<M, InputOf<O>>],
    ) -> Result<TrainOutcome<M>>
    where
        O: Objective,
        M: Network<InputOf<O>>,
    {
        let cfg = &self.config;
        self.check(&model, device, train, valid)?;
        for hook in hooks.iter() {
            hook.check(train.len(), train.n_outputs())?;
        }
        let sampler = self.sampler(train)?;
        let mut early = cfg
            .patience
            .map(|p| EarlyStopping::with_monitor(p, cfg.monitor, O::SCORE_DIRECTION));
        let mut hooks: Vec<&mut dyn TrainingHook<M, InputOf<O>>> =
            hooks.iter_mut().map(|h| reborrow(&mut **h)).collect();
        if let Some(e) = early.as_mut() {
            hooks.push(e);
        }
        let direction = cfg.monitor.resolved(O::SCORE_DIRECTION);
        let checkpointer = cfg
            .checkpoint
            .as_ref()
            .map(|config| Checkpointer { config });

        let mut optim: ModuleOptimizer =
            cfg.optimizer.init(cfg.weight_decay, cfg.grad_clip_norm)?;
        if let Some(carried) = &self.optimizer_state {
            optim = carried.load_into(optim);
        }
        let mut state = LoopState::new(cfg.seed);
        let mut model = model;
        let mut best_model: Option<M> = None;
        let mut resumed_from = None;
        if let Some(c) = cfg.checkpoint.as_ref().filter(|c| c.resume)
            && let Some(ckpt) = Checkpoint::latest(&c.dir)?
        {
            state = ckpt.state()?;
            if state.seed != cfg.seed {
                return Err(ConsortError::config(format!(
                    "{} was written by a run with seed {}, this run has seed {}",
                    ckpt.path.display(),
                    state.seed,
                    cfg.seed
                )));
            }
            best_model = match Checkpoint::best(&c.dir)? {
                Some(b) if valid.is_some() && b.epoch == state.best.best_epoch => {
                    Some(b.load_model(model.clone())?)
                }
                _ => None,
            };
            model = ckpt.load_model(model)?;
            optim = ckpt.load_optimizer(optim)?;
            restore_hook_states(&mut hooks, &state.hooks)?;
            resumed_from = Some(ckpt.epoch);
            self.observer.notify(&Event::Resumed {
                label: &self.label,
                epoch: ckpt.epoch,
                path: &ckpt.path,
            });
        }
        self.observer.notify(&Event::RunStarted {
            label: &self.label,
            first_epoch: state.epoch + 1,
            epochs: cfg.epochs,
        });

        let mut stopped_early = false;
        while state.epoch < cfg.epochs && !stopped_early {
            let epoch = state.epoch + 1;
            let start = Instant::now();
            // What a rollback returns to: the weights, optimiser and hooks of the epoch start.
            let snapshot = (model.clone(), optim.clone(), hook_states(&hooks));
            let base_lr = hooks
                .iter_mut()
                .fold(cfg.learning_rate, |lr, h| h.learning_rate(epoch, lr));
            let lr = base_lr * state.lr_scale;
            let module_lr = hooks
                .iter_mut()
                .filter_map(|h| h.module_learning_rate(lr))
                .last()
                .unwrap_or_else(|| lr.into());
            for hook in hooks.iter_mut() {
                model = hook.before_epoch(epoch, model);
            }
            // Every hook is asked (no short-circuit): the question consumes its answer.
            let asked: Vec<bool> = hooks.iter_mut().map(|h| h.reset_optimizer()).collect();
            if asked.contains(&true) {
                optim = cfg.optimizer.init(cfg.weight_decay, cfg.grad_clip_norm)?;
            }
            let plan = EpochPlan {
                epoch,
                seed: cfg.seed,
                batch_size: cfg.batch_size,
                accumulation: cfg.accumulation_steps,
                module_lr,
                task_weight: hooks.iter().map(|h| h.task_loss_weight()).product(),
                sampler: &sampler,
                device,
                observer: &self.observer,
                label: &self.label,
            };
            let (trained, train_loss) = match run_epoch(&plan, model, &mut optim, train, &mut hooks)
            {
                Ok(done) => done,
                Err(reason) => {
                    if state.rollbacks >= cfg.divergence.max_retries {
                        return Err(ConsortError::Diverged {
                            epoch,
                            attempts: state.rollbacks,
                            learning_rate: lr,
                            reason,
                        });
                    }
                    state.rollbacks += 1;
                    state.lr_scale *= cfg.divergence.lr_factor;
                    (model, optim) = (snapshot.0, snapshot.1);
                    restore_hook_states(&mut hooks, &snapshot.2)?;
                    self.observer.notify(&Event::RolledBack {
                        label: &self.label,
                        epoch,
                        attempt: state.rollbacks,
                        lr_scale: state.lr_scale,
                        reason: &reason,
                    });
                    continue;
                }
            };
            model = trained;
            let evaluation = valid.map(|v| evaluate(v, &model, device)).transpose()?;
            let record = EpochRecord {
                epoch,
                train_loss,
                valid_loss: evaluation.map(|e| e.loss),
                valid_score: evaluation.map(|e| e.score),
                learning_rate: lr,
                seconds: start.elapsed().as_secs_f64(),
            };
            self.observer.notify(&Event::EpochEnded {
                label: &self.label,
                epochs: cfg.epochs,
                record: &record,
                score_name: O::SCORE_NAME,
            });
            for hook in hooks.iter_mut() {
                hook.after_epoch(epoch, &model)?;
            }
            for hook in hooks.iter_mut() {
                if hook.on_epoch_end(&record) == Control::Stop {
                    stopped_early = epoch < cfg.epochs;
                }
            }
            let improved = valid.is_some()
                && cfg.monitor.value(&record).is_some_and(|v| {
                    state
                        .best
                        .update(epoch, v, direction, cfg.monitor.threshold)
                });
            if improved {
                best_model = Some(model.clone());
            }
            state.epoch = epoch;
            state.history.push(record);
            state.hooks = hook_states(&hooks);
            if let Some(ck) = &checkpointer {
                let mut writes = Vec::new();
                if improved && ck.config.keep_best {
                    writes.push(true);
                }
                if epoch.is_multiple_of(ck.config.every) || epoch == cfg.epochs || stopped_early {
                    writes.push(false);
                }
                for best in writes {
                    let path = ck.write(&model, &optim, &state, best, |staged| {
                        hooks
                            .iter_mut()
                            .try_for_each(|h| h.on_checkpoint_staged(staged))
                    })?;
                    self.observer.notify(&Event::CheckpointSaved {
                        label: &self.label,
                        epoch,
                        path: &path,
                        best,
                    });
                }
            }
        }

        let last_epoch = state.epoch;
        let (model, best_epoch) = match best_model {
            Some(m) => (m, state.best.best_epoch),
            None => (model, last_epoch),
        };
        self.observer.notify(&Event::RunFinished {
            label: &self.label,
            best_epoch,
            last_epoch,
        });
        Ok(TrainOutcome {
            model,
            history: state.history,
            best_epoch,
            stopped_early,
            resumed_from,
            rollbacks: state.rollbacks,
            optimizer: OptimizerState(optim),
        })
    }
}
