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

#[cfg(feature = "minilm")]
mod bert;
mod classifier;
mod cnn;
pub mod fast_layers;
#[cfg(feature = "minilm")]
mod gelu;
pub mod kernels;
mod lstm;
mod matrix_factorization;
#[cfg(feature = "minilm")]
mod minilm;
mod mlp;
mod multimodal;
mod recommender;
mod sequence;
mod transformer;

#[cfg(feature = "minilm")]
pub use bert::{
    Bert, BertClassifier, BertClassifierSpec, BertConfig, BertEmbeddings, l2_normalise,
};
pub use classifier::NetworkClassifier;
pub use cnn::{Cnn, CnnConfig};
pub use lstm::{LstmClassifier, LstmClassifierConfig};
pub use matrix_factorization::{MatrixFactorization, MatrixFactorizationConfig};
#[cfg(feature = "minilm")]
pub use minilm::{MiniLm, TokenSequence, WordPieceTokenizer, minilm_from_cache, pad_batch};
pub use mlp::{Activation, Mlp, MlpConfig, MlpSpec};
pub use multimodal::{Modality, MultimodalConfig, MultimodalNet};
pub use recommender::MfRecommender;

pub use transformer::{TransformerClassifier, TransformerClassifierConfig};

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use consort_core::{Matrix, Result};
pub use consort_data::input::{Dense, Images, Pair, TokenIds};

/// What one forward pass computes: the outputs and the penultimate features they came from.
/// The training loop runs one pass per batch and hands it to every hook, so a strategy that
/// reads features (FitNets, say) costs no second pass.
#[derive(Debug, Clone)]
pub struct Forward {
    /// Raw outputs: class scores before softmax `[batch, n_classes]`, or `[batch, 1]`
    /// predictions of a regression network.
    pub logits: Tensor<2>,
    /// Penultimate-layer activations `[batch, feature_dim]`.
    pub features: Tensor<2>,
}

impl Forward {
    /// Outputs computed by `head` from `features`.
    pub fn from_features(features: Tensor<2>, head: impl FnOnce(Tensor<2>) -> Tensor<2>) -> Self {
        Self {
            logits: head(features.clone()),
            features,
        }
    }
}

/// A network over inputs of type `I`: [`Dense`] rows by default, [`Images`], [`TokenIds`] or a
/// [`Pair`] of two. A classifier, or (one output column) a regressor such as
/// [`MatrixFactorization`]. One network may read several input types (the CNN reads flat rows
/// and images; the sequence models read `f32` id rows and [`TokenIds`]).
pub trait Network<I = Dense>: Module + 'static {
    /// One forward pass: outputs and penultimate features.
    fn forward(&self, x: I) -> Forward;

    /// Raw outputs only.
    fn logits(&self, x: I) -> Tensor<2> {
        self.forward(x).logits
    }

    /// Penultimate features only.
    fn features(&self, x: I) -> Tensor<2> {
        self.forward(x).features
    }

    /// Rejects input the network cannot take beyond shape and finiteness (which callers
    /// check): token ids out of the vocabulary, say. `x` holds the source's rows. The default
    /// accepts everything.
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
