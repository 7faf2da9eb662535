//! Real-valued objectives: regression (MSE, validated by RMSE) and binary feedback (BCE on
//! one logit, validated by accuracy).

use burn::nn::loss::{MseLoss, Reduction};
use burn::tensor::{Device, Tensor, TensorData, activation};
use consort_core::seed::rng;
use consort_core::{ConsortError, Direction, Matrix, Result};
use consort_data::RegressionDataset;
use rand::seq::SliceRandom;

use super::{Objective, Targets, TrainingData};

fn values_tensor(values: &[f32], indices: &[usize], device: &Device) -> Tensor<1> {
    let v: Vec<f32> = indices.iter().map(|&i| values[i]).collect();
    Tensor::from_data(TensorData::new(v, [indices.len()]), device)
}

/// The single output column of a regression-style network, as `[batch]`.
fn single_output(outputs: Tensor<2>) -> Tensor<1> {
    let [batch, _] = outputs.dims();
    outputs.reshape([batch])
}

fn values_of(targets: Targets) -> Tensor<1> {
    match targets {
        Targets::Values(t) => t,
        Targets::Classes(t) | Targets::MaskedClasses { classes: t, .. } => t.float(),
    }
}

/// A seeded random split of `n` rows: `fraction` of them to the second part.
fn random_holdout(n: usize, fraction: f64, seed: u64) -> Result<(Vec<usize>, Vec<usize>)> {
    if !(fraction > 0.0 && fraction < 1.0) {
        return Err(ConsortError::config(format!(
            "holdout fraction must lie in (0, 1), got {fraction}"
        )));
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng(seed));
    let take = ((n as f64) * fraction).round() as usize;
    if take == 0 || take == n {
        return Err(ConsortError::EmptyDataset(format!(
            "a {fraction} holdout of {n} rows leaves one side empty"
        )));
    }
    let (mut a, mut b) = (order[take..].to_vec(), order[..take].to_vec());
    a.sort_unstable();
    b.sort_unstable();
    Ok((a, b))
}

fn check_same_width(train: usize, valid: usize) -> Result<()> {
    if train != valid {
        return Err(ConsortError::ShapeMismatch(format!(
            "validation data has {valid} features, training data {train}"
        )));
    }
    Ok(())
}

impl TrainingData for RegressionDataset {
    type Inputs = Matrix;

    fn inputs(&self) -> &Matrix {
        self.features()
    }

    fn ensure_trainable(&self) -> Result<()> {
        RegressionDataset::ensure_trainable(self)
    }

    fn check_compatible(&self, valid: &Self) -> Result<()> {
        check_same_width(self.n_features(), valid.n_features())
    }

    fn holdout(&self, fraction: f64, seed: u64) -> Result<(Self, Self)> {
        let (a, b) = random_holdout(self.len(), fraction, seed)?;
        Ok((self.subset(&a), self.subset(&b)))
    }
}

impl Objective for RegressionDataset {
    const SCORE_NAME: &'static str = "rmse";

    const SCORE_DIRECTION: Direction = Direction::Lower;

    fn n_outputs(&self) -> usize {
        1
    }

    fn targets(&self, indices: &[usize], device: &Device) -> Targets {
        Targets::Values(values_tensor(
            RegressionDataset::targets(self),
            indices,
            device,
        ))
    }

    fn loss(&self, outputs: Tensor<2>, targets: Targets) -> Tensor<1> {
        MseLoss::new().forward(single_output(outputs), values_of(targets), Reduction::Mean)
    }

    fn score_terms(&self, outputs: Tensor<2>, targets: Targets) -> Tensor<1> {
        let diff = single_output(outputs) - values_of(targets);
        (diff.clone() * diff).sum()
    }

    fn finish_score(&self, sum: f64, count: f64) -> f64 {
        (sum / count.max(1.0)).sqrt()
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

impl TrainingData for BinaryFeedback {
    type Inputs = Matrix;

    fn inputs(&self) -> &Matrix {
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
        check_same_width(self.data.n_features(), valid.data.n_features())
    }

    fn holdout(&self, fraction: f64, seed: u64) -> Result<(Self, Self)> {
        let (a, b) = random_holdout(self.data.len(), fraction, seed)?;
        Ok((
            Self::new(self.data.subset(&a))?,
            Self::new(self.data.subset(&b))?,
        ))
    }
}

impl Objective for BinaryFeedback {
    const SCORE_NAME: &'static str = "acc";

    const SCORE_DIRECTION: Direction = Direction::Higher;

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
        let y = values_of(targets);
        let stable = z.clone().clamp_min(0.0) - z.clone() * y + activation::softplus(-z.abs(), 1.0);
        stable.mean()
    }

    fn score_terms(&self, outputs: Tensor<2>, targets: Targets) -> Tensor<1> {
        let predicted = single_output(outputs).greater_elem(0.0).float();
        (predicted - values_of(targets))
            .abs()
            .lower_elem(0.5)
            .float()
            .sum()
    }
}
