//! Elastic weight consolidation (Kirkpatrick et al. 2017), and its online form (Schwarz et
//! al. 2018): after each experience, the diagonal of the Fisher information estimates how much
//! each weight mattered to it (the mean squared gradient of the log-likelihood of the true
//! label, per sample, from the model's own gradients); later experiences pay
//! `lambda / 2 * sum_i F_i (theta_i - theta*_i)^2` to move those weights away from where that
//! experience left them.
//!
//! Online EWC keeps one running Fisher, `F <- decay * F + F_new`, anchored at the latest
//! weights (`decay = 1` sums the experiences' Fishers; plain EWC keeps one penalty per
//! experience, which this approximates with a single anchor, as Schwarz et al. do).

use std::collections::HashMap;

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::{Tensor, TensorData, activation};
use consort_core::seed::{derive_seed, rng};
use consort_core::{ConsortError, Result};
use consort_data::Dataset;
use consort_data::batch::labels_to_tensor;
use consort_models::nn::Network;
use rand::seq::SliceRandom;

use crate::hooks::LossTerm;
use crate::hooks::{Batch, TrainingHook};
use consort_models::nn::Forward;

/// EWC's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EwcConfig {
    /// Strength of the penalty.
    pub lambda: f32,
    /// Online EWC's decay of the earlier Fisher (1: every experience counts fully).
    pub decay: f32,
    /// Rows of an experience sampled (seeded) to estimate its Fisher.
    pub samples: usize,
    /// Seed of that sample.
    pub seed: u64,
}

impl Default for EwcConfig {
    /// `lambda` 100, no decay, 200 rows, seed 0.
    fn default() -> Self {
        Self {
            lambda: 100.0,
            decay: 1.0,
            samples: 200,
            seed: 0,
        }
    }
}

impl EwcConfig {
    fn check(&self) -> Result<()> {
        let valid = self.lambda.is_finite()
            && self.lambda >= 0.0
            && (0.0..=1.0).contains(&self.decay)
            && self.samples > 0;
        if !valid {
            return Err(ConsortError::config(
                "EWC needs lambda >= 0, a decay in [0, 1] and samples >= 1",
            ));
        }
        Ok(())
    }
}

/// A weight's anchor and Fisher diagonal, flattened.
#[derive(Debug, Clone)]
struct Consolidated {
    anchor: Vec<f32>,
    fisher: Vec<f32>,
}

/// The running consolidation of the experiences seen so far.
#[derive(Debug, Clone)]
pub struct ElasticWeightConsolidation {
    config: EwcConfig,
    weights: HashMap<ParamId, Consolidated>,
    experiences: usize,
}

/// Every float parameter's id and values, flattened.
struct Values(Vec<(ParamId, Vec<f32>)>);

impl ModuleVisitor for Values {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Ok(v) = param
            .val()
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
        {
            self.0.push((param.id, v));
        }
    }
}

/// Squared gradients of one backward pass, added to a running sum per parameter.
struct SquaredGrads<'a> {
    grads: &'a GradientsParams,
    sums: &'a mut HashMap<ParamId, Vec<f32>>,
}

impl ModuleVisitor for SquaredGrads<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let Some(g) = self.grads.get::<D>(param.id) else {
            return;
        };
        let Ok(g) = g.into_data().convert::<f32>().try_into_vec::<f32>() else {
            return;
        };
        let sum = self
            .sums
            .entry(param.id)
            .or_insert_with(|| vec![0.0; g.len()]);
        for (s, v) in sum.iter_mut().zip(g) {
            *s += v * v;
        }
    }
}

/// The penalty `sum F (theta - theta*)^2` over the parameters with a consolidation.
struct Penalty<'a> {
    weights: &'a HashMap<ParamId, Consolidated>,
    total: Option<Tensor<1>>,
}

