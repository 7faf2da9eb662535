//! REINFORCE (Williams 1992): Monte-Carlo policy gradient over whole episodes, with a learned
//! state-value baseline (the advantage `G_t - V(s_t)`) or without one (the return `G_t`
//! itself). Each update runs a batch of episodes side by side, one per environment copy.
//!
//! The baseline leaves the gradient's expectation unchanged and lowers its variance;
//! [`gradient_variance`] measures both estimators on the same episodes.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use consort_core::seed::{derive_seed, rng};
use consort_core::{BackendKind, ConsortError, Event, ObserverHandle, ParamGuard, Result};
use consort_tune::OptimizerConfig;

use crate::env::{Environment, EpisodeStatistics};
use crate::policy::{
    ActorCritic, ActorCriticConfig, actions_tensor, log_prob_and_entropy, observations_tensor,
    sample, softmax_row, standardize, to_vec,
};
use crate::ppo::SolveCriterion;

/// REINFORCE's hyperparameters.
#[derive(Debug, Clone, PartialEq)]
pub struct ReinforceConfig {
    /// Training episodes in all (the budget).
    pub episodes: usize,
    /// Episodes per update (run side by side).
    pub episodes_per_update: usize,
    /// Adam's learning rate (policy and value).
    pub learning_rate: f64,
    /// Discount of the returns.
    pub gamma: f64,
    /// Subtract a learned state value from the return.
    pub baseline: bool,
    /// Standardise the advantages of each update (only with the baseline: without one the
    /// estimator is the plain return, as Williams wrote it).
    pub normalize_advantages: bool,
    /// Gradient-norm clip per parameter tensor.
    pub max_grad_norm: Option<f32>,
    /// Hidden widths.
    pub hidden: Vec<usize>,
    /// When to call the run solved (and maybe stop).
    pub solve: Option<SolveCriterion>,
    /// Seed of initialisation, environments and action draws.
    pub seed: u64,
    /// Backend of the networks (`None`: the default backend).
    pub backend: Option<BackendKind>,
}

impl ReinforceConfig {
    /// Settings for CartPole-v1: 8 episodes per update, lr 3e-3, gamma 0.99, the baseline and
    /// standardised advantages, 2,000 episodes, CartPole's solve criterion.
    pub fn cartpole() -> Self {
        Self {
            episodes: 2000,
            episodes_per_update: 8,
            learning_rate: 3e-3,
            gamma: 0.99,
            baseline: true,
            normalize_advantages: true,
            max_grad_norm: Some(1.0),
            hidden: vec![64, 64],
            solve: Some(SolveCriterion::cartpole()),
            seed: 0,
            backend: None,
        }
    }

    /// Without the baseline (and so without standardising).
    pub fn without_baseline(mut self) -> Self {
        self.baseline = false;
        self.normalize_advantages = false;
        self
    }

    /// Another seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Another backend.
    pub fn with_backend(mut self, backend: Option<BackendKind>) -> Self {
        self.backend = backend;
        self
    }
}

impl ParamGuard for ReinforceConfig {
    fn check(&self) -> Result<()> {
        if self.episodes == 0 || self.episodes_per_update == 0 {
            return Err(ConsortError::config(
                "REINFORCE needs episodes >= 1 per update",
            ));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(ConsortError::config(
                "REINFORCE's learning rate must be positive",
            ));
        }
        if !(0.0..=1.0).contains(&self.gamma) {
            return Err(ConsortError::config(format!(
                "gamma must lie in [0, 1], got {}",
                self.gamma
            )));
        }
        Ok(())
    }
}

/// A finished REINFORCE run.
#[derive(Debug)]
pub struct ReinforceRun {
    /// The trained policy (inference weights).
    pub policy: ActorCritic,
    /// The inference device.
    pub device: Device,
    /// Every training episode: (environment steps when it ended, return).
    pub episodes: Vec<(usize, f64)>,
    /// Training episodes after which the solve criterion was first met.
    pub solved_at_episode: Option<usize>,
}

/// One episode's trajectory.
#[derive(Debug, Clone, Default)]
pub struct Trajectory {
    /// Observations acted on.
    pub observations: Vec<Vec<f32>>,
    /// Actions taken.
    pub actions: Vec<usize>,
    /// Rewards received.
    pub rewards: Vec<f64>,
}

