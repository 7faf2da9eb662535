//! Behaviour cloning: demonstrations from a controller (a scripted one, or any function of the
//! observation) and a policy trained to imitate them by cross-entropy on (observation,
//! action) pairs. The cloned policy is what [`crate::ppo`] fine-tunes under a KL penalty.

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use consort_core::seed::{derive_seed, rng};
use consort_core::{BackendKind, ConsortError, Matrix, ParamGuard, Result};
use consort_data::Dataset;
use consort_models::Forward;
use consort_tune::{Batch, LossTerm, Reshuffled, RunOptions, TrainConfig, Trainer, TrainingHook};
use rand::Rng;
use std::sync::Arc;

use crate::env::Environment;
use crate::policy::{ActorCritic, ActorCriticConfig};
use crate::reinforce::Trajectory;

/// A CartPole controller that pushes towards the side the pole leans to, looking `lookahead`
/// seconds ahead with the angular velocity (`lookahead` 0 ignores it and lets the cart drift
/// until the episode fails; about 0.5 balances for the whole episode).
pub fn cartpole_controller(lookahead: f32) -> impl Fn(&[f32]) -> usize {
    move |obs: &[f32]| usize::from(obs[2] + lookahead * obs[3] > 0.0)
}

/// Records `episodes` episodes of `controller` acting in `make_env()`; with probability
/// `noise` each action is replaced by a random one (imperfect demonstrations).
pub fn demonstrations<E: Environment>(
    controller: impl Fn(&[f32]) -> usize,
    make_env: impl Fn() -> E,
    episodes: usize,
    noise: f64,
    seed: u64,
) -> Result<Vec<Trajectory>> {
    let mut r = rng(seed);
    (0..episodes)
        .map(|e| {
            let mut env = make_env();
            let mut obs = env.reset(Some(derive_seed(seed, &format!("demo{e}"))));
            let mut t = Trajectory::default();
            loop {
                let mut a = controller(&obs);
                if r.random::<f64>() < noise {
                    a = r.random_range(0..env.n_actions());
                }
                let step = env.step(a)?;
                t.observations.push(obs);
                t.actions.push(a);
                t.rewards.push(step.reward);
                if step.done() {
                    return Ok(t);
                }
                obs = step.next_state;
            }
        })
        .collect()
}

/// Trains a fresh policy (sizes from `config`) to imitate `demos`: `epochs` passes of Adam
/// (lr 1e-3) over minibatches of 64 pairs, through the supervised loop (cross-entropy on the
/// demonstrated actions). With `value_gamma`, the value head also learns the demonstrations'
/// returns discounted by it, as a [`LossTerm`] beside the loop's cross-entropy (a critic to
/// start fine-tuning from, instead of a random one). Returns the policy as inference weights
/// on the plain device.
pub fn behaviour_clone(
    config: &ActorCriticConfig,
    demos: &[Trajectory],
    epochs: usize,
    value_gamma: Option<f64>,
    seed: u64,
) -> Result<(ActorCritic, Device)> {
    let obs: Vec<Vec<f32>> = demos.iter().flat_map(|t| t.observations.clone()).collect();
    let actions: Vec<usize> = demos.iter().flat_map(|t| t.actions.clone()).collect();
    if obs.is_empty() {
        return Err(ConsortError::EmptyDataset(
            "no demonstration steps to clone".into(),
        ));
    }
    if obs.iter().any(|o| o.len() != config.observation_dim)
        || actions.iter().any(|&a| a >= config.n_actions)
    {
        return Err(ConsortError::ShapeMismatch(
            "demonstrations do not fit the policy's observation size or actions".into(),
        ));
    }
    let pairs = Dataset::new(Matrix::from_rows(&obs)?, actions, config.n_actions)?;
    let device = BackendKind::chosen(None)?.device()?;
    let train_device = device.clone().autodiff();
    let model = config.init(&train_device, derive_seed(seed, "clone-init"))?;
    let train = TrainConfig::new()
        .with_epochs(epochs)
        .with_batch_size(64)
        .with_learning_rate(1e-3)
        .with_seed(seed)
        .checked()?;
    let mut critic = value_gamma.map(|gamma| ReturnRegression {
        returns: demos
            .iter()
            .flat_map(|t| t.returns_to_go(gamma))
            .map(|g| g as f32)
            .collect(),
    });
    let mut hooks: Vec<&mut dyn TrainingHook<ActorCritic>> = Vec::new();
    if let Some(c) = critic.as_mut() {
        hooks.push(c);
    }
    // One generator reshuffling one order epoch after epoch: the batches behaviour cloning
    // has always drawn.
    let batches = Arc::new(Reshuffled::new(derive_seed(seed, "clone-batches")));
    let options = RunOptions {
        sampler: Some(batches),
        ..RunOptions::new("behaviour cloning")
    };
    let outcome = Trainer::new(train).with_options(options).fit(
        model,
        &train_device,
        &pairs,
        None,
        &mut hooks,
    )?;
    Ok((outcome.model.valid(), device))
}

/// The critic's regression onto the demonstrations' discounted returns, half the mean squared
/// error. The actor and critic share no weights: the sum with the actions' cross-entropy
/// trains both at once.
struct ReturnRegression {
    /// The return to go of every demonstration step, in the rows' order.
    returns: Vec<f32>,
}

impl TrainingHook<ActorCritic> for ReturnRegression {
    fn name(&self) -> &str {
        "return-regression"
    }

    fn check(&self, n_rows: usize, _n_outputs: usize) -> Result<()> {
        if self.returns.len() != n_rows {
            return Err(ConsortError::ShapeMismatch(format!(
                "{} returns for {n_rows} demonstration steps",
                self.returns.len()
            )));
        }
        Ok(())
    }

    fn loss_term(&mut self) -> Option<&mut dyn LossTerm<ActorCritic>> {
        Some(self)
    }
}

impl LossTerm<ActorCritic> for ReturnRegression {
    fn extra_loss(
        &mut self,
        model: &ActorCritic,
        batch: &Batch,
        _forward: &Forward,
    ) -> Option<Tensor<1>> {
        let g: Vec<f32> = batch.indices.iter().map(|&i| self.returns[i]).collect();
        let n = g.len();
        let g = Tensor::<1>::from_data(TensorData::new(g, [n]), &batch.inputs.device());
        Some(
            (model.values(batch.inputs.clone()) - g)
                .powi_scalar(2)
                .mean()
                * 0.5,
        )
    }
}
