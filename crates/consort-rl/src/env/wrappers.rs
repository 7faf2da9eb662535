//! Wrappers, each an [`Environment`] around another: a time limit, episode statistics, and
//! observation and reward normalisation by running statistics (Gymnasium's wrappers of the
//! same names).

use consort_core::{ConsortError, Result};

use super::{Environment, EpisodeRecord, StepResult};

/// Truncates episodes after `max_steps` steps (Gymnasium's `TimeLimit`: a step that both
/// terminates and reaches the limit reports both flags).
#[derive(Debug, Clone)]
pub struct TimeLimit<E> {
    inner: E,
    max_steps: usize,
    elapsed: usize,
    over: bool,
}

impl<E: Environment> TimeLimit<E> {
    /// `inner` limited to `max_steps` steps per episode.
    pub fn new(inner: E, max_steps: usize) -> Self {
        Self {
            inner,
            max_steps,
            elapsed: 0,
            over: false,
        }
    }

    /// The wrapped environment.
    pub fn inner(&self) -> &E {
        &self.inner
    }

    /// The wrapped environment, mutably (to start from a given state, say).
    pub fn inner_mut(&mut self) -> &mut E {
        self.elapsed = 0;
        self.over = false;
        &mut self.inner
    }

    /// Steps taken in this episode.
    pub fn elapsed(&self) -> usize {
        self.elapsed
    }
}

impl<E: Environment> Environment for TimeLimit<E> {
    fn observation_dim(&self) -> usize {
        self.inner.observation_dim()
    }
    fn n_actions(&self) -> usize {
        self.inner.n_actions()
    }
    fn reset(&mut self, seed: Option<u64>) -> Vec<f32> {
        self.elapsed = 0;
        self.over = false;
        self.inner.reset(seed)
    }
    fn step(&mut self, action: usize) -> Result<StepResult> {
        if self.over {
            return Err(ConsortError::InvalidInput(
                "stepped after the time limit ended the episode: reset it first".into(),
            ));
        }
        let mut r = self.inner.step(action)?;
        self.elapsed += 1;
        if self.elapsed >= self.max_steps {
            r.truncated = true;
            self.over = true;
        }
        Ok(r)
    }
}

/// Records each episode's return and length into [`StepResult::episode`] on its last step.
#[derive(Debug, Clone)]
pub struct EpisodeStatistics<E> {
    inner: E,
    episode_return: f64,
    length: usize,
}

impl<E: Environment> EpisodeStatistics<E> {
    /// Statistics of `inner`'s episodes.
    pub fn new(inner: E) -> Self {
        Self {
            inner,
            episode_return: 0.0,
            length: 0,
        }
    }

    /// The wrapped environment.
    pub fn inner(&self) -> &E {
        &self.inner
    }
}

impl<E: Environment> Environment for EpisodeStatistics<E> {
    fn observation_dim(&self) -> usize {
        self.inner.observation_dim()
    }
    fn n_actions(&self) -> usize {
        self.inner.n_actions()
    }
    fn reset(&mut self, seed: Option<u64>) -> Vec<f32> {
        self.episode_return = 0.0;
        self.length = 0;
        self.inner.reset(seed)
    }
    fn step(&mut self, action: usize) -> Result<StepResult> {
        let mut r = self.inner.step(action)?;
        self.episode_return += r.reward;
        self.length += 1;
        if r.done() {
            r.episode = Some(EpisodeRecord {
                episode_return: self.episode_return,
                length: self.length,
            });
        }
        Ok(r)
    }
}

/// Running mean and variance of vectors (Chan et al.'s parallel update, as in Gymnasium and
/// Stable-Baselines3), seeded with a tiny pseudo-count so the first update is well defined.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningMeanStd {
    /// Per-component mean.
    pub mean: Vec<f64>,
    /// Per-component (population) variance.
    pub var: Vec<f64>,
    /// Samples seen (plus the pseudo-count).
    pub count: f64,
}

impl RunningMeanStd {
    /// Statistics of `dim`-component vectors: mean 0, variance 1, count 1e-4.
    pub fn new(dim: usize) -> Self {
        Self {
            mean: vec![0.0; dim],
            var: vec![1.0; dim],
            count: 1e-4,
        }
    }

    /// Adds one sample.
    pub fn update(&mut self, x: &[f64]) {
        let n = self.count + 1.0;
        for ((m, v), &xi) in self.mean.iter_mut().zip(&mut self.var).zip(x) {
            let delta = xi - *m;
            let new_mean = *m + delta / n;
            // M2 of the merge of (count, mean, var) and (1, x, 0).
            let m2 = *v * self.count + delta * delta * self.count / n;
            *m = new_mean;
            *v = m2 / n;
        }
        self.count = n;
    }

    /// `x` standardised: `(x - mean) / sqrt(var + eps)`.
    pub fn normalize(&self, x: f64, i: usize, eps: f64) -> f64 {
        (x - self.mean[i]) / (self.var[i] + eps).sqrt()
    }
}

/// Standardises observations by running statistics, clipped to [-clip, clip]; the statistics
/// stop updating when frozen (for evaluation).
#[derive(Debug, Clone)]
pub struct NormalizeObservation<E> {
    inner: E,
    stats: RunningMeanStd,
    clip: f64,
    frozen: bool,
}

