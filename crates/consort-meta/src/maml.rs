//! First-order MAML and Reptile on the sinusoid family, with the pretrained-on-all-tasks
//! baseline and the adaptation curve.
//!
//! Both algorithms share one outer loop: each meta-iteration draws `meta_batch` tasks, adapts
//! a clone of the meta-model to each (plain SGD, `inner_steps` steps of `inner_lr` on the
//! task's `k_shot` support points), turns the adapted clone into a meta-gradient, averages
//! them and takes one Adam step (the project's [`OptimizerConfig`]). The meta-gradient is
//! the only difference:
//! - first-order MAML: the gradient of the loss on fresh query points at the adapted weights
//!   (the clone keeps the meta-model's parameter ids, so it lands on the meta-model's
//!   parameters; burn has no second-order gradients, so no term through the inner steps);
//! - Reptile: the difference between the meta-weights and the adapted weights.
//!
//! Clones are dropped at the end of each task, so memory stays flat over iterations.

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::optim::{GradientsAccumulator, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use consort_core::seed::{derive_seed, rng, seeded};
use consort_core::{BackendKind, ConsortError, Event, Matrix, ObserverHandle, ParamGuard, Result};
use consort_data::batch::rows_to_tensor;
use consort_models::{Mlp, MlpConfig, Network};
use consort_tune::OptimizerConfig;

use crate::stats::MeanInterval;
use crate::tasks::SinusoidTask;

/// How the meta-model is trained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetaAlgorithm {
    /// First-order MAML.
    FirstOrderMaml,
    /// Reptile.
    Reptile,
    /// The baseline: one network regressing points of every task at once (no inner loop).
    Pretrained,
}

/// Settings of meta-training on sinusoids.
#[derive(Debug, Clone, PartialEq)]
pub struct MetaConfig {
    /// Support points per task.
    pub k_shot: usize,
    /// SGD step of the inner loop.
    pub inner_lr: f64,
    /// Inner steps during meta-training.
    pub inner_steps: usize,
    /// Tasks per meta-iteration.
    pub meta_batch: usize,
    /// Adam's learning rate in the outer loop.
    pub meta_lr: f64,
    /// Meta-iterations.
    pub iterations: usize,
    /// Hidden widths of the regressor (ReLU).
    pub hidden: Vec<usize>,
    /// Seed of initialisation and tasks.
    pub seed: u64,
    /// Backend of the network (`None`: the default backend).
    pub backend: Option<BackendKind>,
}

impl Default for MetaConfig {
    /// Finn et al.'s sinusoid settings: K = 10, one inner step of 0.01, 40-40 ReLU network,
    /// Adam 1e-3; 10 tasks per meta-iteration and 3,000 iterations fit a CPU test.
    fn default() -> Self {
        Self {
            k_shot: 10,
            inner_lr: 0.01,
            inner_steps: 1,
            meta_batch: 10,
            meta_lr: 1e-3,
            iterations: 3000,
            hidden: vec![40, 40],
            seed: 0,
            backend: None,
        }
    }
}

impl ParamGuard for MetaConfig {
    fn check(&self) -> Result<()> {
        if self.k_shot == 0 || self.meta_batch == 0 || self.iterations == 0 {
            return Err(ConsortError::config(
                "meta-training needs k_shot, meta_batch and iterations >= 1",
            ));
        }
        for (name, v) in [("inner_lr", self.inner_lr), ("meta_lr", self.meta_lr)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(ConsortError::config(format!(
                    "{name} must be positive, got {v}"
                )));
            }
        }
        Ok(())
    }
}

/// A meta-trained regressor.
#[derive(Debug)]
pub struct MetaRun {
    /// The meta-weights (on the training device).
    pub model: Mlp,
    /// The training device.
    pub device: Device,
    /// Mean query (or, for the baseline, training) loss per meta-iteration.
    pub losses: Vec<f64>,
}

