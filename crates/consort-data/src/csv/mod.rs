//! Loading and writing datasets as CSV (header row, numeric features, one label column).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use consort_core::{ConsortError, Matrix, Result};

use crate::dataset::Dataset;
use crate::missing::{MISSING_TOKENS, MissingValues};
use crate::table::{RawTable, TextColumn};

mod diagnose;
mod limits;

pub(crate) use diagnose::csv_error;
use diagnose::{
    canonical_numeric_labels, delimiter_hint, duplicate_column, row_length_message, shorten,
};
pub use limits::CsvLimits;
use limits::LineLimited;
pub(crate) use limits::ParsedBudget;

/// Which column holds the class label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelColumn {
    /// The last column (the default, as in Consort's shipped data).
    Last,
    /// A column by header name.
    Name(String),
    /// A column by 0-based index.
    Index(usize),
    /// No label column (rows to predict): every row gets the one placeholder class `""`.
    Absent,
}

impl LabelColumn {
    /// Parses a user's `--label` value: a header name, or else a 0-based index.
    pub fn parse(spec: &str) -> Self {
        match spec.parse::<usize>() {
            Ok(i) => Self::Index(i),
            Err(_) => Self::Name(spec.to_string()),
        }
    }

    /// The 0-based index of this column in `header`.
    pub fn resolve(&self, header: &[String]) -> Result<usize> {
        let unknown = |requested: String| ConsortError::UnknownColumn {
            requested,
            available: header.to_vec(),
        };
        match self {
            Self::Absent => Err(ConsortError::config(
                "this table has no label column by request",
            )),
            Self::Last if header.is_empty() => Err(unknown("<last>".into())),
            Self::Last => Ok(header.len() - 1),
            // A header that is literally "3" wins over column index 3.
            Self::Index(i) => match header.iter().position(|h| h == &i.to_string()) {
                Some(p) => Ok(p),
                None if *i < header.len() => Ok(*i),
                None => Err(unknown(i.to_string())),
            },
            Self::Name(n) => header
                .iter()
                .position(|h| h == n)
                .ok_or_else(|| unknown(n.clone())),
        }
    }
}

/// Options for [`read_csv`].
#[derive(Debug, Clone)]
pub struct CsvOptions {
    /// The label column.
    pub label: LabelColumn,
    /// Field delimiter (`b','` by default; `b'\t'` for TSV).
    pub delimiter: u8,
    /// What to do with missing cells (empty, `?`, `NA`, `NaN`).
    pub missing: MissingValues,
    /// Columns left out (an id column, say), by header name.
    pub drop_columns: Vec<String>,
    /// Keep columns whose cells are not all numbers as text columns of the table (for a
    /// [`OneHotEncoder`](crate::OneHotEncoder)) instead of stopping at the first such cell.
    pub keep_text_columns: bool,
    /// Bounds on what is read, so that a wrong file (`/dev/zero`, a binary, a 1 GB line)
    /// ends in a clear error with bounded memory.
    pub limits: CsvLimits,
    /// Whether errors suggest the reading options (`--delimiter`, `--missing`, `--drop`,
    /// `--categorical`): true where the user chooses them (a run), false where they are
    /// fixed (a saved model reading new rows as it was trained).
    pub suggest_options: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            label: LabelColumn::Last,
            delimiter: b',',
            missing: MissingValues::Error,
            drop_columns: Vec::new(),
            keep_text_columns: false,
            limits: CsvLimits::default(),
            suggest_options: true,
        }
    }
}

/// Reads a CSV file into a [`Dataset`] named after the file's stem, applying
/// `options.missing` to the whole file (imputing from all of its rows; to fit an imputer on
/// training rows only, [`read_table`] and split first).
pub fn read_csv(path: impl AsRef<Path>, options: &CsvOptions) -> Result<Dataset> {
    read_table(path, options)?.resolve(options.missing)
}

/// Opens `path` for a CSV reader, its lines bounded by the default [`CsvLimits`] (so
/// `/dev/zero` or a binary file ends in a clear error); map the reader's errors with
/// [`csv_error`].
pub(crate) fn open_line_limited(path: &Path) -> Result<LineLimited<File>> {
    let file = File::open(path).map_err(|e| ConsortError::io(path, e))?;
    Ok(LineLimited::new(file, CsvLimits::default().max_line_bytes))
}

/// Reads a CSV file into a [`RawTable`] (missing cells as NaN unless `options.missing` is
/// `Error`), named after the file's stem.
pub fn read_table(path: impl AsRef<Path>, options: &CsvOptions) -> Result<RawTable> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| ConsortError::io(path, e))?;
    let name = path.file_stem().map_or_else(
        || "dataset".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let mut table = parse_table(file, &path.display().to_string(), options)?;
    table.name = name;
    Ok(table)
}

/// Parses CSV text from any reader into a [`Dataset`], applying `options.missing` to all rows.
/// `source_name` appears in error messages.
///
/// Labels may be any strings; classes are their distinct values, sorted numerically when all
/// are numbers (so `0..9` map to classes `0..9`) and lexicographically otherwise.
pub fn parse_csv(reader: impl Read, source_name: &str, options: &CsvOptions) -> Result<Dataset> {
    parse_table(reader, source_name, options)?.resolve(options.missing)
}

