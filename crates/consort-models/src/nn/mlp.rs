//! Multi-layer perceptron.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::{Device, Tensor, activation};
use consort_core::seed::init_now;
use consort_core::{ConsortError, ParamGuard, Result};
use serde::{Deserialize, Serialize};

use super::{Forward, Network, NetworkSpec};

/// Hidden-layer non-linearity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Activation {
    /// max(0, x).
    #[default]
    Relu,
    /// Gaussian error linear unit.
    Gelu,
    /// Hyperbolic tangent.
    Tanh,
}

impl Activation {
    /// Applies the non-linearity.
    pub fn apply<const D: usize>(self, x: Tensor<D>) -> Tensor<D> {
        match self {
            Self::Relu => activation::relu(x),
            Self::Gelu => activation::gelu(x),
            Self::Tanh => activation::tanh(x),
        }
    }
}

/// Configuration of an [`Mlp`].
#[derive(Config, Debug)]
pub struct MlpConfig {
    /// Input features.
    pub n_inputs: usize,
    /// Widths of the hidden layers, input side first.
    pub hidden: Vec<usize>,
    /// Output classes.
    pub n_classes: usize,
    /// Dropout probability after each hidden layer (training only).
    #[config(default = 0.0)]
    pub dropout: f64,
    /// Hidden-layer non-linearity.
    #[config(default = "Activation::Relu")]
    pub activation: Activation,
}

/// Fully connected network: `Linear -> act -> dropout` per hidden layer, then a linear head.
#[derive(Module, Debug)]
pub struct Mlp {
    hidden: Vec<Linear>,
    head: Linear,
    dropout: Dropout,
    #[module(skip)]
    activation: Activation,
}

impl ParamGuard for MlpConfig {
    fn check(&self) -> Result<()> {
        if self.n_inputs == 0 || self.n_classes == 0 {
            return Err(ConsortError::config(format!(
                "mlp needs at least one input and one class (got {} and {})",
                self.n_inputs, self.n_classes
            )));
        }
        if self.hidden.contains(&0) {
            return Err(ConsortError::config(
                "mlp hidden layer widths must be positive",
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(ConsortError::config(format!(
                "mlp dropout must be in [0, 1), got {}",
                self.dropout
            )));
        }
        Ok(())
    }
}

impl MlpConfig {
    /// Initialises the network. Check user-supplied configs first
    /// ([`ParamGuard::checked`]; [`NetworkSpec::build`] does).
    pub fn init(&self, device: &Device) -> Mlp {
        let mut width = self.n_inputs;
        let hidden = self
            .hidden
            .iter()
            .map(|&h| {
                let layer = LinearConfig::new(width, h).init(device);
                width = h;
                layer
            })
            .collect();
        init_now(Mlp {
            hidden,
            head: LinearConfig::new(width, self.n_classes).init(device),
            dropout: DropoutConfig::new(self.dropout).init(),
            activation: self.activation,
        })
    }
}

impl_has_head!(Mlp);

impl Network for Mlp {
    fn forward(&self, x: Tensor<2>) -> Forward {
        let features = self.hidden.iter().fold(x, |h, layer| {
            self.dropout
                .forward(self.activation.apply(layer.forward(h)))
        });
        Forward::from_features(features, |f| self.head.forward(f))
    }
}

/// An MLP's architecture without the sizes at either end, which [`NetworkSpec::build`] takes
/// from the data: what an estimator is given (`MlpSpec::new(vec![256, 256])`).
#[derive(Config, Debug)]
pub struct MlpSpec {
    /// Widths of the hidden layers, input side first.
    pub hidden: Vec<usize>,
    /// Dropout probability after each hidden layer (training only).
    #[config(default = 0.0)]
    pub dropout: f64,
    /// Hidden-layer non-linearity.
    #[config(default = "Activation::Relu")]
    pub activation: Activation,
}

impl MlpSpec {
    /// The full configuration for `n_inputs` features and `n_classes` outputs.
    pub fn sized(&self, n_inputs: usize, n_classes: usize) -> MlpConfig {
        MlpConfig {
            n_inputs,
            hidden: self.hidden.clone(),
            n_classes,
            dropout: self.dropout,
            activation: self.activation,
        }
    }
}

impl NetworkSpec for MlpSpec {
    type Net = Mlp;

    fn name(&self) -> &'static str {
        "mlp"
    }

    fn build(&self, n_features: usize, n_classes: usize, device: &Device) -> Result<Mlp> {
        Ok(self.sized(n_features, n_classes).checked()?.init(device))
    }

    fn macs_per_sample(&self, n_features: usize, n_classes: usize) -> u64 {
        let mut widths = vec![n_features];
        widths.extend(&self.hidden);
        widths.push(n_classes);
        widths.windows(2).map(|w| (w[0] * w[1]) as u64).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_written_with_the_sized_config_still_reads() {
        // What `NetworkClassifier::save` wrote before the spec lost its size fields.
        let old =
            r#"{"n_inputs":0,"hidden":[32,16],"n_classes":0,"dropout":0.25,"activation":"Gelu"}"#;
        let spec: MlpSpec = serde_json::from_str(old).unwrap();
        assert_eq!(spec.hidden, vec![32, 16]);
        assert_eq!(spec.dropout, 0.25);
        assert_eq!(spec.activation, Activation::Gelu);
        let sized = spec.sized(64, 10);
        assert_eq!((sized.n_inputs, sized.n_classes), (64, 10));
        assert!(MlpSpec::new(vec![0]).sized(4, 2).checked().is_err());
    }
}
