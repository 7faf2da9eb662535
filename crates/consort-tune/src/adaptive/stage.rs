//! The learning strategies the adaptive controller moves between: which parameters train.

use burn::module::Module;
use serde::{Deserialize, Serialize};

use crate::transfer::paths;

/// One learning strategy: which parameters train, and at what share of the loop's rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    /// A name for logs ("head only").
    pub name: String,
    /// Path predicates of the trainable parameters (`None`: all of them).
    pub trainable: Option<Vec<String>>,
    /// Multiplier of the loop's learning rate in this stage.
    pub lr_factor: f64,
}

impl Stage {
    /// Trains the parameters whose path contains any of `predicates`.
    pub fn layers(name: &str, predicates: &[&str], lr_factor: f64) -> Self {
        Self {
            name: name.into(),
            trainable: Some(predicates.iter().map(|p| p.to_string()).collect()),
            lr_factor,
        }
    }

    /// Only the classification head trains.
    pub fn head_only() -> Self {
        Self::layers("head only", &[consort_models::HEAD_PATH], 1.0)
    }

    /// Every parameter trains.
    pub fn full(lr_factor: f64) -> Self {
        Self {
            name: "full fine-tuning".into(),
            trainable: None,
            lr_factor,
        }
    }

    /// `model` with this stage's parameters trainable and the rest frozen.
    pub fn apply<M: Module>(&self, model: M) -> M {
        match &self.trainable {
            None => model.unfreeze(),
            Some(predicates) => {
                let predicates: Vec<&str> = predicates.iter().map(String::as_str).collect();
                model.freeze().unfreeze_group(paths(&predicates))
            }
        }
    }
}
