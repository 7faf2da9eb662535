//! What the training loop minimises: the data, the targets of a batch, the loss and the
//! validation score.
//!
//! The loop in [`Trainer`](crate::Trainer) is written once against [`Objective`]. Three
//! objectives ship:
//!
//! * [`Dataset`] — classification: cross-entropy on class indices, validated by accuracy.
//! * [`RegressionDataset`] — regression: mean squared error on the network's single output
//!   column, validated by RMSE (matrix-factorisation ratings train through this one).
//! * [`BinaryFeedback`] — binary targets in {0, 1} (implicit feedback: observed vs sampled
//!   negative): binary cross-entropy on the single output logit, validated by accuracy.

use burn::nn::loss::{CrossEntropyLossConfig, MseLoss, Reduction};
use burn::tensor::{Device, Int, Tensor, TensorData, activation};
use consort_core::{ConsortError, Matrix, Result};
use consort_data::batch::{labels_to_tensor, rows_to_tensor, tensor_to_matrix};
use consort_data::{Dataset, RegressionDataset};
use consort_models::Network;

/// Rows per forward pass during validation.
const EVAL_BATCH: usize = 512;

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

/// A supervised training problem the loop can minimise.
pub trait Objective {
    /// Name of [`Evaluation::score`] in progress output ("acc", "rmse").
    const SCORE_NAME: &'static str;

    /// The input rows.
    fn features(&self) -> &Matrix;

    /// Number of training rows.
    fn len(&self) -> usize {
        self.features().rows()
    }

    /// Whether there are no rows.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Errors if there is nothing (or too little) to train on.
    fn ensure_trainable(&self) -> Result<()>;

    /// Outputs the network must produce (classes, or 1).
    fn n_outputs(&self) -> usize;

    /// Errors if `valid` cannot validate a model trained on `self` (other shapes or classes).
    fn check_compatible(&self, valid: &Self) -> Result<()>;

    /// The targets of the rows at `indices`.
    fn targets(&self, indices: &[usize], device: &Device) -> Targets;

    /// The mean loss of network `outputs` (`[batch, n_outputs]`) against `targets`.
    fn loss(&self, outputs: Tensor<2>, targets: Targets) -> Tensor<1>;

    /// Loss and score of `model` on all of `self`, in inference mode on `device`'s inner
    /// (non-autodiff) device.
    fn evaluate<M: Network>(&self, model: &M, device: &Device) -> Result<Evaluation>;
}

/// Runs `model` in inference mode over every row of `x` in chunks, handing each chunk's
/// outputs and row indices to `visit`.
fn for_each_output<M: Network>(
    model: &M,
    device: &Device,
    x: &Matrix,
    mut visit: impl FnMut(&Matrix, &[usize]),
) -> Result<()> {
    let model = model.valid();
    let device = device.clone().without_autodiff();
    let indices: Vec<usize> = (0..x.rows()).collect();
    for chunk in indices.chunks(EVAL_BATCH) {
        let out = tensor_to_matrix(model.logits(rows_to_tensor(x, chunk, &device)))?;
        visit(&out, chunk);
    }
    Ok(())
}

fn values_tensor(values: &[f32], indices: &[usize], device: &Device) -> Tensor<1> {
    let v: Vec<f32> = indices.iter().map(|&i| values[i]).collect();
    Tensor::from_data(TensorData::new(v, [indices.len()]), device)
}

/// The single output column of a regression-style network, as `[batch]`.
fn single_output(outputs: Tensor<2>) -> Tensor<1> {
    let [batch, _] = outputs.dims();
    outputs.reshape([batch])
}

fn expect_values(targets: Targets) -> Tensor<1> {
    match targets {
        Targets::Values(t) => t,
        Targets::Classes(t) | Targets::MaskedClasses { classes: t, .. } => t.float(),
    }
}

fn check_single_output(out: &Matrix) -> Result<()> {
    if out.cols() == 1 {
        Ok(())
    } else {
        Err(ConsortError::ShapeMismatch(format!(
            "a regression or binary objective needs a network with one output, got {}",
            out.cols()
        )))
    }
}

impl Objective for Dataset {
    const SCORE_NAME: &'static str = "acc";

    fn features(&self) -> &Matrix {
        Dataset::features(self)
    }

    fn ensure_trainable(&self) -> Result<()> {
        Dataset::ensure_trainable(self)
    }

    fn n_outputs(&self) -> usize {
        self.n_classes()
    }

    fn check_compatible(&self, valid: &Self) -> Result<()> {
        if valid.n_features() != self.n_features() || valid.n_classes() != self.n_classes() {
            return Err(ConsortError::ShapeMismatch(format!(
                "validation data has {} features / {} classes, training data {} / {}",
                valid.n_features(),
                valid.n_classes(),
                self.n_features(),
                self.n_classes()
            )));
        }
        Ok(())
    }

    fn targets(&self, indices: &[usize], device: &Device) -> Targets {
        Targets::Classes(labels_to_tensor(self.labels(), indices, device))
    }

