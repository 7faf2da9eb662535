//! A dense row-major `f32` matrix: the common currency for features and class probabilities.
//!
//! Classical models read it directly; networks turn batches of its rows into burn tensors.

use serde::{Deserialize, Serialize};

use crate::error::{ConsortError, Result};

/// Dense row-major matrix of `f32`.
///
/// Deserialisation re-checks the shape, so a corrupted file is an error rather than a later
/// out-of-bounds panic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "MatrixRepr")]
pub struct Matrix {
    rows: usize,
    cols: usize,
    data: Vec<f32>,
}

#[derive(Deserialize)]
struct MatrixRepr {
    rows: usize,
    cols: usize,
    data: Vec<f32>,
}

impl TryFrom<MatrixRepr> for Matrix {
    type Error = ConsortError;

    fn try_from(r: MatrixRepr) -> Result<Self> {
        Matrix::new(r.rows, r.cols, r.data)
    }
}

impl Matrix {
    /// Builds a matrix from row-major data; errors if `data.len() != rows * cols`.
    pub fn new(rows: usize, cols: usize, data: Vec<f32>) -> Result<Self> {
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(ConsortError::ShapeMismatch(format!(
                "{rows} x {cols} matrix needs {} values, got {}",
                rows.saturating_mul(cols),
                data.len()
            )));
        }
        Ok(Self { rows, cols, data })
    }

    /// A matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    /// Builds a matrix from equal-length rows; errors on ragged input.
    pub fn from_rows<R: AsRef<[f32]>>(rows: &[R]) -> Result<Self> {
        let cols = rows.first().map_or(0, |r| r.as_ref().len());
        let mut data = Vec::with_capacity(rows.len() * cols);
        for (i, row) in rows.iter().enumerate() {
            let row = row.as_ref();
            if row.len() != cols {
                return Err(ConsortError::ShapeMismatch(format!(
                    "row {i} has {} values, row 0 has {cols}",
                    row.len()
                )));
            }
            data.extend_from_slice(row);
        }
        Ok(Self {
            rows: rows.len(),
            cols,
            data,
        })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// `(rows, cols)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// The row-major values.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    /// Mutable row-major values.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// Consumes the matrix into its row-major values.
    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }

    /// Row `i` as a slice. Panics if `i >= rows` (an indexing bug, not bad input).
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Row `i` as a mutable slice.
    pub fn row_mut(&mut self, i: usize) -> &mut [f32] {
        &mut self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Iterates over rows.
    pub fn iter_rows(&self) -> impl ExactSizeIterator<Item = &[f32]> + '_ {
        // `chunks_exact(0)` panics, so a zero-column matrix yields `rows` empty rows by hand.
        let cols = self.cols.max(1);
        let empty: &[f32] = &[];
        (0..self.rows).map(move |i| {
            if self.cols == 0 {
                empty
            } else {
                &self.data[i * cols..(i + 1) * cols]
            }
        })
    }

    /// Entry `(i, j)`.
    pub fn get(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.cols + j]
    }

    /// A new matrix holding the given rows, in the given order.
    pub fn select_rows(&self, indices: &[usize]) -> Self {
        let mut data = Vec::with_capacity(indices.len() * self.cols);
        for &i in indices {
            data.extend_from_slice(self.row(i));
        }
        Self {
            rows: indices.len(),
            cols: self.cols,
            data,
        }
    }

    /// The columns in `range` (a contiguous block of features: one view of multi-view data).
    pub fn select_columns(&self, range: std::ops::Range<usize>) -> Result<Self> {
        if range.start > range.end || range.end > self.cols {
            return Err(ConsortError::ShapeMismatch(format!(
                "columns {range:?} of a matrix with {} columns",
                self.cols
            )));
        }
        let width = range.end - range.start;
        let mut data = Vec::with_capacity(self.rows * width);
        for row in self.iter_rows() {
            data.extend_from_slice(&row[range.clone()]);
        }
        Self::new(self.rows, width, data)
    }

    /// The columns at `order`, in that order (a permutation, a selection, repeats allowed).
    pub fn select_columns_by(&self, order: &[usize]) -> Result<Self> {
        if let Some(&bad) = order.iter().find(|&&j| j >= self.cols) {
            return Err(ConsortError::ShapeMismatch(format!(
                "column {bad} of a matrix with {} columns",
                self.cols
            )));
        }
        let mut data = Vec::with_capacity(self.rows * order.len());
        for row in self.iter_rows() {
            data.extend(order.iter().map(|&j| row[j]));
        }
        Self::new(self.rows, order.len(), data)
    }

    /// Stacks rows of matrices of the same width, in order.
    pub fn vstack(parts: &[&Matrix]) -> Result<Self> {
        let cols = parts.first().map_or(0, |m| m.cols);
        if let Some(bad) = parts.iter().find(|m| m.cols != cols) {
            return Err(ConsortError::ShapeMismatch(format!(
                "cannot stack a {}-column matrix under {cols}-column ones",
                bad.cols
            )));
        }
        let rows = parts.iter().map(|m| m.rows).sum();
        let mut data = Vec::with_capacity(rows * cols);
        for m in parts {
            data.extend_from_slice(&m.data);
        }
        Self::new(rows, cols, data)
    }

    /// Stacks matrices side by side (same number of rows).
    pub fn hstack(parts: &[&Matrix]) -> Result<Self> {
        let rows = parts.first().map_or(0, |m| m.rows);
        if let Some(bad) = parts.iter().find(|m| m.rows != rows) {
            return Err(ConsortError::ShapeMismatch(format!(
                "cannot stack a {}-row matrix beside {rows}-row ones",
                bad.rows
            )));
        }
        let cols = parts.iter().map(|m| m.cols).sum();
        let mut data = Vec::with_capacity(rows * cols);
        for i in 0..rows {
            for m in parts {
                data.extend_from_slice(m.row(i));
            }
        }
        Ok(Self { rows, cols, data })
    }

    /// Index of the largest entry of each row (the first one on ties).
    pub fn argmax_rows(&self) -> Vec<usize> {
        self.iter_rows().map(argmax).collect()
    }

    /// Errors with [`ConsortError::NonFinite`] if any entry is NaN or infinite.
    pub fn ensure_finite(&self, what: &str) -> Result<()> {
        match self.data.iter().position(|v| !v.is_finite()) {
            None => Ok(()),
            Some(p) => Err(ConsortError::NonFinite(format!(
                "{what} (row {}, column {})",
                p / self.cols.max(1),
                p % self.cols.max(1)
            ))),
        }
    }

    /// Errors unless the matrix has exactly `cols` columns.
    pub fn ensure_cols(&self, cols: usize, what: &str) -> Result<()> {
        if self.cols == cols {
            Ok(())
        } else {
            Err(ConsortError::ShapeMismatch(format!(
                "{what}: expected {cols} columns, got {}",
                self.cols
            )))
        }
    }
}

