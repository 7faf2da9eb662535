//! `[data]`: where the rows come from and how they are cleaned.

use std::path::PathBuf;

use consort_core::{ConsortError, Result};
use consort_data::{CsvLimits, MissingValues};
use serde::{Deserialize, Serialize};

use super::Fraction;

/// Where the data comes from: exactly one of `embedded` and `csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// A dataset compiled in (`digits`, `iris`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedded: Option<String>,
    /// A CSV file with a header row, or a Parquet file (relative paths: from the experiment
    /// file's folder). `file` and `parquet` are other names for the key.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "file",
        alias = "parquet"
    )]
    pub csv: Option<PathBuf>,
    /// The label column of `csv`: a header name or a 0-based index (default: the last).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Field delimiter of `csv` (one ASCII character).
    #[serde(default = "default_delimiter")]
    pub delimiter: Delimiter,
    /// A test file with the same columns (matched by header name) instead of a split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<PathBuf>,
    /// Share of each class held out for testing when there is no test file.
    #[serde(default = "default_test_fraction")]
    pub test_fraction: Fraction,
    /// Missing cells (empty, `?`, `NA`, `NaN`): error, drop, mean, median, most-frequent.
    #[serde(default)]
    pub missing: MissingValues,
    /// Columns left out (ids, say).
    #[serde(default)]
    pub drop: Vec<String>,
    /// Columns whose cells are not numbers: `error` (naming the column) or `one-hot`.
    #[serde(default)]
    pub categorical: Categorical,
    /// Class weighting: `none` or `balanced` (every class the same total weight).
    #[serde(default)]
    pub class_weight: ClassWeight,
    /// A text column of `csv`: MiniLM sentence embeddings become the features of the
    /// classical models and the MLP, its word-piece ids the input of `transformer` and `lstm`
    /// members (a Transformer and an LSTM are added when the file lists none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Word-piece tokens per text in text mode (MiniLM reads at most 512).
    #[serde(default = "default_max_tokens")]
    pub max_tokens: usize,
    /// Most cells (rows x columns) a CSV may hold: a guard against a wrong file filling the
    /// memory (default 200 million).
    #[serde(default = "default_max_cells")]
    pub max_cells: usize,
}

fn default_max_cells() -> usize {
    CsvLimits::default().max_cells
}

fn default_max_tokens() -> usize {
    128
}

fn default_delimiter() -> Delimiter {
    Delimiter(b',')
}

fn default_test_fraction() -> Fraction {
    Fraction(0.25)
}

impl DataConfig {
    /// An embedded dataset with the defaults.
    pub fn embedded(name: impl Into<String>) -> Self {
        Self {
            embedded: Some(name.into()),
            csv: None,
            ..Self::csv("")
        }
    }

    /// A CSV file with the defaults (label: the last column).
    pub fn csv(path: impl Into<PathBuf>) -> Self {
        Self {
            embedded: None,
            csv: Some(path.into()),
            label: None,
            delimiter: default_delimiter(),
            test: None,
            test_fraction: default_test_fraction(),
            missing: MissingValues::Error,
            drop: Vec::new(),
            categorical: Categorical::Error,
            class_weight: ClassWeight::None,
            text: None,
            max_tokens: default_max_tokens(),
            max_cells: default_max_cells(),
        }
    }

    /// The reader's bounds for this data.
    pub fn limits(&self) -> CsvLimits {
        CsvLimits {
            max_cells: self.max_cells,
            ..CsvLimits::default()
        }
    }

    /// Relative `csv` and `test` paths taken from `base` (the folder of the file that names
    /// them), so a file reads the same data from any working directory.
    pub fn anchored(mut self, base: &std::path::Path) -> Self {
        for path in [&mut self.csv, &mut self.test].into_iter().flatten() {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        }
        self
    }

    /// Checks the section: one source, fractions, limits, options that fit the source.
    pub fn check(&self) -> Result<()> {
        match (&self.embedded, &self.csv) {
            (Some(_), None) | (None, Some(_)) => {}
            _ => {
                return Err(ConsortError::config(
                    "[data] needs exactly one of `embedded` and `csv`",
                ));
            }
        }
        if self.embedded.is_some()
            && (self.test.is_some()
                || self.label.is_some()
                || !self.drop.is_empty()
                || self.missing != MissingValues::Error
                || self.categorical != Categorical::Error)
        {
            return Err(ConsortError::config(
                "[data] `label`, `test`, `missing`, `drop` and `categorical` apply to `csv` only",
            ));
        }
        if self.embedded.is_some() && self.text.is_some() {
            return Err(ConsortError::config("[data] `text` applies to `csv` only"));
        }
        if self.max_cells == 0 {
            return Err(ConsortError::config("[data] max_cells must be at least 1"));
        }
        if !(2..=512).contains(&self.max_tokens) {
            return Err(ConsortError::config(format!(
                "[data] max_tokens must lie in 2..=512, got {}",
                self.max_tokens
            )));
        }
        Ok(())
    }
}

/// A one-byte ASCII field delimiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Delimiter(u8);

impl Delimiter {
    /// Checked: one ASCII character.
    pub fn new(c: char) -> Result<Self> {
        Self::try_from(c.to_string()).map_err(ConsortError::config)
    }

    /// The byte.
    pub fn byte(self) -> u8 {
        self.0
    }
}

impl TryFrom<String> for Delimiter {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        match s.as_bytes() {
            [b] if b.is_ascii() && *b != b'"' && *b != b'\n' && *b != b'\r' => Ok(Self(*b)),
            _ => Err(format!(
                "the delimiter must be one ASCII character other than a quote or a line break, \
                 got {s:?}"
            )),
        }
    }
}

impl From<Delimiter> for String {
    fn from(d: Delimiter) -> String {
        char::from(d.0).to_string()
    }
}

/// What to do with columns whose cells are not numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Categorical {
    /// Stop, naming the column (the default).
    #[default]
    Error,
    /// One column per category seen in the training rows; a category first seen at test
    /// time sets none of them.
    OneHot,
}

/// Class weighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClassWeight {
    /// Every sample counts once.
    #[default]
    None,
    /// Sample weight `n / (n_classes * count(class))`: networks draw batches by it, classical
    /// models that take sample weights weight their loss or statistics by it.
    Balanced,
}