/// Mean squared error of the regressor on `x` against `y`.
pub fn mse(model: &Mlp, x: Tensor<2>, y: Tensor<1>) -> Tensor<1> {
    let n = y.dims()[0];
    (model.forward(x).logits.reshape([n]) - y)
        .powi_scalar(2)
        .mean()
}

fn tensors(x: &Matrix, y: &[f32], device: &Device) -> (Tensor<2>, Tensor<1>) {
    let rows: Vec<usize> = (0..x.rows()).collect();
    (
        rows_to_tensor(x, &rows, device),
        Tensor::from_data(TensorData::new(y.to_vec(), [y.len()]), device),
    )
}

/// `steps` steps of plain SGD of `lr` on (`x`, `y`) from a clone of `model`.
pub fn adapt(model: &Mlp, x: &Tensor<2>, y: &Tensor<1>, lr: f64, steps: usize) -> Result<Mlp> {
    let mut fast = model.clone();
    let mut sgd: ModuleOptimizer = OptimizerConfig::sgd(0.0).init(0.0, None)?;
    for _ in 0..steps {
        let loss = mse(&fast, x.clone(), y.clone());
        let grads = GradientsParams::from_grads(loss.backward(), &fast);
        fast = sgd.step(lr, fast, grads);
    }
    Ok(fast)
}

/// Every float parameter's id and value, in visit order.
fn parameters(model: &Mlp) -> Vec<(ParamId, Tensor<1>)> {
    struct Collect(Vec<(ParamId, Tensor<1>)>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let v = param.val();
            let n = v.shape().num_elements();
            self.0.push((param.id, v.reshape([n])));
        }
    }
    let mut c = Collect(Vec::new());
    model.visit(&mut c);
    c.0
}

/// Reptile's meta-gradient: meta-weights minus adapted weights, per parameter, times `scale`.
fn reptile_gradient(meta: &Mlp, fast: &Mlp, scale: f32) -> GradientsParams {
    struct Shapes(Vec<Vec<usize>>);
    impl ModuleVisitor for Shapes {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.val().dims().to_vec());
        }
    }
    let mut shapes = Shapes(Vec::new());
    meta.visit(&mut shapes);
    let mut grads = GradientsParams::new();
    for (((id, theta), (_, phi)), shape) in parameters(meta)
        .into_iter()
        .zip(parameters(fast))
        .zip(shapes.0)
    {
        let diff = ((theta - phi) * scale).inner();
        match shape.len() {
            1 => grads.register(id, diff),
            2 => grads.register(id, diff.reshape([shape[0], shape[1]])),
            _ => unreachable!("an MLP has only vectors and matrices"),
        }
    }
    grads
}

