//! A BERT encoder in burn, loaded from a Hugging Face safetensors file: all-MiniLM-L6-v2
//! (6 layers, hidden 384, 12 heads) by default. Word, position and token-type embeddings with
//! their LayerNorm, burn's post-norm `TransformerEncoder` (exact GELU, eps 1e-12), and mean
//! pooling over the attention mask; sentence embeddings are L2-normalised as
//! sentence-transformers makes them.

use std::path::Path;

use burn::config::Config;
use burn::module::Module;
use burn::nn::attention::MhaInput;
use burn::nn::transformer::{TransformerEncoder, TransformerEncoderConfig};
use burn::nn::{
    Dropout, DropoutConfig, Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear,
    LinearConfig,
};
use burn::store::{ModuleSnapshot, PyTorchToBurnAdapter, SafetensorsStore};
use burn::tensor::{Bool, Device, Int, Tensor};
use consort_core::seed::init_now;
use consort_core::{ConsortError, Matrix, ParamGuard, Result};
use serde::{Deserialize, Serialize};

use super::gelu::gelu;
use super::sequence::{check_token_ids, ids_and_pad_mask, masked_mean};
use super::{Forward, Network, NetworkSpec, TokenIds};

/// A BERT encoder's shape, as in a Hugging Face `config.json` (unknown keys are ignored).
#[derive(Config, Debug, PartialEq)]
pub struct BertConfig {
    /// Word-piece vocabulary.
    #[config(default = 30522)]
    pub vocab_size: usize,
    /// Hidden width.
    #[config(default = 384)]
    pub hidden_size: usize,
    /// Encoder layers.
    #[config(default = 6)]
    pub num_hidden_layers: usize,
    /// Attention heads.
    #[config(default = 12)]
    pub num_attention_heads: usize,
    /// Feed-forward width.
    #[config(default = 1536)]
    pub intermediate_size: usize,
    /// Longest input.
    #[config(default = 512)]
    pub max_position_embeddings: usize,
    /// Token-type (segment) vocabulary.
    #[config(default = 2)]
    pub type_vocab_size: usize,
    /// LayerNorm epsilon.
    #[config(default = 1e-12)]
    pub layer_norm_eps: f64,
    /// Dropout in training.
    #[config(default = 0.1)]
    pub hidden_dropout_prob: f64,
}

/// The fields of `config.json` this encoder reads.
#[derive(Deserialize)]
struct HfConfig {
    vocab_size: usize,
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    max_position_embeddings: usize,
    type_vocab_size: usize,
    layer_norm_eps: f64,
    hidden_dropout_prob: f64,
    #[serde(default)]
    hidden_act: Option<String>,
}

impl BertConfig {
    /// Reads a Hugging Face BERT `config.json`.
    pub fn from_hf_json(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| ConsortError::io(path, e))?;
        let hf: HfConfig =
            serde_json::from_str(&text).map_err(|e| ConsortError::serialization_at(path, e))?;
        if let Some(act) = hf.hidden_act.as_deref()
            && act != "gelu"
        {
            return Err(ConsortError::serialization_at(
                path,
                format!("hidden_act {act:?}; this encoder implements BERT's exact gelu"),
            ));
        }
        let config = Self {
            vocab_size: hf.vocab_size,
            hidden_size: hf.hidden_size,
            num_hidden_layers: hf.num_hidden_layers,
            num_attention_heads: hf.num_attention_heads,
            intermediate_size: hf.intermediate_size,
            max_position_embeddings: hf.max_position_embeddings,
            type_vocab_size: hf.type_vocab_size,
            layer_norm_eps: hf.layer_norm_eps,
            hidden_dropout_prob: hf.hidden_dropout_prob,
        };
        config.check()?;
        Ok(config)
    }

    /// A randomly initialised encoder of this shape.
    pub fn init(&self, device: &Device) -> Bert {
        let h = self.hidden_size;
        init_now(Bert {
            embeddings: BertEmbeddings {
                word_embeddings: EmbeddingConfig::new(self.vocab_size, h).init(device),
                position_embeddings: EmbeddingConfig::new(self.max_position_embeddings, h)
                    .init(device),
                token_type_embeddings: EmbeddingConfig::new(self.type_vocab_size, h).init(device),
                layer_norm: LayerNormConfig::new(h)
                    .with_epsilon(self.layer_norm_eps)
                    .init(device),
                dropout: DropoutConfig::new(self.hidden_dropout_prob).init(),
            },
            encoder: TransformerEncoderConfig::new(
                h,
                self.intermediate_size,
                self.num_attention_heads,
                self.num_hidden_layers,
            )
            .with_dropout(self.hidden_dropout_prob)
            .with_norm_first(false)
            .with_layer_norm_eps(self.layer_norm_eps)
            .init(device),
            max_len: self.max_position_embeddings,
            vocab_size: self.vocab_size,
        })
    }
}

