//! Adaptive learning rates as training-loop hooks: burn's step, exponential and cosine
//! (with linear warm-up) schedulers stepped once per epoch, and reduce-on-plateau driven by
//! the validation loss.

use burn::lr_scheduler::LrSchedulerConfig;
use burn::lr_scheduler::cosine::CosineAnnealingLrSchedulerConfig;
use burn::lr_scheduler::exponential::ExponentialLrSchedulerConfig;
use burn::lr_scheduler::linear::LinearLrSchedulerConfig;
use burn::lr_scheduler::module_lr_scheduler::ModuleLrScheduler;
use burn::lr_scheduler::sequential::SequentialLrSchedulerConfig;
use burn::lr_scheduler::step::StepLrSchedulerConfig;
use consort_core::{ConsortError, ParamGuard, Result};
use serde::{Deserialize, Serialize};

use consort_core::Direction;

use crate::hooks::{Control, EpochRecord, TrainingHook};
use crate::hooks::{EpochEvents, RateSchedule};
use crate::monitor::{Monitor, PlateauTracker};

/// A learning-rate schedule over epochs (epoch 1 runs at the base rate, except during
/// warm-up).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Schedule {
    /// Multiply by `gamma` every `step_size` epochs: `base * gamma^floor((e - 1) / step_size)`.
    Step {
        /// Epochs between decays.
        step_size: usize,
        /// Decay factor.
        gamma: f64,
    },
    /// Multiply by `gamma` every epoch: `base * gamma^(e - 1)`.
    Exponential {
        /// Decay factor.
        gamma: f64,
    },
    /// Linear warm-up from `base / warmup_epochs` to `base` over the first `warmup_epochs`,
    /// then cosine annealing towards `min_lr`:
    /// `min + (base - min) * (1 + cos(pi * (e - w - 1) / (total - w))) / 2`.
    CosineWithWarmup {
        /// Warm-up epochs (0 or 1: none).
        warmup_epochs: usize,
        /// Epochs of the whole run.
        total_epochs: usize,
        /// The floor of the annealing.
        min_lr: f64,
    },
}

impl Schedule {
    /// The learning rate of 1-based `epoch` from `base`, in closed form.
    pub fn rate(&self, base: f64, epoch: usize) -> f64 {
        let e = epoch.max(1);
        match *self {
            Schedule::Step { step_size, gamma } => {
                base * gamma.powi(((e - 1) / step_size.max(1)) as i32)
            }
            Schedule::Exponential { gamma } => base * gamma.powi((e - 1) as i32),
            Schedule::CosineWithWarmup {
                warmup_epochs: w,
                total_epochs,
                min_lr,
            } => {
                let w = if w <= 1 { 0 } else { w };
                if e <= w {
                    return base * e as f64 / w as f64;
                }
                let t = (e - w - 1) as f64 / (total_epochs - w) as f64;
                min_lr + (base - min_lr) * (1.0 + (std::f64::consts::PI * t).cos()) / 2.0
            }
        }
    }

    /// The hook that applies this schedule from `base` (the training config's rate), built on
    /// burn's schedulers.
    pub fn hook(&self, base: f64) -> Result<ScheduleHook> {
        self.check()?;
        if !(base > 0.0 && base <= 1.0) {
            return Err(ConsortError::config(format!(
                "a scheduled base learning rate must lie in (0, 1], got {base}"
            )));
        }
        let burn_err = |e: String| ConsortError::config(format!("learning-rate schedule: {e}"));
        let scheduler = match *self {
            Schedule::Step { step_size, gamma } => StepLrSchedulerConfig::new(base, step_size)
                .with_gamma(gamma)
                .init(),
            Schedule::Exponential { gamma } => {
                ExponentialLrSchedulerConfig::new(base, gamma).init()
            }
            Schedule::CosineWithWarmup {
                warmup_epochs,
                total_epochs,
                min_lr,
            } => {
                // Warm-up of 0 or 1 epoch is no warm-up (see `rate`).
                let warmup = if warmup_epochs <= 1 { 0 } else { warmup_epochs };
                let cosine = CosineAnnealingLrSchedulerConfig::new(base, total_epochs - warmup)
                    .with_min_lr(min_lr);
                if warmup == 0 {
                    cosine.init()
                } else {
                    SequentialLrSchedulerConfig::new(
                        vec![
                            LrSchedulerConfig::Linear(LinearLrSchedulerConfig::new(
                                base / warmup_epochs as f64,
                                base,
                                warmup_epochs - 1,
                            )),
                            LrSchedulerConfig::Cosine(cosine),
                        ],
                        vec![warmup_epochs],
                    )
                    .init()
                }
            }
        }
        .map_err(burn_err)?;
        Ok(ScheduleHook {
            initial: scheduler.clone(),
            scheduler,
            steps: 0,
        })
    }
}

