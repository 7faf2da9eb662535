//! Transformer encoder classifier: token + learned positional embeddings -> encoder layers
//! with multi-head self-attention and padding masks -> masked mean (or learned attention)
//! pooling -> linear head.

use burn::config::Config;
use burn::module::Module;
use burn::nn::transformer::{
    TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput,
};
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::{Bool, Device, Int, Tensor, activation};
use consort_core::seed::init_now;
use consort_core::{ConsortError, Matrix, ParamGuard, Result};

use super::sequence::{check_token_ids, ids_and_pad_mask, masked_mean};
use super::{Forward, Network, NetworkSpec, TokenIds};

/// Configuration of a [`TransformerClassifier`].
#[derive(Config, Debug)]
pub struct TransformerClassifierConfig {
    /// Token ids are `0..vocab_size` (0 is padding).
    pub vocab_size: usize,
    /// Longest sequence (positions `0..max_len`); set from the data by [`NetworkSpec::build`].
    #[config(default = 64)]
    pub max_len: usize,
    /// Model width.
    #[config(default = 32)]
    pub d_model: usize,
    /// Attention heads (must divide `d_model`).
    #[config(default = 4)]
    pub n_heads: usize,
    /// Encoder layers.
    #[config(default = 2)]
    pub n_layers: usize,
    /// Width of the position-wise feed-forward layers.
    #[config(default = 64)]
    pub d_ff: usize,
    /// Dropout inside the encoder (training only).
    #[config(default = 0.0)]
    pub dropout: f64,
    /// Output classes.
    #[config(default = 2)]
    pub n_classes: usize,
    /// Pool token states with a learned attention (a scoring layer, softmax over the real
    /// tokens) instead of their mean.
    #[config(default = false)]
    pub attention_pooling: bool,
}

/// A small BERT-style encoder over token ids.
#[derive(Module, Debug)]
pub struct TransformerClassifier {
    tokens: Embedding,
    positions: Embedding,
    encoder: TransformerEncoder,
    /// Scores each token state for attention pooling (`None`: mean pooling).
    pool: Option<Linear>,
    head: Linear,
    #[module(skip)]
    vocab_size: usize,
}

impl ParamGuard for TransformerClassifierConfig {
    fn check(&self) -> Result<()> {
        if self.vocab_size < 2 || self.max_len == 0 || self.n_layers == 0 || self.d_ff == 0 {
            return Err(ConsortError::config(
                "transformer needs vocab_size >= 2, max_len >= 1, n_layers >= 1 and d_ff >= 1",
            ));
        }
        if self.n_heads == 0 || self.d_model == 0 || !self.d_model.is_multiple_of(self.n_heads) {
            return Err(ConsortError::config(format!(
                "transformer d_model ({}) must be a positive multiple of n_heads ({})",
                self.d_model, self.n_heads
            )));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(ConsortError::config(
                "transformer dropout must be in [0, 1)",
            ));
        }
        Ok(())
    }
}

impl TransformerClassifierConfig {
    /// Initialises the network.
    pub fn init(&self, device: &Device) -> TransformerClassifier {
        init_now(TransformerClassifier {
            tokens: EmbeddingConfig::new(self.vocab_size, self.d_model).init(device),
            positions: EmbeddingConfig::new(self.max_len, self.d_model).init(device),
            encoder: TransformerEncoderConfig::new(
                self.d_model,
                self.d_ff,
                self.n_heads,
                self.n_layers,
            )
            .with_dropout(self.dropout)
            .init(device),
            pool: self
                .attention_pooling
                .then(|| LinearConfig::new(self.d_model, 1).init(device)),
            head: LinearConfig::new(self.d_model, self.n_classes).init(device),
            vocab_size: self.vocab_size,
        })
    }
}

impl_has_head!(TransformerClassifier);