impl<E: Environment> NormalizeObservation<E> {
    /// `inner`'s observations standardised and clipped to [-10, 10].
    pub fn new(inner: E) -> Self {
        let dim = inner.observation_dim();
        Self {
            inner,
            stats: RunningMeanStd::new(dim),
            clip: 10.0,
            frozen: false,
        }
    }

    /// Stops (or resumes) updating the statistics.
    pub fn set_frozen(&mut self, frozen: bool) {
        self.frozen = frozen;
    }

    /// The statistics so far.
    pub fn stats(&self) -> &RunningMeanStd {
        &self.stats
    }

    fn apply(&mut self, obs: Vec<f32>) -> Vec<f32> {
        let x: Vec<f64> = obs.iter().map(|&v| f64::from(v)).collect();
        if !self.frozen {
            self.stats.update(&x);
        }
        x.iter()
            .enumerate()
            .map(|(i, &v)| {
                self.stats
                    .normalize(v, i, 1e-8)
                    .clamp(-self.clip, self.clip) as f32
            })
            .collect()
    }
}

impl<E: Environment> Environment for NormalizeObservation<E> {
    fn observation_dim(&self) -> usize {
        self.inner.observation_dim()
    }
    fn n_actions(&self) -> usize {
        self.inner.n_actions()
    }
    fn reset(&mut self, seed: Option<u64>) -> Vec<f32> {
        let obs = self.inner.reset(seed);
        self.apply(obs)
    }
    fn step(&mut self, action: usize) -> Result<StepResult> {
        let mut r = self.inner.step(action)?;
        r.next_state = self.apply(std::mem::take(&mut r.next_state));
        Ok(r)
    }
}

/// Scales rewards by the running standard deviation of the discounted return (Gymnasium's
/// `NormalizeReward`), so that returns of any size reach the value network at unit scale.
#[derive(Debug, Clone)]
pub struct NormalizeReward<E> {
    inner: E,
    stats: RunningMeanStd,
    gamma: f64,
    discounted: f64,
    frozen: bool,
}

impl<E: Environment> NormalizeReward<E> {
    /// `inner`'s rewards divided by the running std of the return discounted by `gamma`.
    pub fn new(inner: E, gamma: f64) -> Self {
        Self {
            inner,
            stats: RunningMeanStd::new(1),
            gamma,
            discounted: 0.0,
            frozen: false,
        }
    }

    /// Stops (or resumes) updating the statistics.
    pub fn set_frozen(&mut self, frozen: bool) {
        self.frozen = frozen;
    }
}

impl<E: Environment> Environment for NormalizeReward<E> {
    fn observation_dim(&self) -> usize {
        self.inner.observation_dim()
    }
    fn n_actions(&self) -> usize {
        self.inner.n_actions()
    }
    fn reset(&mut self, seed: Option<u64>) -> Vec<f32> {
        self.discounted = 0.0;
        self.inner.reset(seed)
    }
    fn step(&mut self, action: usize) -> Result<StepResult> {
        let mut r = self.inner.step(action)?;
        self.discounted = self.discounted * self.gamma + r.reward;
        if !self.frozen {
            self.stats.update(&[self.discounted]);
        }
        r.reward /= (self.stats.var[0] + 1e-8).sqrt();
        if r.done() {
            self.discounted = 0.0;
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::CartPole;

    #[test]
    fn the_time_limit_truncates_and_statistics_record_the_episode() {
        let mut env = EpisodeStatistics::new(TimeLimit::new(CartPole::new(0), 5));
        env.reset(Some(1));
        let mut last = None;
        for i in 0..5 {
            // Alternate pushes keep the pole up for 5 steps.
            let r = env.step(i % 2).unwrap();
            assert_eq!(r.truncated, i == 4);
            last = Some(r);
        }
        let r = last.unwrap();
        assert_eq!(
            r.episode,
            Some(EpisodeRecord {
                episode_return: 5.0,
                length: 5
            })
        );
        assert!(env.step(0).is_err(), "over until reset");
    }

    #[test]
    fn running_statistics_match_the_batch_ones() {
        let xs = [1.0, 2.0, 4.0, 7.0, -3.0];
        let mut s = RunningMeanStd::new(1);
        for x in xs {
            s.update(&[x]);
        }
        let mean = xs.iter().sum::<f64>() / 5.0;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 5.0;
        assert!((s.mean[0] - mean).abs() < 1e-3, "{} {mean}", s.mean[0]);
        assert!((s.var[0] - var).abs() < 1e-2, "{} {var}", s.var[0]);
    }

    #[test]
    fn normalised_observations_are_standardised() {
        let mut env = NormalizeObservation::new(CartPole::v1(0));
        let mut obs = vec![env.reset(Some(0))];
        for i in 0..400 {
            let r = env
                .step(usize::from(obs.last().unwrap()[2] > 0.0 || i % 7 == 0))
                .unwrap();
            obs.push(r.next_state.clone());
            if r.done() {
                obs.push(env.reset(None));
            }
        }
        let tail = &obs[200..];
        let mean = tail.iter().map(|o| f64::from(o[3])).sum::<f64>() / tail.len() as f64;
        assert!(mean.abs() < 0.5, "{mean}");
        let mut rewards = NormalizeReward::new(CartPole::v1(0), 0.99);
        rewards.reset(Some(0));
        let r = rewards.step(0).unwrap();
        assert!(r.reward.is_finite() && r.reward > 0.0);
    }
}
