//! Proximal policy optimisation (Schulman et al. 2017), as CleanRL and Stable-Baselines3 run
//! it on discrete actions: rollouts of `n_steps` from `n_envs` copies, GAE(lambda)
//! advantages with truncated episodes bootstrapped from their last observation, then several
//! epochs of shuffled minibatches on the clipped surrogate, a value loss and an entropy
//! bonus; advantage normalisation that can be switched off, gradient clipping, learning rate
//! and clip range decayed linearly to zero.
//!
//! For fine-tuning a pretrained policy, a KL penalty to a frozen reference policy
//! (`beta * KL(pi || pi_ref)` per state) joins the loss, with `beta` fixed or adapted to a
//! target KL after each update (Schulman et al.'s adaptive rule); the KL and `beta` each
//! update actually used are reported.

mod config;
mod rollout;

pub use config::{KlPenalty, PpoConfig, SolveCriterion};
use rollout::{Collector, Rollout, gae};

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor, TensorData};
use consort_core::seed::{derive_seed, rng};
use consort_core::{BackendKind, ConsortError, Event, ObserverHandle, ParamGuard, Result};
use consort_tune::OptimizerConfig;
use rand::seq::SliceRandom;

use crate::env::{Environment, EpisodeStatistics, VectorEnv};
use crate::policy::{
    ActorCritic, ActorCriticConfig, actions_tensor, log_prob_and_entropy, observations_tensor,
    standardize,
};

/// What one update measured.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateRecord {
    /// Environment steps taken so far.
    pub env_steps: usize,
    /// Learning rate used.
    pub learning_rate: f64,
    /// Mean clipped-surrogate loss over the minibatches.
    pub policy_loss: f64,
    /// Mean value loss.
    pub value_loss: f64,
    /// Mean entropy of the policy.
    pub entropy: f64,
    /// Mean KL(pi || pi_ref) per state over the minibatches (0 without a reference).
    pub kl_to_reference: f64,
    /// The KL coefficient this update's loss used (0 without a reference).
    pub kl_coef: f64,
}

/// A finished PPO run.
#[derive(Debug)]
pub struct PpoRun {
    /// The trained policy (inference weights).
    pub policy: ActorCritic,
    /// The inference device it lives on.
    pub device: Device,
    /// Every finished training episode: (environment steps when it ended, return).
    pub episodes: Vec<(usize, f64)>,
    /// One record per update.
    pub updates: Vec<UpdateRecord>,
    /// Environment steps at which the solve criterion was first met.
    pub solved_at_step: Option<usize>,
    /// Environment steps taken.
    pub env_steps: usize,
}

impl PpoRun {
    /// Training episodes finished.
    pub fn n_episodes(&self) -> usize {
        self.episodes.len()
    }
}

