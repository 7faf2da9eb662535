//! Transfer learning: freezing by parameter path, a new head for a new label set, gradual
//! unfreezing, discriminative learning rates, and linear probes.
//!
//! Parameter paths are burn's module paths: every Consort classifier network ends in `head`
//! (`head.weight`, `head.bias`); the MLP's hidden layers are `hidden.0`, `hidden.1`, ...; the
//! CNN has `conv1`, `conv2`, `dense`; the Transformer `tokens`, `positions`, `encoder.layers.<i>`
//! (with `mha.query`, `mha.key`, `mha.value`, `mha.output` inside each layer).

use crate::hooks::{EpochEvents, RateSchedule};
use burn::lr_scheduler::module_lr_scheduler::{ModuleLearningRate, ModuleLrScheduler};
use burn::module::{Module, ModuleVisitor, Param, ParamGroup};
use burn::tensor::Tensor;
use consort_core::{Classifier, ConsortError, Fit, Matrix, Result};
use consort_data::Dataset;
use consort_models::{
    HEAD_PATH, LogisticRegression, LogisticRegressionConfig, Network, NetworkClassifier,
};
use serde::{Deserialize, Serialize};

use crate::hooks::TrainingHook;

/// Trainable and total parameter counts of a module.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamCount {
    /// Parameters that receive gradients.
    pub trainable: usize,
    /// All parameters (LoRA factors included).
    pub total: usize,
}

impl ParamCount {
    /// Share of the parameters that train.
    pub fn trainable_share(&self) -> f64 {
        self.trainable as f64 / self.total.max(1) as f64
    }
}

#[derive(Default)]
struct Counter(ParamCount);

impl ModuleVisitor for Counter {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let n = param.lazy_shape().num_elements();
        self.0.total += n;
        if param.val().is_require_grad() {
            self.0.trainable += n;
        }
    }
}

/// Counts `model`'s parameters and those that train (on an autodiff device).
pub fn count_parameters<M: Module>(model: &M) -> ParamCount {
    let mut counter = Counter::default();
    model.visit(&mut counter);
    counter.0
}

/// Parameters whose path contains any of `predicates` (`"head"`, `"conv1"`, `"hidden.0"`).
pub fn paths(predicates: &[&str]) -> ParamGroup {
    ParamGroup::from_any_predicates(predicates.to_vec())
}

/// Freezes everything but the head: the classic "frozen backbone + new head" transfer.
pub fn freeze_backbone<M: Module>(model: M) -> M {
    model.freeze().unfreeze_group(paths(&[HEAD_PATH]))
}

/// Freezes the parameters whose path contains any of `predicates` (gradients off, dropout
/// and the like switched to inference).
pub fn freeze_paths<M: Module>(model: M, predicates: &[&str]) -> M {
    model.freeze_group(paths(predicates))
}

/// Visits parameters with their paths, grouping them by the layer (module path) that owns them.
#[derive(Default)]
struct LayerCollector {
    stack: Vec<String>,
    layers: Vec<(String, Vec<String>)>,
}

impl ModuleVisitor for LayerCollector {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.stack.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.stack.pop();
    }

    fn visit_float<const D: usize>(&mut self, _param: &Param<Tensor<D>>) {
        let path = self.stack.join(".");
        // `dense.weight` belongs to `dense`; LoRA factors `dense.weight.lora.a` too.
        let cut = match self.stack.iter().position(|s| s == "lora") {
            Some(i) => i.saturating_sub(1),
            None => self.stack.len().saturating_sub(1),
        };
        let owner = self.stack[..cut].join(".");
        match self.layers.last_mut() {
            Some((last, params)) if *last == owner => params.push(path),
            _ => self.layers.push((owner, vec![path])),
        }
    }
}

fn collect_layers<M: Module>(model: &M) -> Vec<(String, Vec<String>)> {
    let mut collector = LayerCollector::default();
    model.visit(&mut collector);
    collector.layers
}

/// Every parameter's path, in the order burn visits them (the order of any other visitor).
pub(crate) fn param_paths<M: Module>(model: &M) -> Vec<String> {
    collect_layers(model)
        .into_iter()
        .flat_map(|(_, params)| params)
        .collect()
}

/// The model's layers by index: the module paths that own parameters, in the order burn visits
/// them (field order: `["conv1", "conv2", "dense", "head"]` for the CNN, `["hidden.0",
/// "hidden.1", "head"]` for a two-layer MLP).
pub fn layer_paths<M: Module>(model: &M) -> Vec<String> {
    collect_layers(model).into_iter().map(|(l, _)| l).collect()
}

/// The exact parameter paths of the layers at `indices` (see [`layer_paths`]).
fn layer_group<M: Module>(model: &M, indices: std::ops::Range<usize>) -> Result<ParamGroup> {
    let layers = collect_layers(model);
    if indices.is_empty() || indices.end > layers.len() {
        return Err(ConsortError::config(format!(
            "layer indices {indices:?} are not a non-empty range within the model's {} layers \
             ({:?})",
            layers.len(),
            layers.iter().map(|(l, _)| l).collect::<Vec<_>>()
        )));
    }
    Ok(ParamGroup::from_paths(
        layers[indices]
            .iter()
            .flat_map(|(_, p)| p.clone())
            .collect(),
    ))
}

