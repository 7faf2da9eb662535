//! Parquet input (feature `parquet`): a flat Parquet file read as a table through the same
//! passes as a CSV file, so the label, the missing cells, the dropped and the text columns, the
//! limits and the error messages are the CSV reader's.
//!
//! Each row's values become text cells the way a CSV writer would write them (numbers in
//! Rust's shortest round-trip form, so they parse back to the same value; a null as an empty,
//! missing cell), and the table is built from those cells: one reader, two formats. A file
//! written by pandas, Polars, pyarrow or Spark with snappy, gzip, zstd or lz4 compression reads;
//! nested columns (structs, lists, maps) are refused with their name.

use std::fs::File;
use std::path::Path;

use consort_core::{ConsortError, Result};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::{Field, Row};

use super::layout::Layout;
use super::{CsvOptions, RecordIter};
use crate::table::RawTable;

/// The column pandas adds for a non-default index: not data, left out.
const PANDAS_INDEX_PREFIX: &str = "__index_level_";

/// An open Parquet file: its flat column names and a row reader.
struct ParquetRows {
    reader: SerializedFileReader<File>,
    header: Vec<String>,
    /// Columns kept (pandas' index columns are not).
    kept: Vec<bool>,
}

impl ParquetRows {
    fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| ConsortError::io(path, e))?;
        let reader =
            SerializedFileReader::new(file).map_err(|e| ConsortError::serialization_at(path, e))?;
        let schema = reader
            .metadata()
            .file_metadata()
            .schema_descr()
            .root_schema();
        let mut header = Vec::new();
        let mut kept = Vec::new();
        for field in schema.get_fields() {
            if !field.is_primitive() {
                // Where a CSV file's header errors point: line 1.
                return Err(ConsortError::Parse {
                    source_name: path.display().to_string(),
                    line: 1,
                    message: format!(
                        "column {:?} is nested (a struct, list or map); Consort reads flat \
                         tables: flatten it or leave it out when writing the file",
                        field.name()
                    ),
                });
            }
            let index = field.name().starts_with(PANDAS_INDEX_PREFIX);
            kept.push(!index);
            if !index {
                header.push(field.name().to_string());
            }
        }
        Ok(Self {
            reader,
            header,
            kept,
        })
    }

    /// Every row as text cells (kept columns only); booleans are `true` / `false` in the
    /// label's column, `1` / `0` elsewhere (a numeric feature).
    fn into_records(
        self,
        path: &Path,
        label_col: Option<usize>,
    ) -> impl Iterator<Item = Result<csv::StringRecord>> + 'static {
        let path = path.to_path_buf();
        let kept = self.kept;
        self.reader.into_iter().enumerate().map(move |(i, row)| {
            let row = row.map_err(|e| ConsortError::serialization_at(&path, e))?;
            Ok(record(&row, &kept, i, label_col))
        })
    }
}

fn record(row: &Row, kept: &[bool], index: usize, label_col: Option<usize>) -> csv::StringRecord {
    let mut record = csv::StringRecord::new();
    let fields = row.get_column_iter().map(|(_, field)| field);
    let kept_fields = fields.zip(kept).filter_map(|(f, &k)| k.then_some(f));
    for (j, field) in kept_fields.enumerate() {
        record.push_field(&cell_text(field, label_col == Some(j)));
    }
    // Errors name the row as a CSV error names its line (the header is line 1).
    let mut position = csv::Position::new();
    position
        .set_line(index as u64 + 2)
        .set_record(index as u64 + 1);
    record.set_position(Some(position));
    record
}
/// A value as the text a CSV writer would put in its cell.
fn cell_text(field: &Field, label: bool) -> String {
    match field {
        Field::Null => String::new(),
        Field::Bool(b) if label => b.to_string(),
        Field::Bool(b) => u8::from(*b).to_string(),
        Field::Byte(v) => v.to_string(),
        Field::Short(v) => v.to_string(),
        Field::Int(v) => v.to_string(),
        Field::Long(v) => v.to_string(),
        Field::UByte(v) => v.to_string(),
        Field::UShort(v) => v.to_string(),
        Field::UInt(v) => v.to_string(),
        Field::ULong(v) => v.to_string(),
        Field::Float16(v) => f32::from(*v).to_string(),
        Field::Float(v) => v.to_string(),
        Field::Double(v) => v.to_string(),
        Field::Str(s) => s.clone(),
        Field::Bytes(b) => String::from_utf8_lossy(b.data()).into_owned(),
        // Decimals, dates and times in their usual text form (a date is a text column).
        other => other.to_string(),
    }
}

/// Reads a flat Parquet file into a [`RawTable`] as [`read_table`](super::read_table) reads a
/// CSV file (the delimiter option does not apply).
pub(crate) fn read_parquet_table(path: &Path, options: &CsvOptions) -> Result<RawTable> {
    let source = path.display().to_string();
    let rows = ParquetRows::open(path)?;
    let mut layout = Layout::from_header(rows.header.clone(), &source, options)?;
    let label_col = layout.label_column();
    let records = layout.checked_records(rows.into_records(path, label_col), &source, options)?;
    let cells = layout.cells(&records, &source, options)?;
    layout.table(cells)
}

/// A Parquet file's flat column names (pandas' index columns left out).
pub(crate) fn read_parquet_header(path: &Path) -> Result<Vec<String>> {
    Ok(ParquetRows::open(path)?.header)
}

/// One column of a Parquet file, by name, as text cells in row order (an id column).
pub(crate) fn read_parquet_column(path: &Path, column: &str) -> Result<Vec<String>> {
    let rows = ParquetRows::open(path)?;
    let j = rows
        .header
        .iter()
        .position(|h| h == column)
        .ok_or_else(|| ConsortError::UnknownColumn {
            requested: column.to_string(),
            available: rows.header.clone(),
        })?;
    rows.into_records(path, None)
        .map(|r| r.map(|record| record.get(j).unwrap_or("").to_string()))
        .collect()
}

/// A Parquet file's header and rows as text cells, for readers of their own (labelled text);
/// `label_of` names the label's column once the header is known.
pub(crate) fn parquet_records(
    path: &Path,
    label_of: impl FnOnce(&[String]) -> Option<usize>,
) -> Result<(Vec<String>, RecordIter)> {
    let rows = ParquetRows::open(path)?;
    let header = rows.header.clone();
    let label_col = label_of(&header);
    Ok((header, Box::new(rows.into_records(path, label_col))))
}
