//! The in-memory labelled dataset every model trains on.

use consort_core::seed::{derive_seed, rng};
use consort_core::{ConsortError, Matrix, Result, check_labels};
use rand::seq::SliceRandom;

/// Features plus class labels, with the names needed to report on them.
///
/// Invariants (checked by [`Dataset::new`]): one label per row, every label below
/// `n_classes`, every feature finite, one name per feature and per class.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    name: String,
    features: Matrix,
    labels: Vec<usize>,
    feature_names: Vec<String>,
    class_names: Vec<String>,
}

impl Dataset {
    /// Builds a dataset with generated feature names (`x0`, `x1`, ...) and class names (`0`, ...).
    pub fn new(features: Matrix, labels: Vec<usize>, n_classes: usize) -> Result<Self> {
        let feature_names = (0..features.cols()).map(|j| format!("x{j}")).collect();
        let class_names = (0..n_classes).map(|c| c.to_string()).collect();
        Self::with_names("dataset", features, labels, feature_names, class_names)
    }

    /// Builds a dataset with explicit names; validates every invariant.
    pub fn with_names(
        name: impl Into<String>,
        features: Matrix,
        labels: Vec<usize>,
        feature_names: Vec<String>,
        class_names: Vec<String>,
    ) -> Result<Self> {
        if features.rows() != labels.len() {
            return Err(ConsortError::ShapeMismatch(format!(
                "{} feature rows but {} labels",
                features.rows(),
                labels.len()
            )));
        }
        if feature_names.len() != features.cols() {
            return Err(ConsortError::ShapeMismatch(format!(
                "{} feature names for {} feature columns",
                feature_names.len(),
                features.cols()
            )));
        }
        if class_names.is_empty() {
            return Err(ConsortError::TooFewClasses(
                "a dataset needs at least one class".into(),
            ));
        }
        check_labels(&labels, class_names.len())?;
        features.ensure_finite("features")?;
        Ok(Self {
            name: name.into(),
            features,
            labels,
            feature_names,
            class_names,
        })
    }

    /// The dataset's name (file stem or embedded name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Renames the dataset.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The feature matrix, one row per sample.
    pub fn features(&self) -> &Matrix {
        &self.features
    }

    /// The class index of each sample.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Number of feature columns.
    pub fn n_features(&self) -> usize {
        self.features.cols()
    }

    /// Number of classes (including classes with no sample in this subset).
    pub fn n_classes(&self) -> usize {
        self.class_names.len()
    }

    /// Feature column names.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Class names, indexed by label.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// Samples per class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.n_classes()];
        for &l in &self.labels {
            counts[l] += 1;
        }
        counts
    }

    /// The rows of `parts` one after another (a replay buffer mixed into new rows, say);
    /// every part has the same features and classes as the first.
    pub fn concat(parts: &[&Dataset]) -> Result<Dataset> {
        let first = parts
            .first()
            .ok_or_else(|| ConsortError::EmptyDataset("nothing to concatenate".into()))?;
        if let Some(bad) = parts
            .iter()
            .find(|p| p.feature_names != first.feature_names || p.class_names != first.class_names)
        {
            return Err(ConsortError::ShapeMismatch(format!(
                "cannot join a dataset of {} features and {} classes to one of {} and {}",
                bad.n_features(),
                bad.n_classes(),
                first.n_features(),
                first.n_classes()
            )));
        }
        let features: Vec<&Matrix> = parts.iter().map(|p| &p.features).collect();
        Self::with_names(
            first.name.clone(),
            Matrix::vstack(&features)?,
            parts
                .iter()
                .flat_map(|p| p.labels.iter().copied())
                .collect(),
            first.feature_names.clone(),
            first.class_names.clone(),
        )
    }

    /// The rows at `indices`, as a new dataset with the same names and classes.
    pub fn subset(&self, indices: &[usize]) -> Self {
        Self {
            name: self.name.clone(),
            features: self.features.select_rows(indices),
            labels: crate::take(&self.labels, indices),
            feature_names: self.feature_names.clone(),
            class_names: self.class_names.clone(),
        }
    }

    /// The samples of the classes in `classes`, relabelled `0..classes.len()` (class names
    /// kept): a new label set for transfer learning, say. With `per_class`, at most that many
    /// samples of each class, chosen with `seed` (few-shot subsets).
    pub fn with_classes(
        &self,
        classes: std::ops::Range<usize>,
        per_class: Option<usize>,
        seed: u64,
    ) -> Result<Self> {
        if classes.is_empty() || classes.end > self.n_classes() {
            return Err(ConsortError::InvalidInput(format!(
                "classes {classes:?} are not a non-empty range within 0..{}",
                self.n_classes()
            )));
        }
        let mut rows = Vec::new();
        for c in classes.clone() {
            let mut of_c: Vec<usize> = (0..self.len()).filter(|&i| self.labels[i] == c).collect();
            if let Some(k) = per_class {
                of_c.shuffle(&mut rng(derive_seed(seed, &format!("class{c}"))));
                of_c.truncate(k);
            }
            rows.extend(of_c);
        }
        rows.sort_unstable();
        Self::with_names(
            self.name.clone(),
            self.features.select_rows(&rows),
            rows.iter()
                .map(|&i| self.labels[i] - classes.start)
                .collect(),
            self.feature_names.clone(),
            self.class_names[classes].to_vec(),
        )
    }

    /// Same samples and names, new features (e.g. after scaling). Rows must match.
    pub fn with_features(&self, features: Matrix) -> Result<Self> {
        if features.rows() != self.len() {
            return Err(ConsortError::ShapeMismatch(format!(
                "{} new feature rows for {} samples",
                features.rows(),
                self.len()
            )));
        }
        features.ensure_finite("features")?;
        let feature_names = if features.cols() == self.n_features() {
            self.feature_names.clone()
        } else {
            (0..features.cols()).map(|j| format!("x{j}")).collect()
        };
        Ok(Self {
            name: self.name.clone(),
            features,
            labels: self.labels.clone(),
            feature_names,
            class_names: self.class_names.clone(),
        })
    }

    /// Errors unless the dataset can train a classifier: non-empty, at least two classes present.
    pub fn ensure_trainable(&self) -> Result<()> {
        if self.is_empty() {
            return Err(ConsortError::EmptyDataset(format!(
                "{} has no samples to train on",
                self.name
            )));
        }
        let present = self.class_counts().iter().filter(|&&c| c > 0).count();
        if present < 2 {
            return Err(ConsortError::TooFewClasses(format!(
                "{} has samples of {present} class; training a classifier needs at least 2",
                self.name
            )));
        }
        Ok(())
    }
}
