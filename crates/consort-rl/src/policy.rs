//! The actor-critic network of the policy-gradient methods: separate MLPs for the policy
//! (observation -> action logits) and the value (observation -> expected return), tanh hidden
//! layers, orthogonal initialisation with the gains PPO's implementations use (sqrt 2 in the
//! hidden layers, 0.01 on the policy head so the first policy is near uniform, 1 on the value
//! head), zero biases.

use burn::module::{Module, Param};
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::{Device, Int, Tensor, TensorData};
use consort_core::seed::{init_now, seeded};
use consort_core::{ConsortError, Result};
use consort_models::{Dense, Forward, Network};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Sizes of an [`ActorCritic`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActorCriticConfig {
    /// Observation length.
    pub observation_dim: usize,
    /// Number of discrete actions.
    pub n_actions: usize,
    /// Hidden widths of each of the two networks.
    pub hidden: Vec<usize>,
}

impl ActorCriticConfig {
    /// Two hidden layers of 64 (the usual size for classic-control tasks).
    pub fn new(observation_dim: usize, n_actions: usize) -> Self {
        Self {
            observation_dim,
            n_actions,
            hidden: vec![64, 64],
        }
    }

    /// Other hidden widths.
    pub fn with_hidden(mut self, hidden: Vec<usize>) -> Self {
        self.hidden = hidden;
        self
    }

    /// Builds the network on `device`, initialised from `seed`.
    pub fn init(&self, device: &Device, seed: u64) -> Result<ActorCritic> {
        if self.observation_dim == 0 || self.n_actions < 2 || self.hidden.contains(&0) {
            return Err(ConsortError::config(format!(
                "an actor-critic needs observations, >= 2 actions and non-empty layers, got \
                 {} -> {:?} -> {}",
                self.observation_dim, self.hidden, self.n_actions
            )));
        }
        Ok(seeded(device, seed, || {
            let mlp = |out: usize, head_gain: f64| {
                let mut widths = vec![self.observation_dim];
                widths.extend(&self.hidden);
                let mut layers: Vec<Linear> = widths
                    .windows(2)
                    .map(|w| orthogonal(w[0], w[1], 2f64.sqrt(), device))
                    .collect();
                layers.push(orthogonal(
                    *widths.last().expect("input"),
                    out,
                    head_gain,
                    device,
                ));
                layers
            };
            init_now(ActorCritic {
                actor: mlp(self.n_actions, 0.01),
                critic: mlp(1, 1.0),
            })
        }))
    }
}

/// A linear layer with an orthogonal weight of `gain` and a zero bias.
fn orthogonal(d_in: usize, d_out: usize, gain: f64, device: &Device) -> Linear {
    let mut layer = LinearConfig::new(d_in, d_out)
        .with_bias(false)
        .with_initializer(Initializer::Orthogonal { gain })
        .init(device);
    layer.bias = Some(Param::from_tensor(Tensor::zeros([d_out], device)));
    layer
}

/// Policy and value networks.
#[derive(Module, Debug)]
pub struct ActorCritic {
    pub(crate) actor: Vec<Linear>,
    pub(crate) critic: Vec<Linear>,
}

fn run(layers: &[Linear], x: Tensor<2>) -> Tensor<2> {
    let last = layers.len() - 1;
    layers.iter().enumerate().fold(x, |h, (i, l)| {
        let h = l.forward(h);
        if i < last { h.tanh() } else { h }
    })
}

impl ActorCritic {
    /// Action logits, `[n, n_actions]`.
    pub fn logits(&self, observations: Tensor<2>) -> Tensor<2> {
        run(&self.actor, observations)
    }

    /// State values, `[n]`.
    pub fn values(&self, observations: Tensor<2>) -> Tensor<1> {
        let v = run(&self.critic, observations);
        let n = v.dims()[0];
        v.reshape([n])
    }

    /// Number of actions.
    pub fn n_actions(&self) -> usize {
        self.actor.last().expect("a head").weight.dims()[1]
    }

    /// Observation length.
    pub fn observation_dim(&self) -> usize {
        self.actor[0].weight.dims()[0]
    }
}

/// The policy as a network of the supervised loop (behaviour cloning): the actor's logits, and
/// its last hidden activations as features.
impl Network for ActorCritic {
    fn forward(&self, x: Dense) -> Forward {
        let (head, hidden) = self.actor.split_last().expect("a head");
        let features = hidden.iter().fold(x, |h, l| l.forward(h).tanh());
        Forward {
            logits: head.forward(features.clone()),
            features,
        }
    }
}

/// Log-probabilities of `actions` under `logits` and the policy's entropy, per row.
pub fn log_prob_and_entropy(logits: Tensor<2>, actions: Tensor<1, Int>) -> (Tensor<1>, Tensor<1>) {
    let n = logits.dims()[0];
    let log_p = log_softmax(logits, 1);
    let chosen = log_p
        .clone()
        .gather(1, actions.reshape([n, 1]))
        .reshape([n]);
    let entropy = (softmax(log_p.clone(), 1) * log_p)
        .sum_dim(1)
        .reshape([n])
        .neg();
    (chosen, entropy)
}

/// Observations as a `[n, d]` tensor.
pub fn observations_tensor(rows: &[Vec<f32>], device: &Device) -> Tensor<2> {
    let d = rows.first().map_or(0, Vec::len);
    let values: Vec<f32> = rows.iter().flatten().copied().collect();
    Tensor::from_data(TensorData::new(values, [rows.len(), d]), device)
}

/// Actions as an integer tensor.
pub fn actions_tensor(actions: &[usize], device: &Device) -> Tensor<1, Int> {
    let values: Vec<i64> = actions.iter().map(|&a| a as i64).collect();
    Tensor::from_data(TensorData::new(values, [actions.len()]), device)
}

/// A float tensor's values on the host.
pub fn to_vec<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .map_err(|e| ConsortError::Backend(format!("{e:?}")))
}