impl Trajectory {
    /// The discounted return from each step on.
    pub fn returns_to_go(&self, gamma: f64) -> Vec<f64> {
        let mut g = 0.0;
        let mut out = vec![0.0; self.rewards.len()];
        for t in (0..self.rewards.len()).rev() {
            g = self.rewards[t] + gamma * g;
            out[t] = g;
        }
        out
    }
}

/// Runs one episode in each of `envs` side by side under `policy`, sampling actions.
pub fn run_episodes<E: Environment>(
    policy: &ActorCritic,
    device: &Device,
    envs: &mut [EpisodeStatistics<E>],
    rng: &mut rand::rngs::StdRng,
) -> Result<Vec<Trajectory>> {
    let k = policy.n_actions();
    let mut obs: Vec<Vec<f32>> = envs.iter_mut().map(|e| e.reset(None)).collect();
    let mut out = vec![Trajectory::default(); envs.len()];
    let mut active: Vec<usize> = (0..envs.len()).collect();
    while !active.is_empty() {
        let rows: Vec<Vec<f32>> = active.iter().map(|&i| obs[i].clone()).collect();
        let logits = to_vec(policy.logits(observations_tensor(&rows, device)))?;
        let mut still = Vec::with_capacity(active.len());
        for (row, &i) in logits.chunks(k).zip(&active) {
            let a = sample(&softmax_row(row), rng);
            let r = envs[i].step(a)?;
            let traj = &mut out[i];
            traj.observations.push(std::mem::take(&mut obs[i]));
            traj.actions.push(a);
            traj.rewards.push(r.reward);
            if !r.done() {
                obs[i] = r.next_state;
                still.push(i);
            }
        }
        active = still;
    }
    Ok(out)
}

/// The REINFORCE loss of `trajectories` (mean over their steps) and the value loss when a
/// baseline is used.
fn loss(
    model: &ActorCritic,
    trajectories: &[Trajectory],
    config: &ReinforceConfig,
    device: &Device,
) -> Result<Tensor<1>> {
    let obs: Vec<Vec<f32>> = trajectories
        .iter()
        .flat_map(|t| t.observations.clone())
        .collect();
    let actions: Vec<usize> = trajectories
        .iter()
        .flat_map(|t| t.actions.clone())
        .collect();
    let returns: Vec<f32> = trajectories
        .iter()
        .flat_map(|t| t.returns_to_go(config.gamma))
        .map(|g| g as f32)
        .collect();
    let n = obs.len();
    let x = observations_tensor(&obs, device);
    let (log_p, _) =
        log_prob_and_entropy(model.logits(x.clone()), actions_tensor(&actions, device));
    let g = Tensor::<1>::from_data(TensorData::new(returns.clone(), [n]), device);
    if !config.baseline {
        return Ok((log_p * g).mean().neg());
    }
    let values = model.values(x);
    let v_host = to_vec(values.clone())?;
    let mut adv: Vec<f32> = returns.iter().zip(&v_host).map(|(g, v)| g - v).collect();
    if config.normalize_advantages {
        standardize(&mut adv);
    }
    let adv = Tensor::<1>::from_data(TensorData::new(adv, [n]), device);
    // The value net regresses the returns; scaled down so that returns in the hundreds do not
    // swamp the policy term's gradients.
    let value_loss = (values - g).powi_scalar(2).mean() * 0.5 * 1e-2;
    Ok((log_p * adv).mean().neg() + value_loss)
}

