//! Adam as one pass over each parameter on the flex CPU backend.
//!
//! burn's Adam updates a parameter through about a dozen tensor operations (scale the first
//! moment, scale the gradient, add, square, ... subtract), each one a pass over memory and a
//! new buffer. For the 28x28 CNN's 800,000-weight dense layer that is most of the fixed cost
//! of a batch. [`FusedAdam`] computes the same arithmetic, operation for operation in the same
//! order and in f32, in one pass over the parameter, its gradient and its two moments, so its
//! results are bit-identical to burn's (tested) and its state is burn's [`AdamState`]:
//! checkpoints and [`OptimizerState`](super::OptimizerState) written by either load into
//! the other. Parameters that are not contiguous f32 on flex go through burn's Adam.

#[cfg(feature = "flex")]
use burn::backend::flex::FlexTensor;
#[cfg(feature = "flex")]
use burn::optim::AdaptiveMomentumState;
use burn::optim::{Adam, AdamConfig, AdamState, LearningRate, Optimizer, decay::WeightDecayConfig};
#[cfg(feature = "flex")]
use burn::tensor::DType;

#[cfg(feature = "flex")]
use super::adam_kernel::{Moments, StepScalars, adam_step};
use burn::tensor::{Device, Tensor};

use super::{BETA_1, BETA_2};

/// Adam's hyperparameters, as burn's [`AdamConfig`] defaults them.
const EPSILON: f32 = 1e-5;

/// Adam with burn's arithmetic and state, fused into one pass on flex (see the module docs).
#[derive(Clone)]
pub struct FusedAdam {
    /// L2 penalty added to the gradient (burn's `WeightDecay`), if any.
    #[cfg(feature = "flex")]
    penalty: Option<f32>,
    /// burn's Adam with the same settings, for tensors the fused pass cannot take.
    fallback: Adam,
}

impl FusedAdam {
    /// Adam with betas 0.9 / 0.999, epsilon 1e-5 and an optional L2 `penalty`.
    pub fn new(penalty: Option<f32>) -> Self {
        let decay = penalty.map(WeightDecayConfig::new);
        Self {
            #[cfg(feature = "flex")]
            penalty,
            fallback: AdamConfig::new()
                .with_beta_1(BETA_1)
                .with_beta_2(BETA_2)
                .with_epsilon(EPSILON)
                .with_weight_decay(decay)
                .build(),
        }
    }
}

#[cfg(feature = "flex")]
mod flex {
    use burn::backend::Flex;
    use burn::backend::flex::FlexTensor;
    use burn::tensor::{DType, Tensor};

    /// Whether `t` is a contiguous f32 tensor on flex.
    pub(super) fn fits<const D: usize>(t: &Tensor<D>) -> bool {
        t.dtype() == DType::F32
            && t.clone()
                .try_into_primitive::<Flex>()
                .is_ok_and(|p| p.is_contiguous())
    }

    /// The flex tensor under `t`, which [`fits`] accepted.
    pub(super) fn primitive<const D: usize>(t: Tensor<D>) -> FlexTensor {
        t.try_into_primitive::<Flex>()
            .unwrap_or_else(|_| unreachable!("checked by `fits`"))
    }

    /// The values of a contiguous f32 flex tensor, in place when it owns its buffer (the
    /// parameter and the moments usually do), else in a copy (copy-on-write).
    pub(super) fn values_mut(t: &mut FlexTensor) -> &mut [f32] {
        let (start, end) = t
            .layout()
            .contiguous_offsets()
            .unwrap_or_else(|| unreachable!("checked by `fits`"));
        &mut t.storage_mut::<f32>()[start..end]
    }

    /// The values of a contiguous f32 flex tensor.
    pub(super) fn values(t: &FlexTensor) -> &[f32] {
        t.as_slice::<f32>()
            .unwrap_or_else(|| unreachable!("checked by `fits`"))
    }

    pub(super) fn tensor<const D: usize>(t: FlexTensor) -> Tensor<D> {
        Tensor::from_primitive::<Flex>(t)
    }
}

impl Optimizer for FusedAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        #[cfg(feature = "flex")]
        if self.fits(&tensor, &grad, state.as_ref()) {
            return self.fused_step(lr, tensor, grad, state);
        }
        self.fallback.step(lr, tensor, grad, state)
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        <Adam as Optimizer>::to_device(state, device)
    }
}

