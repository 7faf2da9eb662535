//! A learned cascade router: a small policy reads the cheap model's class probabilities and
//! decides per input whether its answer stands (action 0) or the large model is called
//! (action 1). Reward: 1 for a correct final answer, minus `call_cost` per large-model call.
//! Each input is a one-step episode (a contextual bandit), trained by policy gradient with
//! the value head as the baseline, on held-out rows where both models' answers are known.
//!
//! [`matched_accuracy`] compares any two routing scores at the same number of large-model
//! calls: the rows each ranks highest go to the large model.

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use consort_core::seed::{derive_seed, rng};
use consort_core::{BackendKind, ConsortError, Matrix, ParamGuard, Result};
use consort_tune::OptimizerConfig;
use rand::seq::SliceRandom;

use crate::policy::{
    ActorCritic, ActorCriticConfig, actions_tensor, log_prob_and_entropy, observations_tensor,
    sample, softmax_row, to_vec,
};

/// The router's training settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RouterConfig {
    /// Reward lost per large-model call.
    pub call_cost: f64,
    /// Passes over the training rows.
    pub epochs: usize,
    /// Rows per policy-gradient step.
    pub batch_size: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Weight of the entropy bonus (keeps both actions tried early on).
    pub ent_coef: f64,
    /// Hidden widths of the policy.
    pub hidden: Vec<usize>,
    /// Seed of initialisation, batches and action draws.
    pub seed: u64,
}

impl Default for RouterConfig {
    /// Cost 0.1 per call, 300 epochs of batches of 64, lr 3e-3, entropy 0.01, one hidden
    /// layer of 32.
    fn default() -> Self {
        Self {
            call_cost: 0.1,
            epochs: 300,
            batch_size: 64,
            learning_rate: 3e-3,
            ent_coef: 0.01,
            hidden: vec![32],
            seed: 0,
        }
    }
}

impl ParamGuard for RouterConfig {
    fn check(&self) -> Result<()> {
        if !(self.call_cost.is_finite() && self.call_cost >= 0.0) {
            return Err(ConsortError::config("call_cost must be >= 0"));
        }
        if self.epochs == 0 || self.batch_size == 0 {
            return Err(ConsortError::config(
                "the router needs epochs and batch_size >= 1",
            ));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(ConsortError::config(
                "the router's learning rate must be positive",
            ));
        }
        Ok(())
    }
}

/// What the router sees of one input: the cheap model's probabilities sorted in decreasing
/// order, their entropy, and the cheap model's predicted class one-hot (some classes are
/// harder for it than others).
pub fn router_features(proba: &[f32]) -> Vec<f32> {
    let mut sorted = proba.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let entropy: f32 = proba
        .iter()
        .filter(|&&p| p > 0.0)
        .map(|&p| -p * p.ln())
        .sum();
    let predicted = crate::policy::greedy(proba);
    let mut out = sorted;
    out.push(entropy);
    out.extend((0..proba.len()).map(|c| if c == predicted { 1.0 } else { 0.0 }));
    out
}

/// A trained router.
#[derive(Debug)]
pub struct LearnedRouter {
    policy: ActorCritic,
    device: Device,
    n_classes: usize,
}

