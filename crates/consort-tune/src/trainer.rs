//! The training loop: epochs of [`run_epoch`](crate::step), validation, the best-epoch
//! tracker, checkpoints, resume, and the divergence guard, all generic over the objective's
//! input type.

use std::sync::Arc;
use std::time::Instant;

use burn::optim::ModuleOptimizer;
use burn::tensor::Device;
use consort_core::{Checked, ConsortError, Direction, EpochRecord, Event, ObserverHandle, Result};
use consort_data::InputSource;
use consort_models::Network;

use crate::checkpoint::{Checkpoint, Checkpointer, LoopState};
use crate::config::TrainConfig;
use crate::early_stopping::EarlyStopping;
use crate::hooks::{Hooks, TrainingHook};
use crate::objective::{InputOf, Objective, evaluate};
use crate::optimizer::OptimizerState;
use crate::sampler::{BatchSampler, ClassBalanced, SamplerKind, Shuffled};
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

/// The loop's options besides its hyperparameters: how the run is named in events, where
/// events go, a custom batch sampler, and an optimiser state to start from. Estimators carry
/// one and hand it to the [`Trainer`] whole.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Name of the run in events.
    pub label: String,
    /// Where events go.
    pub observer: ObserverHandle,
    /// Draws batches instead of the config's [`SamplerKind`].
    pub sampler: Option<Arc<dyn BatchSampler>>,
    /// The optimiser state to start from (an earlier run's) instead of zero moments; a
    /// checkpoint being resumed takes precedence.
    pub optimizer_state: Option<OptimizerState>,
}

impl RunOptions {
    /// Options naming the run `label`, with no observer, sampler or carried state.
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            observer: ObserverHandle::none(),
            sampler: None,
            optimizer_state: None,
        }
    }
}

/// Runs epochs of mini-batch optimisation over a [`Network`], with validation, best-weight
/// restoration, checkpoints, a divergence guard, [`TrainingHook`]s and an observer.
#[derive(Debug, Clone)]
pub struct Trainer {
    config: Checked<TrainConfig>,
    options: RunOptions,
}

impl Trainer {
    /// A trainer with checked hyperparameters (`TrainConfig::new().checked()?`).
    pub fn new(config: Checked<TrainConfig>) -> Self {
        Self {
            config,
            options: RunOptions::new("train"),
        }
    }

    /// Replaces the run's options (label, observer, sampler, carried optimiser state).
    pub fn with_options(mut self, options: RunOptions) -> Self {
        self.options = options;
        self
    }

