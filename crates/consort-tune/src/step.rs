//! One epoch of optimiser steps: batches drawn by the sampler, one forward pass per batch
//! handed to every hook, losses summed, gradients (optionally accumulated) applied.

use std::sync::Arc;

use burn::lr_scheduler::module_lr_scheduler::ModuleLearningRate;
use burn::module::{ModuleVisitor, Param};
use burn::optim::{GradientsAccumulator, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};
use consort_core::seed::{derive_seed, seeded};
use consort_core::{Event, ObserverHandle};
use consort_data::InputSource;
use consort_models::Network;

use crate::hooks::{Batch, Hooks};
use crate::objective::{InputOf, Objective, scalar};
use crate::sampler::BatchSampler;
use crate::transfer::param_paths;

/// What one epoch needs besides the model and optimiser.
pub(crate) struct EpochPlan<'a> {
    pub epoch: usize,
    pub seed: u64,
    pub batch_size: usize,
    pub accumulation: usize,
    pub module_lr: ModuleLearningRate,
    pub task_weight: f32,
    pub sampler: &'a Arc<dyn BatchSampler>,
    pub device: &'a Device,
    pub observer: &'a ObserverHandle,
    pub label: &'a str,
}

/// The seed of an epoch's batch draw.
pub(crate) fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    derive_seed(seed, &format!("epoch{epoch}"))
}

/// Runs one epoch; returns the trained model and the mean loss, or why the epoch went
/// non-finite.
pub(crate) fn run_epoch<M, O>(
    plan: &EpochPlan<'_>,
    mut model: M,
    optim: &mut ModuleOptimizer,
    train: &O,
    hooks: &mut Hooks<'_, M, InputOf<O>>,
) -> Result<(M, f64), String>
where
    O: Objective,
    M: Network<InputOf<O>>,
{
    let batches = plan.sampler.epoch_batches(
        train.len(),
        plan.batch_size,
        epoch_seed(plan.seed, plan.epoch),
        plan.epoch,
    );
    let n_batches = batches.len();
    let k = plan.accumulation;
    let mut accumulator = GradientsAccumulator::<M>::new();
    let mut pending = 0;
    let mut loss_sum = 0.0;
    for (step, indices) in batches.into_iter().enumerate() {
        let batch = Batch {
            inputs: train.inputs().batch(&indices, plan.device),
            targets: train.targets(&indices, plan.device),
            indices,
        };
        // Dropout masks (and any other draw in the forward pass or a hook's loss) come from
        // the backend's one RNG: seeding it per batch, under the lock, makes them a function
        // of (seed, epoch, batch) alone, whatever else runs on other threads, and the same in
        // a run resumed from a checkpoint or an epoch retried after a rollback.
        let batch_seed = derive_seed(plan.seed, &format!("epoch{}.batch{step}", plan.epoch));
        let loss = seeded(plan.device, batch_seed, || {
            let forward = model.forward(hooks.augment(batch.inputs.clone()));
            let loss = train.loss(forward.logits.clone(), batch.targets.clone()) * plan.task_weight;
            hooks.add_extra_losses(loss, &model, &batch, &forward)
        });
        let value = scalar(loss.clone());
        if !value.is_finite() {
            return Err(format!("loss {value} at batch {}", step + 1));
        }
        loss_sum += value;
        if k == 1 {
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(plan.module_lr.clone(), model, grads);
        } else {
            // Summed gradients of k losses each scaled by 1/k: the gradient of their mean.
            let grads = GradientsParams::from_grads((loss / k as f32).backward(), &model);
            accumulator.accumulate(&model, grads);
            pending += 1;
            if pending == k || step + 1 == n_batches {
                model = optim.step(plan.module_lr.clone(), model, accumulator.grads());
                pending = 0;
            }
        }
        plan.observer.notify(&Event::BatchEnded {
            label: plan.label,
            epoch: plan.epoch,
            done: step + 1,
            total: n_batches,
        });
    }
    if let Some(path) = first_non_finite_param(&model) {
        return Err(format!("a weight of {path} became non-finite"));
    }
    Ok((model, loss_sum / n_batches.max(1) as f64))
}

/// The path of the first parameter holding a NaN or infinity (a NaN gradient lands there).
/// One device read for the whole model on the hot path: a sum over every parameter is finite
/// exactly when all of them are (short of overflow, which is divergence too); only a
/// non-finite total looks at parameters one by one.
pub(crate) fn first_non_finite_param<M: burn::module::Module>(model: &M) -> Option<String> {
    /// Per-parameter sums, in visit order.
    #[derive(Default)]
    struct Sums(Vec<Tensor<1>>);
    impl ModuleVisitor for Sums {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.val().detach().sum());
        }
    }
    let mut sums = Sums::default();
    model.visit(&mut sums);
    let total = sums.0.iter().cloned().reduce(|a, b| a + b)?;
    if scalar(total).is_finite() {
        return None;
    }
    sums.0
        .into_iter()
        .zip(param_paths(model))
        .find(|(s, _)| !scalar(s.clone()).is_finite())
        .map(|(_, path)| path)
        .or_else(|| Some("the model".into()))
}
