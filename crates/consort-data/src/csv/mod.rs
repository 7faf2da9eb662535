//! Loading and writing datasets as CSV (header row, numeric features, one label column).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use consort_core::{ConsortError, Result};

use crate::dataset::Dataset;
use crate::missing::MissingValues;
use crate::table::RawTable;

mod diagnose;
mod layout;
mod limits;
#[cfg(feature = "parquet")]
mod parquet;

pub(crate) use diagnose::csv_error;
use layout::Layout;
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
/// `Error`), named after the file's stem. A Parquet file ([`is_parquet`]) is read through the
/// same passes where the `parquet` feature is compiled in (the CLI's default), and refused
/// with that advice where it is not.
pub fn read_table(path: impl AsRef<Path>, options: &CsvOptions) -> Result<RawTable> {
    let path = path.as_ref();
    let name = path.file_stem().map_or_else(
        || "dataset".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let mut table = if is_parquet(path) {
        read_parquet_table(path, options)?
    } else {
        let file = File::open(path).map_err(|e| ConsortError::io(path, e))?;
        parse_table(file, &path.display().to_string(), options)?
    };
    table.name = name;
    Ok(table)
}

/// Whether `path` holds a Parquet file: named `.parquet` / `.pq`, or starting with the
/// format's magic bytes `PAR1`.
pub fn is_parquet(path: &Path) -> bool {
    let named = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq"));
    named || starts_with_magic(path)
}

fn starts_with_magic(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| &magic == b"PAR1")
}

/// Rows of a table file as text cells, whatever its format.
pub(crate) type RecordIter = Box<dyn Iterator<Item = Result<csv::StringRecord>>>;

#[cfg(feature = "parquet")]
pub(crate) use parquet::parquet_records;
#[cfg(feature = "parquet")]
use parquet::{read_parquet_column, read_parquet_header, read_parquet_table};

#[cfg(not(feature = "parquet"))]
fn read_parquet_table(path: &Path, _: &CsvOptions) -> Result<RawTable> {
    Err(parquet_not_compiled(path))
}

#[cfg(not(feature = "parquet"))]
fn read_parquet_header(path: &Path) -> Result<Vec<String>> {
    Err(parquet_not_compiled(path))
}

#[cfg(not(feature = "parquet"))]
fn read_parquet_column(path: &Path, _: &str) -> Result<Vec<String>> {
    Err(parquet_not_compiled(path))
}

#[cfg(not(feature = "parquet"))]
pub(crate) fn parquet_records(
    path: &Path,
    _: impl FnOnce(&[String]) -> Option<usize>,
) -> Result<(Vec<String>, RecordIter)> {
    Err(parquet_not_compiled(path))
}

#[cfg(not(feature = "parquet"))]
fn parquet_not_compiled(path: &Path) -> ConsortError {
    ConsortError::InvalidInput(format!(
        "{} is a Parquet file, and this build reads CSV only: enable consort-data's `parquet` \
         feature (the consort command has it by default) or convert the file to CSV",
        path.display()
    ))
}

/// How every table reader reads CSV: a header row, cells trimmed, and flexible row lengths
/// (checked by the layout, to tell an unclosed quote or a trailing delimiter from a short row).
fn table_reader(delimiter: u8) -> csv::ReaderBuilder {
    let mut builder = csv::ReaderBuilder::new();
    builder
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All);
    builder
}

/// The column names of a table file: a CSV file's header row (read as [`read_table`] reads it:
/// quotes, a byte-order mark, surrounding spaces) or a Parquet file's flat columns.
pub fn read_header(path: impl AsRef<Path>, delimiter: u8) -> Result<Vec<String>> {
    let path = path.as_ref();
    if is_parquet(path) {
        return read_parquet_header(path);
    }
    let mut rdr = table_reader(delimiter).from_reader(open_line_limited(path)?);
    let header = rdr
        .headers()
        .map_err(|e| csv_error(&path.display().to_string(), e))?;
    Ok(header.iter().map(str::to_string).collect())
}

/// One column of a CSV (or Parquet) file, by header name, as the text of its cells (an id
/// column to carry into predictions, say), one per row in file order; lines bounded as every
/// reader's are.
pub fn read_column(path: impl AsRef<Path>, column: &str, delimiter: u8) -> Result<Vec<String>> {
    let path = path.as_ref();
    if is_parquet(path) {
        return read_parquet_column(path, column);
    }
    let source = path.display().to_string();
    let mut rdr = table_reader(delimiter).from_reader(open_line_limited(path)?);
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| csv_error(&source, e))?
        .iter()
        .map(str::to_string)
        .collect();
    let j = header
        .iter()
        .position(|h| h == column)
        .ok_or_else(|| ConsortError::UnknownColumn {
            requested: column.to_string(),
            available: header.clone(),
        })?;
    let mut cells = Vec::new();
    for record in rdr.records() {
        let record = record.map_err(|e| csv_error(&source, e))?;
        cells.push(record.get(j).unwrap_or("").to_string());
    }
    Ok(cells)
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
    let mut rdr = table_reader(options.delimiter).from_reader(reader);
    let mut layout = Layout::read(&mut rdr, source_name, options)?;
    let records = layout.records(&mut rdr, source_name, options)?;
    let cells = layout.cells(&records, source_name, options)?;
    layout.table(cells)
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