impl LearnedRouter {
    /// Trains a router on held-out rows: the cheap model's probabilities and whether each
    /// model answered each row correctly.
    pub fn fit(
        cheap_proba: &Matrix,
        cheap_correct: &[bool],
        large_correct: &[bool],
        config: &RouterConfig,
    ) -> Result<Self> {
        config.check()?;
        let n = cheap_proba.rows();
        if n == 0 {
            return Err(ConsortError::EmptyDataset(
                "no rows to train the router on".into(),
            ));
        }
        if cheap_correct.len() != n || large_correct.len() != n {
            return Err(ConsortError::ShapeMismatch(format!(
                "{n} probability rows, {} and {} correctness flags",
                cheap_correct.len(),
                large_correct.len()
            )));
        }
        let features: Vec<Vec<f32>> = cheap_proba.iter_rows().map(router_features).collect();
        let device = BackendKind::chosen(None)?.device()?;
        let train_device = device.clone().autodiff();
        let mut model = ActorCriticConfig::new(features[0].len(), 2)
            .with_hidden(config.hidden.clone())
            .init(&train_device, derive_seed(config.seed, "router-init"))?;
        let mut optim = OptimizerConfig::Adam.init(0.0, Some(1.0))?;
        let mut order: Vec<usize> = (0..n).collect();
        let mut batch_rng = rng(derive_seed(config.seed, "router-batches"));
        let mut action_rng = rng(derive_seed(config.seed, "router-actions"));
        for _ in 0..config.epochs {
            order.shuffle(&mut batch_rng);
            for chunk in order.chunks(config.batch_size) {
                let rows: Vec<Vec<f32>> = chunk.iter().map(|&i| features[i].clone()).collect();
                let x = observations_tensor(&rows, &train_device);
                let logits = model.logits(x.clone());
                let probs = to_vec(logits.clone())?;
                let mut actions = Vec::with_capacity(chunk.len());
                let mut rewards = Vec::with_capacity(chunk.len());
                for (row, &i) in probs.chunks(2).zip(chunk) {
                    let a = sample(&softmax_row(row), &mut action_rng);
                    let correct = if a == 1 {
                        large_correct[i]
                    } else {
                        cheap_correct[i]
                    };
                    rewards.push(
                        f32::from(u8::from(correct))
                            - if a == 1 { config.call_cost as f32 } else { 0.0 },
                    );
                    actions.push(a);
                }
                let m = chunk.len();
                let values = model.values(x);
                let v_host = to_vec(values.clone())?;
                let adv: Vec<f32> = rewards.iter().zip(&v_host).map(|(r, v)| r - v).collect();
                let adv = Tensor::<1>::from_data(TensorData::new(adv, [m]), &train_device);
                let r = Tensor::<1>::from_data(TensorData::new(rewards, [m]), &train_device);
                let (log_p, entropy) =
                    log_prob_and_entropy(logits, actions_tensor(&actions, &train_device));
                let loss = (log_p * adv).mean().neg() + (values - r).powi_scalar(2).mean() * 0.5
                    - entropy.mean() * config.ent_coef;
                let grads = GradientsParams::from_grads(loss.backward(), &model);
                model = optim.step(config.learning_rate, model, grads);
            }
        }
        Ok(Self {
            policy: model.valid(),
            device,
            n_classes: cheap_proba.cols(),
        })
    }

    /// The probability that the router calls the large model, per row of the cheap model's
    /// probabilities.
    pub fn call_probability(&self, cheap_proba: &Matrix) -> Result<Vec<f32>> {
        if cheap_proba.cols() != self.n_classes {
            return Err(ConsortError::ShapeMismatch(format!(
                "the router reads {} class probabilities, got {}",
                self.n_classes,
                cheap_proba.cols()
            )));
        }
        if cheap_proba.rows() == 0 {
            return Ok(Vec::new());
        }
        let rows: Vec<Vec<f32>> = cheap_proba.iter_rows().map(router_features).collect();
        let logits = to_vec(self.policy.logits(observations_tensor(&rows, &self.device)))?;
        Ok(logits.chunks(2).map(|l| softmax_row(l)[1] as f32).collect())
    }

    /// The router's own decisions: call the large model where it is more likely than not to.
    pub fn decide(&self, cheap_proba: &Matrix) -> Result<Vec<bool>> {
        Ok(self
            .call_probability(cheap_proba)?
            .into_iter()
            .map(|p| p > 0.5)
            .collect())
    }
}

/// Accuracy when the `calls` rows with the highest `call_score` go to the large model and the
/// rest keep the cheap model's answer (ties broken by row order).
pub fn matched_accuracy(
    call_score: &[f32],
    calls: usize,
    cheap_correct: &[bool],
    large_correct: &[bool],
) -> f64 {
    let n = call_score.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| call_score[b].total_cmp(&call_score[a]).then(a.cmp(&b)));
    let mut called = vec![false; n];
    for &i in order.iter().take(calls) {
        called[i] = true;
    }
    let correct = (0..n)
        .filter(|&i| {
            if called[i] {
                large_correct[i]
            } else {
                cheap_correct[i]
            }
        })
        .count();
    correct as f64 / n.max(1) as f64
}