impl ModuleVisitor for Penalty<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let Some(c) = self.weights.get(&param.id) else {
            return;
        };
        let theta = param.val();
        let device = theta.device();
        let n = c.anchor.len();
        let theta: Tensor<1> = theta.reshape([n]);
        let anchor = Tensor::<1>::from_data(TensorData::new(c.anchor.clone(), [n]), &device);
        let fisher = Tensor::<1>::from_data(TensorData::new(c.fisher.clone(), [n]), &device);
        let term = (fisher * (theta - anchor).powf_scalar(2.0)).sum();
        self.total = Some(match self.total.take() {
            Some(t) => t + term,
            None => term,
        });
    }
}

impl ElasticWeightConsolidation {
    /// Nothing consolidated yet.
    pub fn new(config: EwcConfig) -> Result<Self> {
        config.check()?;
        Ok(Self {
            config,
            weights: HashMap::new(),
            experiences: 0,
        })
    }

    /// After training on `rows`: estimates the Fisher diagonal of `model` (on the autodiff
    /// device) from a seeded sample of them, one sample per backward pass, and folds it in,
    /// anchored at the current weights.
    pub fn consolidate<M: Network + Module>(&mut self, model: &M, rows: &Dataset) -> Result<()> {
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.shuffle(&mut rng(derive_seed(
            self.config.seed,
            &format!("fisher{}", self.experiences),
        )));
        order.truncate(self.config.samples);
        let mut sums: HashMap<ParamId, Vec<f32>> = HashMap::new();
        let mut values = Values(Vec::new());
        model.visit(&mut values);
        let device = values_device(model);
        for &i in &order {
            let x = Tensor::<2>::from_data(
                TensorData::new(rows.features().row(i).to_vec(), [1, rows.n_features()]),
                &device,
            );
            let y = labels_to_tensor(rows.labels(), &[i], &device);
            let logits = model.forward(x).logits;
            let log_p = activation::log_softmax(logits, 1).gather(1, y.reshape([1, 1]));
            let grads = GradientsParams::from_grads((-log_p.sum()).backward(), model);
            model.visit(&mut SquaredGrads {
                grads: &grads,
                sums: &mut sums,
            });
        }
        let n = order.len().max(1) as f32;
        for (id, anchor) in values.0 {
            let fresh = sums.remove(&id).unwrap_or_else(|| vec![0.0; anchor.len()]);
            let fisher: Vec<f32> = match self.weights.get(&id) {
                Some(old) => old
                    .fisher
                    .iter()
                    .zip(&fresh)
                    .map(|(o, f)| self.config.decay * o + f / n)
                    .collect(),
                None => fresh.iter().map(|f| f / n).collect(),
            };
            self.weights.insert(id, Consolidated { anchor, fisher });
        }
        self.experiences += 1;
        Ok(())
    }
}

/// The device of a module's first float parameter.
fn values_device<M: Module>(model: &M) -> burn::tensor::Device {
    struct First(Option<burn::tensor::Device>);
    impl ModuleVisitor for First {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if self.0.is_none() {
                self.0 = Some(param.val().device());
            }
        }
    }
    let mut first = First(None);
    model.visit(&mut first);
    first.0.unwrap_or_default()
}

impl<M: Module> TrainingHook<M> for ElasticWeightConsolidation {
    fn name(&self) -> &str {
        "ewc"
    }

    fn loss_term(&mut self) -> Option<&mut dyn LossTerm<M>> {
        Some(self)
    }
}

impl<M: Module> LossTerm<M> for ElasticWeightConsolidation {
    fn extra_loss(&mut self, model: &M, _batch: &Batch, _forward: &Forward) -> Option<Tensor<1>> {
        if self.weights.is_empty() || self.config.lambda == 0.0 {
            return None;
        }
        let mut penalty = Penalty {
            weights: &self.weights,
            total: None,
        };
        model.visit(&mut penalty);
        penalty.total.map(|t| t * (self.config.lambda / 2.0))
    }
}
