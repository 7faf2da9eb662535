//! What the training loop minimises: the data, the targets of a batch, the loss and the
//! validation score.
//!
//! The loop in [`Trainer`](crate::Trainer) is written once against [`Objective`], generic over
//! the objective's input source (dense rows, images, token ids, pairs). Each loss is written
//! once, as a tensor function, and validation ([`evaluate`]) reuses it in inference mode.
//! Objectives that ship:
//!
//! * [`Dataset`](consort_data::Dataset) and [`Classification`] (any input source) —
//!   cross-entropy on class indices, validated by accuracy (higher is better);
//! * [`PartiallyLabelled`] — cross-entropy over the labelled rows only (distillation with
//!   unlabelled transfer data);
//! * [`RegressionDataset`](consort_data::RegressionDataset) — mean squared error on a single
//!   output, validated by RMSE (lower is better);
//! * [`BinaryFeedback`] — binary cross-entropy on one logit (implicit feedback), validated by
//!   accuracy.

mod classification;
mod regression;

pub(crate) use classification::cross_entropy;
pub use classification::{Classification, PartiallyLabelled};
pub use regression::BinaryFeedback;

use burn::tensor::{Device, Int, Tensor};
use consort_core::{ConsortError, Direction, Result};
use consort_data::InputSource;
use consort_models::Network;

/// Rows per forward pass during validation.
const EVAL_BATCH: usize = 512;

/// The network input type of an objective's data.
pub type InputOf<O> = <<O as TrainingData>::Inputs as InputSource>::Input;

/// The targets of one mini-batch.
// One value per batch, moved not stored: boxing the larger variant would only add an
// allocation per step.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Targets {
    /// Class indices, `[batch]`.
    Classes(Tensor<1, Int>),
    /// Real-valued (or 0/1) targets, `[batch]`.
    Values(Tensor<1>),
    /// Class indices with a 0/1 mask of the rows that have a label, `[batch]` each.
    MaskedClasses {
        /// Class indices (arbitrary where unlabelled).
        classes: Tensor<1, Int>,
        /// 1 where the row is labelled.
        mask: Tensor<1>,
    },
}

/// A validation pass: the objective's loss and its headline score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// Mean loss (the quantity training minimises, without extra hook terms).
    pub loss: f64,
    /// The headline score: accuracy for classification, RMSE for regression.
    pub score: f64,
}

/// The rows a training problem holds, as the loop and the samplers see them.
pub trait TrainingData {
    /// Where the inputs come from, and so which input type the network reads.
    type Inputs: InputSource;

    /// The inputs.
    fn inputs(&self) -> &Self::Inputs;

    /// Number of training rows.
    fn len(&self) -> usize {
        self.inputs().len()
    }

    /// Whether there are no rows.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Errors if there is nothing (or too little) to train on.
    fn ensure_trainable(&self) -> Result<()>;

    /// Errors if `valid` cannot validate a model trained on `self` (other shapes or classes).
    fn check_compatible(&self, valid: &Self) -> Result<()>;

    /// Class labels per row, for class-balanced sampling (`None` when not a classification).
    fn class_labels(&self) -> Option<&[usize]> {
        None
    }

    /// Splits off `fraction` of the rows for validation (stratified for classification).
    fn holdout(&self, fraction: f64, seed: u64) -> Result<(Self, Self)>
    where
        Self: Sized;
}

/// A supervised training problem the loop can minimise: its data, the targets of a batch, the
/// loss and the validation score.
pub trait Objective: TrainingData {
    /// Name of [`Evaluation::score`] in progress output ("acc", "rmse").
    const SCORE_NAME: &'static str;

    /// Whether a higher or a lower score is better.
    const SCORE_DIRECTION: Direction;

    /// Outputs the network must produce (classes, or 1).
    fn n_outputs(&self) -> usize;

    /// The targets of the rows at `indices`.
    fn targets(&self, indices: &[usize], device: &Device) -> Targets;

    /// The mean loss of network `outputs` (`[batch, n_outputs]`) against `targets`, over the
    /// rows that count (see [`Objective::counted_rows`]).
    fn loss(&self, outputs: Tensor<2>, targets: Targets) -> Tensor<1>;

    /// The sum of the score's per-row terms over a batch (correct predictions, squared
    /// errors), as a one-element tensor.
    fn score_terms(&self, outputs: Tensor<2>, targets: Targets) -> Tensor<1>;

    /// The score from the summed terms of `count` counted rows (a mean; RMSE takes the root).
    fn finish_score(&self, sum: f64, count: f64) -> f64 {
        sum / count.max(1.0)
    }

    /// How many of the rows at `indices` the loss and score count (all, unless some rows
    /// have no target).
    fn counted_rows(&self, indices: &[usize]) -> usize {
        indices.len()
    }
}

/// Loss and score of `model` on all of `data`, in inference mode on `device`'s inner
/// (non-autodiff) device, through the objective's own loss and score functions.
pub fn evaluate<O, M>(data: &O, model: &M, device: &Device) -> Result<Evaluation>
where
    O: Objective,
    M: Network<InputOf<O>>,
{
    let model = model.valid();
    evaluate_inference(data, &model, &device.clone().without_autodiff())
}

/// [`evaluate`] for a model already in inference mode on an inference device.
pub fn evaluate_inference<O, M>(data: &O, model: &M, device: &Device) -> Result<Evaluation>
where
    O: Objective,
    M: Network<InputOf<O>>,
{
    let (mut loss, mut score, mut count) = (0.0, 0.0, 0.0);
    let indices: Vec<usize> = (0..data.len()).collect();
    for chunk in indices.chunks(EVAL_BATCH) {
        let out = model.logits(data.inputs().batch(chunk, device));
        let cols = out.dims()[1];
        if cols != data.n_outputs() {
            return Err(ConsortError::ShapeMismatch(format!(
                "network produced {cols} outputs, the objective needs {}",
                data.n_outputs()
            )));
        }
        let counted = data.counted_rows(chunk) as f64;
        if counted == 0.0 {
            continue;
        }
        let targets = data.targets(chunk, device);
        let batch_loss = scalar(data.loss(out.clone(), targets.clone()));
        loss += batch_loss * counted;
        score += scalar(data.score_terms(out, targets));
        count += counted;
    }
    if count == 0.0 {
        return Ok(Evaluation {
            loss: 0.0,
            score: 0.0,
        });
    }
    Ok(Evaluation {
        loss: loss / count,
        score: data.finish_score(score, count),
    })
}

/// A one-element tensor read to the host.
pub(crate) fn scalar(t: Tensor<1>) -> f64 {
    f64::from(t.into_scalar::<f32>())
}
