//! A labelled table as read from a file, before missing cells are dealt with: features may
//! hold NaN for missing cells. Splitting it first and imputing after keeps the test rows out
//! of the imputer, as imputation must be fitted on training rows only.

use consort_core::{ConsortError, Matrix, Result};

use crate::dataset::Dataset;
use crate::missing::{Imputer, MissingValues};
use crate::split::stratified_indices;

/// Features (NaN where a cell was missing), labels and names; text columns apart when the
/// reader was asked to keep them.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTable {
    pub(crate) name: String,
    pub(crate) features: Matrix,
    pub(crate) labels: Vec<usize>,
    pub(crate) feature_names: Vec<String>,
    pub(crate) class_names: Vec<String>,
    pub(crate) text_columns: Vec<TextColumn>,
    pub(crate) label_name: String,
}

/// A column whose cells are not all numbers: one cell per row, `None` where missing.
#[derive(Debug, Clone, PartialEq)]
pub struct TextColumn {
    /// Header name.
    pub name: String,
    /// The cells.
    pub cells: Vec<Option<String>>,
}

impl RawTable {
    /// A table with no rows and the given numeric and text columns: the column layout other
    /// tables are aligned to ([`RawTable::columns_aligned_to`]) when the training table
    /// itself is gone (a saved model's input).
    pub fn layout(feature_names: Vec<String>, text_names: Vec<String>) -> Self {
        Self {
            name: "layout".into(),
            features: Matrix::zeros(0, feature_names.len()),
            labels: Vec::new(),
            feature_names,
            class_names: Vec::new(),
            text_columns: text_names
                .into_iter()
                .map(|name| TextColumn {
                    name,
                    cells: Vec::new(),
                })
                .collect(),
            label_name: String::new(),
        }
    }

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

    /// The same table with its class names replaced (for a [`RawTable::layout`] that labels
    /// are mapped onto).
    pub fn with_classes(self, class_names: Vec<String>) -> Self {
        Self {
            class_names,
            ..self
        }
    }

    /// The label column's header name (empty when the table has none).
    pub fn label_name(&self) -> &str {
        &self.label_name
    }

    /// The text (non-numeric) columns, kept apart from the features.
    pub fn text_columns(&self) -> &[TextColumn] {
        &self.text_columns
    }

    /// Number of missing cells (numeric and text).
    pub fn n_missing(&self) -> usize {
        let numeric = self
            .features
            .as_slice()
            .iter()
            .filter(|v| v.is_nan())
            .count();
        let text: usize = self
            .text_columns
            .iter()
            .map(|c| c.cells.iter().filter(|v| v.is_none()).count())
            .sum();
        numeric + text
    }

    /// The rows at `indices`.
    pub fn subset(&self, indices: &[usize]) -> Self {
        Self {
            name: self.name.clone(),
            features: self.features.select_rows(indices),
            labels: crate::take(&self.labels, indices),
            feature_names: self.feature_names.clone(),
            class_names: self.class_names.clone(),
            label_name: self.label_name.clone(),
            text_columns: self
                .text_columns
                .iter()
                .map(|c| TextColumn {
                    name: c.name.clone(),
                    cells: crate::take(&c.cells, indices),
                })
                .collect(),
        }
    }

    /// The rows without a missing cell.
    pub fn complete_rows(&self) -> Self {
        let keep: Vec<usize> = (0..self.labels.len())
            .filter(|&i| {
                self.features.row(i).iter().all(|v| !v.is_nan())
                    && self.text_columns.iter().all(|c| c.cells[i].is_some())
            })
            .collect();
        self.subset(&keep)
    }

    /// The table with its text columns replaced by numeric ones (one-hot encoding, say):
    /// `encode` maps the text columns to extra feature columns and their names.
    pub fn with_text_encoded(
        self,
        encode: impl FnOnce(&[TextColumn]) -> Result<(Matrix, Vec<String>)>,
    ) -> Result<Self> {
        let (extra, names) = encode(&self.text_columns)?;
        let features = Matrix::hstack(&[&self.features, &extra])?;
        let mut feature_names = self.feature_names;
        feature_names.extend(names);
        Ok(Self {
            features,
            feature_names,
            text_columns: Vec::new(),
            ..self
        })
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
        if let Some(c) = self.text_columns.first() {
            return Err(ConsortError::InvalidInput(format!(
                "{}: column {:?} is not numeric; one-hot encode it (--categorical one-hot) or \
                 leave it out (--drop {:?})",
                self.name, c.name, c.name
            )));
        }
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
        let columns = self.columns_aligned_to(train)?;
        let labels = columns
            .labels
            .iter()
            .map(|&l| {
                let name = &columns.class_names[l];
                train
                    .class_names
                    .iter()
                    .position(|c| c == name)
                    .ok_or_else(|| {
                        ConsortError::InvalidInput(format!(
                            "{}: label {name:?} is not a class of the training data {:?}",
                            columns.name, train.class_names
                        ))
                    })
            })
            .collect::<Result<Vec<usize>>>()?;
        Ok(Self {
            labels,
            class_names: train.class_names.clone(),
            ..columns
        })
    }

    /// This table's columns reordered to `train`'s by header name, its labels untouched
    /// (rows to predict). A missing or extra column is an error.
    pub fn columns_aligned_to(&self, train: &RawTable) -> Result<Self> {
        let names = |t: &RawTable| -> Vec<String> {
            t.feature_names
                .iter()
                .cloned()
                .chain(t.text_columns.iter().map(|c| c.name.clone()))
                .collect()
        };
        let (mine, theirs) = (names(self), names(train));
        let missing: Vec<&String> = theirs.iter().filter(|n| !mine.contains(n)).collect();
        let extra: Vec<&String> = mine.iter().filter(|n| !theirs.contains(n)).collect();
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
                    .ok_or_else(|| {
                        ConsortError::InvalidInput(format!(
                            "{}: column {n:?} holds text here but numbers in the training file",
                            self.name
                        ))
                    })
            })
            .collect::<Result<_>>()?;
        let mut values = Vec::with_capacity(self.features.rows() * order.len());
        for row in self.features.iter_rows() {
            values.extend(order.iter().map(|&j| row[j]));
        }
        // A column numeric in one file and text in the other (a stray word in a test
        // column, say) is matched by name and kept as text in both.
        let mut text_columns = Vec::with_capacity(train.text_columns.len());
        for c in &train.text_columns {
            let cells = match self.text_columns.iter().find(|m| m.name == c.name) {
                Some(m) => m.cells.clone(),
                None => {
                    return Err(ConsortError::InvalidInput(format!(
                        "{}: column {:?} holds text in the training file but only numbers here",
                        self.name, c.name
                    )));
                }
            };
            text_columns.push(TextColumn {
                name: c.name.clone(),
                cells,
            });
        }
        Ok(Self {
            name: self.name.clone(),
            features: Matrix::new(self.features.rows(), order.len(), values)?,
            labels: self.labels.clone(),
            feature_names: train.feature_names.clone(),
            class_names: self.class_names.clone(),
            text_columns,
            label_name: self.label_name.clone(),
        })
    }
}