/// Trains a policy with PPO on copies of `make_env(i)`, starting from `start` (fresh when
/// `None`) and penalised towards `reference` when given; progress goes to `observer`.
pub fn train_ppo<E: Environment>(
    config: &PpoConfig,
    make_env: impl Fn(usize) -> E,
    start: Option<ActorCritic>,
    reference: Option<&ActorCritic>,
    observer: &ObserverHandle,
) -> Result<PpoRun> {
    config.check()?;
    let device = BackendKind::chosen(config.backend)?.device()?;
    let train_device = device.clone().autodiff();
    let envs = VectorEnv::new(config.n_envs, |i| EpisodeStatistics::new(make_env(i)))?;
    let (d, k) = (envs.observation_dim(), envs.n_actions());
    let mut model = starting_policy(config, start, (d, k), &train_device)?;
    if let Some(r) = reference
        && (r.observation_dim(), r.n_actions()) != (d, k)
    {
        return Err(ConsortError::ShapeMismatch(
            "the reference policy does not fit the environment".into(),
        ));
    }
    let mut collector = Collector::new(envs, config, reference.map(Module::valid), &device);
    let mut optim = OptimizerConfig::Adam.init(0.0, config.max_grad_norm)?;
    let mut minibatch_rng = rng(derive_seed(config.seed, "minibatches"));
    let n_updates = config.total_steps / config.batch_size();
    let mut kl_coef = match (&collector.reference, config.kl) {
        (Some(_), Some(kl)) => kl.initial(),
        _ => 0.0,
    };
    let mut run = PpoRun {
        policy: model.valid(),
        device: device.clone(),
        episodes: Vec::new(),
        updates: Vec::new(),
        solved_at_step: None,
        env_steps: 0,
    };
    for update in 0..n_updates {
        let (lr, clip) = annealed(config, update, n_updates);
        let acting = model.valid();
        let roll = collector.collect(config, &acting, &mut run)?;
        let last_values = collector.values(&acting)?;
        let (advantages, targets) = gae(&roll, &last_values, config);
        let record = optimise(
            config,
            &mut model,
            &mut optim,
            &roll,
            &advantages,
            &targets,
            (lr, clip, kl_coef),
            k,
            &train_device,
            &mut minibatch_rng,
        )?;
        let used_kl = record.0[3];
        run.updates.push(UpdateRecord {
            env_steps: run.env_steps,
            learning_rate: lr,
            policy_loss: record.0[0],
            value_loss: record.0[1],
            entropy: record.0[2],
            kl_to_reference: used_kl,
            kl_coef,
        });
        model = record.1;
        if let (Some(_), Some(KlPenalty::Adaptive { target, .. })) =
            (&collector.reference, config.kl)
        {
            kl_coef = adapted_kl_coef(kl_coef, used_kl, target);
        }
        report_progress(
            config,
            update,
            n_updates,
            &collector.returns,
            &run,
            observer,
        );
        if let Some(s) = config.solve
            && run.solved_at_step.is_none()
            && s.met_by(&collector.returns)
        {
            run.solved_at_step = Some(run.env_steps);
            if s.stop {
                break;
            }
        }
    }
    run.policy = model.valid();
    Ok(run)
}

/// This update's learning rate and clip range: decayed linearly to zero when annealed.
fn annealed(config: &PpoConfig, update: usize, n_updates: usize) -> (f64, f64) {
    let frac = 1.0 - update as f64 / n_updates as f64;
    let lr = if config.anneal_lr {
        frac * config.learning_rate
    } else {
        config.learning_rate
    };
    let clip = if config.anneal_clip {
        frac * config.clip_coef
    } else {
        config.clip_coef
    };
    (lr, clip)
}

/// Schulman et al.'s adaptive KL rule: double the coefficient when the KL overshoots 1.5
/// times its target, halve it when it falls under two thirds of it.
fn adapted_kl_coef(coef: f64, kl: f64, target: f64) -> f64 {
    if kl > 1.5 * target {
        coef * 2.0
    } else if kl < target / 1.5 {
        coef / 2.0
    } else {
        coef
    }
}

/// The policy training starts from: `start` on the training device (checked against the
/// environment's `(observations, actions)`), or a fresh one seeded by the run.
fn starting_policy(
    config: &PpoConfig,
    start: Option<ActorCritic>,
    (d, k): (usize, usize),
    train_device: &Device,
) -> Result<ActorCritic> {
    match start {
        Some(m) => {
            if (m.observation_dim(), m.n_actions()) != (d, k) {
                return Err(ConsortError::ShapeMismatch(format!(
                    "the starting policy takes {} observations and {} actions, the \
                     environment {d} and {k}",
                    m.observation_dim(),
                    m.n_actions()
                )));
            }
            Ok(m.fork(train_device).train())
        }
        None => ActorCriticConfig::new(d, k)
            .with_hidden(config.hidden.clone())
            .init(train_device, derive_seed(config.seed, "init")),
    }
}

/// Progress after each update, and a line every 50 updates with the mean of the last 100
/// returns.
fn report_progress(
    config: &PpoConfig,
    update: usize,
    n_updates: usize,
    returns: &[f64],
    run: &PpoRun,
    observer: &ObserverHandle,
) {
    observer.notify(&Event::Progress {
        label: "ppo",
        done: run.env_steps,
        total: n_updates * config.batch_size(),
    });
    if (update + 1).is_multiple_of(50) {
        let recent = &returns[returns.len().saturating_sub(100)..];
        let mean = recent.iter().sum::<f64>() / recent.len().max(1) as f64;
        let message = format!(
            "ppo: {} steps, {} episodes, mean return of the last 100 {mean:.1}",
            run.env_steps,
            returns.len()
        );
        observer.notify(&Event::Stage { message: &message });
    }
}

