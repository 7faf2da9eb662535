//! Rollouts: the vectorised environments stepped under the acting policy, truncated episodes
//! bootstrapped from their last observation, and GAE(lambda) advantages.

use burn::tensor::Device;
use burn::tensor::activation::log_softmax;
use consort_core::Result;
use consort_core::seed::{derive_seed, rng};

use super::{PpoConfig, PpoRun};
use crate::env::{Environment, EpisodeStatistics, VectorEnv};
use crate::policy::{ActorCritic, observations_tensor, sample, softmax_row, to_vec};

/// One rollout's samples, flattened step-major (`t * n_envs + env`).
pub(super) struct Rollout {
    pub(super) observations: Vec<Vec<f32>>,
    pub(super) actions: Vec<usize>,
    pub(super) log_probs: Vec<f32>,
    pub(super) values: Vec<f32>,
    pub(super) rewards: Vec<f64>,
    /// The episode ended at this step (terminated or truncated).
    pub(super) dones: Vec<bool>,
    /// Log-probabilities of every action under the reference policy, row-major.
    pub(super) reference_log_probs: Vec<f32>,
}

/// Steps the environments with the acting policy and gathers rollouts.
pub(super) struct Collector<E> {
    envs: VectorEnv<EpisodeStatistics<E>>,
    /// The observations the next step acts on.
    observations: Vec<Vec<f32>>,
    action_rng: rand::rngs::StdRng,
    /// The frozen reference policy of the KL penalty.
    pub(super) reference: Option<ActorCritic>,
    device: Device,
    /// Every finished episode's return.
    pub(super) returns: Vec<f64>,
}

impl<E: Environment> Collector<E> {
    pub(super) fn new(
        mut envs: VectorEnv<EpisodeStatistics<E>>,
        config: &PpoConfig,
        reference: Option<ActorCritic>,
        device: &Device,
    ) -> Self {
        let observations = envs.reset(derive_seed(config.seed, "envs"));
        Self {
            envs,
            observations,
            action_rng: rng(derive_seed(config.seed, "actions")),
            reference,
            device: device.clone(),
            returns: Vec::new(),
        }
    }

    /// The acting policy's values of the current observations.
    pub(super) fn values(&self, acting: &ActorCritic) -> Result<Vec<f32>> {
        to_vec(acting.values(observations_tensor(&self.observations, &self.device)))
    }

    /// `n_steps` steps of every environment under `acting`; finished episodes go to `run`.
    pub(super) fn collect(
        &mut self,
        config: &PpoConfig,
        acting: &ActorCritic,
        run: &mut PpoRun,
    ) -> Result<Rollout> {
        let k = self.envs.n_actions();
        let mut roll = Rollout {
            observations: Vec::with_capacity(config.batch_size()),
            actions: Vec::with_capacity(config.batch_size()),
            log_probs: Vec::with_capacity(config.batch_size()),
            values: Vec::with_capacity(config.batch_size()),
            rewards: Vec::with_capacity(config.batch_size()),
            dones: Vec::with_capacity(config.batch_size()),
            reference_log_probs: Vec::new(),
        };
        for _ in 0..config.n_steps {
            let obs = observations_tensor(&self.observations, &self.device);
            let logits = to_vec(acting.logits(obs.clone()))?;
            let values = to_vec(acting.values(obs.clone()))?;
            if let Some(r) = &self.reference {
                roll.reference_log_probs
                    .extend(to_vec(log_softmax(r.logits(obs), 1))?);
            }
            let mut actions = Vec::with_capacity(config.n_envs);
            for row in logits.chunks(k) {
                let p = softmax_row(row);
                let a = sample(&p, &mut self.action_rng);
                actions.push(a);
                roll.log_probs.push(p[a].max(1e-30).ln() as f32);
            }
            let step = self.envs.step(&actions)?;
            run.env_steps += config.n_envs;
            // A truncated episode still had a future: its last observation's value stands in
            // for it (Pardo et al. 2018), as Stable-Baselines3 does.
            let truncated: Vec<usize> = (0..config.n_envs)
                .filter(|&i| step.truncated[i] && !step.terminated[i])
                .collect();
            let mut rewards = step.rewards.clone();
            if !truncated.is_empty() {
                let finals: Vec<Vec<f32>> = truncated
                    .iter()
                    .map(|&i| {
                        step.final_observations[i]
                            .clone()
                            .expect("a final observation")
                    })
                    .collect();
                let v = to_vec(acting.values(observations_tensor(&finals, &self.device)))?;
                for (&i, vi) in truncated.iter().zip(v) {
                    rewards[i] += config.gamma * f64::from(vi);
                }
            }
            for (_, e) in &step.episodes {
                run.episodes.push((run.env_steps, e.episode_return));
                self.returns.push(e.episode_return);
            }
            roll.observations.append(&mut self.observations);
            roll.actions.extend(actions);
            roll.values.extend(values);
            roll.rewards.extend(rewards);
            roll.dones
                .extend((0..config.n_envs).map(|i| step.terminated[i] || step.truncated[i]));
            self.observations = step.observations;
        }
        Ok(roll)
    }
}

/// GAE(lambda) advantages and value targets (advantage + value) of a rollout.
pub(super) fn gae(roll: &Rollout, last_values: &[f32], config: &PpoConfig) -> (Vec<f32>, Vec<f32>) {
    let n = config.n_envs;
    let t_max = config.n_steps;
    let mut adv = vec![0.0f32; n * t_max];
    for (e, &bootstrap) in last_values.iter().enumerate().take(n) {
        let mut last = 0.0f64;
        for t in (0..t_max).rev() {
            let i = t * n + e;
            let next_value = if t + 1 == t_max {
                f64::from(bootstrap)
            } else {
                f64::from(roll.values[i + n])
            };
            // The step that ended an episode has no successor within it.
            let live = if roll.dones[i] { 0.0 } else { 1.0 };
            let delta =
                roll.rewards[i] + config.gamma * next_value * live - f64::from(roll.values[i]);
            last = delta + config.gamma * config.gae_lambda * live * last;
            adv[i] = last as f32;
        }
    }
    let targets = adv.iter().zip(&roll.values).map(|(a, v)| a + v).collect();
    (adv, targets)
}
