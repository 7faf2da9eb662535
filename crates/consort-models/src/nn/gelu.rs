//! Exact (erf) GELU at inference speed.
//!
//! The CPU backend evaluates GELU through scalar `libm` `erf`: profiling MiniLM's embeddings
//! put 15% of the time there (6 layers x 32 x 128 x 1536 activations per batch). Outside
//! autodiff this module evaluates the same function with a rational approximation of `erf`
//! (the one XLA and Eigen use for `f32`, a few ulp from the exact value) in a loop the compiler
//! vectorises, over both cores, on flex tensors only. Under autodiff (fine-tuning) burn's own
//! GELU keeps the gradient; on other backends burn's GELU keeps the tensor on its device.

// Without the flex backend only burn's GELU is used.
#![cfg_attr(not(feature = "flex"), allow(dead_code, unused_imports))]

use burn::tensor::{DType, Tensor, TensorData};
use rayon::prelude::*;

/// `erf(x)` for `f32`: `x * P(x^2) / Q(x^2)` on `[-4, 4]` (beyond it `erf` is +-1 in `f32`).
/// Plain multiply-adds, not `mul_add`: without a target CPU that has FMA, `mul_add` is a
/// call into software `fmaf` per term, slower than the `libm` it replaces.
#[inline]
fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = x2 * -2.726_142_3e-10 + 2.770_681_4e-8;
    p = x2 * p + -2.101_024e-6;
    p = x2 * p + -5.692_506_4e-5;
    p = x2 * p + -7.349_906_3e-4;
    p = x2 * p + -2.954_6e-3;
    p = x2 * p + -1.609_603_3e-2;
    let mut q = x2 * -1.456_607_2e-5 + -2.133_740_6e-4;
    q = x2 * q + -1.682_827e-3;
    q = x2 * q + -7.373_329e-3;
    q = x2 * q + -1.426_474e-2;
    x * p / q
}

/// `x * Phi(x)`, the exact GELU, element by element.
fn gelu_in_place(values: &mut [f32]) {
    const CHUNK: usize = 1 << 14;
    values.par_chunks_mut(CHUNK).for_each(|chunk| {
        for v in chunk {
            *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
        }
    });
}

/// GELU of `x`: the fast loop on plain flex tensors (the CPU backend, whose memory is the
/// host's: no copy to a device and back), burn's GELU everywhere else: under autodiff (it keeps
/// the gradient), for other float types, and on every other backend, where the tensor stays on
/// its device.
pub(crate) fn gelu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    #[cfg(feature = "flex")]
    if let Some(out) = flex_gelu(&x) {
        return out;
    }
    burn::tensor::activation::gelu(x)
}

/// The fast loop, when `x` is a plain f32 flex tensor.
#[cfg(feature = "flex")]
fn flex_gelu<const D: usize>(x: &Tensor<D>) -> Option<Tensor<D>> {
    use burn::backend::Flex;
    use burn::backend::flex::FlexTensor;
    if x.is_autodiff() || x.dtype() != DType::F32 {
        return None;
    }
    let shape = x.shape();
    let primitive: FlexTensor = x.clone().try_into_primitive::<Flex>().ok()?;
    let mut values = primitive.to_contiguous().as_slice::<f32>()?.to_vec();
    gelu_in_place(&mut values);
    let out = FlexTensor::from_data(TensorData::new(values, shape));
    Some(Tensor::from_primitive::<Flex>(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rational_erf_matches_libm_to_float_precision() {
        let mut worst = 0.0f64;
        for i in -80_000..=80_000 {
            let x = i as f32 * 1e-4;
            let exact = libm::erf(f64::from(x));
            worst = worst.max((f64::from(erf(x)) - exact).abs());
        }
        assert!(worst < 1e-6, "max |erf error| {worst:e}");
    }

    #[test]
    fn fast_gelu_equals_burns_gelu() {
        let device = consort_core::BackendKind::Flex.device().unwrap();
        let x = Tensor::<2>::random(
            [64, 97],
            burn::tensor::Distribution::Normal(0.0, 3.0),
            &device,
        );
        let ours: Vec<f32> = gelu(x.clone()).into_data().try_into_vec().unwrap();
        let burns: Vec<f32> = burn::tensor::activation::gelu(x)
            .into_data()
            .try_into_vec()
            .unwrap();
        let worst = ours
            .iter()
            .zip(&burns)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-5, "max |gelu difference| {worst:e}");
    }
}
