//! The networks' hyperparameters as a member, a trial or a candidate gives them: the
//! architecture plus the loop's epochs, step budget, batch and rate. The classical models'
//! hyperparameters are their own configs ([`consort_models`]).

use consort_core::Result;
use consort_core::params::{ensure_at_least, ensure_positive};
use consort_models::{CnnConfig, LstmClassifierConfig, MlpSpec, TransformerClassifierConfig};
use consort_tune::TrainConfig;
use serde::{Deserialize, Serialize};

/// Optimiser steps a network may take per fit by default: far above what 30 epochs of
/// a few thousand rows need (digits: 660), and about one epoch at 200,000 rows.
pub const DEFAULT_MAX_STEPS: usize = 3000;

/// A multi-layer perceptron member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MlpParams {
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Dropout after each hidden layer.
    pub dropout: f64,
    /// Passes over the training rows (fewer when `max_steps` runs out first).
    pub epochs: usize,
    /// Budget of optimiser steps per fit: on large data the epochs are cut to fit it (at
    /// least one epoch), so that training time stops growing with the rows.
    pub max_steps: usize,
    /// Rows per optimiser step.
    pub batch_size: usize,
    /// Adam's step size.
    pub learning_rate: f64,
    /// Decoupled L2 weight decay (0: none).
    pub weight_decay: f32,
}

impl Default for MlpParams {
    fn default() -> Self {
        Self {
            hidden: vec![256, 256],
            dropout: 0.0,
            epochs: 30,
            max_steps: DEFAULT_MAX_STEPS,
            batch_size: 64,
            learning_rate: 1e-3,
            weight_decay: 0.0,
        }
    }
}

impl MlpParams {
    /// The architecture (input and output sizes come from the data).
    pub fn network(&self) -> MlpSpec {
        MlpSpec::new(self.hidden.clone()).with_dropout(self.dropout)
    }

    /// The loop's settings for `epochs` epochs seeded by `seed`.
    pub fn train_config(&self, epochs: usize, seed: u64) -> TrainConfig {
        train_config(epochs, self.batch_size, self.learning_rate, seed)
            .with_weight_decay(self.weight_decay)
    }
}

/// A convolutional member over square (or given) grey images.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CnnParams {
    /// Image height (default: the square root of the feature count).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<usize>,
    /// Image width (default: as the height).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<usize>,
    /// Channels of the two convolutions.
    pub conv_channels: [usize; 2],
    /// Width of the dense layer.
    pub hidden: usize,
    /// Dropout before the output layer.
    pub dropout: f64,
    /// Passes over the training rows (fewer when `max_steps` runs out first).
    pub epochs: usize,
    /// Budget of optimiser steps per fit (see [`MlpParams::max_steps`]).
    pub max_steps: usize,
    /// Rows per optimiser step.
    pub batch_size: usize,
    /// Adam's step size.
    pub learning_rate: f64,
}

impl CnnParams {
    /// The image height and width for `n_features` columns: given, or the side of a square
    /// of at least 4x4.
    pub fn image_shape(&self, n_features: usize) -> Option<(usize, usize)> {
        match (self.height, self.width) {
            (Some(h), Some(w)) => (h * w == n_features).then_some((h, w)),
            (Some(h), None) | (None, Some(h)) => {
                (h > 0 && n_features.is_multiple_of(h)).then(|| (h, n_features / h))
            }
            (None, None) => {
                let side = (n_features as f64).sqrt().round() as usize;
                (side >= 4 && side * side == n_features).then_some((side, side))
            }
        }
    }

    /// The architecture over `height x width` images.
    pub fn network(&self, (height, width): (usize, usize)) -> CnnConfig {
        CnnConfig::new()
            .with_height(height)
            .with_width(width)
            .with_conv_channels(self.conv_channels)
            .with_hidden(self.hidden)
            .with_dropout(self.dropout)
    }