/// Parses CSV text into a [`RawTable`]: missing cells become NaN unless `options.missing` is
/// `Error`, which stops at the first one with the ways forward.
pub fn parse_table(reader: impl Read, source_name: &str, options: &CsvOptions) -> Result<RawTable> {
    let reader = LineLimited::new(reader, options.limits.max_line_bytes);
    // Flexible: row lengths are checked here, to tell an unclosed quote or a trailing
    // delimiter from a short row.
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(options.delimiter)
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let mut layout = Layout::read(&mut rdr, source_name, options)?;
    let records = layout.records(&mut rdr, source_name, options)?;
    let cells = layout.cells(&records, source_name, options)?;
    layout.table(cells)
}

/// The columns of a table as its header and the options lay them out.
struct Layout {
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
struct Cells {
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
    fn read<R: Read>(
        rdr: &mut csv::Reader<R>,
        source_name: &str,
        options: &CsvOptions,
    ) -> Result<Self> {
        let mut header: Vec<String> = rdr
            .headers()
            .map_err(|e| csv_error(source_name, e))?
            .iter()
            .map(str::to_string)
            .collect();
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

    fn width(&self) -> usize {
        self.header.len()
    }

    /// Every data row, each of the header's width, within the cell and memory limits.
    fn records<R: Read>(
        &self,
        rdr: &mut csv::Reader<R>,
        source_name: &str,
        options: &CsvOptions,
    ) -> Result<Vec<csv::StringRecord>> {
        let width = self.width();
        let mut records = Vec::new();
        let mut parsed = ParsedBudget::new(options.limits.max_parsed_bytes);
        for r in rdr.records() {
            let mut record = r.map_err(|e| csv_error(source_name, e))?;
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
    fn cells(
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
                        return Err(self.missing_cell(j, cell, line, source_name, options));
                    }
                    if self.text[j] {
                        cells.text_cells[j].push(None);
                    } else {
                        cells.values.push(f32::NAN);
                    }
                } else if self.text[j] {
                    cells.text_cells[j].push(Some(cell.to_string()));
                } else {
                    let v = self.number(j, cell, line, source_name, options)?;
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

    /// The error for a missing cell under [`MissingValues::Error`], with the ways forward.
    fn missing_cell(
        &self,
        j: usize,
        cell: &str,
        line: usize,
        source_name: &str,
        options: &CsvOptions,
    ) -> ConsortError {
        let column = &self.header[j];
        parse_err(
            source_name,
            line,
            if options.suggest_options {
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

    /// A numeric cell's finite value.
    fn number(
        &self,
        j: usize,
        cell: &str,
        line: usize,
        source_name: &str,
        options: &CsvOptions,
    ) -> Result<f32> {
        let column = &self.header[j];
        let v: f32 = cell.parse().map_err(|_| {
            parse_err(
                source_name,
                line,
                format!(
                    "column {column:?}: {:?} is not a number ({}){}",
                    shorten(cell),
                    if options.suggest_options {
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
                "{source_name}, line {line}, column {column:?} ({cell:?}: beyond the range of \
                 32-bit floats, about 3.4e38, or not a number)"
            )));
        }
        Ok(v)
    }

    /// The table: classes in their canonical order, the numeric features, the text columns.
    fn table(self, cells: Cells) -> Result<RawTable> {
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

/// Numeric order when both labels are numbers, else string order.
fn compare_labels(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y).then_with(|| a.cmp(b)),
        _ => a.cmp(b),
    }
}

/// Distinct labels in class order: numeric when all are numbers, else lexicographic.
pub(crate) fn sorted_classes(labels: &[String]) -> Vec<String> {
    let all_numeric = labels.iter().all(|l| l.parse::<f64>().is_ok());
    let distinct: BTreeSet<&String> = labels.iter().collect();
    let mut classes: Vec<String> = distinct.into_iter().cloned().collect();
    if all_numeric {
        classes.sort_by(|a, b| compare_labels(a, b));
    }
    classes
}

/// Writes a dataset as CSV: feature columns, then a `label` column holding class names.
///
/// Values are written in Rust's shortest round-trip form, so reading the file back gives
/// exactly the same dataset.
pub fn write_csv(dataset: &Dataset, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let io_err = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(io) => ConsortError::io(path, io),
        other => ConsortError::Serialization(format!("{other:?}")),
    };
    let mut wtr = csv::Writer::from_path(path).map_err(io_err)?;
    let mut header: Vec<&str> = dataset.feature_names().iter().map(String::as_str).collect();
    header.push("label");
    wtr.write_record(&header).map_err(io_err)?;
    for (row, &label) in dataset.features().iter_rows().zip(dataset.labels()) {
        let mut record: Vec<String> = row.iter().map(f32::to_string).collect();
        record.push(dataset.class_names()[label].clone());
        wtr.write_record(&record).map_err(io_err)?;
    }
    wtr.flush().map_err(|e| ConsortError::io(path, e))
}