/// Softmax of one row of logits, in f64.
pub fn softmax_row(logits: &[f32]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f64> = logits.iter().map(|&l| f64::from(l - max).exp()).collect();
    let sum: f64 = exp.iter().sum();
    exp.into_iter().map(|e| e / sum).collect()
}

/// Draws an action from probabilities `p`.
pub fn sample(p: &[f64], rng: &mut impl Rng) -> usize {
    let u: f64 = rng.random();
    let mut acc = 0.0;
    for (i, &pi) in p.iter().enumerate() {
        acc += pi;
        if u < acc {
            return i;
        }
    }
    p.len() - 1
}

/// Standardises advantages in place: mean 0, unit (sample) standard deviation; fewer than
/// two values are left as they are.
pub fn standardize(values: &mut [f32]) {
    let n = values.len();
    if n < 2 {
        return;
    }
    let mean = values.iter().sum::<f32>() / n as f32;
    let std = (values.iter().map(|a| (a - mean).powi(2)).sum::<f32>() / (n - 1) as f32).sqrt();
    values
        .iter_mut()
        .for_each(|a| *a = (*a - mean) / (std + 1e-8));
}

/// The most probable action.
pub fn greedy(logits: &[f32]) -> usize {
    logits
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use consort_core::BackendKind;

    #[test]
    fn the_first_policy_is_near_uniform_and_log_probs_are_consistent() {
        let device = BackendKind::chosen(None).unwrap().device().unwrap();
        let net = ActorCriticConfig::new(4, 2).init(&device, 0).unwrap();
        assert_eq!((net.observation_dim(), net.n_actions()), (4, 2));
        let obs = observations_tensor(&[vec![0.1, -0.2, 0.03, 0.5], vec![1.0; 4]], &device);
        let logits = to_vec(net.logits(obs.clone())).unwrap();
        for row in logits.chunks(2) {
            let p = softmax_row(row);
            assert!((p[0] - 0.5).abs() < 0.05, "{p:?}");
        }
        let (lp, ent) = log_prob_and_entropy(net.logits(obs), actions_tensor(&[0, 1], &device));
        let (lp, ent) = (to_vec(lp).unwrap(), to_vec(ent).unwrap());
        let p0 = softmax_row(&logits[0..2])[0];
        assert!((f64::from(lp[0]) - p0.ln()).abs() < 1e-5);
        assert!((f64::from(ent[0]) - 2f64.ln()).abs() < 0.01);
        assert!(ActorCriticConfig::new(4, 1).init(&device, 0).is_err());
    }

    #[test]
    fn sampling_follows_the_probabilities() {
        let mut rng = consort_core::seed::rng(0);
        let n = 20_000;
        let ones = (0..n)
            .filter(|_| sample(&[0.3, 0.7], &mut rng) == 1)
            .count();
        assert!((ones as f64 / n as f64 - 0.7).abs() < 0.01);
        assert_eq!(greedy(&[0.1, 2.0, -1.0]), 1);
    }
}
