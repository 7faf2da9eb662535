//! CPU kernels on plain f32 slices (NCHW, contiguous) for the layers where burn's flex
//! backend is slow, each with its gradients: a "same" convolution and a max-pool. The
//! routing that runs them for burn tensors, with their autodiff steps, is `nn::fast_layers`.

pub mod conv;
pub mod max_pool;
mod patches;
mod shape;
