//! A small convolutional network for square-ish grey images given as flat feature rows.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::{Device, Tensor, activation};
use consort_core::seed::init_now;
use consort_core::{ConsortError, ParamGuard, Result};

use super::fast_layers::{conv2d_same, max_pool2d};
use super::{Forward, Images, Network, NetworkSpec};

/// Configuration of a [`Cnn`]: two 3x3 convolutions, a 2x2 max-pool, a hidden dense layer.
#[derive(Config, Debug)]
pub struct CnnConfig {
    /// Image height in pixels.
    #[config(default = 8)]
    pub height: usize,
    /// Image width in pixels.
    #[config(default = 8)]
    pub width: usize,
    /// Input channels (rows hold `channels * height * width` values, channel-major).
    #[config(default = 1)]
    pub channels: usize,
    /// Output channels of the two convolutions.
    #[config(default = "[16, 32]")]
    pub conv_channels: [usize; 2],
    /// Width of the dense layer before the head.
    #[config(default = 128)]
    pub hidden: usize,
    /// Output classes.
    #[config(default = 10)]
    pub n_classes: usize,
    /// Dropout before the dense layers (training only).
    #[config(default = 0.0)]
    pub dropout: f64,
}

/// `conv3x3 -> relu -> conv3x3 -> relu -> maxpool2 -> dropout -> dense -> relu -> head`.
#[derive(Module, Debug)]
pub struct Cnn {
    conv1: Conv2d,
    conv2: Conv2d,
    pool: MaxPool2d,
    dropout: Dropout,
    dense: Linear,
    head: Linear,
    #[module(skip)]
    shape: [usize; 3],
}

impl CnnConfig {
    fn flat_features(&self) -> usize {
        self.conv_channels[1] * (self.height / 2) * (self.width / 2)
    }

    /// Initialises the network (see [`ParamGuard::check`] for the valid ranges).
    pub fn init(&self, device: &Device) -> Cnn {
        let conv = |c_in, c_out| {
            Conv2dConfig::new([c_in, c_out], [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .init(device)
        };
        init_now(Cnn {
            conv1: conv(self.channels, self.conv_channels[0]),
            conv2: conv(self.conv_channels[0], self.conv_channels[1]),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            dropout: DropoutConfig::new(self.dropout).init(),
            dense: LinearConfig::new(self.flat_features(), self.hidden).init(device),
            head: LinearConfig::new(self.hidden, self.n_classes).init(device),
            shape: [self.channels, self.height, self.width],
        })
    }
}

impl ParamGuard for CnnConfig {
    fn check(&self) -> Result<()> {
        if self.height < 2 || self.width < 2 || self.channels == 0 {
            return Err(ConsortError::config(format!(
                "cnn needs images of at least 2x2 with a channel, got {}x{}x{}",
                self.channels, self.height, self.width
            )));
        }
        if self.conv_channels.contains(&0) || self.hidden == 0 || self.n_classes == 0 {
            return Err(ConsortError::config("cnn layer sizes must be positive"));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(ConsortError::config(format!(
                "cnn dropout must be in [0, 1), got {}",
                self.dropout
            )));
        }
        Ok(())
    }
}

impl_has_head!(Cnn);

impl Cnn {
    /// Penultimate features of `[batch, c, h, w]` images.
    fn image_features(&self, x: Tensor<4>) -> Tensor<2> {
        let x = activation::relu(conv2d_same(&self.conv1, x));
        let x = activation::relu(conv2d_same(&self.conv2, x));
        let x = max_pool2d(&self.pool, x);
        let x = self.dropout.forward(x.flatten::<2>(1, 3));
        activation::relu(self.dense.forward(x))
    }
}

/// Flat rows of `channels * height * width` values, channel-major.
impl Network for Cnn {
    fn forward(&self, x: Tensor<2>) -> Forward {
        let [batch, _] = x.dims();
        let [c, h, w] = self.shape;
        self.forward(Images(x.reshape([batch, c, h, w])))
    }
}

/// Images `[batch, channels, height, width]`.
impl Network<Images> for Cnn {
    fn forward(&self, x: Images) -> Forward {
        Forward::from_features(self.image_features(x.0), |f| self.head.forward(f))
    }
}

impl NetworkSpec for CnnConfig {
    type Net = Cnn;

    fn name(&self) -> &'static str {
        "cnn"
    }

    /// Uses the configured image shape when it matches `n_features`; otherwise a
    /// single-channel square image if `n_features` is a perfect square.
    fn build(&self, n_features: usize, n_classes: usize, device: &Device) -> Result<Cnn> {
        let mut config = self.clone().with_n_classes(n_classes);
        if config.channels * config.height * config.width != n_features {
            let side = (n_features as f64).sqrt().round() as usize;
            if side * side != n_features {
                return Err(ConsortError::ShapeMismatch(format!(
                    "cnn expects {}x{}x{} = {} features or a square single-channel image; \
                     the data has {n_features} features",
                    self.channels,
                    self.height,
                    self.width,
                    self.channels * self.height * self.width
                )));
            }
            config = config.with_channels(1).with_height(side).with_width(side);
        }
        config.check()?;
        Ok(config.init(device))
    }

    fn macs_per_sample(&self, _n_features: usize, n_classes: usize) -> u64 {
        let pixels = (self.height * self.width) as u64;
        let [c1, c2] = self.conv_channels.map(|c| c as u64);
        let conv1 = pixels * 9 * self.channels as u64 * c1;
        let conv2 = pixels * 9 * c1 * c2;
        let dense = (self.flat_features() * self.hidden) as u64;
        conv1 + conv2 + dense + (self.hidden * n_classes) as u64
    }
}
