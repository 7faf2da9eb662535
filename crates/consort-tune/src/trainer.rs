//! The training loop.

use std::time::Instant;

use burn::grad_clipping::GradientClippingConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::Device;
use consort_core::seed::{derive_seed, seeded};
use consort_core::{ConsortError, ParamGuard, Result};
use consort_data::Dataset;
use consort_data::batch::{batch_indices, rows_to_tensor};
use consort_models::Network;

use crate::config::TrainConfig;
use crate::early_stopping::{EarlyStopping, StopDecision};
use crate::hooks::{Batch, Control, EpochRecord, TrainingHook};
use crate::objective::Objective;

/// The result of a training run.
#[derive(Debug)]
pub struct TrainOutcome<M> {
    /// The trained network (the best validated weights when validating), still in training
    /// mode on the autodiff device.
    pub model: M,
    /// One record per epoch run.
    pub history: Vec<EpochRecord>,
    /// The epoch whose weights were kept (1-based).
    pub best_epoch: usize,
    /// Whether early stopping or a hook ended training before the last epoch.
    pub stopped_early: bool,
}

/// Runs epochs of mini-batch Adam over a [`Network`], with validation, early stopping,
/// progress output and [`TrainingHook`]s.
#[derive(Debug, Clone)]
pub struct Trainer {
    config: TrainConfig,
    label: String,
}

impl Trainer {
    /// A trainer with the given hyperparameters (validated by [`Trainer::fit`]).
    pub fn new(config: TrainConfig) -> Self {
        Self {
            config,
            label: "train".into(),
        }
    }

