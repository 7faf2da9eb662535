//! Behaviour cloning: demonstrations from a controller (a scripted one, or any function of the
//! observation) and a policy trained to imitate them by cross-entropy on (observation,
//! action) pairs. The cloned policy is what [`crate::ppo`] fine-tunes under a KL penalty.

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor, TensorData};
use consort_core::seed::{derive_seed, rng};
use consort_core::{BackendKind, ConsortError, Result};
use consort_tune::OptimizerConfig;
use rand::Rng;
use rand::seq::SliceRandom;

use crate::env::Environment;
use crate::policy::{ActorCritic, ActorCriticConfig, actions_tensor, observations_tensor};
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
/// (lr 1e-3) over minibatches of 64 pairs. With `value_gamma`, the value head also learns
/// the demonstrations' returns discounted by it (a critic to start fine-tuning from, instead
/// of a random one). Returns the policy as inference weights on the plain device.
pub fn behaviour_clone(
    config: &ActorCriticConfig,
    demos: &[Trajectory],
    epochs: usize,
    value_gamma: Option<f64>,
    seed: u64,
) -> Result<(ActorCritic, Device)> {
    let obs: Vec<Vec<f32>> = demos.iter().flat_map(|t| t.observations.clone()).collect();
    let actions: Vec<usize> = demos.iter().flat_map(|t| t.actions.clone()).collect();
    let returns: Vec<f32> = demos
        .iter()
        .flat_map(|t| t.returns_to_go(value_gamma.unwrap_or(0.0)))
        .map(|g| g as f32)
        .collect();
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
    let device = BackendKind::chosen(None)?.device()?;
    let train_device = device.clone().autodiff();
    let mut model = config.init(&train_device, derive_seed(seed, "clone-init"))?;
    let mut optim = OptimizerConfig::Adam.init(0.0, None)?;
    let mut order: Vec<usize> = (0..obs.len()).collect();
    let mut r = rng(derive_seed(seed, "clone-batches"));
    for _ in 0..epochs {
        order.shuffle(&mut r);
        for chunk in order.chunks(64) {
            let rows: Vec<Vec<f32>> = chunk.iter().map(|&i| obs[i].clone()).collect();
            let acts: Vec<usize> = chunk.iter().map(|&i| actions[i]).collect();
            let n = chunk.len();
            let x = observations_tensor(&rows, &train_device);
            let log_p = log_softmax(model.logits(x.clone()), 1);
            let mut loss = log_p
                .gather(1, actions_tensor(&acts, &train_device).reshape([n, 1]))
                .mean()
                .neg();
            if value_gamma.is_some() {
                let g: Vec<f32> = chunk.iter().map(|&i| returns[i]).collect();
                let g = Tensor::<1>::from_data(TensorData::new(g, [n]), &train_device);
                // The actor and critic share no weights: the sum trains both at once.
                loss = loss + (model.values(x) - g).powi_scalar(2).mean() * 0.5;
            }
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(1e-3, model, grads);
        }
    }
    Ok((model.valid(), device))
}