    fn loss(&self, outputs: Tensor<2>, targets: Targets) -> Tensor<1> {
        let targets = match targets {
            Targets::Classes(t) | Targets::MaskedClasses { classes: t, .. } => t,
            Targets::Values(t) => t.int(),
        };
        CrossEntropyLossConfig::new()
            .init(&outputs.device())
            .forward(outputs, targets)
    }

    fn evaluate<M: Network>(&self, model: &M, device: &Device) -> Result<Evaluation> {
        let (mut loss, mut correct) = (0.0, 0usize);
        let labels = self.labels();
        let mut shape_error = None;
        for_each_output(model, device, Dataset::features(self), |logits, chunk| {
            if logits.cols() != self.n_classes() {
                shape_error = Some(logits.cols());
                return;
            }
            for (row, &i) in logits.iter_rows().zip(chunk) {
                let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let log_z = f64::from(max)
                    + row
                        .iter()
                        .map(|&z| f64::from(z - max).exp())
                        .sum::<f64>()
                        .ln();
                loss += log_z - f64::from(row[labels[i]]);
                if consort_core::matrix::argmax(row) == labels[i] {
                    correct += 1;
                }
            }
        })?;
        if let Some(cols) = shape_error {
            return Err(ConsortError::ShapeMismatch(format!(
                "network produced {cols} class scores, the data has {} classes",
                self.n_classes()
            )));
        }
        let n = self.len().max(1) as f64;
        Ok(Evaluation {
            loss: loss / n,
            score: correct as f64 / n,
        })
    }
}

impl Objective for RegressionDataset {
    const SCORE_NAME: &'static str = "rmse";

    fn features(&self) -> &Matrix {
        RegressionDataset::features(self)
    }

    fn ensure_trainable(&self) -> Result<()> {
        RegressionDataset::ensure_trainable(self)
    }

    fn n_outputs(&self) -> usize {
        1
    }

    fn check_compatible(&self, valid: &Self) -> Result<()> {
        if valid.n_features() != self.n_features() {
            return Err(ConsortError::ShapeMismatch(format!(
                "validation data has {} features, training data {}",
                valid.n_features(),
                self.n_features()
            )));
        }
        Ok(())
    }

    fn targets(&self, indices: &[usize], device: &Device) -> Targets {
        Targets::Values(values_tensor(self.targets(), indices, device))
    }

    fn loss(&self, outputs: Tensor<2>, targets: Targets) -> Tensor<1> {
        MseLoss::new().forward(
            single_output(outputs),
            expect_values(targets),
            Reduction::Mean,
        )
    }

    fn evaluate<M: Network>(&self, model: &M, device: &Device) -> Result<Evaluation> {
        let mut sse = 0.0;
        let mut shape = Ok(());
        let y = self.targets();
        for_each_output(
            model,
            device,
            RegressionDataset::features(self),
            |out, chunk| {
                if let Err(e) = check_single_output(out) {
                    shape = Err(e);
                    return;
                }
                for (&p, &i) in out.as_slice().iter().zip(chunk) {
                    sse += f64::from(p - y[i]).powi(2);
                }
            },
        )?;
        shape?;
        let mse = sse / self.len().max(1) as f64;
        Ok(Evaluation {
            loss: mse,
            score: mse.sqrt(),
        })
    }
}

/// Classification where only some rows have labels (the rest are unlabelled transfer data
/// for a teacher to label, say): cross-entropy over the labelled rows of each batch only,
/// validated by accuracy on the labelled rows.
#[derive(Debug, Clone, PartialEq)]
pub struct PartiallyLabelled {
    data: Dataset,
    labelled: Vec<bool>,
}

impl PartiallyLabelled {
    /// Rows `features` with `labels[i] = Some(class)` where known.
    pub fn new(features: Matrix, labels: &[Option<usize>], n_classes: usize) -> Result<Self> {
        if labels.len() != features.rows() {
            return Err(ConsortError::ShapeMismatch(format!(
                "{} feature rows but {} labels",
                features.rows(),
                labels.len()
            )));
        }
        let hard: Vec<usize> = labels.iter().map(|l| l.unwrap_or(0)).collect();
        let data = Dataset::new(features, hard, n_classes)?;
        Ok(Self {
            data,
            labelled: labels.iter().map(Option::is_some).collect(),
        })
    }

    /// All rows of `data`, keeping the labels of `labelled_rows` only.
    pub fn from_dataset(data: &Dataset, labelled_rows: &[usize]) -> Result<Self> {
        let mut labels = vec![None; data.len()];
        for &i in labelled_rows {
            let label = data.labels().get(i).ok_or_else(|| {
                ConsortError::InvalidInput(format!(
                    "labelled row {i} is out of range for {} rows",
                    data.len()
                ))
            })?;
            labels[i] = Some(*label);
        }
        Self::new(data.features().clone(), &labels, data.n_classes())
    }

    /// Number of labelled rows.
    pub fn n_labelled(&self) -> usize {
        self.labelled.iter().filter(|&&l| l).count()
    }
}