    /// The loop's settings for `epochs` epochs seeded by `seed`.
    pub fn train_config(&self, epochs: usize, seed: u64) -> TrainConfig {
        train_config(epochs, self.batch_size, self.learning_rate, seed)
    }
}

impl Default for CnnParams {
    fn default() -> Self {
        Self {
            height: None,
            width: None,
            conv_channels: [16, 32],
            hidden: 128,
            dropout: 0.0,
            epochs: 25,
            max_steps: DEFAULT_MAX_STEPS,
            batch_size: 64,
            learning_rate: 1e-3,
        }
    }
}

/// Epochs, batch size and learning rate must be positive.
pub(crate) fn check_training(
    epochs: usize,
    batch_size: usize,
    learning_rate: f64,
    max_steps: usize,
) -> Result<()> {
    consort_tune::ensure_epochs("epochs", epochs)?;
    ensure_at_least("batch_size", batch_size, 1)?;
    ensure_at_least("max_steps", max_steps, 1)?;
    ensure_positive("learning_rate", learning_rate)
}

/// A sequence network trained from scratch on word-piece ids (text mode).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SequenceParams {
    /// Token embedding width (the Transformer's model width).
    pub width: usize,
    /// Transformer: layers (an LSTM has one).
    pub layers: usize,
    /// Transformer: attention heads (must divide `width`).
    pub heads: usize,
    /// Transformer: feed-forward width; LSTM: hidden state width.
    pub hidden: usize,
    /// Passes over the training rows (fewer when `max_steps` runs out first).
    pub epochs: usize,
    /// Budget of optimiser steps per fit.
    pub max_steps: usize,
    /// Rows per optimiser step.
    pub batch_size: usize,
    /// Adam's step size.
    pub learning_rate: f64,
}

impl Default for SequenceParams {
    fn default() -> Self {
        Self {
            width: 64,
            layers: 2,
            heads: 4,
            hidden: 128,
            epochs: 5,
            max_steps: DEFAULT_MAX_STEPS,
            batch_size: 64,
            learning_rate: 1e-3,
        }
    }
}

impl SequenceParams {
    /// A Transformer over ids below `vocab_size`, sequences of `max_len`.
    pub fn transformer(&self, vocab_size: usize, max_len: usize) -> TransformerClassifierConfig {
        TransformerClassifierConfig::new(vocab_size)
            .with_max_len(max_len)
            .with_d_model(self.width)
            .with_n_heads(self.heads)
            .with_n_layers(self.layers)
            .with_d_ff(self.hidden)
    }

    /// An LSTM over ids below `vocab_size`.
    pub fn lstm(&self, vocab_size: usize) -> LstmClassifierConfig {
        LstmClassifierConfig::new(vocab_size)
            .with_d_embed(self.width)
            .with_d_hidden(self.hidden)
    }

    /// The loop's settings for `epochs` epochs seeded by `seed`.
    pub fn train_config(&self, epochs: usize, seed: u64) -> TrainConfig {
        train_config(epochs, self.batch_size, self.learning_rate, seed)
    }
}

/// The loop's settings every network member shares: Adam, its epochs, batch, rate and seed.
fn train_config(epochs: usize, batch_size: usize, learning_rate: f64, seed: u64) -> TrainConfig {
    TrainConfig::new()
        .with_epochs(epochs)
        .with_batch_size(batch_size)
        .with_learning_rate(learning_rate)
        .with_seed(seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_shape_needs_a_square_of_at_least_4_or_given_sides() {
        let square = CnnParams::default();
        assert_eq!(square.image_shape(64), Some((8, 8)));
        assert_eq!(square.image_shape(4), None);
        assert_eq!(square.image_shape(63), None);
        let given = |height, width| CnnParams {
            height,
            width,
            ..CnnParams::default()
        };
        assert_eq!(given(Some(6), Some(10)).image_shape(60), Some((6, 10)));
        assert_eq!(given(Some(7), Some(10)).image_shape(60), None);
        assert_eq!(given(Some(6), None).image_shape(60), Some((6, 10)));
    }
}
