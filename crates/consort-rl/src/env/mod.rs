//! Environments: the [`Environment`] trait (Gymnasium's reset/step contract, with burn-rl's
//! `StepResult` naming), CartPole-v1, wrappers and vectorised copies.

mod cartpole;
mod vector;
mod wrappers;

pub use cartpole::{CartPole, CartPoleConstants};
pub use vector::{VectorEnv, VectorStep};
pub use wrappers::{
    EpisodeStatistics, NormalizeObservation, NormalizeReward, RunningMeanStd, TimeLimit,
};

use consort_core::Result;

/// What one step returned.
#[derive(Debug, Clone, PartialEq)]
pub struct StepResult {
    /// The observation after the step.
    pub next_state: Vec<f32>,
    /// The reward for the step.
    pub reward: f64,
    /// The episode reached a terminal state of the task (the pole fell): no value beyond it.
    pub terminated: bool,
    /// The episode was cut short from outside the task (a time limit): the state still has a
    /// value, so bootstrapping from it is right.
    pub truncated: bool,
    /// The finished episode's undiscounted return and length, set by [`EpisodeStatistics`]
    /// on the step that ends it (Gymnasium's `info["episode"]`) and passed through by the
    /// wrappers outside it.
    pub episode: Option<EpisodeRecord>,
}

/// A finished episode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpisodeRecord {
    /// Sum of the rewards the wrapped environment gave.
    pub episode_return: f64,
    /// Steps taken.
    pub length: usize,
}

impl StepResult {
    /// Whether the episode is over, either way.
    pub fn done(&self) -> bool {
        self.terminated || self.truncated
    }
}

/// An episodic task with vector observations and a discrete set of actions.
pub trait Environment: Send {
    /// Length of an observation.
    fn observation_dim(&self) -> usize;

    /// Number of actions (`0..n_actions`).
    fn n_actions(&self) -> usize;

    /// Starts an episode; `seed` reseeds the environment's generator first (Gymnasium's
    /// `reset(seed=...)`), `None` continues its stream.
    fn reset(&mut self, seed: Option<u64>) -> Vec<f32>;

    /// Applies `action`. Stepping an episode that is over, or an action out of range, is an
    /// error.
    fn step(&mut self, action: usize) -> Result<StepResult>;
}

impl<E: Environment + ?Sized> Environment for Box<E> {
    fn observation_dim(&self) -> usize {
        (**self).observation_dim()
    }
    fn n_actions(&self) -> usize {
        (**self).n_actions()
    }
    fn reset(&mut self, seed: Option<u64>) -> Vec<f32> {
        (**self).reset(seed)
    }
    fn step(&mut self, action: usize) -> Result<StepResult> {
        (**self).step(action)
    }
}
