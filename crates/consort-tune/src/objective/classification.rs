//! Classification objectives: cross-entropy on class indices, validated by accuracy.

use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Device, Int, Tensor, TensorData, activation};
use consort_core::{ConsortError, Direction, Matrix, Result, check_labels};
use consort_data::batch::labels_to_tensor;
use consort_data::split::stratified_indices;
use consort_data::{Dataset, InputSource, train_test_split};

use super::{Objective, Targets, TrainingData};

fn classes_of(targets: Targets) -> Tensor<1, Int> {
    match targets {
        Targets::Classes(t) | Targets::MaskedClasses { classes: t, .. } => t,
        Targets::Values(t) => t.int(),
    }
}

/// Mean cross-entropy of logits against class indices (masked rows only, when masked).
pub(crate) fn cross_entropy(outputs: Tensor<2>, targets: Targets) -> Tensor<1> {
    match targets {
        Targets::MaskedClasses { classes, mask } => {
            let [batch, _] = outputs.dims();
            let log_p = activation::log_softmax(outputs, 1)
                .gather(1, classes.reshape([batch, 1]))
                .reshape([batch]);
            let count = mask.clone().sum().clamp_min(1.0);
            -(log_p * mask).sum() / count
        }
        other => CrossEntropyLossConfig::new()
            .init(&outputs.device())
            .forward(outputs, classes_of(other)),
    }
}

/// Correct predictions in a batch (labelled rows only, when masked).
pub(crate) fn correct(outputs: Tensor<2>, targets: Targets) -> Tensor<1> {
    let [batch, _] = outputs.dims();
    let predicted = outputs.argmax(1).reshape([batch]);
    match targets {
        Targets::MaskedClasses { classes, mask } => (predicted.equal(classes).float() * mask).sum(),
        other => predicted.equal(classes_of(other)).int().sum().float(),
    }
}

fn check_same_classes(n_features: [usize; 2], n_classes: [usize; 2]) -> Result<()> {
    if n_features[0] != n_features[1] || n_classes[0] != n_classes[1] {
        return Err(ConsortError::ShapeMismatch(format!(
            "validation data has {} features / {} classes, training data {} / {}",
            n_features[1], n_classes[1], n_features[0], n_classes[0]
        )));
    }
    Ok(())
}

impl TrainingData for Dataset {
    type Inputs = Matrix;

    fn inputs(&self) -> &Matrix {
        self.features()
    }

    fn ensure_trainable(&self) -> Result<()> {
        Dataset::ensure_trainable(self)
    }

    fn check_compatible(&self, valid: &Self) -> Result<()> {
        check_same_classes(
            [self.n_features(), valid.n_features()],
            [self.n_classes(), valid.n_classes()],
        )
    }

    fn class_labels(&self) -> Option<&[usize]> {
        Some(self.labels())
    }

    fn holdout(&self, fraction: f64, seed: u64) -> Result<(Self, Self)> {
        train_test_split(self, fraction, seed)
    }
}

impl Objective for Dataset {
    const SCORE_NAME: &'static str = "acc";

    const SCORE_DIRECTION: Direction = Direction::Higher;

    fn n_outputs(&self) -> usize {
        self.n_classes()
    }

    fn targets(&self, indices: &[usize], device: &Device) -> Targets {
        Targets::Classes(labels_to_tensor(self.labels(), indices, device))
    }

    fn loss(&self, outputs: Tensor<2>, targets: Targets) -> Tensor<1> {
        cross_entropy(outputs, targets)
    }

    fn score_terms(&self, outputs: Tensor<2>, targets: Targets) -> Tensor<1> {
        correct(outputs, targets)
    }
}

/// Class labels over any input source: token ids, images, pairs of modalities.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification<S> {
    inputs: S,
    labels: Vec<usize>,
    n_classes: usize,
}

impl<S: InputSource> Classification<S> {
    /// Rows of `inputs` with `labels` in `0..n_classes`.
    pub fn new(inputs: S, labels: Vec<usize>, n_classes: usize) -> Result<Self> {
        if labels.len() != inputs.len() {
            return Err(ConsortError::ShapeMismatch(format!(
                "{} input rows but {} labels",
                inputs.len(),
                labels.len()
            )));
        }
        check_labels(&labels, n_classes)?;
        Ok(Self {
            inputs,
            labels,
            n_classes,
        })
    }

    /// The labels.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// The rows at `indices`.
    pub fn subset(&self, indices: &[usize]) -> Self {
        Self {
            inputs: self.inputs.select(indices),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            n_classes: self.n_classes,
        }
    }
}

impl<S: InputSource> TrainingData for Classification<S> {
    type Inputs = S;

    fn inputs(&self) -> &S {
        &self.inputs
    }

    fn ensure_trainable(&self) -> Result<()> {
        if self.inputs.is_empty() {
            return Err(ConsortError::EmptyDataset("no rows to train on".into()));
        }
        let mut seen = vec![false; self.n_classes];
        self.labels.iter().for_each(|&l| seen[l] = true);
        if seen.iter().filter(|&&s| s).count() < 2 {
            return Err(ConsortError::TooFewClasses(
                "training needs at least two classes present".into(),
            ));
        }
        Ok(())
    }

    fn check_compatible(&self, valid: &Self) -> Result<()> {
        check_same_classes(
            [self.inputs.width(), valid.inputs.width()],
            [self.n_classes, valid.n_classes],
        )
    }

    fn class_labels(&self) -> Option<&[usize]> {
        Some(&self.labels)
    }

    fn holdout(&self, fraction: f64, seed: u64) -> Result<(Self, Self)> {
        let (a, b) = stratified_indices(&self.labels, self.n_classes, fraction, seed)?;
        Ok((self.subset(&a), self.subset(&b)))
    }
}

impl<S: InputSource> Objective for Classification<S> {
    const SCORE_NAME: &'static str = "acc";

    const SCORE_DIRECTION: Direction = Direction::Higher;

    fn n_outputs(&self) -> usize {
        self.n_classes
    }

    fn targets(&self, indices: &[usize], device: &Device) -> Targets {
        Targets::Classes(labels_to_tensor(&self.labels, indices, device))
    }

    fn loss(&self, outputs: Tensor<2>, targets: Targets) -> Tensor<1> {
        cross_entropy(outputs, targets)
    }

    fn score_terms(&self, outputs: Tensor<2>, targets: Targets) -> Tensor<1> {
        correct(outputs, targets)
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

    fn subset(&self, indices: &[usize]) -> Self {
        Self {
            data: self.data.subset(indices),
            labelled: indices.iter().map(|&i| self.labelled[i]).collect(),
        }
    }
}

impl TrainingData for PartiallyLabelled {
    type Inputs = Matrix;

    fn inputs(&self) -> &Matrix {
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

    fn holdout(&self, fraction: f64, seed: u64) -> Result<(Self, Self)> {
        let (a, b) = stratified_indices(self.data.labels(), self.data.n_classes(), fraction, seed)?;
        Ok((self.subset(&a), self.subset(&b)))
    }
}

impl Objective for PartiallyLabelled {
    const SCORE_NAME: &'static str = "acc";

    const SCORE_DIRECTION: Direction = Direction::Higher;

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
        cross_entropy(outputs, targets)
    }

    fn score_terms(&self, outputs: Tensor<2>, targets: Targets) -> Tensor<1> {
        correct(outputs, targets)
    }

    fn counted_rows(&self, indices: &[usize]) -> usize {
        indices.iter().filter(|&&i| self.labelled[i]).count()
    }
}