/// Meta-trains a sinusoid regressor with `algorithm`.
pub fn meta_train_sinusoid(
    algorithm: MetaAlgorithm,
    config: &MetaConfig,
    observer: &ObserverHandle,
) -> Result<MetaRun> {
    config.check()?;
    let device = BackendKind::chosen(config.backend)?.device()?.autodiff();
    let mut model = seeded(&device, derive_seed(config.seed, "meta-init"), || {
        MlpConfig::new(1, config.hidden.clone(), 1).init(&device)
    });
    let mut outer = OptimizerConfig::Adam.init(0.0, None)?;
    let mut tasks = rng(derive_seed(config.seed, "meta-tasks"));
    let mut losses = Vec::with_capacity(config.iterations);
    let scale = 1.0 / config.meta_batch as f32;
    for iteration in 0..config.iterations {
        let mut accumulator = GradientsAccumulator::<Mlp>::new();
        let mut loss_sum = 0.0;
        for _ in 0..config.meta_batch {
            let task = SinusoidTask::sample(&mut tasks);
            let (xs, ys) = task.points(config.k_shot, &mut tasks);
            let (x, y) = tensors(&xs, &ys, &device);
            let grads = match algorithm {
                MetaAlgorithm::Pretrained => {
                    let loss = mse(&model, x, y) * scale;
                    loss_sum += f64::from(loss.clone().into_scalar::<f32>());
                    GradientsParams::from_grads(loss.backward(), &model)
                }
                MetaAlgorithm::FirstOrderMaml => {
                    let fast = adapt(&model, &x, &y, config.inner_lr, config.inner_steps)?;
                    let (qx, qy) = task.points(config.k_shot, &mut tasks);
                    let (qx, qy) = tensors(&qx, &qy, &device);
                    let loss = mse(&fast, qx, qy) * scale;
                    loss_sum += f64::from(loss.clone().into_scalar::<f32>());
                    GradientsParams::from_grads(loss.backward(), &fast)
                }
                MetaAlgorithm::Reptile => {
                    let fast = adapt(&model, &x, &y, config.inner_lr, config.inner_steps)?;
                    loss_sum += f64::from(mse(&fast, x, y).into_scalar::<f32>()) * f64::from(scale);
                    reptile_gradient(&model, &fast, scale)
                }
            };
            accumulator.accumulate(&model, grads);
        }
        if !loss_sum.is_finite() {
            return Err(ConsortError::NonFinite(format!(
                "meta-training loss {loss_sum} at iteration {iteration}"
            )));
        }
        losses.push(loss_sum);
        model = outer.step(config.meta_lr, model, accumulator.grads());
        observer.notify(&Event::Progress {
            label: "meta-train",
            done: iteration + 1,
            total: config.iterations,
        });
    }
    Ok(MetaRun {
        model,
        device,
        losses,
    })
}

/// Loss on held-out sinusoid tasks after each number of adaptation `steps` (SGD of
/// `inner_lr` on `k_shot` support points; the loss on 100 other points of the task):
/// mean and 95% interval over `n_tasks` tasks drawn with `seed`.
pub fn adaptation_curve(
    run: &MetaRun,
    config: &MetaConfig,
    n_tasks: usize,
    steps: &[usize],
    seed: u64,
) -> Result<Vec<(usize, MeanInterval)>> {
    let mut r = rng(derive_seed(seed, "held-out-tasks"));
    let mut per_step = vec![Vec::with_capacity(n_tasks); steps.len()];
    for _ in 0..n_tasks {
        let task = SinusoidTask::sample(&mut r);
        let (sx, sy) = task.points(config.k_shot, &mut r);
        let (qx, qy) = task.points(100, &mut r);
        let (sx, sy) = tensors(&sx, &sy, &run.device);
        let (qx, qy) = tensors(&qx, &qy, &run.device);
        for (slot, &s) in steps.iter().enumerate() {
            let fast = adapt(&run.model, &sx, &sy, config.inner_lr, s)?;
            let loss = mse(&fast, qx.clone(), qy.clone()).into_scalar::<f32>();
            per_step[slot].push(f64::from(loss));
        }
    }
    Ok(steps
        .iter()
        .zip(per_step)
        .map(|(&s, v)| (s, MeanInterval::of(&v)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_settings_are_typed_errors_and_runs_are_seeded() {
        for bad in [
            MetaConfig {
                k_shot: 0,
                ..MetaConfig::default()
            },
            MetaConfig {
                inner_lr: -1.0,
                ..MetaConfig::default()
            },
            MetaConfig {
                meta_lr: f64::NAN,
                ..MetaConfig::default()
            },
        ] {
            assert!(matches!(
                meta_train_sinusoid(MetaAlgorithm::Reptile, &bad, &ObserverHandle::none()),
                Err(ConsortError::InvalidConfig { .. })
            ));
        }
        let small = MetaConfig {
            iterations: 20,
            ..MetaConfig::default()
        };
        let run = |a| {
            meta_train_sinusoid(a, &small, &ObserverHandle::none())
                .unwrap()
                .losses
        };
        for a in [
            MetaAlgorithm::FirstOrderMaml,
            MetaAlgorithm::Reptile,
            MetaAlgorithm::Pretrained,
        ] {
            assert_eq!(run(a), run(a));
        }
    }
}