    /// Names the run in events.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.options.label = label.into();
        self
    }

    /// The hyperparameters.
    pub fn config(&self) -> &Checked<TrainConfig> {
        &self.config
    }

    fn sampler<O: Objective>(&self, train: &O) -> Result<Arc<dyn BatchSampler>> {
        let sampler: Arc<dyn BatchSampler> = match (&self.options.sampler, self.config.sampler) {
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
    ///
    /// The run is a composition of stages: check, set up the learner (model, optimiser, loop
    /// state), resume, then per epoch: schedule, step through the batches (rolled back when
    /// they diverge), validate, tell the hooks, checkpoint; finally keep the best weights.
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
        let mut hooks = Hooks::new(hooks);
        hooks.check(train.len(), train.n_outputs())?;
        let sampler = self.sampler(train)?;
        let mut early = cfg
            .patience
            .map(|p| EarlyStopping::with_monitor(p, cfg.monitor, O::SCORE_DIRECTION));
        if let Some(e) = early.as_mut() {
            hooks.push(e);
        }
        let mut learner = Learner::new(model, self.optimizer()?, cfg.seed);
        let resumed_from = self.resume(&mut learner, &mut hooks, valid.is_some())?;
        self.options.observer.notify(&Event::RunStarted {
            label: &self.options.label,
            first_epoch: learner.state.epoch + 1,
            epochs: cfg.epochs,
        });
        let mut stopped_early = false;
        while learner.state.epoch < cfg.epochs && !stopped_early {
            let epoch = learner.state.epoch + 1;
            let start = Instant::now();
            let Some((train_loss, lr)) =
                self.train_epoch(epoch, &mut learner, &mut hooks, train, &sampler, device)?
            else {
                continue;
            };
            let evaluation = valid
                .map(|v| evaluate(v, &learner.model, device))
                .transpose()?;
            let record = EpochRecord {
                epoch,
                train_loss,
                valid_loss: evaluation.map(|e| e.loss),
                valid_score: evaluation.map(|e| e.score),
                learning_rate: lr,
                seconds: start.elapsed().as_secs_f64(),
            };
            self.options.observer.notify(&Event::EpochEnded {
                label: &self.options.label,
                epochs: cfg.epochs,
                record: &record,
                score_name: O::SCORE_NAME,
            });
            stopped_early = hooks.end_epoch(epoch, &learner.model, &record)? && epoch < cfg.epochs;
            let improved = valid.is_some() && learner.track_best(&record, cfg, O::SCORE_DIRECTION);
            learner.state.epoch = epoch;
            learner.state.history.push(record);
            learner.state.hooks = hooks.states();
            self.checkpoint(&learner, &mut hooks, improved, stopped_early)?;
        }
        Ok(self.finish(learner, stopped_early, resumed_from))
    }

    /// A fresh optimiser, or the carried state of a previous run.
    fn optimizer(&self) -> Result<ModuleOptimizer> {
        let cfg = &self.config;
        let optim = cfg.optimizer.init(cfg.weight_decay, cfg.grad_clip_norm)?;
        Ok(match &self.options.optimizer_state {
            Some(carried) => carried.load_into(optim),
            None => optim,
        })
    }

    /// Continues from the latest checkpoint when configured to and one exists: weights,
    /// optimiser, loop state, hook states and the best epoch's weights. Returns its epoch.
    fn resume<M: Network<I>, I>(
        &self,
        learner: &mut Learner<M>,
        hooks: &mut Hooks<'_, M, I>,
        validating: bool,
    ) -> Result<Option<usize>> {
        let cfg = &self.config;
        let Some(c) = cfg.checkpoint.as_ref().filter(|c| c.resume) else {
            return Ok(None);
        };
        let Some(ckpt) = Checkpoint::latest(&c.dir)? else {
            return Ok(None);
        };
        let state = ckpt.state()?;
        if state.seed != cfg.seed {
            return Err(ConsortError::config(format!(
                "{} was written by a run with seed {}, this run has seed {}",
                ckpt.path.display(),
                state.seed,
                cfg.seed
            )));
        }
        learner.best_model = match Checkpoint::best(&c.dir)? {
            Some(b) if validating && b.epoch == state.best.best_epoch => {
                Some(b.load_model(learner.model.clone())?)
            }
            _ => None,
        };
        learner.model = ckpt.load_model(learner.model.clone())?;
        learner.optim = ckpt.load_optimizer(learner.optim.clone())?;
        hooks.restore(&state.hooks)?;
        learner.state = state;
        self.options.observer.notify(&Event::Resumed {
            label: &self.options.label,
            epoch: ckpt.epoch,
            path: &ckpt.path,
        });
        Ok(Some(ckpt.epoch))
    }

    /// One epoch of steps at the hooks' rates: the epoch's mean loss and rate, or `None`
    /// when it diverged and was rolled back to its start (weights, optimiser, hook states)
    /// with a lower rate, to be tried again; an error once the retries are spent.
    fn train_epoch<M, O>(
        &self,
        epoch: usize,
        learner: &mut Learner<M>,
        hooks: &mut Hooks<'_, M, InputOf<O>>,
        train: &O,
        sampler: &Arc<dyn BatchSampler>,
        device: &Device,
    ) -> Result<Option<(f64, f64)>>
    where
        O: Objective,
        M: Network<InputOf<O>>,
    {
        let cfg = &self.config;
        // What a rollback returns to: the weights, optimiser and hooks of the epoch start.
        let snapshot = (learner.model.clone(), learner.optim.clone(), hooks.states());
        let lr = hooks.learning_rate(epoch, cfg.learning_rate) * learner.state.lr_scale;
        let module_lr = hooks.module_learning_rate(lr);
        learner.model = hooks.before_epoch(epoch, learner.model.clone());
        if hooks.reset_optimizer() {
            learner.optim = cfg.optimizer.init(cfg.weight_decay, cfg.grad_clip_norm)?;
        }
        let plan = EpochPlan {
            epoch,
            seed: cfg.seed,
            batch_size: cfg.batch_size,
            accumulation: cfg.accumulation_steps,
            module_lr,
            task_weight: hooks.task_loss_weight(),
            sampler,
            device,
            observer: &self.options.observer,
            label: &self.options.label,
        };
        let model = learner.model.clone();
        match run_epoch(&plan, model, &mut learner.optim, train, hooks) {
            Ok((trained, loss)) => {
                learner.model = trained;
                Ok(Some((loss, lr)))
            }
            Err(reason) => {
                let state = &mut learner.state;
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
                (learner.model, learner.optim) = (snapshot.0, snapshot.1);
                hooks.restore(&snapshot.2)?;
                self.options.observer.notify(&Event::RolledBack {
                    label: &self.options.label,
                    epoch,
                    attempt: state.rollbacks,
                    lr_scale: state.lr_scale,
                    reason: &reason,
                });
                Ok(None)
            }
        }
    }

    /// Writes the epoch's checkpoints: the best one when it improved, the periodic one on
    /// its interval, at the last epoch and when stopping early.
    fn checkpoint<M: Network<I>, I>(
        &self,
        learner: &Learner<M>,
        hooks: &mut Hooks<'_, M, I>,
        improved: bool,
        stopping: bool,
    ) -> Result<()> {
        let Some(config) = &self.config.checkpoint else {
            return Ok(());
        };
        let epoch = learner.state.epoch;
        let mut writes = Vec::new();
        if improved && config.keep_best {
            writes.push(true);
        }
        if epoch.is_multiple_of(config.every) || epoch == self.config.epochs || stopping {
            writes.push(false);
        }
        let checkpointer = Checkpointer { config };
        for best in writes {
            let path = checkpointer.write(
                &learner.model,
                &learner.optim,
                &learner.state,
                best,
                |staged| hooks.checkpoint_staged(staged),
            )?;
            self.options.observer.notify(&Event::CheckpointSaved {
                label: &self.options.label,
                epoch,
                path: &path,
                best,
            });
        }
        Ok(())
    }

    /// The outcome: the best validated weights (else the last), the history and the
    /// optimiser's state.
    fn finish<M>(
        &self,
        learner: Learner<M>,
        stopped_early: bool,
        resumed_from: Option<usize>,
    ) -> TrainOutcome<M> {
        let state = learner.state;
        let last_epoch = state.epoch;
        let (model, best_epoch) = match learner.best_model {
            Some(m) => (m, state.best.best_epoch),
            None => (learner.model, last_epoch),
        };
        self.options.observer.notify(&Event::RunFinished {
            label: &self.options.label,
            best_epoch,
            last_epoch,
        });
        TrainOutcome {
            model,
            history: state.history,
            best_epoch,
            stopped_early,
            resumed_from,
            rollbacks: state.rollbacks,
            optimizer: OptimizerState(learner.optim),
        }
    }
}

/// The learner's state: the model, its optimiser, the loop's cursor and history, and the best
/// weights so far.
struct Learner<M> {
    model: M,
    optim: ModuleOptimizer,
    state: LoopState,
    best_model: Option<M>,
}

impl<M: Clone> Learner<M> {
    fn new(model: M, optim: ModuleOptimizer, seed: u64) -> Self {
        Self {
            model,
            optim,
            state: LoopState::new(seed),
            best_model: None,
        }
    }

    /// Whether `record` improves on the best monitored value; keeps the weights if so.
    fn track_best(&mut self, record: &EpochRecord, cfg: &TrainConfig, score: Direction) -> bool {
        let direction = cfg.monitor.resolved(score);
        let improved = cfg.monitor.value(record).is_some_and(|v| {
            self.state
                .best
                .update(record.epoch, v, direction, cfg.monitor.threshold)
        });
        if improved {
            self.best_model = Some(self.model.clone());
        }
        improved
    }
}
