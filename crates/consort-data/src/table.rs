//! A labelled table as read from a file, before missing cells are dealt with: features may
//! hold NaN for missing cells. Splitting it first and imputing after keeps the test rows out
//! of the imputer, as imputation must be fitted on training rows only.

use consort_core::{ConsortError, Matrix, Result};

use crate::dataset::Dataset;
use crate::missing::{Imputer, MissingValues};
use crate::split::stratified_indices;

/// Features (NaN where a cell was missing), labels and names.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTable {
    pub(crate) name: String,
    pub(crate) features: Matrix,
    pub(crate) labels: Vec<usize>,
    pub(crate) feature_names: Vec<String>,
    pub(crate) class_names: Vec<String>,
}

impl RawTable {
    /// The table's name (the file stem).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The features, NaN where missing.
    pub fn features(&self) -> &Matrix {
        &self.features
    }

    /// Class index of every row.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// Feature column names.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Class names, in class order.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// Number of missing cells.
    pub fn n_missing(&self) -> usize {
        self.features
            .as_slice()
            .iter()
            .filter(|v| v.is_nan())
            .count()
    }

    /// The rows at `indices`.
    pub fn subset(&self, indices: &[usize]) -> Self {
        Self {
            features: self.features.select_rows(indices),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            ..self.clone()
        }
    }

    /// The rows without a missing cell.
    pub fn complete_rows(&self) -> Self {
        let keep: Vec<usize> = (0..self.labels.len())
            .filter(|&i| self.features.row(i).iter().all(|v| !v.is_nan()))
            .collect();
        self.subset(&keep)
    }

    /// Stratified train/test split of the rows (the same rows as
    /// [`train_test_split`](crate::train_test_split) picks for the same labels and seed).
    pub fn split(&self, test_fraction: f64, seed: u64) -> Result<(Self, Self)> {
        let mut present = vec![false; self.class_names.len()];
        self.labels.iter().for_each(|&l| present[l] = true);
        if present.iter().filter(|&&p| p).count() < 2 {
            return Err(ConsortError::TooFewClasses(format!(
                "a stratified split of {} needs at least 2 classes",
                self.name
            )));
        }
        let (train, test) =
            stratified_indices(&self.labels, self.class_names.len(), test_fraction, seed)?;
        Ok((self.subset(&train), self.subset(&test)))
    }

    /// The dataset, when no cell is missing; otherwise an error naming the first missing
    /// cell and the ways forward.
    pub fn into_dataset(self) -> Result<Dataset> {
        if let Some(p) = self.features.as_slice().iter().position(|v| v.is_nan()) {
            let cols = self.features.cols().max(1);
            return Err(ConsortError::InvalidInput(format!(
                "{}: row {}, column {:?} is missing ({} missing cells in all); choose what to do \
                 with them: --missing drop|mean|median|most-frequent",
                self.name,
                p / cols,
                self.feature_names[p % cols],
                self.n_missing()
            )));
        }
        Dataset::with_names(
            self.name,
            self.features,
            self.labels,
            self.feature_names,
            self.class_names,
        )
    }

    /// The dataset with missing cells filled by `imputer` (fitted on training rows).
    pub fn impute(self, imputer: &Imputer) -> Result<Dataset> {
        let features = imputer.transform(&self.features)?;
        Self { features, ..self }.into_dataset()
    }

    /// Applies `policy` to the whole table (drop rows, or impute from all of its rows); use
    /// [`RawTable::split`] first to keep test rows out of an imputer.
    pub fn resolve(self, policy: MissingValues) -> Result<Dataset> {
        match policy {
            MissingValues::Error => self.into_dataset(),
            MissingValues::Drop => self.complete_rows().into_dataset(),
            _ => {
                let imputer = Imputer::fit(&self.features, policy)?;
                self.impute(&imputer)
            }
        }
    }

    /// This table's columns reordered to `train`'s by header name and its labels mapped to
    /// `train`'s classes by name: a given test set. A missing or extra column, or a label the
    /// training data never had, is an error.
    pub fn aligned_to(&self, train: &RawTable) -> Result<Self> {
        let missing: Vec<&String> = train
            .feature_names
            .iter()
            .filter(|n| !self.feature_names.contains(n))
            .collect();
        let extra: Vec<&String> = self
            .feature_names
            .iter()
            .filter(|n| !train.feature_names.contains(n))
            .collect();
        if !missing.is_empty() || !extra.is_empty() {
            return Err(ConsortError::ShapeMismatch(format!(
                "{} does not have the training columns: missing {missing:?}, extra {extra:?}",
                self.name
            )));
        }
        let order: Vec<usize> = train
            .feature_names
            .iter()
            .map(|n| {
                self.feature_names
                    .iter()
                    .position(|m| m == n)
                    .expect("checked")
            })
            .collect();
        let mut values = Vec::with_capacity(self.features.rows() * order.len());
        for row in self.features.iter_rows() {
            values.extend(order.iter().map(|&j| row[j]));
        }
        let labels = self
            .labels
            .iter()
            .map(|&l| {
                let name = &self.class_names[l];
                train
                    .class_names
                    .iter()
                    .position(|c| c == name)
                    .ok_or_else(|| {
                        ConsortError::InvalidInput(format!(
                            "{}: label {name:?} is not a class of the training data {:?}",
                            self.name, train.class_names
                        ))
                    })
            })
            .collect::<Result<Vec<usize>>>()?;
        Ok(Self {
            name: self.name.clone(),
            features: Matrix::new(self.features.rows(), order.len(), values)?,
            labels,
            feature_names: train.feature_names.clone(),
            class_names: train.class_names.clone(),
        })
    }
}
