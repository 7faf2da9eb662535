//! The table reader's passes over a CSV file: the header laid out against the options, the
//! records checked against it and the limits, every cell parsed, then the table.

use std::io::Read;

use consort_core::{ConsortError, Matrix, Result};

use super::diagnose::{
    canonical_numeric_labels, csv_error, delimiter_hint, duplicate_column, row_length_message,
    shorten,
};
use super::limits::ParsedBudget;
use super::{CsvOptions, LabelColumn, sorted_classes};
use crate::missing::{MISSING_TOKENS, MissingValues};
use crate::table::{RawTable, TextColumn};

/// The columns of a table as its header and the options lay them out.
pub(crate) struct Layout {
    header: Vec<String>,
    /// Every line ends with a delimiter that names no column.
    trailing_delimiter: bool,
    /// The label's column; `usize::MAX` (no column) for a table without labels.
    label_col: usize,
    dropped: Vec<bool>,
    /// Text columns (kept as text); decided once the rows are read.
    text: Vec<bool>,
}

/// The parsed cells of every row.
pub(crate) struct Cells {
    values: Vec<f32>,
    raw_labels: Vec<String>,
    label_lines: Vec<usize>,
    text_cells: Vec<Vec<Option<String>>>,
}

fn parse_err(source_name: &str, line: usize, message: String) -> ConsortError {
    ConsortError::Parse {
        source_name: source_name.to_string(),
        line,
        message,
    }
}

impl Layout {
    /// The header, checked: named columns, none twice, a feature and a label left after the
    /// dropped ones.
    pub(super) fn read<R: Read>(
        rdr: &mut csv::Reader<R>,
        source_name: &str,
        options: &CsvOptions,
    ) -> Result<Self> {
        let header: Vec<String> = rdr
            .headers()
            .map_err(|e| csv_error(source_name, e))?
            .iter()
            .map(str::to_string)
            .collect();
        Self::from_header(header, source_name, options)
    }

    /// The same checks on a header that comes from elsewhere (a Parquet file's schema).
    pub(crate) fn from_header(
        mut header: Vec<String>,
        source_name: &str,
        options: &CsvOptions,
    ) -> Result<Self> {
        if header.is_empty() || header.iter().all(String::is_empty) {
            return Err(ConsortError::EmptyDataset(format!(
                "{source_name} has no header row"
            )));
        }
        // `a,b,label,` : a delimiter at the end of every line names no column; it is ignored
        // (a value under it is an error below).
        let trailing_delimiter = header.len() >= 2 && header.last().is_some_and(String::is_empty);
        if trailing_delimiter {
            header.pop();
        }
        if let Some(message) = duplicate_column(&header) {
            return Err(parse_err(source_name, 1, message));
        }
        let width = header.len();
        if width < 2 {
            return Err(parse_err(
                source_name,
                1,
                format!(
                    "the header has one column{}; a table needs at least one feature column and \
                     a label column",
                    delimiter_hint(&header[0], options.delimiter, options.suggest_options)
                ),
            ));
        }
        let label_col = match options.label {
            LabelColumn::Absent => usize::MAX,
            ref label => label.resolve(&header)?,
        };
        let mut dropped = vec![false; width];
        for name in &options.drop_columns {
            let j = LabelColumn::Name(name.clone()).resolve(&header)?;
            if j == label_col {
                return Err(ConsortError::config(format!(
                    "column {name:?} is the label and cannot be dropped"
                )));
            }
            dropped[j] = true;
        }
        let kept = dropped.iter().filter(|&&d| !d).count();
        if kept < 2 - usize::from(label_col == usize::MAX) {
            return Err(parse_err(
                source_name,
                1,
                "no feature column is left after dropping columns".into(),
            ));
        }
        Ok(Self {
            header,
            trailing_delimiter,
            label_col,
            dropped,
            text: vec![false; width],
        })
    }

    /// The label's column, if the table has labels.
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    pub(crate) fn label_column(&self) -> Option<usize> {
        (self.label_col != usize::MAX).then_some(self.label_col)
    }

    fn width(&self) -> usize {
        self.header.len()
    }

