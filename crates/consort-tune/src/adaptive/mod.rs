//! Adaptive learning: a controller inside the one training loop that measures the model on
//! its validation rows every epoch, follows the trend of those measures ([`trend`]) and
//! changes the learning strategy ([`stage`]) when the trend calls for it ([`config`] holds
//! the thresholds and the measure followed).
//!
//! With `probe_epochs` set, the run opens with a short probe of every stage from the same
//! starting weights, each with a fresh optimiser as a run of its own would have; the stage
//! whose probe reached the best validation score continues from its probe's best weights,
//! again with a fresh optimiser (the moments held then are the last probe's), ties going to
//! the stage that trains fewer parameters. Then:
//!
//! | trend | action |
//! |---|---|
//! | plateau | train more of the network: the next [`Stage`] (head only → upper layers → all), from the best weights; at the last stage, halve the learning rate (at most `max_lr_decays` times) |
//! | overfitting (validation loss up, training loss down) | roll back to the best weights; turn the configured augmentation on (first time), then raise the L2-SP regularisation towards the starting weights, then halve the rate |
//! | degradation (score far below its best) | roll back to the best weights and halve the learning rate |
//!
//! Every switch is logged with its epoch, the trend and the reason ([`Switch`]), for reports.
//! The loop's own best-epoch restoration keeps the best validated weights whatever the last
//! strategy did, so trying more capacity costs nothing but epochs.
//!
//! The controller's state (stage, rate, regularisation, detector, best and starting weights)
//! is saved in checkpoints, so a resumed run switches as the uninterrupted one would.

mod actions;
pub mod config;
pub mod stage;
pub mod trend;

use std::sync::{Arc, Mutex, MutexGuard};

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;
use consort_core::{EpochRecord, ParamGuard, Result};
use consort_models::Forward;
use serde::{Deserialize, Serialize};

use crate::augment::Augment;
use crate::averaging::weights::{
    parameter_values, tensors_to_vecs, vecs_to_tensors, with_parameter_values,
};
use crate::hooks::{Batch, Control, TrainingHook};
use crate::hooks::{BatchTransform, EpochEvents, LossTerm, RateSchedule};
pub use config::{AdaptiveConfig, Signal};
pub use stage::Stage;
pub use trend::{Trend, TrendConfig, TrendDetector};

/// One change of strategy, for logs and reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Switch {
    /// The epoch whose measures triggered it (the change applies from the next epoch).
    pub epoch: usize,
    /// The trend seen.
    pub trend: Trend,
    /// What was done and why, in words.
    pub reason: String,
    /// The stage in force after the switch.
    pub stage: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct ControllerState {
    stage: usize,
    lr_scale: f64,
    lr_decays: usize,
    l2sp_level: usize,
    detector: TrendDetector,
    best: Option<Vec<Vec<f32>>>,
    anchor: Option<Vec<Vec<f32>>>,
    /// Changes to apply before the next epoch.
    apply_stage: bool,
    roll_back: bool,
    switches: Vec<Switch>,
    /// The stage being probed, while the opening probe runs.
    probe: Option<usize>,
    /// Each probed stage's best score and weights.
    probe_best: Vec<Option<(f64, Vec<Vec<f32>>)>>,
    /// Start the next epoch from the starting weights (a new probe).
    restore_start: bool,
    /// Whether the configured augmentation is on.
    #[serde(default)]
    augmenting: bool,
    /// Start the optimiser afresh before the next epoch.
    #[serde(default)]
    fresh_optimizer: bool,
    #[serde(skip)]
    last: Option<Vec<Vec<f32>>>,
}

/// The adaptive controller, a [`TrainingHook`]. Start the run from the model as the first
/// stage wants it (the controller applies it before epoch 1). Clones share the switch log,
/// so the caller keeps one to read [`AdaptiveController::switches`] after the fit.
#[derive(Debug, Clone)]
pub struct AdaptiveController {
    config: AdaptiveConfig,
    state: Arc<Mutex<ControllerState>>,
    /// The starting weights on the training device, built once per run from `anchor`.
    anchor_tensors: Option<Vec<Tensor<1>>>,
}

impl AdaptiveController {
    /// A checked controller.
    pub fn new(config: AdaptiveConfig) -> Result<Self> {
        config.check()?;
        Ok(Self {
            config,
            state: Arc::default(),
            anchor_tensors: None,
        })
    }

