//! PPO's settings: the hyperparameters, the KL penalty to a reference policy and the solve
//! criterion, validated once before training.

use consort_core::{BackendKind, ConsortError, ParamGuard, Result};

/// The KL penalty to a reference policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KlPenalty {
    /// A constant coefficient.
    Fixed(f64),
    /// Start at `initial`; after each update double it when the measured KL exceeded
    /// 1.5 x `target`, halve it when it fell below `target` / 1.5.
    Adaptive {
        /// The first coefficient.
        initial: f64,
        /// The KL per state aimed at.
        target: f64,
    },
}

impl KlPenalty {
    pub(super) fn initial(self) -> f64 {
        match self {
            Self::Fixed(b) | Self::Adaptive { initial: b, .. } => b,
        }
    }
}

/// When a run counts as solved: the mean return of `window` consecutive training episodes
/// reaches `threshold`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolveCriterion {
    /// Episodes averaged.
    pub window: usize,
    /// Mean return needed.
    pub threshold: f64,
    /// Stop training once solved.
    pub stop: bool,
}

impl SolveCriterion {
    /// Whether the last `window` of `returns` average at least `threshold`.
    pub fn met_by(&self, returns: &[f64]) -> bool {
        returns.len() >= self.window
            && returns[returns.len() - self.window..].iter().sum::<f64>() / self.window as f64
                >= self.threshold
    }

    /// CartPole-v1's: 475 over 100 consecutive episodes, stopping there.
    pub fn cartpole() -> Self {
        Self {
            window: 100,
            threshold: 475.0,
            stop: true,
        }
    }
}

/// PPO's hyperparameters.
#[derive(Debug, Clone, PartialEq)]
pub struct PpoConfig {
    /// Copies of the environment stepped together.
    pub n_envs: usize,
    /// Steps per copy in each rollout.
    pub n_steps: usize,
    /// Environment steps in all (the budget).
    pub total_steps: usize,
    /// Adam's learning rate at the start.
    pub learning_rate: f64,
    /// Decay the learning rate linearly to 0 over the budget.
    pub anneal_lr: bool,
    /// Discount.
    pub gamma: f64,
    /// GAE's lambda.
    pub gae_lambda: f64,
    /// Minibatches per epoch.
    pub n_minibatches: usize,
    /// Passes over each rollout.
    pub update_epochs: usize,
    /// Standardise advantages in each minibatch.
    pub normalize_advantages: bool,
    /// The surrogate's clip range at the start.
    pub clip_coef: f64,
    /// Decay the clip range linearly to 0 over the budget.
    pub anneal_clip: bool,
    /// Weight of the entropy bonus.
    pub ent_coef: f64,
    /// Weight of the value loss.
    pub vf_coef: f64,
    /// Gradient-norm clip (burn clips each parameter tensor's gradient to this norm).
    pub max_grad_norm: Option<f32>,
    /// The KL penalty to the reference policy (used only when one is given).
    pub kl: Option<KlPenalty>,
    /// When to call the run solved (and maybe stop).
    pub solve: Option<SolveCriterion>,
    /// Hidden widths of the policy and value networks.
    pub hidden: Vec<usize>,
    /// Seed of the initialisation, the environments, the action draws and the minibatches.
    pub seed: u64,
    /// Backend of the networks (`None`: the default backend).
    pub backend: Option<BackendKind>,
}

impl Default for PpoConfig {
    /// CleanRL's `ppo.py` defaults for classic control (4 copies x 128 steps, lr 2.5e-4,
    /// 4 minibatches x 4 epochs, clip 0.2, entropy 0.01).
    fn default() -> Self {
        Self {
            n_envs: 4,
            n_steps: 128,
            total_steps: 500_000,
            learning_rate: 2.5e-4,
            anneal_lr: true,
            gamma: 0.99,
            gae_lambda: 0.95,
            n_minibatches: 4,
            update_epochs: 4,
            normalize_advantages: true,
            clip_coef: 0.2,
            anneal_clip: false,
            ent_coef: 0.01,
            vf_coef: 0.5,
            max_grad_norm: Some(0.5),
            kl: None,
            solve: None,
            hidden: vec![64, 64],
            seed: 0,
            backend: None,
        }
    }
}

impl PpoConfig {
    /// The tuned CartPole-v1 settings of rl-baselines3-zoo (8 copies x 32 steps, one
    /// minibatch of 256 for 20 epochs, gamma 0.98, lambda 0.8, lr 1e-3 and clip 0.2 both
    /// decayed linearly, no entropy bonus), with a budget of 100,000 steps and CartPole's
    /// solve criterion.
    pub fn cartpole() -> Self {
        Self {
            n_envs: 8,
            n_steps: 32,
            total_steps: 100_000,
            learning_rate: 1e-3,
            anneal_lr: true,
            gamma: 0.98,
            gae_lambda: 0.8,
            n_minibatches: 1,
            update_epochs: 20,
            clip_coef: 0.2,
            anneal_clip: true,
            ent_coef: 0.0,
            solve: Some(SolveCriterion::cartpole()),
            ..Self::default()
        }
    }

    /// The same settings with another seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The same settings on another backend.
    pub fn with_backend(mut self, backend: Option<BackendKind>) -> Self {
        self.backend = backend;
        self
    }

    /// Samples per rollout.
    pub fn batch_size(&self) -> usize {
        self.n_envs * self.n_steps
    }
}