impl TransformerClassifier {
    /// Encoded token states `[batch, len, d_model]` and the padding mask of `f32` id rows.
    fn encode(&self, x: Tensor<2>) -> (Tensor<3>, Tensor<2, Bool>) {
        let (ids, pad) = ids_and_pad_mask(x);
        self.encode_ids(ids, pad)
    }

    /// Encoded token states of integer ids with their padding mask (`true` on padding).
    fn encode_ids(
        &self,
        ids: Tensor<2, Int>,
        pad: Tensor<2, Bool>,
    ) -> (Tensor<3>, Tensor<2, Bool>) {
        let [batch, len] = ids.dims();
        let device = ids.device();
        let positions = Tensor::<1, Int>::arange(0..len as i64, &device)
            .reshape([1, len])
            .repeat_dim(0, batch);
        let h = self.tokens.forward(ids) + self.positions.forward(positions);
        let h = self
            .encoder
            .forward(TransformerEncoderInput::new(h).mask_pad(pad.clone()));
        (h, pad)
    }

    /// Softmax over the real tokens of each row of the pooling scores.
    fn pool_weights(pool: &Linear, h: Tensor<3>, pad: Tensor<2, Bool>) -> Tensor<2> {
        let [batch, len, _] = h.dims();
        let scores = pool.forward(h).reshape([batch, len]).mask_fill(pad, -1e9);
        activation::softmax(scores, 1)
    }

    /// The attention-pooling weights over the tokens of each row of `x` (`[batch, len]`,
    /// zero on padding, rows summing to 1): which tokens the head reads. `None` with mean
    /// pooling.
    pub fn attention_weights(&self, x: Tensor<2>) -> Option<Tensor<2>> {
        let pool = self.pool.as_ref()?;
        let (h, pad) = self.encode(x);
        Some(Self::pool_weights(pool, h, pad))
    }
}

impl TransformerClassifier {
    /// Pooled features and logits of encoded states.
    fn pool_and_head(&self, h: Tensor<3>, pad: Tensor<2, Bool>) -> Forward {
        let features = match &self.pool {
            None => masked_mean(h, pad),
            Some(pool) => {
                let weights = Self::pool_weights(pool, h.clone(), pad).unsqueeze_dim::<3>(2);
                (h * weights).sum_dim(1).squeeze_dim::<2>(1)
            }
        };
        Forward::from_features(features, |f| self.head.forward(f))
    }
}

/// Token ids as exact `f32` rows, 0 as padding.
impl Network for TransformerClassifier {
    fn forward(&self, x: Tensor<2>) -> Forward {
        let (h, pad) = self.encode(x);
        self.pool_and_head(h, pad)
    }

    fn check_input(&self, x: &Matrix) -> Result<()> {
        check_token_ids(x, self.vocab_size)
    }
}

/// Integer token ids with their attention mask.
impl Network<TokenIds> for TransformerClassifier {
    fn forward(&self, x: TokenIds) -> Forward {
        let pad = x.padding();
        let (h, pad) = self.encode_ids(x.ids, pad);
        self.pool_and_head(h, pad)
    }

    fn check_input(&self, x: &Matrix) -> Result<()> {
        check_token_ids(x, self.vocab_size)
    }
}

impl NetworkSpec for TransformerClassifierConfig {
    type Net = TransformerClassifier;

    fn name(&self) -> &'static str {
        "transformer"
    }

    fn build(
        &self,
        seq_len: usize,
        n_classes: usize,
        device: &Device,
    ) -> Result<TransformerClassifier> {
        let config = self.clone().with_n_classes(n_classes).with_max_len(seq_len);
        config.check()?;
        Ok(config.init(device))
    }

    fn macs_per_sample(&self, seq_len: usize, n_classes: usize) -> u64 {
        let (l, d) = (seq_len, self.d_model);
        // Q, K, V and output projections, the two attention products, the feed-forward pair.
        let per_layer = 4 * l * d * d + 2 * l * l * d + 2 * l * d * self.d_ff;
        (self.n_layers * per_layer + d * n_classes) as u64
    }
}
