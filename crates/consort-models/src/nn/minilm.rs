//! all-MiniLM-L6-v2 as a sentence encoder: its word-piece tokenizer (the `tokenizers` crate,
//! pure Rust) and its BERT weights, loaded from the folder `consort fetch minilm` fills.
//! "The large model extracts, the small model classifies": [`MiniLm::embed`] turns texts into
//! 384-d rows any classical model fits on.

use std::path::Path;

use burn::tensor::{Device, Int, Tensor, TensorData};
use consort_core::{ConsortError, Event, Matrix, ObserverHandle, Result};
use consort_data::batch::tensor_to_matrix;
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use super::TokenIds;
use super::bert::{Bert, BertConfig};

/// Word-piece tokens of one text: ids with `[CLS]` first and `[SEP]` last, truncated to the
/// tokenizer's maximum length.
pub type TokenSequence = Vec<u32>;

/// A Hugging Face `tokenizer.json` with truncation set by Consort (no padding: batches pad
/// to their longest row).
#[derive(Clone)]
pub struct WordPieceTokenizer {
    inner: Tokenizer,
    max_len: usize,
}

impl std::fmt::Debug for WordPieceTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WordPieceTokenizer")
            .field("vocab", &self.inner.get_vocab_size(true))
            .field("max_len", &self.max_len)
            .finish()
    }
}

impl WordPieceTokenizer {
    /// Reads `tokenizer.json`; texts are cut to `max_len` tokens (special tokens included).
    pub fn from_file(path: &Path, max_len: usize) -> Result<Self> {
        if max_len < 2 {
            return Err(ConsortError::config(
                "a tokenizer needs max_len >= 2 ([CLS] and [SEP])",
            ));
        }
        let mut inner =
            Tokenizer::from_file(path).map_err(|e| ConsortError::serialization_at(path, e))?;
        inner
            .with_truncation(Some(TruncationParams {
                max_length: max_len,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
                direction: TruncationDirection::Right,
            }))
            .map_err(|e| ConsortError::config(format!("truncation: {e}")))?;
        inner.with_padding(None);
        Ok(Self { inner, max_len })
    }

    /// The longest sequence it produces.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Vocabulary size (with added tokens).
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// Token ids of every text (any script, emoji, empty: `[CLS] [SEP]`).
    pub fn encode(&self, texts: &[&str]) -> Result<Vec<TokenSequence>> {
        let encodings = self
            .inner
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| ConsortError::InvalidInput(format!("tokenizing: {e}")))?;
        Ok(encodings
            .into_iter()
            .map(|e| e.get_ids().to_vec())
            .collect())
    }
}

/// Token sequences of one batch, padded with 0 (`[PAD]`) to the longest, with their mask.
pub fn pad_batch(sequences: &[&TokenSequence], device: &Device) -> TokenIds {
    let len = sequences.iter().map(|s| s.len()).max().unwrap_or(1).max(1);
    let mut ids = Vec::with_capacity(sequences.len() * len);
    let mut mask = Vec::with_capacity(sequences.len() * len);
    for s in sequences {
        ids.extend(s.iter().map(|&t| i64::from(t)));
        ids.extend(std::iter::repeat_n(0i64, len - s.len()));
        mask.extend(std::iter::repeat_n(true, s.len()));
        mask.extend(std::iter::repeat_n(false, len - s.len()));
    }
    let shape = [sequences.len(), len];
    TokenIds {
        ids: Tensor::<2, Int>::from_data(TensorData::new(ids, shape), device),
        mask: Tensor::from_data(TensorData::new(mask, shape), device),
    }
}

/// The MiniLM sentence encoder: tokenizer plus BERT weights on an inference device.
#[derive(Debug, Clone)]
pub struct MiniLm {
    tokenizer: WordPieceTokenizer,
    bert: Bert,
    config: BertConfig,
    device: Device,
}

impl MiniLm {
    /// Tokens per text by default (as sentence-transformers runs all-MiniLM-L6-v2).
    pub const MAX_LEN: usize = 128;

    /// Loads `config.json`, `tokenizer.json` and `model.safetensors` from `dir` (what
    /// `consort fetch minilm` leaves), with texts cut to `max_len` tokens.
    pub fn load(dir: &Path, max_len: usize, device: &Device) -> Result<Self> {
        let config = BertConfig::from_hf_json(&dir.join("config.json"))?;
        if max_len > config.max_position_embeddings {
            return Err(ConsortError::config(format!(
                "max_len {max_len} exceeds the model's {} positions",
                config.max_position_embeddings
            )));
        }
        let tokenizer = WordPieceTokenizer::from_file(&dir.join("tokenizer.json"), max_len)?;
        if tokenizer.vocab_size() != config.vocab_size {
            return Err(ConsortError::serialization_at(
                dir,
                format!(
                    "the tokenizer has {} tokens, the model {}",
                    tokenizer.vocab_size(),
                    config.vocab_size
                ),
            ));
        }
        let bert = Bert::from_safetensors(&config, &dir.join("model.safetensors"), device)?;
        Ok(Self {
            tokenizer,
            bert,
            config,
            device: device.clone(),
        })
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &WordPieceTokenizer {
        &self.tokenizer
    }

    /// The encoder (a copy to fine-tune: wrap it in a [`super::BertClassifier`]).
    pub fn bert(&self) -> &Bert {
        &self.bert
    }

    /// The encoder's shape.
    pub fn config(&self) -> &BertConfig {
        &self.config
    }

    /// Embedding width (384).
    pub fn dim(&self) -> usize {
        self.config.hidden_size
    }

    /// L2-normalised sentence embeddings, one row per text, in batches of `batch_size`
    /// (texts sorted by length inside, so batches pad little; rows come back in order).
    /// Sends a [`Event::Progress`] per batch to `observer`.
    pub fn embed(
        &self,
        texts: &[&str],
        batch_size: usize,
        observer: &ObserverHandle,
    ) -> Result<Matrix> {
        let sequences = self.tokenizer.encode(texts)?;
        self.embed_tokens(&sequences, batch_size, observer)
    }

    /// [`MiniLm::embed`] from token sequences.
    pub fn embed_tokens(
        &self,
        sequences: &[TokenSequence],
        batch_size: usize,
        observer: &ObserverHandle,
    ) -> Result<Matrix> {
        if batch_size == 0 {
            return Err(ConsortError::config("batch_size must be at least 1"));
        }
        let mut order: Vec<usize> = (0..sequences.len()).collect();
        order.sort_by_key(|&i| sequences[i].len());
        let mut out = Matrix::zeros(sequences.len(), self.dim());
        let batches = sequences.len().div_ceil(batch_size);
        for (b, chunk) in order.chunks(batch_size).enumerate() {
            let rows: Vec<&TokenSequence> = chunk.iter().map(|&i| &sequences[i]).collect();
            let input = pad_batch(&rows, &self.device);
            let emb = tensor_to_matrix(self.bert.sentence_embeddings(input))?;
            for (row, &i) in emb.iter_rows().zip(chunk) {
                out.row_mut(i).copy_from_slice(row);
            }
            observer.notify(&Event::Progress {
                label: "minilm embeddings",
                done: b + 1,
                total: batches,
            });
        }
        Ok(out)
    }
}

/// Loads MiniLM from the cache, fetching it first if needed ([`consort_data::fetch`]).
pub fn minilm_from_cache(max_len: usize, device: &Device) -> Result<MiniLm> {
    let dir = consort_data::fetch::fetch(consort_data::fetch::Asset::MiniLm)?;
    MiniLm::load(&dir, max_len, device)
}
