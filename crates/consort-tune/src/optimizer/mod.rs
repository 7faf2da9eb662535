//! The optimisers the loop can run: Adam (burn's, fused into one pass on flex:
//! [`FusedAdam`]), AdamW and SGD with momentum, chosen in [`TrainConfig`](crate::TrainConfig).
//! All three become burn's type-erased `ModuleOptimizer`, whose state saves into checkpoints.

mod adam;
#[cfg(feature = "flex")]
mod adam_kernel;

pub use adam::FusedAdam;

/// Adam's moment decays (burn's defaults, which the fused step keeps).
const BETA_1: f32 = 0.9;
const BETA_2: f32 = 0.999;

use burn::grad_clipping::GradientClippingConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamWConfig, ModuleOptimizer, SgdConfig};
use consort_core::{ConsortError, ParamGuard, Result};
use serde::{Deserialize, Serialize};

/// An optimiser and its own hyperparameters (the learning rate, weight decay and clipping are
/// the loop's, in [`TrainConfig`](crate::TrainConfig)).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub enum OptimizerConfig {
    /// Adam (Kingma & Ba), betas 0.9 / 0.999; weight decay is added to the gradient (L2).
    #[default]
    Adam,
    /// AdamW (Loshchilov & Hutter): Adam with weight decay decoupled from the gradient.
    AdamW,
    /// Stochastic gradient descent with (optionally Nesterov) momentum.
    Sgd {
        /// Momentum factor in [0, 1); 0 is plain SGD.
        momentum: f64,
        /// Nesterov's variant.
        nesterov: bool,
    },
}

impl OptimizerConfig {
    /// SGD with classical momentum `momentum`.
    pub fn sgd(momentum: f64) -> Self {
        Self::Sgd {
            momentum,
            nesterov: false,
        }
    }

    /// The burn optimiser with `weight_decay` (0: none) and gradient-norm clipping.
    pub fn init(&self, weight_decay: f32, clip_norm: Option<f32>) -> Result<ModuleOptimizer> {
        self.check()?;
        let clipping = clip_norm.map(GradientClippingConfig::Norm);
        let decay = (weight_decay > 0.0).then(|| WeightDecayConfig::new(weight_decay));
        Ok(match *self {
            Self::Adam => {
                let optim = ModuleOptimizer::from(FusedAdam::new(
                    (weight_decay > 0.0).then_some(weight_decay),
                ));
                match clipping {
                    Some(clipping) => optim.with_grad_clipping(clipping.init()),
                    None => optim,
                }
            }
            Self::AdamW => AdamWConfig::new()
                .with_weight_decay(weight_decay)
                .with_grad_clipping(clipping)
                .init(),
            Self::Sgd { momentum, nesterov } => SgdConfig::new()
                .with_weight_decay(decay)
                .with_momentum((momentum > 0.0).then(|| {
                    // PyTorch's classical momentum: no dampening (burn's default is 0.1).
                    MomentumConfig::new()
                        .with_momentum(momentum)
                        .with_dampening(0.0)
                        .with_nesterov(nesterov)
                }))
                .with_gradient_clipping(clipping)
                .init(),
        })
    }
}

impl ParamGuard for OptimizerConfig {
    fn check(&self) -> Result<()> {
        if let Self::Sgd { momentum, .. } = *self
            && !(0.0..1.0).contains(&momentum)
        {
            return Err(ConsortError::config(format!(
                "sgd momentum must lie in [0, 1), got {momentum}"
            )));
        }
        Ok(())
    }
}

/// The optimiser's per-parameter state at the end of a run (Adam's moments and step counts,
/// SGD's momentum), handed to the next run so that an incremental update continues where the
/// last one stopped instead of restarting the moments from zero.
///
/// The next run builds its own optimiser from its [`TrainConfig`](crate::TrainConfig) (its
/// learning rate, weight decay and clipping) and loads this state into it; parameters whose
/// state does not fit the new optimiser (another kind of optimiser, a new parameter) start
/// fresh.
#[derive(Clone)]
pub struct OptimizerState(pub(crate) ModuleOptimizer);

impl OptimizerState {
    /// `fresh` with this state loaded.
    pub(crate) fn load_into(&self, fresh: ModuleOptimizer) -> ModuleOptimizer {
        fresh.load_record(self.0.to_record())
    }
}

impl std::fmt::Debug for OptimizerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OptimizerState").finish_non_exhaustive()
    }
}