    fn lock(&self) -> MutexGuard<'_, ControllerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The switches made so far, in order.
    pub fn switches(&self) -> Vec<Switch> {
        self.lock().switches.clone()
    }

    /// The stage in force.
    pub fn stage(&self) -> Stage {
        self.config.stages[self.lock().stage].clone()
    }

    fn l2sp(&self, state: &ControllerState) -> f64 {
        self.config.l2sp[state.l2sp_level.min(self.config.l2sp.len() - 1)]
    }

    /// Book-keeping of the opening probe at the end of an epoch of stage `i`'s probe.
    fn probe_epoch_end(&self, state: &mut ControllerState, i: usize, record: &EpochRecord) {
        if let Some(score) = record.valid_score
            && state.probe_best[i]
                .as_ref()
                .is_none_or(|(best, _)| score > *best)
            && let Some(weights) = state.last.take()
        {
            state.probe_best[i] = Some((score, weights));
        }
        let k = self.config.probe_epochs;
        if record.epoch < (i + 1) * k {
            return;
        }
        if i + 1 < self.config.stages.len() {
            state.probe = Some(i + 1);
            state.stage = i + 1;
            state.restore_start = true;
            state.apply_stage = true;
            // Each probe is a run of its own from the starting weights, as a fixed strategy
            // would be: the previous probe's moments must not push it.
            state.fresh_optimizer = true;
            return;
        }
        // Every stage probed: the best score wins, the earliest (fewest parameters) on ties.
        state.probe = None;
        let mut chosen = 0;
        for (s, probe) in state.probe_best.iter().enumerate() {
            let score = probe.as_ref().map_or(f64::NEG_INFINITY, |p| p.0);
            let best = state.probe_best[chosen]
                .as_ref()
                .map_or(f64::NEG_INFINITY, |p| p.0);
            if score > best {
                chosen = s;
            }
        }
        let summary: Vec<String> = self
            .config
            .stages
            .iter()
            .zip(&state.probe_best)
            .map(|(stage, p)| {
                let score = p.as_ref().map_or(f64::NAN, |p| p.0);
                format!("{} {:.4}", stage.name, self.config.signal.display(score))
            })
            .collect();
        state.stage = chosen;
        state.apply_stage = true;
        if let Some((score, weights)) = state.probe_best[chosen].clone() {
            state.best = Some(weights);
            state.roll_back = true;
            state.detector.reset_to(score);
            // The moments in the optimiser are the last probe's, gathered on another
            // trajectory (over 10 seeds of the digits scenarios, keeping them cost 0.4 points
            // of mean accuracy against starting afresh here).
            state.fresh_optimizer = true;
        }
        let stage = self.config.stages[chosen].name.clone();
        state.switches.push(Switch {
            epoch: record.epoch,
            trend: Trend::Steady,
            reason: format!(
                "probe of {k} epochs per stage (best {}: {}); continue with {stage}",
                self.config.signal.name(),
                summary.join(", ")
            ),
            stage,
        });
    }
}

/// `sum (w - w0)^2` over the float parameters, in visit order against `anchor`.
struct SquaredDistance<'a> {
    anchor: &'a [Tensor<1>],
    index: usize,
    total: Option<Tensor<1>>,
}

impl ModuleVisitor for SquaredDistance<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let Some(anchor) = self.anchor.get(self.index) else {
            return;
        };
        self.index += 1;
        let value = param.val();
        if !value.is_require_grad() {
            return;
        }
        let n = value.shape().num_elements();
        let term = (value.reshape([n]) - anchor.clone()).powi_scalar(2).sum();
        self.total = Some(match self.total.take() {
            Some(t) => t + term,
            None => term,
        });
    }
}

impl<M: Module, I: Augment> TrainingHook<M, I> for AdaptiveController {
    fn name(&self) -> &str {
        "adaptive-controller"
    }

    fn check(&self, _n_rows: usize, _n_outputs: usize) -> Result<()> {
        let probing = self.config.probe_epochs > 0 && self.config.stages.len() > 1;
        *self.lock() = ControllerState {
            lr_scale: 1.0,
            detector: TrendDetector::new(self.config.trend),
            apply_stage: true,
            probe: probing.then_some(0),
            probe_best: vec![None; self.config.stages.len()],
            ..ControllerState::default()
        };
        Ok(())
    }