/// Index of the largest value (the first on ties; NaN never wins).
pub fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] || values[best].is_nan() {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_is_checked() {
        assert!(matches!(
            Matrix::new(2, 3, vec![0.0; 5]),
            Err(ConsortError::ShapeMismatch(_))
        ));
        assert!(Matrix::from_rows(&[vec![1.0, 2.0], vec![3.0]]).is_err());
    }

    #[test]
    fn rows_select_and_stack() {
        let m = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]).unwrap();
        assert_eq!(m.row(1), &[3.0, 4.0]);
        let s = m.select_rows(&[2, 0]);
        assert_eq!(s.as_slice(), &[5.0, 6.0, 1.0, 2.0]);
        let h = Matrix::hstack(&[&s, &s]).unwrap();
        assert_eq!(h.shape(), (2, 4));
        assert_eq!(h.row(0), &[5.0, 6.0, 5.0, 6.0]);
        assert_eq!(m.argmax_rows(), vec![1, 1, 1]);
        assert_eq!(argmax(&[0.2, 0.5, 0.5]), 1);
    }

    #[test]
    fn non_finite_is_reported_with_position() {
        let m = Matrix::from_rows(&[[1.0, f32::NAN]]).unwrap();
        let err = m.ensure_finite("features").unwrap_err().to_string();
        assert!(err.contains("row 0, column 1"), "{err}");
    }
}
