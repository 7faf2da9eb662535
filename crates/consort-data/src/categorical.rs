//! One-hot encoding of text columns, fitted on the training rows only.

use consort_core::{ConsortError, Matrix, Result};
use serde::{Deserialize, Serialize};

use crate::table::{RawTable, TextColumn};

/// The categories of every text column, as seen in the training rows (sorted). Encoding a
/// table adds one 0/1 column per category (`"colour=red"`); a category first seen later, or
/// a missing cell, sets none of its column's indicators.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneHotEncoder {
    columns: Vec<(String, Vec<String>)>,
}

impl OneHotEncoder {
    /// Learns the categories of `train`'s text columns.
    pub fn fit(train: &RawTable) -> Self {
        let columns = train
            .text_columns()
            .iter()
            .map(|c| {
                let mut cats: Vec<String> = c.cells.iter().flatten().cloned().collect();
                cats.sort();
                cats.dedup();
                (c.name.clone(), cats)
            })
            .collect();
        Self { columns }
    }

    /// Names of the encoded text columns.
    pub fn columns(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|(n, _)| n.as_str())
    }

    /// Number of indicator columns the encoding adds.
    pub fn width(&self) -> usize {
        self.columns.iter().map(|(_, c)| c.len()).sum()
    }

    /// `table` with its text columns replaced by indicator columns (after its numeric ones).
    pub fn encode(&self, table: RawTable) -> Result<RawTable> {
        // Nothing to encode: the indicator block would have no rows to stack beside.
        if self.columns.is_empty() && table.text_columns().is_empty() {
            return Ok(table);
        }
        table.with_text_encoded(|text| self.indicators(text))
    }

    fn indicators(&self, text: &[TextColumn]) -> Result<(Matrix, Vec<String>)> {
        if text.len() != self.columns.len()
            || text
                .iter()
                .zip(&self.columns)
                .any(|(t, (n, _))| &t.name != n)
        {
            return Err(ConsortError::ShapeMismatch(format!(
                "text columns {:?}, the encoder was fitted on {:?}",
                text.iter().map(|t| &t.name).collect::<Vec<_>>(),
                self.columns().collect::<Vec<_>>()
            )));
        }
        let rows = text.first().map_or(0, |t| t.cells.len());
        let width = self.width();
        let mut out = Matrix::zeros(rows, width);
        let mut offset = 0;
        for (column, (_, cats)) in text.iter().zip(&self.columns) {
            for (i, cell) in column.cells.iter().enumerate() {
                if let Some(k) = cell.as_ref().and_then(|v| cats.binary_search(v).ok()) {
                    out.row_mut(i)[offset + k] = 1.0;
                }
            }
            offset += cats.len();
        }
        let names = self
            .columns
            .iter()
            .flat_map(|(n, cats)| cats.iter().map(move |c| format!("{n}={c}")))
            .collect();
        Ok((out, names))
    }
}

impl consort_core::io::Validate for OneHotEncoder {
    fn validate(&self) -> Result<()> {
        consort_core::io::ensure(
            self.columns.iter().all(|(_, categories)| {
                let distinct: std::collections::HashSet<&String> = categories.iter().collect();
                distinct.len() == categories.len()
            }),
            || "a one-hot column lists a category twice".into(),
        )
    }
}