/// Trains a policy with REINFORCE on copies of `make_env(i)`.
pub fn train_reinforce<E: Environment>(
    config: &ReinforceConfig,
    make_env: impl Fn(usize) -> E,
    observer: &ObserverHandle,
) -> Result<ReinforceRun> {
    config.check()?;
    let device = BackendKind::chosen(config.backend)?.device()?;
    let train_device = device.clone().autodiff();
    let mut envs: Vec<EpisodeStatistics<E>> = (0..config.episodes_per_update)
        .map(|i| EpisodeStatistics::new(make_env(i)))
        .collect();
    for (i, e) in envs.iter_mut().enumerate() {
        e.reset(Some(derive_seed(config.seed, &format!("copy{i}"))));
    }
    let (d, k) = (envs[0].observation_dim(), envs[0].n_actions());
    let mut model = ActorCriticConfig::new(d, k)
        .with_hidden(config.hidden.clone())
        .init(&train_device, derive_seed(config.seed, "init"))?;
    let mut optim = OptimizerConfig::Adam.init(0.0, config.max_grad_norm)?;
    let mut action_rng = rng(derive_seed(config.seed, "actions"));
    let mut run = ReinforceRun {
        policy: model.valid(),
        device: device.clone(),
        episodes: Vec::new(),
        solved_at_episode: None,
    };
    let mut steps = 0usize;
    let mut returns = Vec::new();
    while returns.len() < config.episodes {
        let batch = run_episodes(&model.valid(), &device, &mut envs, &mut action_rng)?;
        for t in &batch {
            steps += t.rewards.len();
            let ret: f64 = t.rewards.iter().sum();
            run.episodes.push((steps, ret));
            returns.push(ret);
        }
        let l = loss(&model, &batch, config, &train_device)?;
        let value = l.clone().into_scalar::<f32>();
        if !value.is_finite() {
            return Err(ConsortError::NonFinite(format!(
                "REINFORCE's loss went {value}"
            )));
        }
        let grads = GradientsParams::from_grads(l.backward(), &model);
        model = optim.step(config.learning_rate, model, grads);
        observer.notify(&Event::Progress {
            label: "reinforce",
            done: returns.len(),
            total: config.episodes,
        });
        if let Some(s) = config.solve
            && run.solved_at_episode.is_none()
            && s.met_by(&returns)
        {
            run.solved_at_episode = Some(returns.len());
            if s.stop {
                break;
            }
        }
    }
    run.policy = model.valid();
    Ok(run)
}

/// The flattened gradient of the policy head's parameters (the actor).
fn actor_gradient(model: &ActorCritic, grads: &GradientsParams) -> Result<Vec<f32>> {
    struct Collect<'a> {
        grads: &'a GradientsParams,
        out: Vec<Tensor<1>>,
    }
    impl ModuleVisitor for Collect<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.grads.get::<D>(param.id) {
                let n = g.shape().num_elements();
                self.out.push(g.reshape([n]));
            }
        }
    }
    let mut c = Collect {
        grads,
        out: Vec::new(),
    };
    model.actor.visit(&mut c);
    let mut flat = Vec::new();
    for t in c.out {
        flat.extend(to_vec(t)?);
    }
    Ok(flat)
}

/// Variance of the per-episode policy-gradient estimate, summed over the actor's weights,
/// with and without the learned baseline, on the same `episodes` episodes sampled from
/// `policy` (whose value head is the baseline). Returns (without, with).
pub fn gradient_variance<E: Environment>(
    policy: &ActorCritic,
    make_env: impl Fn(usize) -> E,
    episodes: usize,
    gamma: f64,
    seed: u64,
) -> Result<(f64, f64)> {
    if episodes < 2 {
        return Err(ConsortError::config("a variance needs >= 2 episodes"));
    }
    let device = BackendKind::chosen(None)?.device()?;
    let train_device = device.clone().autodiff();
    let mut envs: Vec<EpisodeStatistics<E>> = (0..episodes)
        .map(|i| EpisodeStatistics::new(make_env(i)))
        .collect();
    for (i, e) in envs.iter_mut().enumerate() {
        e.reset(Some(derive_seed(seed, &format!("variance{i}"))));
    }
    let trajectories = run_episodes(policy, &device, &mut envs, &mut rng(seed))?;
    let model = policy.clone().fork(&train_device).train();
    let mut variances = [0.0; 2];
    for (slot, baseline) in [(0, false), (1, true)] {
        let config = ReinforceConfig {
            baseline,
            normalize_advantages: false,
            gamma,
            ..ReinforceConfig::cartpole()
        };
        let mut samples: Vec<Vec<f32>> = Vec::with_capacity(episodes);
        for t in &trajectories {
            // Only the policy term: the value term's gradient does not reach the actor.
            let l = loss(&model, std::slice::from_ref(t), &config, &train_device)?;
            let grads = GradientsParams::from_grads(l.backward(), &model);
            samples.push(actor_gradient(&model, &grads)?);
        }
        let dim = samples[0].len();
        let n = samples.len() as f64;
        let mut total = 0.0;
        for j in 0..dim {
            let mean = samples.iter().map(|s| f64::from(s[j])).sum::<f64>() / n;
            total += samples
                .iter()
                .map(|s| (f64::from(s[j]) - mean).powi(2))
                .sum::<f64>()
                / (n - 1.0);
        }
        variances[slot] = total;
    }
    Ok((variances[0], variances[1]))
}
