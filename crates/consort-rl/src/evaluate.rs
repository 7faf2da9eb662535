//! Held-out evaluation and return statistics: episodes on seeds disjoint from training's,
//! mean and standard deviation of their returns, when a training run first solved its task,
//! and the learning curve as a figure.

use burn::tensor::Device;
use consort_core::Result;
use consort_eval::LineChart;
use serde::{Deserialize, Serialize};

use crate::env::{Environment, EpisodeStatistics};
use crate::policy::{ActorCritic, greedy, observations_tensor, sample, softmax_row, to_vec};

/// Evaluation seeds start here; training seeds are derived by hashing the run's seed
/// ([`consort_core::seed::derive_seed`]), so the two sets do not meet in practice.
pub const EVALUATION_SEED_BASE: u64 = 1_000_000_000;

/// Mean and spread of episode returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnStats {
    /// Each episode's return.
    pub returns: Vec<f64>,
    /// Their mean.
    pub mean: f64,
    /// Their (population) standard deviation.
    pub std: f64,
}

impl ReturnStats {
    /// Statistics of `returns` (all zero for none).
    pub fn new(returns: Vec<f64>) -> Self {
        let n = returns.len().max(1) as f64;
        let mean = returns.iter().sum::<f64>() / n;
        let std = (returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n).sqrt();
        Self { returns, mean, std }
    }
}

/// How an evaluated policy picks actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionChoice {
    /// The most probable action (the usual way to evaluate).
    Greedy,
    /// Drawn from the policy, seeded.
    Sampled(u64),
}

/// Runs `episodes` held-out episodes of `make_env()` (seeds from [`EVALUATION_SEED_BASE`])
/// under `policy` (inference weights on `device`); returns their statistics.
pub fn evaluate<E: Environment>(
    policy: &ActorCritic,
    device: &Device,
    make_env: impl Fn() -> E,
    episodes: usize,
    choice: ActionChoice,
) -> Result<ReturnStats> {
    let mut rng = consort_core::seed::rng(match choice {
        ActionChoice::Sampled(s) => s,
        ActionChoice::Greedy => 0,
    });
    let mut returns = Vec::with_capacity(episodes);
    for e in 0..episodes {
        let mut env = EpisodeStatistics::new(make_env());
        let mut obs = env.reset(Some(EVALUATION_SEED_BASE + e as u64));
        loop {
            let logits = to_vec(policy.logits(observations_tensor(&[obs], device)))?;
            let action = match choice {
                ActionChoice::Greedy => greedy(&logits),
                ActionChoice::Sampled(_) => sample(&softmax_row(&logits), &mut rng),
            };
            let r = env.step(action)?;
            if let Some(ep) = r.episode {
                returns.push(ep.episode_return);
                break;
            }
            obs = r.next_state;
        }
    }
    Ok(ReturnStats::new(returns))
}

/// The first point where the mean of `window` consecutive episode returns reaches
/// `threshold`: the index of the episode that completed that window (`None` if never).
pub fn solved_at(returns: &[f64], window: usize, threshold: f64) -> Option<usize> {
    if window == 0 || returns.len() < window {
        return None;
    }
    let mut sum: f64 = returns[..window].iter().sum();
    if sum / window as f64 >= threshold {
        return Some(window - 1);
    }
    for i in window..returns.len() {
        sum += returns[i] - returns[i - window];
        if sum / window as f64 >= threshold {
            return Some(i);
        }
    }
    None
}

/// A learning curve: each run's episode returns against environment steps, smoothed over
/// `window` episodes.
pub fn learning_curve(
    title: &str,
    runs: &[(String, Vec<(usize, f64)>)],
    window: usize,
) -> LineChart {
    runs.iter().fold(
        LineChart::new(title, "environment steps", "episode return (moving mean)"),
        |chart, (name, episodes)| {
            let points = episodes
                .iter()
                .enumerate()
                .map(|(i, &(step, _))| {
                    let from = (i + 1).saturating_sub(window.max(1));
                    let slice = &episodes[from..=i];
                    let mean = slice.iter().map(|e| e.1).sum::<f64>() / slice.len() as f64;
                    (step as f64, mean)
                })
                .collect();
            chart.with_series(name.clone(), points)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_and_the_solve_point() {
        let s = ReturnStats::new(vec![1.0, 3.0]);
        assert_eq!((s.mean, s.std), (2.0, 1.0));
        let returns = [10.0, 500.0, 500.0, 480.0, 20.0];
        assert_eq!(solved_at(&returns, 2, 475.0), Some(2));
        assert_eq!(solved_at(&returns, 3, 475.0), Some(3));
        assert_eq!(solved_at(&returns, 5, 475.0), None);
        assert_eq!(solved_at(&returns, 9, 1.0), None);
    }
}
