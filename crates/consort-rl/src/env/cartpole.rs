//! CartPole-v1 with Gymnasium's exact dynamics (Barto, Sutton & Anderson 1983): Euler
//! integration of the cart-pole equations in f64, observations returned as f32, termination
//! when the pole leans past 12 degrees or the cart leaves [-2.4, 2.4], reward 1 for every step
//! including the terminating one. The 500-step limit is [`TimeLimit`](super::TimeLimit)'s,
//! as in Gymnasium (`CartPole::v1` applies it).

use consort_core::seed::rng;
use consort_core::{ConsortError, Result};
use rand::Rng;
use rand::rngs::StdRng;

use super::{Environment, StepResult, TimeLimit};

/// The physical constants (Gymnasium's defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CartPoleConstants {
    /// m/s².
    pub gravity: f64,
    /// kg.
    pub mass_cart: f64,
    /// kg.
    pub mass_pole: f64,
    /// Half the pole's length, m.
    pub half_length: f64,
    /// N, pushed left (action 0) or right (action 1).
    pub force: f64,
    /// Seconds between state updates.
    pub tau: f64,
    /// Radians (12 degrees).
    pub theta_threshold: f64,
    /// Metres.
    pub x_threshold: f64,
}

impl Default for CartPoleConstants {
    fn default() -> Self {
        Self {
            gravity: 9.8,
            mass_cart: 1.0,
            mass_pole: 0.1,
            half_length: 0.5,
            force: 10.0,
            tau: 0.02,
            theta_threshold: 12.0 * 2.0 * std::f64::consts::PI / 360.0,
            x_threshold: 2.4,
        }
    }
}

/// The cart-pole task without a time limit.
#[derive(Debug, Clone)]
pub struct CartPole {
    constants: CartPoleConstants,
    /// x, x_dot, theta, theta_dot (f64 inside, as in Gymnasium).
    state: [f64; 4],
    rng: StdRng,
    /// Steps taken since termination was first reported (`None` while running).
    steps_beyond_terminated: Option<usize>,
    started: bool,
}

impl CartPole {
    /// Gymnasium's CartPole with its default constants, seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self::with_constants(CartPoleConstants::default(), seed)
    }

    /// CartPole-v1: the task under a 500-step time limit.
    pub fn v1(seed: u64) -> TimeLimit<Self> {
        TimeLimit::new(Self::new(seed), 500)
    }

    /// The task with other constants.
    pub fn with_constants(constants: CartPoleConstants, seed: u64) -> Self {
        Self {
            constants,
            state: [0.0; 4],
            rng: rng(seed),
            steps_beyond_terminated: None,
            started: false,
        }
    }

    /// Starts an episode from a given state (x, x_dot, theta, theta_dot) instead of a random
    /// one: for replaying recorded episodes.
    pub fn reset_to(&mut self, state: [f64; 4]) -> Vec<f32> {
        self.state = state;
        self.steps_beyond_terminated = None;
        self.started = true;
        self.observation()
    }

    /// The internal state.
    pub fn state(&self) -> [f64; 4] {
        self.state
    }

    fn observation(&self) -> Vec<f32> {
        self.state.iter().map(|&v| v as f32).collect()
    }

    fn is_terminal(&self) -> bool {
        let [x, _, theta, _] = self.state;
        let c = &self.constants;
        x < -c.x_threshold
            || x > c.x_threshold
            || theta < -c.theta_threshold
            || theta > c.theta_threshold
    }
}

impl Environment for CartPole {
    fn observation_dim(&self) -> usize {
        4
    }

    fn n_actions(&self) -> usize {
        2
    }

    fn reset(&mut self, seed: Option<u64>) -> Vec<f32> {
        if let Some(s) = seed {
            self.rng = rng(s);
        }
        let mut state = [0.0; 4];
        for v in &mut state {
            *v = self.rng.random_range(-0.05..0.05);
        }
        self.reset_to(state)
    }

    fn step(&mut self, action: usize) -> Result<StepResult> {
        if action > 1 {
            return Err(ConsortError::InvalidInput(format!(
                "CartPole takes action 0 or 1, got {action}"
            )));
        }
        if !self.started {
            return Err(ConsortError::InvalidInput(
                "CartPole stepped before reset".into(),
            ));
        }
        if self.steps_beyond_terminated.is_some() {
            return Err(ConsortError::InvalidInput(
                "CartPole stepped after the episode terminated: reset it first".into(),
            ));
        }
        let c = &self.constants;
        let [x, x_dot, theta, theta_dot] = self.state;
        let force = if action == 1 { c.force } else { -c.force };
        let (sin, cos) = theta.sin_cos();
        let total_mass = c.mass_pole + c.mass_cart;
        let polemass_length = c.mass_pole * c.half_length;
        // The same expression order as Gymnasium's, so the f64 results agree to the last bit
        // as far as libm's sin and cos do.
        let temp = (force + polemass_length * (theta_dot * theta_dot) * sin) / total_mass;
        let theta_acc = (c.gravity * sin - cos * temp)
            / (c.half_length * (4.0 / 3.0 - c.mass_pole * (cos * cos) / total_mass));
        let x_acc = temp - polemass_length * theta_acc * cos / total_mass;
        self.state = [
            x + c.tau * x_dot,
            x_dot + c.tau * x_acc,
            theta + c.tau * theta_dot,
            theta_dot + c.tau * theta_acc,
        ];
        let terminated = self.is_terminal();
        if terminated {
            self.steps_beyond_terminated = Some(0);
        }
        Ok(StepResult {
            next_state: self.observation(),
            reward: 1.0,
            terminated,
            truncated: false,
            episode: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resets_are_seeded_and_small() {
        let mut a = CartPole::new(0);
        let mut b = CartPole::new(1);
        let s = a.reset(Some(7));
        assert_eq!(s, b.reset(Some(7)));
        assert!(s.iter().all(|v| v.abs() < 0.05));
        assert_ne!(a.reset(None), s);
    }

    #[test]
    fn misuse_is_an_error() {
        let mut env = CartPole::new(0);
        assert!(env.step(0).is_err(), "before reset");
        env.reset(Some(0));
        assert!(env.step(2).is_err());
        // Pushing one way topples the pole; the step after termination is refused.
        let mut steps = 0;
        while !env.step(1).unwrap().terminated {
            steps += 1;
            assert!(steps < 200);
        }
        assert!(env.step(1).is_err());
        env.reset(None);
        assert!(env.step(0).is_ok());
    }
}
