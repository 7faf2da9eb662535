//! A multimodal network: an image and a text representation of each row merged into one
//! representation by one network. Rows hold the image's pixels (channel-major) followed by the
//! text's features (TF-IDF, embeddings); a CNN encodes the first, an MLP the second, and the
//! two encodings meet by concatenation or through a learned gate. Modality dropout hides one
//! modality from some training rows, so that a modality missing at prediction time
//! ([`MultimodalNet::without`]) degrades the prediction instead of breaking it.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::{Device, Tensor, activation};
use consort_core::seed::init_now;
use consort_core::{ConsortError, ParamGuard, Result};
use serde::{Deserialize, Serialize};

use super::{Cnn, CnnConfig, Forward, Network, NetworkSpec};

/// One of the two inputs of a [`MultimodalNet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Modality {
    /// The image columns.
    Image,
    /// The text columns.
    Text,
}

/// Configuration of a [`MultimodalNet`].
#[derive(Config, Debug)]
pub struct MultimodalConfig {
    /// The image encoder (its dense layer's output is the image representation).
    pub image: CnnConfig,
    /// Width of the text features that follow the image's pixels in each row.
    pub text_features: usize,
    /// Width of the text encoder's hidden layer.
    #[config(default = 128)]
    pub text_hidden: usize,
    /// Width of each modality's projection into the shared space.
    #[config(default = 64)]
    pub fused: usize,
    /// Gated fusion (a learned per-unit mix of the two projections) instead of
    /// concatenation.
    #[config(default = false)]
    pub gated: bool,
    /// Probability that a training row loses its image (and, among rows that keep it, its
    /// text): the modality's representation is zeroed, as when it is missing.
    #[config(default = 0.0)]
    pub modality_dropout: f64,
}

/// Image CNN + text MLP, fused (see the module docs).
#[derive(Module, Debug)]
pub struct MultimodalNet {
    image: Cnn,
    text: Linear,
    image_proj: Linear,
    text_proj: Linear,
    gate: Option<Linear>,
    head: Linear,
    drop_modality: Dropout,
    #[module(skip)]
    image_len: usize,
    #[module(skip)]
    missing: [bool; 2],
}

impl MultimodalConfig {
    fn image_len(&self) -> usize {
        self.image.channels * self.image.height * self.image.width
    }

    /// Initialises the network for `n_classes` classes.
    pub fn init(&self, n_classes: usize, device: &Device) -> MultimodalNet {
        let fused_width = if self.gated {
            self.fused
        } else {
            2 * self.fused
        };
        init_now(MultimodalNet {
            // The CNN's own head is unused: one output keeps it small.
            image: self.image.clone().with_n_classes(1).init(device),
            text: LinearConfig::new(self.text_features, self.text_hidden).init(device),
            image_proj: LinearConfig::new(self.image.hidden, self.fused).init(device),
            text_proj: LinearConfig::new(self.text_hidden, self.fused).init(device),
            gate: self
                .gated
                .then(|| LinearConfig::new(2 * self.fused, self.fused).init(device)),
            head: LinearConfig::new(fused_width, n_classes).init(device),
            drop_modality: DropoutConfig::new(self.modality_dropout).init(),
            image_len: self.image_len(),
            missing: [false, false],
        })
    }
}

impl ParamGuard for MultimodalConfig {
    fn check(&self) -> Result<()> {
        self.image.check()?;
        if self.text_features == 0 || self.text_hidden == 0 || self.fused == 0 {
            return Err(ConsortError::config(
                "multimodal text and fusion widths must be positive",
            ));
        }
        if !(0.0..1.0).contains(&self.modality_dropout) {
            return Err(ConsortError::config(format!(
                "modality dropout must be in [0, 1), got {}",
                self.modality_dropout
            )));
        }
        Ok(())
    }
}

impl MultimodalNet {
    /// The same network predicting with `modality` missing: its representation is zeroed, as
    /// modality dropout did in training.
    pub fn without(mut self, modality: Modality) -> Self {
        self.missing[modality as usize] = true;
        self
    }

    /// Keeps (1) or drops (0) each row's modality: dropout of a column of ones is `1/(1-p)`
    /// or 0 in training and 1 at inference.
    fn keep(&self, like: &Tensor<2>) -> Tensor<2> {
        let [batch, _] = like.dims();
        let ones = Tensor::<2>::ones([batch, 1], &like.device());
        self.drop_modality.forward(ones).greater_elem(0.0).float()
    }
}

impl Network for MultimodalNet {
    fn forward(&self, x: Tensor<2>) -> Forward {
        let [_, width] = x.dims();
        let pixels = x.clone().narrow(1, 0, self.image_len);
        let words = x.narrow(1, self.image_len, width - self.image_len);
        let image = activation::relu(
            self.image_proj
                .forward(Network::forward(&self.image, pixels).features),
        );
        let text = activation::relu(
            self.text_proj
                .forward(activation::relu(self.text.forward(words))),
        );
        let mut keep_image = self.keep(&image);
        // Text is dropped only from rows that kept their image: no row loses both.
        // keep_text = 1 - (1 - draw) * keep_image.
        let dropped_text = self.keep(&text).neg().add_scalar(1.0) * keep_image.clone();
        let mut keep_text = dropped_text.neg().add_scalar(1.0);
        if self.missing[Modality::Image as usize] {
            keep_image = keep_image.zeros_like();
        }
        if self.missing[Modality::Text as usize] {
            keep_text = keep_text.zeros_like();
        }
        let image = image * keep_image;
        let text = text * keep_text;
        let features = match &self.gate {
            Some(gate) => {
                let both = Tensor::cat(vec![image.clone(), text.clone()], 1);
                let g = activation::sigmoid(gate.forward(both));
                g.clone() * image + g.neg().add_scalar(1.0) * text
            }
            None => Tensor::cat(vec![image, text], 1),
        };
        Forward::from_features(features, |f| self.head.forward(f))
    }
}

impl NetworkSpec for MultimodalConfig {
    type Net = MultimodalNet;

    fn name(&self) -> &'static str {
        "multimodal"
    }

    fn build(&self, n_features: usize, n_classes: usize, device: &Device) -> Result<MultimodalNet> {
        self.check()?;
        if n_features != self.image_len() + self.text_features {
            return Err(ConsortError::ShapeMismatch(format!(
                "the multimodal network reads {} image values and {} text features per row; \
                 the data has {n_features} columns",
                self.image_len(),
                self.text_features
            )));
        }
        Ok(self.init(n_classes, device))
    }

    fn macs_per_sample(&self, _n_features: usize, n_classes: usize) -> u64 {
        let image = self.image.macs_per_sample(self.image_len(), 1);
        let text = (self.text_features * self.text_hidden) as u64;
        let proj = ((self.image.hidden + self.text_hidden) * self.fused) as u64;
        let gate = if self.gated {
            (2 * self.fused * self.fused) as u64
        } else {
            0
        };
        let fused = if self.gated {
            self.fused
        } else {
            2 * self.fused
        };
        image + text + proj + gate + (fused * n_classes) as u64
    }
}
