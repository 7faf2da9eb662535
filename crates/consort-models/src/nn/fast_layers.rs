//! Two of burn's layers run through the project's own CPU kernels ([`kernels`](super::kernels))
//! when their tensors live on the flex backend (f32, with or without the default autodiff),
//! and through burn otherwise (wgpu, ndarray, layer shapes the kernels do not cover):
//!
//! - [`conv2d_same`]: a [`Conv2d`] with stride 1, "same" padding, an odd square kernel, one
//!   group and a bias (the CNN's layers);
//! - [`max_pool2d`]: a [`MaxPool2d`] whose window equals its stride, without padding.
//!
//! Under autodiff each registers its own backward step, so the gradients come from the same
//! kernels. Values and gradients match burn's within float rounding (tested); the weights
//! stay burn's `Conv2d` parameters, so saved models load either way.
//!
//! Measured on the 2-core CI-class machine (`bench/side_by_side.sh`): one training epoch of
//! the 28x28 CNN went from 1.41 s to 0.69 s with the convolution alone.

use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2d;
use burn::tensor::Tensor;

/// `conv.forward(x)` for a `[batch, channels, height, width]` input, by the kernels where
/// they apply.
pub fn conv2d_same(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    #[cfg(feature = "flex")]
    if let Some(out) = flex::try_conv(conv, &x) {
        return out;
    }
    conv.forward(x)
}

/// `pool.forward(x)` for a `[batch, channels, height, width]` input, by the kernels where
/// they apply.
pub fn max_pool2d(pool: &MaxPool2d, x: Tensor<4>) -> Tensor<4> {
    #[cfg(feature = "flex")]
    if let Some(out) = flex::try_max_pool(pool, &x) {
        return out;
    }
    pool.forward(x)
}

#[cfg(feature = "flex")]
mod flex {
    use std::borrow::Cow;
    use std::sync::Arc;

    use burn::backend::autodiff::NodeId;
    use burn::backend::autodiff::checkpoint::base::Checkpointer;
    use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
    use burn::backend::autodiff::grads::Gradients;
    use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
    use burn::backend::flex::FlexTensor;
    use burn::backend::tensor::FloatTensor;
    use burn::backend::{Autodiff, Flex};
    use burn::nn::PaddingConfig2d;
    use burn::nn::conv::Conv2d;
    use burn::nn::pool::MaxPool2d;
    use burn::tensor::{DType, Shape, Tensor, TensorData};

    use crate::nn::kernels::conv::{ConvShape, conv_forward, conv_input_grad, conv_weight_grad};
    use crate::nn::kernels::max_pool::{PoolShape, max_pool_backward, max_pool_forward};

    /// The autodiff backend `Device::flex().autodiff()` gives.
    type Ad = Autodiff<Flex, NoCheckpointing>;

