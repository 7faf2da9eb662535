//! What preparing the data produces: the training and test sets, the fitted preprocessing
//! that rows to predict go through later, and where a text column's views sit.

use std::path::Path;

use consort_core::Result;
use consort_data::{
    CsvOptions, Dataset, Imputer, LabelColumn, MissingValues, OneHotEncoder, RawTable, read_table,
};
use serde::{Deserialize, Serialize};

/// Where the views of a text column sit in the feature matrix (text mode).
#[derive(Debug, Clone, PartialEq)]
pub struct TextViews {
    /// MiniLM sentence embeddings (what the classical models and the MLP read).
    pub embedding: std::ops::Range<usize>,
    /// Word-piece ids, 0 as padding (what the sequence networks read).
    pub tokens: std::ops::Range<usize>,
    /// The word-piece vocabulary size.
    pub vocab_size: usize,
}

/// The training and test sets of a run and how they were made.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// With a text column: where its views sit in the features.
    pub text: Option<TextViews>,
    /// The dataset's name.
    pub name: String,
    /// Rows to fit on.
    pub train: Dataset,
    /// Rows to report on.
    pub test: Dataset,
    /// What loading did (dropped rows, imputed cells, encoded columns), for the report.
    pub notes: Vec<String>,
    /// The fitted preprocessing, to apply to new rows.
    pub preprocessing: Preprocessing,
}

/// What turns a CSV file's rows into a model's input: the columns expected (by header name),
/// the missing-cell policy with its fitted imputer, and the fitted one-hot encoder. Saved
/// with a model, so `consort predict` reads new files exactly as training did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preprocessing {
    /// Numeric input columns, in order.
    pub numeric_columns: Vec<String>,
    /// Text input columns (one-hot encoded after the numeric ones).
    pub text_columns: Vec<String>,
    /// The label column's name (new files may have it, for scoring, or not).
    pub label_column: String,
    /// Columns ignored when present.
    pub dropped_columns: Vec<String>,
    /// Field delimiter of CSV input.
    pub delimiter: u8,
    /// The missing-cell policy.
    pub missing: MissingValues,
    /// Fitted on the training rows when the policy imputes.
    pub imputer: Option<Imputer>,
    /// Fitted on the training rows when there are text columns.
    pub one_hot: Option<OneHotEncoder>,
    /// Class names, in class order.
    pub class_names: Vec<String>,
    /// The model's feature names (after encoding).
    pub feature_names: Vec<String>,
}

impl consort_core::io::Validate for Preprocessing {
    fn validate(&self) -> Result<()> {
        use consort_core::io::ensure;
        ensure(self.class_names.len() >= 2, || {
            format!(
                "{} class names (at least 2 expected)",
                self.class_names.len()
            )
        })?;
        ensure(!self.feature_names.is_empty(), || "no feature names".into())?;
        if let Some(imputer) = &self.imputer {
            imputer.validate()?;
            // The imputer is fitted after one-hot encoding: one value per model feature
            // (numeric columns, then indicator columns).
            ensure(imputer.fill.len() == self.feature_names.len(), || {
                format!(
                    "{} imputer values for {} features",
                    imputer.fill.len(),
                    self.feature_names.len()
                )
            })?;
        }
        if let Some(one_hot) = &self.one_hot {
            one_hot.validate()?;
        }
        Ok(())
    }
}

impl Preprocessing {
    /// Reads `path` (a CSV with the training columns, by header name; the label column is
    /// optional) into rows for the model. With a label column the labels are mapped to the
    /// training classes (an unknown label is an error); without one, every label is 0.
    pub fn read(&self, path: &Path) -> Result<(Dataset, bool)> {
        let header = consort_data::read_header(path, self.delimiter)?;
        let has_label = !self.label_column.is_empty() && header.contains(&self.label_column);
        let options = CsvOptions {
            label: if has_label {
                LabelColumn::Name(self.label_column.clone())
            } else {
                LabelColumn::Absent
            },
            delimiter: self.delimiter,
            // Cells the imputer can fill are read as missing; with no imputer a missing cell
            // is an error (rows to predict cannot be dropped).
            missing: if self.imputer.is_some() {
                MissingValues::Mean
            } else {
                MissingValues::Error
            },
            drop_columns: self
                .dropped_columns
                .iter()
                .filter(|c| header.contains(c))
                .cloned()
                .collect(),
            keep_text_columns: !self.text_columns.is_empty(),
            limits: Default::default(),
            suggest_options: false,
        };
        let table = read_table(path, &options)?;
        let layout = RawTable::layout(self.numeric_columns.clone(), self.text_columns.clone());
        let table = if has_label {
            table.aligned_to(&layout.with_classes(self.class_names.clone()))?
        } else {
            table.columns_aligned_to(&layout)?
        };
        let rows = self.apply(table)?;
        let rows = if has_label {
            rows
        } else {
            Dataset::with_names(
                rows.name().to_string(),
                rows.features().clone(),
                vec![0; rows.len()],
                self.feature_names.clone(),
                self.class_names.clone(),
            )?
        };
        Ok((rows, has_label))
    }

    /// Encodes and imputes an aligned table with the fitted steps.
    fn apply(&self, table: RawTable) -> Result<Dataset> {
        let table = match &self.one_hot {
            Some(encoder) => encoder.encode(table)?,
            None => table,
        };
        match &self.imputer {
            Some(imputer) => table.impute(imputer),
            None => table.into_dataset(),
        }
    }
}
