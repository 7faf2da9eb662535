//! N copies of an environment stepped together, resetting each as its episode ends
//! (Gymnasium's same-step autoreset: the observation returned for a finished copy is the
//! first of its next episode, and the last one of the finished episode is kept aside for
//! bootstrapping a truncated return).

use consort_core::seed::derive_seed;
use consort_core::{ConsortError, Result};

use super::{Environment, EpisodeRecord};

/// What a vector step returned, one entry per copy.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorStep {
    /// The observation each copy acts on next (the new episode's first where one ended).
    pub observations: Vec<Vec<f32>>,
    /// Rewards.
    pub rewards: Vec<f64>,
    /// Terminal states reached.
    pub terminated: Vec<bool>,
    /// Episodes cut short.
    pub truncated: Vec<bool>,
    /// The last observation of each episode that ended on this step.
    pub final_observations: Vec<Option<Vec<f32>>>,
    /// Episodes that ended on this step (from an [`EpisodeStatistics`](super::EpisodeStatistics)
    /// wrapper inside), with the copy they ran in.
    pub episodes: Vec<(usize, EpisodeRecord)>,
}

/// Copies of an environment stepped in lockstep.
#[derive(Debug)]
pub struct VectorEnv<E> {
    envs: Vec<E>,
    observations: Vec<Vec<f32>>,
}

impl<E: Environment> VectorEnv<E> {
    /// The copies `make(0..n)` builds.
    pub fn new(n: usize, make: impl Fn(usize) -> E) -> Result<Self> {
        if n == 0 {
            return Err(ConsortError::config("a vector environment needs >= 1 copy"));
        }
        let envs: Vec<E> = (0..n).map(make).collect();
        let (d, k) = (envs[0].observation_dim(), envs[0].n_actions());
        if envs
            .iter()
            .any(|e| e.observation_dim() != d || e.n_actions() != k)
        {
            return Err(ConsortError::config(
                "the copies of a vector environment differ in observation size or actions",
            ));
        }
        Ok(Self {
            envs,
            observations: Vec::new(),
        })
    }

    /// Number of copies.
    pub fn len(&self) -> usize {
        self.envs.len()
    }

    /// Always false: a vector environment has at least one copy.
    pub fn is_empty(&self) -> bool {
        self.envs.is_empty()
    }

    /// Length of an observation.
    pub fn observation_dim(&self) -> usize {
        self.envs[0].observation_dim()
    }

    /// Number of actions.
    pub fn n_actions(&self) -> usize {
        self.envs[0].n_actions()
    }

    /// Resets every copy, copy `i` with a seed derived from `seed` and `i`.
    pub fn reset(&mut self, seed: u64) -> Vec<Vec<f32>> {
        self.observations = self
            .envs
            .iter_mut()
            .enumerate()
            .map(|(i, e)| e.reset(Some(derive_seed(seed, &format!("copy{i}")))))
            .collect();
        self.observations.clone()
    }

    /// The observations the copies act on next.
    pub fn observations(&self) -> &[Vec<f32>] {
        &self.observations
    }

    /// Steps copy `i` with `actions[i]`, resetting copies whose episode ended.
    pub fn step(&mut self, actions: &[usize]) -> Result<VectorStep> {
        if actions.len() != self.envs.len() {
            return Err(ConsortError::ShapeMismatch(format!(
                "{} actions for {} copies",
                actions.len(),
                self.envs.len()
            )));
        }
        if self.observations.is_empty() {
            return Err(ConsortError::InvalidInput(
                "vector environment stepped before reset".into(),
            ));
        }
        let n = self.envs.len();
        let mut out = VectorStep {
            observations: Vec::with_capacity(n),
            rewards: Vec::with_capacity(n),
            terminated: Vec::with_capacity(n),
            truncated: Vec::with_capacity(n),
            final_observations: vec![None; n],
            episodes: Vec::new(),
        };
        for (i, (env, &a)) in self.envs.iter_mut().zip(actions).enumerate() {
            let r = env.step(a)?;
            let done = r.done();
            out.rewards.push(r.reward);
            out.terminated.push(r.terminated);
            out.truncated.push(r.truncated);
            if let Some(e) = r.episode {
                out.episodes.push((i, e));
            }
            if done {
                out.final_observations[i] = Some(r.next_state);
                out.observations.push(env.reset(None));
            } else {
                out.observations.push(r.next_state);
            }
        }
        self.observations = out.observations.clone();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{CartPole, EpisodeStatistics};

    #[test]
    fn copies_reset_themselves_and_report_their_episodes() {
        let mut v = VectorEnv::new(3, |i| EpisodeStatistics::new(CartPole::v1(i as u64))).unwrap();
        let first = v.reset(5);
        assert_eq!(first.len(), 3);
        assert_ne!(first[0], first[1], "copies seeded apart");
        let mut episodes = 0;
        for _ in 0..200 {
            // Always right: every episode ends within a few dozen steps.
            let s = v.step(&[1, 1, 1]).unwrap();
            for (i, e) in &s.episodes {
                assert!(s.terminated[*i] && s.final_observations[*i].is_some());
                assert!(e.length < 100 && e.episode_return == e.length as f64);
            }
            episodes += s.episodes.len();
        }
        assert!(episodes > 6, "{episodes}");
        assert!(v.step(&[1]).is_err());
        let mut again =
            VectorEnv::new(3, |i| EpisodeStatistics::new(CartPole::v1(i as u64))).unwrap();
        assert_eq!(again.reset(5), first, "seeded");
    }
}