impl Objective for PartiallyLabelled {
    const SCORE_NAME: &'static str = "acc";

    fn features(&self) -> &Matrix {
        self.data.features()
    }

    fn ensure_trainable(&self) -> Result<()> {
        if self.data.is_empty() {
            return Err(ConsortError::EmptyDataset("no rows to train on".into()));
        }
        Ok(())
    }

    fn check_compatible(&self, valid: &Self) -> Result<()> {
        self.data.check_compatible(&valid.data)
    }

    fn n_outputs(&self) -> usize {
        self.data.n_classes()
    }

    fn targets(&self, indices: &[usize], device: &Device) -> Targets {
        let mask: Vec<f32> = indices
            .iter()
            .map(|&i| if self.labelled[i] { 1.0 } else { 0.0 })
            .collect();
        Targets::MaskedClasses {
            classes: labels_to_tensor(self.data.labels(), indices, device),
            mask: Tensor::from_data(TensorData::new(mask, [indices.len()]), device),
        }
    }

    fn loss(&self, outputs: Tensor<2>, targets: Targets) -> Tensor<1> {
        let (classes, mask) = match targets {
            Targets::MaskedClasses { classes, mask } => (classes, mask),
            other => return self.data.loss(outputs, other),
        };
        let [batch, _] = outputs.dims();
        let log_p = activation::log_softmax(outputs, 1)
            .gather(1, classes.reshape([batch, 1]))
            .reshape([batch]);
        let count = mask.clone().sum().clamp_min(1.0);
        -(log_p * mask).sum() / count
    }

    fn evaluate<M: Network>(&self, model: &M, device: &Device) -> Result<Evaluation> {
        let rows: Vec<usize> = (0..self.data.len()).filter(|&i| self.labelled[i]).collect();
        if rows.is_empty() {
            return Ok(Evaluation {
                loss: 0.0,
                score: 0.0,
            });
        }
        self.data.subset(&rows).evaluate(model, device)
    }
}

/// Binary targets (0 or 1) for a network with one output logit: implicit feedback, where 1 is
/// an observed interaction and 0 a sampled negative.
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryFeedback {
    data: RegressionDataset,
}

impl BinaryFeedback {
    /// Wraps data whose targets are all 0 or 1.
    pub fn new(data: RegressionDataset) -> Result<Self> {
        if let Some(i) = data.targets().iter().position(|&t| t != 0.0 && t != 1.0) {
            return Err(ConsortError::InvalidInput(format!(
                "binary feedback target of row {i} is {}, not 0 or 1",
                data.targets()[i]
            )));
        }
        Ok(Self { data })
    }

    /// The wrapped rows and 0/1 targets.
    pub fn data(&self) -> &RegressionDataset {
        &self.data
    }
}

impl Objective for BinaryFeedback {
    const SCORE_NAME: &'static str = "acc";

    fn features(&self) -> &Matrix {
        self.data.features()
    }

    fn ensure_trainable(&self) -> Result<()> {
        self.data.ensure_trainable()?;
        let positives = self.data.targets().iter().filter(|&&t| t == 1.0).count();
        if positives == 0 || positives == self.data.len() {
            return Err(ConsortError::TooFewClasses(
                "binary feedback needs both positives and negatives".into(),
            ));
        }
        Ok(())
    }

    fn check_compatible(&self, valid: &Self) -> Result<()> {
        self.data.check_compatible(&valid.data)
    }

    fn n_outputs(&self) -> usize {
        1
    }

    fn targets(&self, indices: &[usize], device: &Device) -> Targets {
        Targets::Values(values_tensor(self.data.targets(), indices, device))
    }

    fn loss(&self, outputs: Tensor<2>, targets: Targets) -> Tensor<1> {
        // Binary cross-entropy on logits in its stable form:
        // max(z, 0) - z * y + log(1 + exp(-|z|)).
        let z = single_output(outputs);
        let y = expect_values(targets);
        let stable = z.clone().clamp_min(0.0) - z.clone() * y + activation::softplus(-z.abs(), 1.0);
        stable.mean()
    }

    fn evaluate<M: Network>(&self, model: &M, device: &Device) -> Result<Evaluation> {
        let (mut loss, mut correct) = (0.0, 0usize);
        let mut shape = Ok(());
        let y = self.data.targets();
        for_each_output(model, device, self.data.features(), |out, chunk| {
            if let Err(e) = check_single_output(out) {
                shape = Err(e);
                return;
            }
            for (&z, &i) in out.as_slice().iter().zip(chunk) {
                let z = f64::from(z);
                let t = f64::from(y[i]);
                loss += z.max(0.0) - z * t + (-z.abs()).exp().ln_1p();
                if (z > 0.0) == (t == 1.0) {
                    correct += 1;
                }
            }
        })?;
        shape?;
        let n = self.len().max(1) as f64;
        Ok(Evaluation {
            loss: loss / n,
            score: correct as f64 / n,
        })
    }
}
