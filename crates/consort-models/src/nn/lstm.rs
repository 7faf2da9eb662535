//! LSTM sequence classifier: embedding -> LSTM -> masked mean pooling -> linear head.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig, Lstm, LstmConfig};
use burn::tensor::{Bool, Device, Int, Tensor};
use consort_core::seed::init_now;
use consort_core::{ConsortError, Matrix, ParamGuard, Result};

use super::sequence::{check_token_ids, ids_and_pad_mask, masked_mean};
use super::{Forward, Network, NetworkSpec, TokenIds};

/// Configuration of an [`LstmClassifier`].
#[derive(Config, Debug)]
pub struct LstmClassifierConfig {
    /// Token ids are `0..vocab_size` (0 is padding).
    pub vocab_size: usize,
    /// Embedding width.
    #[config(default = 32)]
    pub d_embed: usize,
    /// LSTM hidden width.
    #[config(default = 64)]
    pub d_hidden: usize,
    /// Output classes.
    #[config(default = 2)]
    pub n_classes: usize,
}

/// Embedding, one LSTM layer, mean of the hidden states over real (non-padding) tokens, head.
#[derive(Module, Debug)]
pub struct LstmClassifier {
    embedding: Embedding,
    lstm: Lstm,
    head: Linear,
    #[module(skip)]
    vocab_size: usize,
}

impl ParamGuard for LstmClassifierConfig {
    fn check(&self) -> Result<()> {
        if self.vocab_size < 2 || self.d_embed == 0 || self.d_hidden == 0 || self.n_classes == 0 {
            return Err(ConsortError::config(
                "lstm needs vocab_size >= 2 and positive widths and classes",
            ));
        }
        Ok(())
    }
}

impl LstmClassifierConfig {
    /// Initialises the network.
    pub fn init(&self, device: &Device) -> LstmClassifier {
        init_now(LstmClassifier {
            embedding: EmbeddingConfig::new(self.vocab_size, self.d_embed).init(device),
            lstm: LstmConfig::new(self.d_embed, self.d_hidden, true).init(device),
            head: LinearConfig::new(self.d_hidden, self.n_classes).init(device),
            vocab_size: self.vocab_size,
        })
    }
}

impl_has_head!(LstmClassifier);

impl LstmClassifier {
    fn forward_ids(&self, ids: Tensor<2, Int>, pad: Tensor<2, Bool>) -> Forward {
        let (states, _) = self.lstm.forward(self.embedding.forward(ids), None);
        Forward::from_features(masked_mean(states, pad), |f| self.head.forward(f))
    }
}

/// Token ids as exact `f32` rows, 0 as padding.
impl Network for LstmClassifier {
    fn forward(&self, x: Tensor<2>) -> Forward {
        let (ids, pad) = ids_and_pad_mask(x);
        self.forward_ids(ids, pad)
    }

    fn check_input(&self, x: &Matrix) -> Result<()> {
        check_token_ids(x, self.vocab_size)
    }
}

/// Integer token ids with their attention mask.
impl Network<TokenIds> for LstmClassifier {
    fn forward(&self, x: TokenIds) -> Forward {
        let pad = x.padding();
        self.forward_ids(x.ids, pad)
    }

    fn check_input(&self, x: &Matrix) -> Result<()> {
        check_token_ids(x, self.vocab_size)
    }
}

impl NetworkSpec for LstmClassifierConfig {
    type Net = LstmClassifier;

    fn name(&self) -> &'static str {
        "lstm"
    }

    fn build(&self, _seq_len: usize, n_classes: usize, device: &Device) -> Result<LstmClassifier> {
        let config = self.clone().with_n_classes(n_classes);
        config.check()?;
        Ok(config.init(device))
    }

    fn macs_per_sample(&self, seq_len: usize, n_classes: usize) -> u64 {
        // Four gates, each a product with the input and with the hidden state, per step.
        let per_step = 4 * (self.d_embed + self.d_hidden) * self.d_hidden;
        (seq_len * per_step + self.d_hidden * n_classes) as u64
    }
}