impl ParamGuard for BertConfig {
    fn check(&self) -> Result<()> {
        if self.vocab_size == 0
            || self.num_hidden_layers == 0
            || self.intermediate_size == 0
            || self.max_position_embeddings == 0
            || self.type_vocab_size == 0
        {
            return Err(ConsortError::config("a BERT config needs non-zero sizes"));
        }
        if self.num_attention_heads == 0
            || !self.hidden_size.is_multiple_of(self.num_attention_heads)
        {
            return Err(ConsortError::config(format!(
                "hidden_size {} must be a positive multiple of num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            )));
        }
        Ok(())
    }
}

/// Word, position and token-type embeddings, summed and normalised.
#[derive(Module, Debug)]
pub struct BertEmbeddings {
    word_embeddings: Embedding,
    position_embeddings: Embedding,
    token_type_embeddings: Embedding,
    layer_norm: LayerNorm,
    dropout: Dropout,
}

/// A BERT encoder: token ids in, one state per token out.
#[derive(Module, Debug)]
pub struct Bert {
    embeddings: BertEmbeddings,
    encoder: TransformerEncoder,
    #[module(skip)]
    max_len: usize,
    #[module(skip)]
    vocab_size: usize,
}

/// Hugging Face BERT names to this module's: each pattern is anchored, and the attention's
/// output projection is mapped before the feed-forward's `output.dense` can match it.
const KEY_REMAPPING: [(&str, &str); 10] = [
    (r"^embeddings\.LayerNorm\.", "embeddings.layer_norm."),
    (
        r"^encoder\.layer\.(\d+)\.attention\.self\.query\.",
        "encoder.layers.$1.mha.query.",
    ),
    (
        r"^encoder\.layer\.(\d+)\.attention\.self\.key\.",
        "encoder.layers.$1.mha.key.",
    ),
    (
        r"^encoder\.layer\.(\d+)\.attention\.self\.value\.",
        "encoder.layers.$1.mha.value.",
    ),
    (
        r"^encoder\.layer\.(\d+)\.attention\.output\.dense\.",
        "encoder.layers.$1.mha.output.",
    ),
    (
        r"^encoder\.layer\.(\d+)\.attention\.output\.LayerNorm\.",
        "encoder.layers.$1.norm_1.",
    ),
    (
        r"^encoder\.layer\.(\d+)\.intermediate\.dense\.",
        "encoder.layers.$1.pwff.linear_inner.",
    ),
    (
        r"^encoder\.layer\.(\d+)\.output\.dense\.",
        "encoder.layers.$1.pwff.linear_outer.",
    ),
    (
        r"^encoder\.layer\.(\d+)\.output\.LayerNorm\.",
        "encoder.layers.$1.norm_2.",
    ),
    (r"^bert\.", ""),
];

impl Bert {
    /// Loads the weights of a Hugging Face BERT safetensors file (PyTorch layout: linear
    /// weights transposed, LayerNorm `weight`/`bias` as `gamma`/`beta`) into an encoder of
    /// `config`'s shape. The pooler and the integer `position_ids` are not used. A file whose
    /// tensors do not fill the encoder (a missing key, a wrong shape) is an error naming them.
    pub fn from_safetensors(config: &BertConfig, path: &Path, device: &Device) -> Result<Self> {
        if !path.is_file() {
            return Err(ConsortError::io(
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such weights file"),
            ));
        }
        let mut model = config.init(device);
        let mut store = SafetensorsStore::from_file(path)
            .with_from_adapter(PyTorchToBurnAdapter)
            .allow_partial(true);
        for (from, to) in KEY_REMAPPING {
            store = store.with_key_remapping(from, to);
        }
        let result = model
            .load_from(&mut store)
            .map_err(|e| ConsortError::serialization_at(path, e))?;
        if !result.missing.is_empty() {
            let missing: Vec<String> = result
                .missing
                .iter()
                .map(|(path, _)| path.clone())
                .collect();
            return Err(ConsortError::serialization_at(
                path,
                format!(
                    "does not fill the encoder: {} tensors missing ({}{})",
                    missing.len(),
                    missing
                        .iter()
                        .take(5)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", "),
                    if missing.len() > 5 { ", ..." } else { "" }
                ),
            ));
        }
        if !result.errors.is_empty() {
            let errors: Vec<String> = result.errors.iter().map(|e| format!("{e:?}")).collect();
            return Err(ConsortError::serialization_at(path, errors.join("; ")));
        }
        Ok(model)
    }

    /// Hidden width.
    pub fn hidden_size(&self) -> usize {
        self.encoder.d_model
    }

    /// Longest input it takes.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Vocabulary size.
    pub fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    /// One state per token `[batch, len, hidden]` for ids `[batch, len]` and their padding
    /// mask (`true` on padding); token types are all 0 (single sentences).
    pub fn encode(&self, ids: Tensor<2, Int>, pad: Tensor<2, Bool>) -> Tensor<3> {
        let [batch, len] = ids.dims();
        let device = ids.device();
        let positions = Tensor::<1, Int>::arange(0..len as i64, &device)
            .reshape([1, len])
            .repeat_dim(0, batch);
        let types = Tensor::<2, Int>::zeros([batch, len], &device);
        let e = &self.embeddings;
        let h = e.word_embeddings.forward(ids)
            + e.position_embeddings.forward(positions)
            + e.token_type_embeddings.forward(types);
        let mut x = e.dropout.forward(e.layer_norm.forward(h));
        // burn's post-norm encoder layer, step by step, so that GELU runs at inference speed
        // outside autodiff (`gelu.rs`); the layers and their weights are burn's own.
        for layer in &self.encoder.layers {
            let attention = layer
                .mha
                .forward(MhaInput::self_attn(x.clone()).mask_pad(pad.clone()))
                .context;
            x = layer.norm_1.forward(x + layer.dropout.forward(attention));
            let ff = &layer.pwff;
            let inner = ff.dropout.forward(gelu(ff.linear_inner.forward(x.clone())));
            let outer = layer.dropout.forward(ff.linear_outer.forward(inner));
            x = layer.norm_2.forward(x + outer);
        }
        x
    }

    /// Mean of the token states over the real tokens `[batch, hidden]` (not normalised).
    pub fn mean_pooled(&self, x: TokenIds) -> Tensor<2> {
        let pad = x.padding();
        masked_mean(self.encode(x.ids, pad.clone()), pad)
    }

    /// Sentence embeddings: mean-pooled states, L2-normalised (sentence-transformers).
    pub fn sentence_embeddings(&self, x: TokenIds) -> Tensor<2> {
        l2_normalise(self.mean_pooled(x))
    }
}

/// Rows scaled to unit length (a zero row stays zero).
pub fn l2_normalise(x: Tensor<2>) -> Tensor<2> {
    let norm = x
        .clone()
        .powf_scalar(2.0)
        .sum_dim(1)
        .sqrt()
        .clamp_min(1e-12);
    x / norm
}

/// A classifier on a BERT encoder: mean-pooled states through a linear head. Fine-tuned
/// through the training loop like any network (all layers, the head alone, the upper layers,
/// or LoRA adapters on the attention projections).
#[derive(Module, Debug)]
pub struct BertClassifier {
    bert: Bert,
    head: Linear,
}

impl BertClassifier {
    /// A fresh head of `n_classes` on a (pretrained) encoder.
    pub fn new(bert: Bert, n_classes: usize, device: &Device) -> Self {
        let head = init_now(LinearConfig::new(bert.hidden_size(), n_classes).init(device));
        Self { bert, head }
    }

    /// The encoder.
    pub fn bert(&self) -> &Bert {
        &self.bert
    }
}

impl_has_head!(BertClassifier);

impl Network<TokenIds> for BertClassifier {
    fn forward(&self, x: TokenIds) -> Forward {
        let features = self.bert.mean_pooled(x);
        Forward::from_features(features, |f| self.head.forward(f))
    }

    fn check_input(&self, x: &Matrix) -> Result<()> {
        check_token_ids(x, self.bert.vocab_size)
    }
}

/// Token ids as exact `f32` rows, 0 (`[PAD]`) as padding: fits on a plain `Dataset`.
impl Network for BertClassifier {
    fn forward(&self, x: Tensor<2>) -> Forward {
        let (ids, pad) = ids_and_pad_mask(x);
        <Self as Network<TokenIds>>::forward(
            self,
            TokenIds {
                mask: pad.bool_not(),
                ids,
            },
        )
    }

    fn check_input(&self, x: &Matrix) -> Result<()> {
        check_token_ids(x, self.bert.vocab_size)
    }
}

/// The architecture of a [`BertClassifier`]: what the training loop builds (and a warm start
/// from pretrained weights replaces) and what a manifest records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BertClassifierSpec {
    /// The encoder's shape.
    pub bert: BertConfig,
}

impl NetworkSpec for BertClassifierSpec {
    type Net = BertClassifier;

    fn name(&self) -> &'static str {
        "bert"
    }

    /// `n_features` is the token-id row length.
    fn build(
        &self,
        n_features: usize,
        n_classes: usize,
        device: &Device,
    ) -> Result<BertClassifier> {
        self.bert.check()?;
        if n_features > self.bert.max_position_embeddings {
            return Err(ConsortError::config(format!(
                "{n_features} tokens per row exceed the encoder's {} positions",
                self.bert.max_position_embeddings
            )));
        }
        Ok(BertClassifier::new(
            self.bert.init(device),
            n_classes,
            device,
        ))
    }

    fn macs_per_sample(&self, n_features: usize, n_classes: usize) -> u64 {
        let (l, d, f) = (
            n_features,
            self.bert.hidden_size,
            self.bert.intermediate_size,
        );
        // Q, K, V and output projections, the two attention products, the feed-forward pair.
        let per_layer = 4 * l * d * d + 2 * l * l * d + 2 * l * d * f;
        (self.bert.num_hidden_layers * per_layer + d * n_classes) as u64
    }
}