impl ParamGuard for Schedule {
    fn check(&self) -> Result<()> {
        let ok = match *self {
            Schedule::Step { step_size, gamma } => step_size >= 1 && gamma > 0.0 && gamma <= 1.0,
            Schedule::Exponential { gamma } => gamma > 0.0 && gamma <= 1.0,
            Schedule::CosineWithWarmup {
                warmup_epochs,
                total_epochs,
                min_lr,
            } => total_epochs > warmup_epochs && min_lr >= 0.0 && min_lr.is_finite(),
        };
        if ok {
            Ok(())
        } else {
            Err(ConsortError::config(format!(
                "invalid learning-rate schedule {self:?}"
            )))
        }
    }
}

/// A [`Schedule`] running as a [`TrainingHook`]: burn's scheduler, stepped once per epoch.
/// Its checkpointed state is the number of steps taken (burn's schedulers are pure functions
/// of it), replayed on resume.
#[derive(Clone)]
pub struct ScheduleHook {
    scheduler: ModuleLrScheduler,
    /// A fresh copy, to replay `steps` from on resume.
    initial: ModuleLrScheduler,
    steps: usize,
}

impl<M, I> TrainingHook<M, I> for ScheduleHook {
    fn name(&self) -> &str {
        "schedule"
    }

    fn state(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!(self.steps))
    }

    fn load_state(&mut self, state: serde_json::Value) -> Result<()> {
        let steps: usize = serde_json::from_value(state)?;
        self.scheduler = self.initial.clone();
        for _ in 0..steps {
            self.scheduler.step();
        }
        self.steps = steps;
        Ok(())
    }

    fn rate_schedule(&mut self) -> Option<&mut dyn RateSchedule> {
        Some(self)
    }
}

impl RateSchedule for ScheduleHook {
    fn learning_rate(&mut self, _epoch: usize, _lr: f64) -> f64 {
        self.steps += 1;
        self.scheduler.step().base()
    }
}

/// Divides the learning rate by `1 / factor` when the validation loss has not improved for
/// `patience` epochs, then waits `cooldown` epochs before watching again; never below
/// `min_lr` (PyTorch's `ReduceLROnPlateau`, mode "min", relative threshold).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReduceOnPlateau {
    /// Multiplier applied on a plateau, in (0, 1).
    pub factor: f64,
    /// Epochs without improvement tolerated before reducing.
    pub patience: usize,
    /// Epochs after a reduction during which plateaus are not counted.
    pub cooldown: usize,
    /// The floor of the learning rate.
    pub min_lr: f64,
    /// Relative improvement needed to count as better (1e-4: 0.01%).
    pub threshold: f64,
    #[serde(skip)]
    state: PlateauState,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct PlateauState {
    lr: Option<f64>,
    epochs: usize,
    tracker: PlateauTracker,
    cooldown_left: usize,
}

impl Default for ReduceOnPlateau {
    fn default() -> Self {
        Self::new(0.1, 10)
    }
}

impl ParamGuard for ReduceOnPlateau {
    fn check(&self) -> Result<()> {
        if !(self.factor > 0.0 && self.factor < 1.0) {
            return Err(ConsortError::config(format!(
                "plateau factor must lie in (0, 1), got {}",
                self.factor
            )));
        }
        if !(self.min_lr >= 0.0 && self.min_lr.is_finite() && self.threshold >= 0.0) {
            return Err(ConsortError::config("min_lr and threshold must be >= 0"));
        }
        Ok(())
    }
}

impl ReduceOnPlateau {
    /// Reduce by `factor` after `patience` epochs without improvement (no cooldown, no floor,
    /// threshold 1e-4).
    pub fn new(factor: f64, patience: usize) -> Self {
        Self {
            factor,
            patience,
            cooldown: 0,
            min_lr: 0.0,
            threshold: 1e-4,
            state: PlateauState::default(),
        }
    }

    /// Sets the cooldown.
    pub fn with_cooldown(mut self, cooldown: usize) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// Sets the floor.
    pub fn with_min_lr(mut self, min_lr: f64) -> Self {
        self.min_lr = min_lr;
        self
    }

    /// The current learning rate (`None` before the first epoch).
    pub fn current(&self) -> Option<f64> {
        self.state.lr
    }

    /// Records one epoch's metric (lower is better) and returns the learning rate for the
    /// next epoch. `lr` seeds the rate on the first call.
    pub fn step(&mut self, metric: f64, lr: f64) -> f64 {
        let s = &mut self.state;
        let current = *s.lr.get_or_insert(lr);
        s.epochs += 1;
        s.tracker
            .update(s.epochs, metric, Direction::Lower, self.threshold);
        if s.cooldown_left > 0 {
            s.cooldown_left -= 1;
            s.tracker.bad_epochs = 0;
        }
        if s.tracker.bad_epochs > self.patience {
            let reduced = (current * self.factor).max(self.min_lr);
            s.lr = Some(reduced);
            s.cooldown_left = self.cooldown;
            s.tracker.bad_epochs = 0;
        }
        s.lr.unwrap_or(lr)
    }
}