/// Freezes the layers at `indices` of [`layer_paths`] (`0..2`: the first two).
pub fn freeze_layers<M: Module>(model: M, indices: std::ops::Range<usize>) -> Result<M> {
    let group = layer_group(&model, indices)?;
    Ok(model.freeze_group(group))
}

/// Unfreezes the layers at `indices` of [`layer_paths`].
pub fn unfreeze_layers<M: Module>(model: M, indices: std::ops::Range<usize>) -> Result<M> {
    let group = layer_group(&model, indices)?;
    Ok(model.unfreeze_group(group))
}

/// Unfreezes parameter groups one after another as training goes on (ULMFiT's gradual
/// unfreezing): `groups[0]` (the layers nearest the head) before epoch `1 + every`, `groups[1]`
/// before epoch `1 + 2 * every`, ... Start from a model frozen but for its head.
#[derive(Debug, Clone)]
pub struct GradualUnfreezing {
    groups: Vec<Vec<String>>,
    every: usize,
}

impl GradualUnfreezing {
    /// `groups` of path predicates, top (near the head) first; one group every `every` epochs.
    pub fn new(groups: Vec<Vec<String>>, every: usize) -> Result<Self> {
        if every == 0 || groups.is_empty() || groups.iter().any(Vec::is_empty) {
            return Err(ConsortError::config(
                "gradual unfreezing needs non-empty groups and an interval of at least 1 epoch",
            ));
        }
        Ok(Self { groups, every })
    }
}

impl<M: Module, I> TrainingHook<M, I> for GradualUnfreezing {
    fn name(&self) -> &str {
        "gradual-unfreezing"
    }

    fn epoch_events(&mut self) -> Option<&mut dyn EpochEvents<M>> {
        Some(self)
    }
}

impl<M: Module> EpochEvents<M> for GradualUnfreezing {
    fn before_epoch(&mut self, epoch: usize, model: M) -> M {
        if epoch > 1 && (epoch - 1).is_multiple_of(self.every) {
            let k = (epoch - 1) / self.every - 1;
            if let Some(group) = self.groups.get(k) {
                let predicates: Vec<&str> = group.iter().map(String::as_str).collect();
                return model.unfreeze_group(paths(&predicates));
            }
        }
        model
    }
}

/// Discriminative learning rates: parameters matching each group's predicates train at
/// `factor` times the loop's rate (e.g. 0.1 for the backbone, 1 for the head). Later groups
/// win where groups overlap; unmatched parameters use the loop's rate.
#[derive(Debug, Clone)]
pub struct DiscriminativeLr {
    groups: Vec<(Vec<String>, f64)>,
}

impl DiscriminativeLr {
    /// `(path predicates, factor)` pairs; factors must be positive.
    pub fn new(groups: Vec<(Vec<String>, f64)>) -> Result<Self> {
        if groups
            .iter()
            .any(|(p, f)| p.is_empty() || !(*f > 0.0 && f.is_finite()))
        {
            return Err(ConsortError::config(
                "discriminative learning rates need path predicates and positive factors",
            ));
        }
        Ok(Self { groups })
    }
}

impl<M, I> TrainingHook<M, I> for DiscriminativeLr {
    fn rate_schedule(&mut self) -> Option<&mut dyn RateSchedule> {
        Some(self)
    }
}

impl RateSchedule for DiscriminativeLr {
    fn module_learning_rate(&mut self, lr: f64) -> Option<ModuleLearningRate> {
        let mut scheduler = ModuleLrScheduler::new(lr);
        for (predicates, factor) in &self.groups {
            let predicates: Vec<&str> = predicates.iter().map(String::as_str).collect();
            scheduler = scheduler.with_group(paths(&predicates), lr * factor);
        }
        Some(scheduler.step())
    }
}

/// A linear probe: a trained network's frozen penultimate features feed a logistic
/// regression (a small classical model on top of a large one's representation).
#[derive(Debug)]
pub struct LinearProbe<M: Network> {
    backbone: NetworkClassifier<M>,
    probe: LogisticRegression,
}

impl<M: Network> LinearProbe<M> {
    /// Fits `probe` on `backbone`'s features of `data` (the backbone's own head is ignored,
    /// so `data` may have another label set).
    pub fn fit(
        backbone: NetworkClassifier<M>,
        probe: &LogisticRegressionConfig,
        data: &Dataset,
    ) -> Result<Self> {
        let features = backbone.features(data.features())?;
        let probe = probe.fit(&data.with_features(features)?)?;
        Ok(Self { backbone, probe })
    }

    /// The fitted logistic regression.
    pub fn probe(&self) -> &LogisticRegression {
        &self.probe
    }
}

impl<M: Network> Classifier for LinearProbe<M> {
    fn n_classes(&self) -> usize {
        self.probe.n_classes()
    }

    fn n_features(&self) -> usize {
        self.backbone.n_features()
    }

    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        self.probe.predict_proba(&self.backbone.features(x)?)
    }
}