    /// Every data row, each of the header's width, within the cell and memory limits.
    pub(super) fn records<R: Read>(
        &self,
        rdr: &mut csv::Reader<R>,
        source_name: &str,
        options: &CsvOptions,
    ) -> Result<Vec<csv::StringRecord>> {
        let rows = rdr
            .records()
            .map(|r| r.map_err(|e| csv_error(source_name, e)));
        self.checked_records(rows, source_name, options)
    }

    /// Every row of any source (a CSV reader's, a Parquet file's rows as text cells), each of
    /// the header's width, within the cell and memory limits; a row's position is its line.
    pub(crate) fn checked_records(
        &self,
        rows: impl Iterator<Item = Result<csv::StringRecord>>,
        source_name: &str,
        options: &CsvOptions,
    ) -> Result<Vec<csv::StringRecord>> {
        let width = self.width();
        let mut records = Vec::new();
        let mut parsed = ParsedBudget::new(options.limits.max_parsed_bytes);
        for r in rows {
            let mut record = r?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            if self.trailing_delimiter && record.len() == width + 1 {
                if !record[width].is_empty() {
                    return Err(parse_err(
                        source_name,
                        line,
                        format!(
                            "{:?} stands under no column (the header ends with a delimiter)",
                            &record[width]
                        ),
                    ));
                }
                record.truncate(width);
            }
            if record.len() != width {
                return Err(parse_err(
                    source_name,
                    line,
                    row_length_message(&record, width),
                ));
            }
            if records.len().saturating_add(1).saturating_mul(width) > options.limits.max_cells {
                return Err(parse_err(
                    source_name,
                    line,
                    format!(
                        "more than {} cells ({} columns): raise the limit (max_cells) if the \
                         machine has the memory",
                        options.limits.max_cells, width
                    ),
                ));
            }
            parsed
                .add(&record, records.len())
                .map_err(|m| parse_err(source_name, line, m))?;
            records.push(record);
        }
        if records.is_empty() {
            return Err(ConsortError::EmptyDataset(format!(
                "{source_name} has a header but no data rows"
            )));
        }
        Ok(records)
    }

    /// Every cell parsed: numbers (NaN where missing), labels, text cells. Decides the text
    /// columns first: those where some present cell is not a number (only when text columns
    /// are kept).
    pub(crate) fn cells(
        &mut self,
        records: &[csv::StringRecord],
        source_name: &str,
        options: &CsvOptions,
    ) -> Result<Cells> {
        let is_missing = |cell: &str| is_missing(cell, options.missing);
        self.text = (0..self.width())
            .map(|j| {
                options.keep_text_columns
                    && j != self.label_col
                    && !self.dropped[j]
                    && records.iter().any(|r| {
                        let cell = r.get(j).unwrap_or("");
                        !is_missing(cell) && cell.parse::<f32>().is_err()
                    })
            })
            .collect();
        let mut cells = Cells {
            values: Vec::new(),
            raw_labels: Vec::with_capacity(records.len()),
            label_lines: Vec::with_capacity(records.len()),
            text_cells: vec![Vec::new(); self.width()],
        };
        for record in records {
            let line = record.position().map_or(0, |p| p.line() as usize);
            if self.label_col == usize::MAX {
                cells.raw_labels.push(String::new());
            }
            for (j, cell) in record.iter().enumerate() {
                if j == self.label_col {
                    if cell.is_empty() {
                        return Err(parse_err(
                            source_name,
                            line,
                            format!("the label (column {:?}) is empty", self.header[j]),
                        ));
                    }
                    cells.raw_labels.push(cell.to_string());
                    cells.label_lines.push(line);
                } else if self.dropped[j] {
                } else if is_missing(cell) {
                    if options.missing == MissingValues::Error {
                        return Err(self.at(j, cell, line, source_name, options).missing());
                    }
                    if self.text[j] {
                        cells.text_cells[j].push(None);
                    } else {
                        cells.values.push(f32::NAN);
                    }
                } else if self.text[j] {
                    cells.text_cells[j].push(Some(cell.to_string()));
                } else {
                    let v = self.at(j, cell, line, source_name, options).number()?;
                    cells.values.push(v);
                }
            }
        }
        if self.label_col != usize::MAX {
            canonical_numeric_labels(&mut cells.raw_labels, &cells.label_lines)
                .map_err(|(line, m)| parse_err(source_name, line, m))?;
        }
        Ok(cells)
    }