impl ParamGuard for PpoConfig {
    fn check(&self) -> Result<()> {
        let bad = |m: String| Err(ConsortError::config(m));
        if self.n_envs == 0 || self.n_steps == 0 || self.update_epochs == 0 {
            return bad("PPO needs n_envs, n_steps and update_epochs >= 1".into());
        }
        if self.n_minibatches == 0 || self.n_minibatches > self.batch_size() {
            return bad(format!(
                "n_minibatches must lie in 1..={} (the rollout's samples), got {}",
                self.batch_size(),
                self.n_minibatches
            ));
        }
        if self.total_steps < self.batch_size() {
            return bad(format!(
                "total_steps {} is less than one rollout ({})",
                self.total_steps,
                self.batch_size()
            ));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(format!(
                "learning rate must be positive, got {}",
                self.learning_rate
            ));
        }
        for (name, v) in [("gamma", self.gamma), ("gae_lambda", self.gae_lambda)] {
            if !(0.0..=1.0).contains(&v) {
                return bad(format!("{name} must lie in [0, 1], got {v}"));
            }
        }
        if !(self.clip_coef.is_finite() && self.clip_coef > 0.0) {
            return bad(format!(
                "clip_coef must be positive, got {}",
                self.clip_coef
            ));
        }
        for (name, v) in [("ent_coef", self.ent_coef), ("vf_coef", self.vf_coef)] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(format!("{name} must be >= 0, got {v}"));
            }
        }
        if let Some(kl) = self.kl {
            let ok = match kl {
                KlPenalty::Fixed(b) => b.is_finite() && b >= 0.0,
                KlPenalty::Adaptive { initial, target } => {
                    initial.is_finite() && initial > 0.0 && target.is_finite() && target > 0.0
                }
            };
            if !ok {
                return bad(format!("invalid KL penalty {kl:?}"));
            }
        }
        if self.solve.is_some_and(|s| s.window == 0) {
            return bad("the solve criterion needs a window >= 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::CartPole;
    use crate::policy::ActorCriticConfig;
    use crate::ppo::train_ppo;
    use consort_core::{BackendKind, ObserverHandle};

    #[test]
    fn invalid_settings_and_mismatched_policies_are_typed_errors() {
        let bad = [
            PpoConfig {
                n_envs: 0,
                ..PpoConfig::cartpole()
            },
            PpoConfig {
                n_minibatches: 1000,
                ..PpoConfig::cartpole()
            },
            PpoConfig {
                total_steps: 10,
                ..PpoConfig::cartpole()
            },
            PpoConfig {
                gamma: 1.5,
                ..PpoConfig::cartpole()
            },
            PpoConfig {
                learning_rate: f64::NAN,
                ..PpoConfig::cartpole()
            },
            PpoConfig {
                kl: Some(KlPenalty::Adaptive {
                    initial: 0.1,
                    target: 0.0,
                }),
                ..PpoConfig::cartpole()
            },
        ];
        for c in bad {
            assert!(
                matches!(c.check(), Err(ConsortError::InvalidConfig { .. })),
                "{c:?}"
            );
        }
        let device = BackendKind::chosen(None).unwrap().device().unwrap();
        let wrong = ActorCriticConfig::new(3, 2).init(&device, 0).unwrap();
        let config = PpoConfig {
            total_steps: 256,
            ..PpoConfig::cartpole()
        };
        let err = train_ppo(
            &config,
            |i| CartPole::v1(i as u64),
            Some(wrong),
            None,
            &ObserverHandle::none(),
        );
        assert!(matches!(err, Err(ConsortError::ShapeMismatch(_))));
    }

    #[test]
    fn the_adaptive_kl_coefficient_follows_the_measured_kl() {
        let device = BackendKind::chosen(None).unwrap().device().unwrap();
        // A reference unlike the starting policy, so the KL is far from the target at first.
        let reference = ActorCriticConfig::new(4, 2).init(&device, 7).unwrap();
        let target = 0.01;
        let config = PpoConfig {
            total_steps: 8 * 256,
            kl: Some(KlPenalty::Adaptive {
                initial: 0.05,
                target,
            }),
            ..PpoConfig::cartpole()
        };
        let run = train_ppo(
            &config,
            |i| CartPole::v1(i as u64),
            None,
            Some(&reference),
            &ObserverHandle::none(),
        )
        .unwrap();
        assert_eq!(run.updates[0].kl_coef, 0.05);
        for pair in run.updates.windows(2) {
            let (kl, coef) = (pair[0].kl_to_reference, pair[0].kl_coef);
            let expected = if kl > 1.5 * target {
                coef * 2.0
            } else if kl < target / 1.5 {
                coef / 2.0
            } else {
                coef
            };
            assert_eq!(pair[1].kl_coef, expected, "{:?}", run.updates);
        }
        assert!(run.updates.iter().any(|u| u.kl_coef != 0.05));
    }

    #[test]
    fn the_same_seed_gives_the_same_run() {
        let config = PpoConfig {
            total_steps: 512,
            ..PpoConfig::cartpole()
        };
        let run = || {
            train_ppo(
                &config,
                |i| CartPole::v1(i as u64),
                None,
                None,
                &ObserverHandle::none(),
            )
            .unwrap()
        };
        let (a, b) = (run(), run());
        assert_eq!(a.episodes, b.episodes);
        assert_eq!(a.updates, b.updates);
    }
}