    /// The contiguous f32 values of a flex tensor.
    fn values(t: &FlexTensor) -> Cow<'_, [f32]> {
        match t.as_slice::<f32>() {
            Some(v) if t.is_contiguous() => Cow::Borrowed(v),
            _ => Cow::Owned(t.to_contiguous().as_slice::<f32>().unwrap().to_vec()),
        }
    }

    fn tensor<const D: usize>(values: Vec<f32>, shape: [usize; D]) -> FlexTensor {
        FlexTensor::from_data(TensorData::new(values, Shape::new(shape)))
    }

    /// The primitives of `tensors` on autodiff flex (`Ok`), on plain flex (`Err(Some)`), or
    /// `Err(None)` when they are elsewhere or not all f32.
    #[allow(clippy::type_complexity)]
    fn primitives<const N: usize>(
        tensors: [Tensor<4>; N],
    ) -> Result<[FloatTensor<Ad>; N], Option<[FlexTensor; N]>> {
        if tensors.iter().any(|t| t.dtype() != DType::F32) {
            return Err(None);
        }
        let tracked: Vec<_> = tensors
            .iter()
            .map(|t| t.clone().try_into_primitive::<Ad>())
            .collect();
        if tracked.iter().all(Result::is_ok) {
            let all: Vec<_> = tracked.into_iter().map(Result::unwrap).collect();
            return Ok(all.try_into().unwrap_or_else(|_| unreachable!()));
        }
        let plain: Option<Vec<_>> = tensors
            .into_iter()
            .map(|t| t.try_into_primitive::<Flex>().ok())
            .collect();
        Err(plain.map(|v| v.try_into().unwrap_or_else(|_| unreachable!())))
    }

    // ---- convolution ----

    /// The layer's shapes when the kernels can run it: stride 1, dilation 1, one group, odd
    /// square kernel, padding that keeps the size, a bias.
    fn conv_shape(conv: &Conv2d, x: &Tensor<4>) -> Option<ConvShape> {
        let [n, c, h, w] = x.dims();
        let [co, ci, kh, kw] = conv.weight.dims();
        let same = match &conv.padding {
            PaddingConfig2d::Same => true,
            PaddingConfig2d::Explicit(top, left, bottom, right) => {
                [top, left, bottom, right].iter().all(|&&p| p == kh / 2)
            }
            PaddingConfig2d::Valid => false,
        };
        let simple = conv.stride == [1, 1] && conv.dilation == [1, 1] && conv.groups == 1;
        (same && simple && kh == kw && kh % 2 == 1 && ci == c && conv.bias.is_some()).then_some(
            ConvShape {
                n,
                c,
                h,
                w,
                co,
                k: kh,
            },
        )
    }

    pub(super) fn try_conv(conv: &Conv2d, x: &Tensor<4>) -> Option<Tensor<4>> {
        let s = conv_shape(conv, x)?;
        let bias = conv.bias.as_ref()?.val().reshape([1, 1, 1, s.co]);
        match primitives([x.clone(), conv.weight.val(), bias]) {
            Ok([x, w, b]) => Some(Tensor::from_primitive::<Ad>(tracked_conv(x, w, b, s))),
            Err(Some([x, w, b])) => {
                Some(Tensor::from_primitive::<Flex>(conv_values(&x, &w, &b, &s)))
            }
            Err(None) => None,
        }
    }

    fn conv_values(x: &FlexTensor, w: &FlexTensor, b: &FlexTensor, s: &ConvShape) -> FlexTensor {
        let out = conv_forward(&values(x), &values(w), Some(&values(b)), s);
        tensor(out, [s.n, s.co, s.h, s.w])
    }

    #[derive(Debug)]
    struct ConvBackward;

    impl Backward<Flex, 3> for ConvBackward {
        type State = (NodeId, NodeId, ConvShape);

        fn backward(
            self,
            ops: Ops<Self::State, 3>,
            grads: &mut Gradients,
            checkpointer: &mut Checkpointer,
        ) {
            let [node_x, node_w, node_b] = ops.parents;
            let grad: FlexTensor = grads.consume::<Flex>(&ops.node);
            let (x_state, w_state, s) = ops.state;
            let x: FlexTensor = checkpointer.retrieve_node_output(x_state);
            let w: FlexTensor = checkpointer.retrieve_node_output(w_state);
            let g = values(&grad);
            if let Some(node) = node_x {
                let dx = conv_input_grad(&g, &values(&w), &s);
                grads.register::<Flex>(node.id, tensor(dx, [s.n, s.c, s.h, s.w]));
            }
            if node_w.is_some() || node_b.is_some() {
                let (dw, db) = conv_weight_grad(&values(&x), &g, &s);
                if let Some(node) = node_w {
                    grads.register::<Flex>(node.id, tensor(dw, [s.co, s.c, s.k, s.k]));
                }
                if let Some(node) = node_b {
                    grads.register::<Flex>(node.id, tensor(db, [1, 1, 1, s.co]));
                }
            }
        }
    }

    fn tracked_conv(
        x: FloatTensor<Ad>,
        w: FloatTensor<Ad>,
        b: FloatTensor<Ad>,
        s: ConvShape,
    ) -> FloatTensor<Ad> {
        match ConvBackward
            .prepare::<NoCheckpointing>([x.node(), w.node(), b.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let x_state = prep.checkpoint(&x);
                let w_state = prep.checkpoint(&w);
                let out = conv_values(x.primitive(), w.primitive(), b.primitive(), &s);
                prep.finish((x_state, w_state, s), out)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(conv_values(x.primitive(), w.primitive(), b.primitive(), &s))
            }
        }
    }

    // ---- max-pooling ----

    /// The layer's shape when the kernels can run it: square window equal to the stride, no
    /// padding or dilation, floor mode.
    fn pool_shape(pool: &MaxPool2d, x: &Tensor<4>) -> Option<PoolShape> {
        let [n, c, h, w] = x.dims();
        let [k, kw] = pool.kernel_size;
        let plain = pool.stride == [k, k]
            && kw == k
            && pool.dilation == [1, 1]
            && !pool.ceil_mode
            && matches!(pool.padding, PaddingConfig2d::Valid);
        (plain && k > 0 && h >= k && w >= k).then_some(PoolShape {
            planes: n * c,
            h,
            w,
            k,
        })
    }

    pub(super) fn try_max_pool(pool: &MaxPool2d, x: &Tensor<4>) -> Option<Tensor<4>> {
        let s = pool_shape(pool, x)?;
        let [n, c, _, _] = x.dims();
        let (oh, ow) = s.out_hw();
        match primitives([x.clone()]) {
            Ok([x]) => Some(Tensor::from_primitive::<Ad>(tracked_pool(
                x,
                s,
                [n, c, oh, ow],
            ))),
            Err(Some([x])) => {
                let (out, _) = max_pool_forward(&values(&x), &s);
                Some(Tensor::from_primitive::<Flex>(tensor(out, [n, c, oh, ow])))
            }
            Err(None) => None,
        }
    }

    #[derive(Debug)]
    struct MaxPoolBackward;

    impl Backward<Flex, 1> for MaxPoolBackward {
        /// Where each output's maximum sits, the pooling shape and the input's dimensions.
        type State = (Arc<Vec<u32>>, PoolShape, [usize; 4]);

        fn backward(
            self,
            ops: Ops<Self::State, 1>,
            grads: &mut Gradients,
            _checkpointer: &mut Checkpointer,
        ) {
            let [node_x] = ops.parents;
            let grad: FlexTensor = grads.consume::<Flex>(&ops.node);
            let (arg, s, dims) = ops.state;
            if let Some(node) = node_x {
                let dx = max_pool_backward(&values(&grad), &arg, &s);
                grads.register::<Flex>(node.id, tensor(dx, dims));
            }
        }
    }

    fn tracked_pool(x: FloatTensor<Ad>, s: PoolShape, out_dims: [usize; 4]) -> FloatTensor<Ad> {
        let (out, arg) = max_pool_forward(&values(x.primitive()), &s);
        let out = tensor(out, out_dims);
        match MaxPoolBackward
            .prepare::<NoCheckpointing>([x.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let dims = [out_dims[0], out_dims[1], s.h, s.w];
                prep.finish((Arc::new(arg), s, dims), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(out),
        }
    }
}

#[cfg(all(test, feature = "flex"))]
mod tests {
    use burn::module::Module;
    use burn::nn::PaddingConfig2d;
    use burn::nn::conv::Conv2dConfig;
    use burn::nn::pool::MaxPool2dConfig;
    use burn::tensor::{Device, Distribution, Tensor};

    use super::*;

    fn max_diff<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
        (a - b).abs().max().into_scalar::<f32>()
    }

    #[test]
    fn values_and_gradients_match_burns_convolution() {
        let device = Device::flex().autodiff();
        for (c, co, k, padding) in [
            (3, 5, 3, PaddingConfig2d::Same),
            (2, 4, 5, PaddingConfig2d::Explicit(2, 2, 2, 2)),
        ] {
            let conv = Conv2dConfig::new([c, co], [k, k])
                .with_padding(padding)
                .init(&device);
            let x = Tensor::<4>::random([4, c, 7, 6], Distribution::Normal(0.0, 1.0), &device)
                .require_grad();
            let g = Tensor::<4>::random([4, co, 7, 6], Distribution::Normal(0.0, 1.0), &device);
            assert!(
                flex::try_conv(&conv, &x).is_some(),
                "the kernels must run on flex"
            );
            let ours = conv2d_same(&conv, x.clone());
            let theirs = conv.forward(x.clone());
            assert!(max_diff(ours.clone().inner(), theirs.clone().inner()) < 1e-4);

            let grads_ours = (ours * g.clone()).sum().backward();
            let grads_theirs = (theirs * g).sum().backward();
            let pairs = [
                (x.grad(&grads_ours), x.grad(&grads_theirs)),
                (
                    conv.weight
                        .val()
                        .grad(&grads_ours)
                        .map(|t| t.reshape([-1, 1, 1, 1])),
                    conv.weight
                        .val()
                        .grad(&grads_theirs)
                        .map(|t| t.reshape([-1, 1, 1, 1])),
                ),
            ];
            for (a, b) in pairs {
                assert!(max_diff(a.unwrap(), b.unwrap()) < 1e-3);
            }
            let bias = conv.bias.as_ref().unwrap().val();
            let (a, b) = (bias.grad(&grads_ours), bias.grad(&grads_theirs));
            assert!(max_diff(a.unwrap(), b.unwrap()) < 1e-3);

            // The inference copy (no autodiff) takes the plain flex path.
            let valid = conv.valid();
            let xv = x.inner();
            assert!(flex::try_conv(&valid, &xv).is_some());
            assert!(max_diff(conv2d_same(&valid, xv.clone()), valid.forward(xv)) < 1e-4);
        }
    }

    #[test]
    fn max_pool_values_and_gradients_match_burns() {
        let device = Device::flex().autodiff();
        for (k, side) in [(2, 7), (3, 9), (2, 8)] {
            let pool = MaxPool2dConfig::new([k, k]).init();
            let x = Tensor::<4>::random(
                [3, 2, side, side + 1],
                Distribution::Normal(0.0, 1.0),
                &device,
            )
            .require_grad();
            assert!(
                flex::try_max_pool(&pool, &x).is_some(),
                "the kernels must run on flex"
            );
            let ours = max_pool2d(&pool, x.clone());
            let theirs = pool.forward(x.clone());
            assert_eq!(ours.dims(), theirs.dims());
            assert!(max_diff(ours.clone().inner(), theirs.clone().inner()) == 0.0);
            let g = Tensor::<4>::random(ours.dims(), Distribution::Normal(0.0, 1.0), &device);
            let grads_ours = (ours * g.clone()).sum().backward();
            let grads_theirs = (theirs * g).sum().backward();
            assert!(max_diff(x.grad(&grads_ours).unwrap(), x.grad(&grads_theirs).unwrap()) < 1e-6);
            let xv = x.inner();
            assert!(max_diff(max_pool2d(&pool, xv.clone()), pool.forward(xv)) == 0.0);
        }
    }

    #[test]
    fn other_layers_fall_back_to_burn() {
        let device = Device::flex();
        let strided = Conv2dConfig::new([2, 3], [3, 3])
            .with_stride([2, 2])
            .init(&device);
        let x = Tensor::<4>::random([2, 2, 6, 6], Distribution::Normal(0.0, 1.0), &device);
        assert!(flex::try_conv(&strided, &x).is_none());
        assert_eq!(
            conv2d_same(&strided, x.clone()).dims(),
            strided.forward(x).dims()
        );
    }
}
