//! Large models: burn networks built from `#[derive(Config)]` + `init(&device)`.

/// Implements [`HasHead`] for a network whose linear head is the field `head` (used inside
/// each network's file, where the field is visible).
macro_rules! impl_has_head {
    ($network:ty) => {
        impl $crate::nn::HasHead for $network {
            fn with_new_head(mut self, n_classes: usize, device: &burn::tensor::Device) -> Self {
                let d_in = self.head.weight.val().dims()[0];
                self.head = consort_core::seed::init_now(
                    burn::nn::LinearConfig::new(d_in, n_classes).init(device),
                );
                self
            }
        }
    };
}

mod classifier;
mod cnn;
mod lstm;
mod matrix_factorization;
mod mlp;
mod recommender;
mod sequence;
mod transformer;

pub use classifier::NetworkClassifier;
pub use cnn::{Cnn, CnnConfig};
pub use lstm::{LstmClassifier, LstmClassifierConfig};
pub use matrix_factorization::{MatrixFactorization, MatrixFactorizationConfig};
pub use mlp::{Activation, Mlp, MlpConfig};
pub use recommender::MfRecommender;

pub use transformer::{TransformerClassifier, TransformerClassifierConfig};

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use consort_core::{Matrix, Result};

/// A network over feature rows: a classifier, or (one output column) a regressor such as
/// [`MatrixFactorization`].
///
/// Every network exposes its logits (for losses and probabilities) and its penultimate
/// features (for transfer learning and feature distillation).
pub trait Network: Module + 'static {
    /// Raw outputs: class scores before softmax, `[batch, n_features] -> [batch, n_classes]`,
    /// or `[batch, 1]` predictions for a regression network.
    fn logits(&self, x: Tensor<2>) -> Tensor<2>;

    /// Penultimate-layer activations: `[batch, n_features] -> [batch, feature_dim]`.
    fn features(&self, x: Tensor<2>) -> Tensor<2>;

    /// Rejects input the network cannot take beyond shape and finiteness (which callers
    /// check): token ids out of the vocabulary, say. The default accepts everything.
    fn check_input(&self, _x: &Matrix) -> Result<()> {
        Ok(())
    }
}

/// A network ending in a linear classification head (parameter paths `head.weight`,
/// `head.bias`), which transfer learning replaces for a new label set. Every classifier network
/// of Consort is one.
pub trait HasHead: Network + Sized {
    /// The same network with a freshly initialised head for `n_classes` classes.
    fn with_new_head(self, n_classes: usize, device: &Device) -> Self;
}

/// Parameter-path prefix of every network's head.
pub const HEAD_PATH: &str = "head";

/// An architecture that can be instantiated for a dataset's shape.
///
/// The config carries the architecture; `build` fills in the input and output sizes from the
/// data, validates the result and initialises the weights on `device`.
pub trait NetworkSpec: Clone + Send + Sync + std::fmt::Debug {
    /// The network this spec builds.
    type Net: Network;

    /// Short human name ("mlp", "cnn").
    fn name(&self) -> &'static str;

    /// Builds the network for `n_features` inputs and `n_classes` outputs.
    fn build(&self, n_features: usize, n_classes: usize, device: &Device) -> Result<Self::Net>;

    /// Multiply-accumulate operations of one forward pass for one sample (for compute reports).
    fn macs_per_sample(&self, n_features: usize, n_classes: usize) -> u64;
}