/// Epochs of minibatch steps on one rollout; returns the mean policy loss, value loss,
/// entropy and KL to the reference, and the updated model.
#[allow(clippy::too_many_arguments)]
fn optimise(
    config: &PpoConfig,
    model: &mut ActorCritic,
    optim: &mut burn::optim::ModuleOptimizer,
    roll: &Rollout,
    advantages: &[f32],
    targets: &[f32],
    (lr, clip, kl_coef): (f64, f64, f64),
    k: usize,
    device: &Device,
    rng: &mut rand::rngs::StdRng,
) -> Result<([f64; 4], ActorCritic)> {
    let batch = roll.actions.len();
    let mb = batch / config.n_minibatches;
    let mut order: Vec<usize> = (0..batch).collect();
    let mut sums = [0.0f64; 4];
    let mut steps = 0usize;
    let mut current = model.clone();
    let with_reference = !roll.reference_log_probs.is_empty();
    for _ in 0..config.update_epochs {
        order.shuffle(rng);
        for chunk in order.chunks(mb).filter(|c| c.len() == mb) {
            let rows: Vec<Vec<f32>> = chunk
                .iter()
                .map(|&i| roll.observations[i].clone())
                .collect();
            let obs = observations_tensor(&rows, device);
            let pick = |v: &[f32]| -> Tensor<1> {
                let vals: Vec<f32> = chunk.iter().map(|&i| v[i]).collect();
                Tensor::from_data(TensorData::new(vals, [mb]), device)
            };
            let actions: Vec<usize> = chunk.iter().map(|&i| roll.actions[i]).collect();
            let mut adv: Vec<f32> = chunk.iter().map(|&i| advantages[i]).collect();
            if config.normalize_advantages {
                standardize(&mut adv);
            }
            let adv = Tensor::<1>::from_data(TensorData::new(adv, [mb]), device);
            let logits = current.logits(obs.clone());
            let (new_lp, entropy) =
                log_prob_and_entropy(logits.clone(), actions_tensor(&actions, device));
            let ratio = (new_lp - pick(&roll.log_probs)).exp();
            let unclipped = adv.clone().neg() * ratio.clone();
            let clipped = adv.neg() * ratio.clamp(1.0 - clip, 1.0 + clip);
            let policy_loss = unclipped.max_pair(clipped).mean();
            let value_loss = (current.values(obs) - pick(targets)).powi_scalar(2).mean() * 0.5;
            let entropy = entropy.mean();
            let mut loss = policy_loss.clone() + value_loss.clone() * config.vf_coef
                - entropy.clone() * config.ent_coef;
            let mut kl_value = 0.0;
            if with_reference {
                let refs: Vec<f32> = chunk
                    .iter()
                    .flat_map(|&i| roll.reference_log_probs[i * k..(i + 1) * k].iter().copied())
                    .collect();
                let ref_lp = Tensor::<2>::from_data(TensorData::new(refs, [mb, k]), device);
                let lp = log_softmax(logits, 1);
                let kl = (lp.clone().exp() * (lp - ref_lp)).sum_dim(1).mean();
                kl_value = f64::from(kl.clone().into_scalar::<f32>());
                if kl_coef > 0.0 {
                    loss = loss + kl * kl_coef;
                }
            }
            let values = [
                f64::from(policy_loss.into_scalar::<f32>()),
                f64::from(value_loss.into_scalar::<f32>()),
                f64::from(entropy.into_scalar::<f32>()),
                kl_value,
            ];
            if values.iter().any(|v| !v.is_finite()) {
                return Err(ConsortError::NonFinite(format!(
                    "PPO's loss went non-finite (policy, value, entropy, KL): {values:?}"
                )));
            }
            for (s, v) in sums.iter_mut().zip(values) {
                *s += v;
            }
            steps += 1;
            let grads = GradientsParams::from_grads(loss.backward(), &current);
            current = optim.step(lr, current, grads);
        }
    }
    let n = steps.max(1) as f64;
    Ok((sums.map(|s| s / n), current))
}