    fn state(&self) -> Option<serde_json::Value> {
        serde_json::to_value(&*self.lock()).ok()
    }

    fn load_state(&mut self, state: serde_json::Value) -> Result<()> {
        *self.lock() = serde_json::from_value(state)?;
        self.anchor_tensors = None;
        Ok(())
    }

    fn loss_term(&mut self) -> Option<&mut dyn LossTerm<M, I>> {
        Some(self)
    }

    fn batch_transform(&mut self) -> Option<&mut dyn BatchTransform<I>> {
        Some(self)
    }

    fn rate_schedule(&mut self) -> Option<&mut dyn RateSchedule> {
        Some(self)
    }

    fn epoch_events(&mut self) -> Option<&mut dyn EpochEvents<M>> {
        Some(self)
    }
}

impl<M: Module, I: Augment> LossTerm<M, I> for AdaptiveController {
    fn extra_loss(&mut self, model: &M, _batch: &Batch<I>, forward: &Forward) -> Option<Tensor<1>> {
        let coefficient = self.l2sp(&self.lock());
        if coefficient <= 0.0 {
            return None;
        }
        if self.anchor_tensors.is_none() {
            let anchor = self.lock().anchor.clone();
            let device = forward.logits.device();
            self.anchor_tensors = anchor.map(|a| vecs_to_tensors(a, &device));
        }
        let anchor = self.anchor_tensors.as_deref()?;
        let mut distance = SquaredDistance {
            anchor,
            index: 0,
            total: None,
        };
        model.visit(&mut distance);
        distance.total.map(|t| t * (coefficient / 2.0) as f32)
    }
}

impl<I: Augment> BatchTransform<I> for AdaptiveController {
    fn augment(&mut self, inputs: I) -> I {
        match &self.config.augmentation {
            Some(augmentation) if self.lock().augmenting => inputs.augmented(augmentation),
            _ => inputs,
        }
    }
}

impl RateSchedule for AdaptiveController {
    fn learning_rate(&mut self, _epoch: usize, lr: f64) -> f64 {
        let state = self.lock();
        lr * state.lr_scale * self.config.stages[state.stage].lr_factor
    }
}

impl<M: Module> EpochEvents<M> for AdaptiveController {
    fn before_epoch(&mut self, _epoch: usize, model: M) -> M {
        let mut state = self.lock();
        let mut model = model;
        if state.anchor.is_none() {
            state.anchor = tensors_to_vecs(&parameter_values(&model)).ok();
        }
        let target = if std::mem::take(&mut state.restore_start) {
            state.roll_back = false;
            state.anchor.clone()
        } else if std::mem::take(&mut state.roll_back) {
            state.best.clone()
        } else {
            None
        };
        if let Some(best) = target
            && let Some(device) = parameter_values(&model).first().map(|t| t.device())
        {
            // The layout is the run's own, so replacing cannot fail; keep the weights if it did.
            model = match with_parameter_values(model.clone(), vecs_to_tensors(best, &device)) {
                Ok(restored) => restored,
                Err(_) => model,
            };
            state.apply_stage = true;
        }
        if std::mem::take(&mut state.apply_stage) {
            model = self.config.stages[state.stage].apply(model);
        }
        model
    }

    fn reset_optimizer(&mut self) -> bool {
        std::mem::take(&mut self.lock().fresh_optimizer)
    }

    fn after_epoch(&mut self, _epoch: usize, model: &M) -> Result<()> {
        self.lock().last = Some(tensors_to_vecs(&parameter_values(model))?);
        Ok(())
    }

    fn on_epoch_end(&mut self, record: &EpochRecord) -> Control {
        let mut state = self.lock();
        let mut oriented = record.clone();
        oriented.valid_score = self.config.signal.value(record);
        if let Some(i) = state.probe {
            self.probe_epoch_end(&mut state, i, &oriented);
            return Control::Continue;
        }
        let trend = state.detector.observe(&oriented);
        if trend == Trend::Improving {
            state.best = state.last.take();
        }
        if self.act(&mut state, record.epoch, trend) {
            Control::Continue
        } else {
            Control::Stop
        }
    }
}