impl<M, I> TrainingHook<M, I> for ReduceOnPlateau {
    fn name(&self) -> &str {
        "reduce-on-plateau"
    }

    fn state(&self) -> Option<serde_json::Value> {
        serde_json::to_value(&self.state).ok()
    }

    fn load_state(&mut self, state: serde_json::Value) -> Result<()> {
        self.state = serde_json::from_value(state)?;
        Ok(())
    }

    fn rate_schedule(&mut self) -> Option<&mut dyn RateSchedule> {
        Some(self)
    }

    fn epoch_events(&mut self) -> Option<&mut dyn EpochEvents<M>> {
        Some(self)
    }
}

impl RateSchedule for ReduceOnPlateau {
    fn learning_rate(&mut self, _epoch: usize, lr: f64) -> f64 {
        *self.state.lr.get_or_insert(lr)
    }
}

impl<M> EpochEvents<M> for ReduceOnPlateau {
    /// Watches the validation loss (the training loss when not validating), by the same
    /// rule as early stopping ([`PlateauTracker`]).
    fn on_epoch_end(&mut self, record: &EpochRecord) -> Control {
        if let Some(metric) = Monitor::valid_loss().value(record) {
            self.step(metric, record.learning_rate);
        }
        Control::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stepped(schedule: &Schedule, base: f64, epochs: usize) -> Vec<f64> {
        let mut hook = schedule.hook(base).unwrap();
        (1..=epochs)
            .map(|e| RateSchedule::learning_rate(&mut hook, e, base))
            .collect()
    }

    fn assert_close(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len());
        for (e, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() < 1e-9, "epoch {}: {g} vs {w}", e + 1);
        }
    }

    #[test]
    fn burn_schedulers_follow_the_closed_forms() {
        for schedule in [
            Schedule::Step {
                step_size: 3,
                gamma: 0.5,
            },
            Schedule::Exponential { gamma: 0.9 },
            Schedule::CosineWithWarmup {
                warmup_epochs: 4,
                total_epochs: 20,
                min_lr: 1e-4,
            },
            Schedule::CosineWithWarmup {
                warmup_epochs: 0,
                total_epochs: 10,
                min_lr: 0.0,
            },
        ] {
            let want: Vec<f64> = (1..=20).map(|e| schedule.rate(0.01, e)).collect();
            assert_close(&stepped(&schedule, 0.01, 20), &want);
        }
        // Spot values of the closed forms themselves.
        let step = Schedule::Step {
            step_size: 3,
            gamma: 0.5,
        };
        assert_eq!(step.rate(0.1, 3), 0.1);
        assert_eq!(step.rate(0.1, 4), 0.05);
        let cosine = Schedule::CosineWithWarmup {
            warmup_epochs: 4,
            total_epochs: 20,
            min_lr: 0.0,
        };
        assert!((cosine.rate(0.1, 2) - 0.05).abs() < 1e-12);
        assert!((cosine.rate(0.1, 5) - 0.1).abs() < 1e-12);
        // Half-way through the annealing the rate is half the base.
        assert!((cosine.rate(0.1, 13) - 0.05).abs() < 1e-12);
    }

    #[test]
    fn plateau_reduces_after_patience_then_cools_down_and_respects_the_floor() {
        let mut p = ReduceOnPlateau::new(0.5, 2)
            .with_cooldown(1)
            .with_min_lr(0.02);
        // Improve twice; three bad epochs (the third exceeds patience: halve); the cooldown
        // absorbs the next; three more bad epochs (halve again); one cooldown epoch and three
        // bad ones (halving would go below the floor: the floor).
        let metrics = [
            1.0, 0.9, 0.9, 0.95, 0.91, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99,
        ];
        let lrs: Vec<f64> = metrics.iter().map(|&m| p.step(m, 0.1)).collect();
        assert_close(
            &lrs,
            &[
                0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.02,
            ],
        );
        let mut q = ReduceOnPlateau::new(0.1, 0).with_min_lr(0.02);
        assert_eq!(q.step(1.0, 0.1), 0.1);
        assert!((q.step(1.0, 0.1) - 0.02).abs() < 1e-12);
        assert!(ParamGuard::check(&ReduceOnPlateau::new(1.5, 1)).is_err());
        assert!(
            Schedule::CosineWithWarmup {
                warmup_epochs: 5,
                total_epochs: 5,
                min_lr: 0.0
            }
            .hook(0.1)
            .is_err()
        );
    }
}