    /// Cell `j` of the record at `line`, located for its error messages.
    fn at<'a>(
        &'a self,
        j: usize,
        cell: &'a str,
        line: usize,
        source_name: &'a str,
        options: &CsvOptions,
    ) -> CellAt<'a> {
        CellAt {
            source_name,
            line,
            column: &self.header[j],
            cell,
            suggest_options: options.suggest_options,
        }
    }

    /// The table: classes in their canonical order, the numeric features, the text columns.
    pub(crate) fn table(self, cells: Cells) -> Result<RawTable> {
        let Cells {
            values,
            raw_labels,
            text_cells,
            ..
        } = cells;
        let class_names = sorted_classes(&raw_labels);
        // Looked up by exact text: the class order (numeric or not) never decides membership.
        let class_of: std::collections::HashMap<&str, usize> = class_names
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let labels = raw_labels.iter().map(|l| class_of[l.as_str()]).collect();
        let numeric = |j: usize| j != self.label_col && !self.dropped[j] && !self.text[j];
        let feature_names: Vec<String> = (0..self.width())
            .filter(|&j| numeric(j))
            .map(|j| self.header[j].clone())
            .collect();
        let text_columns: Vec<TextColumn> = self
            .header
            .iter()
            .zip(text_cells)
            .zip(&self.text)
            .filter(|(_, is_text)| **is_text)
            .map(|((name, cells), _)| TextColumn {
                name: name.clone(),
                cells,
            })
            .collect();
        let features = Matrix::new(raw_labels.len(), feature_names.len(), values)?;
        Ok(RawTable {
            name: "csv".into(),
            features,
            labels,
            feature_names,
            class_names,
            text_columns,
            label_name: self.header.get(self.label_col).cloned().unwrap_or_default(),
        })
    }
}

/// Whether `cell` marks a missing value. Under the default policy a literal NaN stays a
/// non-finite number (its own error); under the others it marks a missing cell like the
/// other tokens.
fn is_missing(cell: &str, policy: MissingValues) -> bool {
    MISSING_TOKENS.contains(&cell)
        && !(cell.eq_ignore_ascii_case("nan") && policy == MissingValues::Error)
}

/// A cell, with where it is (file, line, column) and whether errors may suggest options.
struct CellAt<'a> {
    source_name: &'a str,
    line: usize,
    column: &'a str,
    cell: &'a str,
    suggest_options: bool,
}

impl CellAt<'_> {
    /// The error for a missing cell under [`MissingValues::Error`], with the ways forward.
    fn missing(&self) -> ConsortError {
        let (column, cell) = (self.column, self.cell);
        parse_err(
            self.source_name,
            self.line,
            if self.suggest_options {
                format!(
                    "column {column:?} is missing ({cell:?}); choose what to do with missing \
                     cells: --missing drop|mean|median|most-frequent"
                )
            } else {
                format!(
                    "column {column:?} is missing ({cell:?}); the model was trained without \
                     missing cells and cannot fill it: give every row a value"
                )
            },
        )
    }

    /// The cell's finite value.
    fn number(&self) -> Result<f32> {
        let (column, cell) = (self.column, self.cell);
        let v: f32 = cell.parse().map_err(|_| {
            parse_err(
                self.source_name,
                self.line,
                format!(
                    "column {column:?}: {:?} is not a number ({}){}",
                    shorten(cell),
                    if self.suggest_options {
                        format!(
                            "drop the column with --drop {column:?}, or one-hot encode text \
                             columns with --categorical one-hot"
                        )
                    } else {
                        "the model was trained on numbers in this column".to_string()
                    },
                    if cell.contains('\n') {
                        "; it spans lines: is a quote left open?"
                    } else {
                        ""
                    }
                ),
            )
        })?;
        if !v.is_finite() {
            return Err(ConsortError::NonFinite(format!(
                "{}, line {}, column {column:?} ({cell:?}: beyond the range of \
                 32-bit floats, about 3.4e38, or not a number)",
                self.source_name, self.line
            )));
        }
        Ok(v)
    }
}