#[cfg(feature = "flex")]
impl FusedAdam {
    /// Whether the fused pass can take this step: every tensor contiguous f32 on flex, of one
    /// shape, and no AMSGrad maximum in the state.
    fn fits<const D: usize>(
        &self,
        tensor: &Tensor<D>,
        grad: &Tensor<D>,
        state: Option<&AdamState<D>>,
    ) -> bool {
        let shape = tensor.shape();
        let same = |t: &Tensor<D>| t.shape() == shape && flex::fits(t);
        same(tensor)
            && same(grad)
            && state.is_none_or(|state| {
                let momentum = &state.momentum;
                momentum.max_moment_2.is_none()
                    && same(&momentum.moment_1)
                    && same(&momentum.moment_2)
            })
    }

    /// The step on flex, for tensors [`Self::fits`] accepted.
    fn fused_step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<AdamState<D>>,
    ) -> (Tensor<D>, Option<AdamState<D>>) {
        let has_moments = state.is_some();
        let mut param = flex::primitive(tensor);
        let grad = flex::primitive(grad);
        let (mut m, mut v, time) = match state {
            Some(state) => {
                let momentum = state.momentum;
                (
                    flex::primitive(momentum.moment_1),
                    flex::primitive(momentum.moment_2),
                    momentum.time + 1,
                )
            }
            None => {
                // Written before being read: the first step starts the moments.
                let shape = param.layout().shape().clone();
                let empty = || FlexTensor::empty(shape.clone(), DType::F32);
                (empty(), empty(), 1)
            }
        };
        // AdaptiveMomentum::transform's scalars, in f32 as burn computes them.
        let time_i = time as i32;
        let bias_correction2_sqrt = (1.0 - BETA_2.powi(time_i)).sqrt();
        let combined_factor = bias_correction2_sqrt / (1.0 - BETA_1.powi(time_i));
        adam_step(
            Moments {
                param: flex::values_mut(&mut param),
                m: flex::values_mut(&mut m),
                v: flex::values_mut(&mut v),
            },
            flex::values(&grad),
            StepScalars {
                penalty: self.penalty,
                has_moments,
                combined_factor,
                epsilon: EPSILON * bias_correction2_sqrt,
                lr: lr as f32,
            },
        );
        let momentum = AdaptiveMomentumState::new(time, flex::tensor(m), flex::tensor(v));
        (flex::tensor(param), Some(AdamState::new(momentum)))
    }
}

#[cfg(all(test, feature = "flex"))]
mod tests {
    use burn::tensor::{Device, Distribution, Tensor, TensorData};

    use super::*;

    fn bits<const D: usize>(t: &Tensor<D>) -> Vec<u32> {
        t.to_data()
            .try_to_vec::<f32>()
            .unwrap()
            .iter()
            .map(|v| v.to_bits())
            .collect()
    }

    #[test]
    fn matches_burns_adam_bit_for_bit_over_several_steps() {
        let device = Device::flex();
        for penalty in [None, Some(0.01)] {
            let fused = FusedAdam::new(penalty);
            let reference = AdamConfig::new()
                .with_weight_decay(penalty.map(WeightDecayConfig::new))
                .build();
            let mut a: Tensor<2> =
                Tensor::random([37, 41], Distribution::Normal(0.0, 1.0), &device);
            let mut b = a.clone();
            let (mut state_a, mut state_b) = (None, None);
            for step in 0..5 {
                let grad: Tensor<2> =
                    Tensor::random([37, 41], Distribution::Normal(0.0, 0.1), &device);
                let lr = 1e-3 * (step + 1) as f64;
                // The comparison means something only if the fused pass runs.
                assert!(fused.fits(&a, &grad, state_a.as_ref()));
                (a, state_a) = fused.step(lr, a, grad.clone(), state_a);
                (b, state_b) = reference.step(lr, b, grad, state_b);
                assert_eq!(bits(&a), bits(&b), "step {step}, penalty {penalty:?}");
                let (ma, mb) = (
                    &state_a.as_ref().unwrap().momentum,
                    &state_b.as_ref().unwrap().momentum,
                );
                assert_eq!(ma.time, mb.time);
                assert_eq!(bits(&ma.moment_1), bits(&mb.moment_1));
                assert_eq!(bits(&ma.moment_2), bits(&mb.moment_2));
            }
        }
    }

    #[test]
    fn non_contiguous_parameters_take_burns_path() {
        let device = Device::flex();
        let values: Vec<f32> = (0..12).map(|i| i as f32 / 10.0).collect();
        let t: Tensor<2> = Tensor::from_data(TensorData::new(values, [3, 4]), &device);
        let transposed = t.clone().transpose();
        let grad = Tensor::ones([4, 3], &device);
        let fused = FusedAdam::new(None);
        let reference = AdamConfig::new().build();
        let (a, _) = fused.step(1e-2, transposed.clone(), grad.clone(), None);
        let (b, _) = reference.step(1e-2, transposed, grad, None);
        assert_eq!(bits(&a), bits(&b));
    }
}