    /// Names the run in progress output.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// The hyperparameters.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Trains `model` (initialised on `device`, an autodiff device) to minimise `objective`
    /// over `train`, validating on `valid` after every epoch when given.
    pub fn fit<M: Network, O: Objective>(
        &self,
        mut model: M,
        device: &Device,
        train: &O,
        valid: Option<&O>,
        hooks: &mut [&mut dyn TrainingHook<M>],
    ) -> Result<TrainOutcome<M>> {
        let cfg = &self.config;
        cfg.check()?;
        if !device.is_autodiff() {
            return Err(ConsortError::Backend(
                "training needs an autodiff device (`device.autodiff()`)".into(),
            ));
        }
        train.ensure_trainable()?;
        model.check_input(train.features())?;
        for hook in hooks.iter() {
            hook.check(train.len(), train.n_outputs())?;
        }
        if let Some(v) = valid {
            if v.is_empty() {
                return Err(ConsortError::EmptyDataset("validation set is empty".into()));
            }
            train.check_compatible(v)?;
            model.check_input(v.features())?;
        }

        let mut optim_config = AdamConfig::new();
        if cfg.weight_decay > 0.0 {
            optim_config =
                optim_config.with_weight_decay(Some(WeightDecayConfig::new(cfg.weight_decay)));
        }
        if let Some(norm) = cfg.grad_clip_norm {
            optim_config =
                optim_config.with_grad_clipping(Some(GradientClippingConfig::Norm(norm)));
        }
        let mut optim = optim_config.init();

        let mut stopper = cfg.patience.map(|p| EarlyStopping::new(p, 1e-4));
        let mut best: Option<(M, usize, f64)> = None;
        let mut history = Vec::with_capacity(cfg.epochs);
        let mut stopped_early = false;

        for epoch in 1..=cfg.epochs {
            let start = Instant::now();
            let lr = hooks
                .iter_mut()
                .fold(cfg.learning_rate, |lr, h| h.learning_rate(epoch, lr));
            let module_lr = hooks
                .iter_mut()
                .filter_map(|h| h.module_learning_rate(lr))
                .last()
                .unwrap_or_else(|| lr.into());
            for hook in hooks.iter_mut() {
                model = hook.before_epoch(epoch, model);
            }
            let task_weight: f32 = hooks.iter().map(|h| h.task_loss_weight()).product();
            let mut loss_sum = 0.0;
            let batches = batch_indices(
                train.len(),
                cfg.batch_size,
                Some(derive_seed(cfg.seed, &format!("epoch{epoch}"))),
            );
            let n_batches = batches.len();
            for (step, indices) in batches.into_iter().enumerate() {
                let batch = Batch {
                    inputs: rows_to_tensor(train.features(), &indices, device),
                    targets: train.targets(&indices, device),
                    indices,
                };
                // Dropout masks (and any other draw in the forward pass or a hook's loss) come
                // from the backend's one RNG: seeding it per batch, under the lock, makes them a
                // function of (seed, epoch, batch) alone, whatever else runs on other threads,
                // and the same in a run resumed from a checkpoint.
                let batch_seed = derive_seed(cfg.seed, &format!("epoch{epoch}.batch{step}"));
                let loss = seeded(device, batch_seed, || {
                    let logits = model.logits(batch.inputs.clone());
                    let mut loss = train.loss(logits.clone(), batch.targets.clone()) * task_weight;
                    for hook in hooks.iter_mut() {
                        if let Some(extra) = hook.extra_loss(&model, &batch, &logits) {
                            loss = loss + extra;
                        }
                    }
                    loss
                });
                let value = f64::from(loss.clone().into_scalar::<f32>());
                if !value.is_finite() {
                    return Err(ConsortError::NonFinite(format!(
                        "training loss at epoch {epoch} (lower the learning rate?)"
                    )));
                }
                loss_sum += value;
                let grads = GradientsParams::from_grads(loss.backward(), &model);
                model = optim.step(module_lr.clone(), model, grads);
            }

            let (valid_loss, valid_score) = match valid {
                Some(v) => {
                    let e = v.evaluate(&model, device)?;
                    (Some(e.loss), Some(e.score))
                }
                None => (None, None),
            };
            let record = EpochRecord {
                epoch,
                train_loss: loss_sum / n_batches as f64,
                valid_loss,
                valid_score,
                learning_rate: lr,
                seconds: start.elapsed().as_secs_f64(),
            };
            if cfg.progress {
                eprintln!("{}", self.progress_line(&record, O::SCORE_NAME));
            }
            let mut stop = false;
            if let Some(vl) = valid_loss {
                let improved = match stopper.as_mut() {
                    Some(s) => match s.update(epoch, vl) {
                        StopDecision::Improved => true,
                        StopDecision::Wait => false,
                        StopDecision::Stop => {
                            stop = true;
                            false
                        }
                    },
                    None => best.as_ref().is_none_or(|(_, _, b)| vl < *b),
                };
                if improved {
                    best = Some((model.clone(), epoch, vl));
                }
            }
            for hook in hooks.iter_mut() {
                if hook.on_epoch_end(&record) == Control::Stop {
                    stop = true;
                }
            }
            history.push(record);
            if stop {
                stopped_early = epoch < cfg.epochs;
                break;
            }
        }

        let last_epoch = history.len();
        let (model, best_epoch) = match best {
            Some((m, e, _)) => (m, e),
            None => (model, last_epoch),
        };
        if cfg.progress && best_epoch != last_epoch {
            eprintln!(
                "[{}] restored the weights of epoch {best_epoch}",
                self.label
            );
        }
        Ok(TrainOutcome {
            model,
            history,
            best_epoch,
            stopped_early,
        })
    }

    fn progress_line(&self, r: &EpochRecord, score_name: &str) -> String {
        let mut line = format!(
            "[{}] epoch {:>3}/{} loss {:.4}",
            self.label, r.epoch, self.config.epochs, r.train_loss
        );
        if let (Some(l), Some(a)) = (r.valid_loss, r.valid_score) {
            line.push_str(&format!(" val_loss {l:.4} val_{score_name} {a:.4}"));
        }
        line.push_str(&format!(" lr {:.2e} ({:.2}s)", r.learning_rate, r.seconds));
        line
    }
}

/// Mean cross-entropy and accuracy of `model` on `data`, in inference mode: the
/// classification case of [`Objective::evaluate`].
pub fn evaluate<M: Network>(model: &M, device: &Device, data: &Dataset) -> Result<(f64, f64)> {
    let e = data.evaluate(model, device)?;
    Ok((e.loss, e.score))
}
