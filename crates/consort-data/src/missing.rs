//! Missing values: what to do with empty (or `?`, `NA`, `NaN`) cells, and the imputer that
//! fills them with a statistic of the training rows.

use std::str::FromStr;

use consort_core::{ConsortError, Matrix, Result};
use serde::{Deserialize, Serialize};

/// Cells read as missing when a [`MissingValues`] policy other than `Error` is chosen.
pub const MISSING_TOKENS: [&str; 5] = ["", "?", "NA", "NaN", "nan"];

/// What loading does with missing cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum MissingValues {
    /// Stop at the first one, naming its line and column (the default).
    #[default]
    Error,
    /// Drop every row that has one.
    Drop,
    /// Fill with the column's mean over the training rows.
    Mean,
    /// Fill with the column's median over the training rows.
    Median,
    /// Fill with the column's most frequent value over the training rows.
    MostFrequent,
}

impl MissingValues {
    /// Whether this policy fills cells (and so needs an [`Imputer`]).
    pub fn imputes(self) -> bool {
        matches!(self, Self::Mean | Self::Median | Self::MostFrequent)
    }
}

impl FromStr for MissingValues {
    type Err = ConsortError;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "error" => Ok(Self::Error),
            "drop" => Ok(Self::Drop),
            "mean" => Ok(Self::Mean),
            "median" => Ok(Self::Median),
            "most-frequent" => Ok(Self::MostFrequent),
            other => Err(ConsortError::config(format!(
                "unknown missing-value policy {other:?}: use error, drop, mean, median or \
                 most-frequent"
            ))),
        }
    }
}

/// Fills missing (NaN) cells column by column with a statistic fitted on training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Imputer {
    /// The policy it was fitted with.
    pub strategy: MissingValues,
    /// The fill value of each column.
    pub fill: Vec<f32>,
}

impl Imputer {
    /// Fits the fill values of `x` (NaN marks a missing cell) with `strategy` (mean, median
    /// or most frequent). A column with no value at all is an error.
    pub fn fit(x: &Matrix, strategy: MissingValues) -> Result<Self> {
        if !strategy.imputes() {
            return Err(ConsortError::config(format!(
                "{strategy:?} does not impute; use mean, median or most-frequent"
            )));
        }
        let fill = (0..x.cols())
            .map(|j| {
                let mut v: Vec<f32> = x
                    .iter_rows()
                    .map(|r| r[j])
                    .filter(|v| !v.is_nan())
                    .collect();
                if v.is_empty() {
                    return Err(ConsortError::InvalidInput(format!(
                        "column {j} has no value to impute from"
                    )));
                }
                v.sort_unstable_by(f32::total_cmp);
                Ok(match strategy {
                    MissingValues::Mean => {
                        (v.iter().map(|&a| f64::from(a)).sum::<f64>() / v.len() as f64) as f32
                    }
                    MissingValues::Median => {
                        let m = v.len() / 2;
                        if v.len() % 2 == 1 {
                            v[m]
                        } else {
                            (v[m - 1] + v[m]) / 2.0
                        }
                    }
                    // The smallest of the most frequent values (a deterministic tie-break).
                    _ => {
                        let (mut best, mut best_n, mut i) = (v[0], 0, 0);
                        while i < v.len() {
                            let run = v[i..].iter().take_while(|&&a| a == v[i]).count();
                            if run > best_n {
                                (best, best_n) = (v[i], run);
                            }
                            i += run;
                        }
                        best
                    }
                })
            })
            .collect::<Result<Vec<f32>>>()?;
        Ok(Self { strategy, fill })
    }

    /// `x` with every NaN replaced by its column's fill value.
    pub fn transform(&self, x: &Matrix) -> Result<Matrix> {
        x.ensure_cols(self.fill.len(), "rows to impute")?;
        let mut out = x.clone();
        for i in 0..out.rows() {
            for (v, f) in out.row_mut(i).iter_mut().zip(&self.fill) {
                if v.is_nan() {
                    *v = *f;
                }
            }
        }
        Ok(out)
    }
}

impl consort_core::io::Validate for Imputer {
    fn validate(&self) -> Result<()> {
        consort_core::io::ensure(self.fill.iter().all(|v| v.is_finite()), || {
            "an imputer fill value is not finite".into()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_strategy_fills_from_the_column() {
        let nan = f32::NAN;
        let x = Matrix::from_rows(&[[1.0f32, nan], [nan, 2.0], [3.0, 2.0], [8.0, 5.0]]).unwrap();
        let fill = |s| Imputer::fit(&x, s).unwrap().fill;
        assert_eq!(fill(MissingValues::Mean), vec![4.0, 3.0]);
        assert_eq!(fill(MissingValues::Median), vec![3.0, 2.0]);
        assert_eq!(fill(MissingValues::MostFrequent), vec![1.0, 2.0]);
        let filled = Imputer::fit(&x, MissingValues::Median)
            .unwrap()
            .transform(&x)
            .unwrap();
        assert_eq!(filled.row(0), &[1.0, 2.0]);
        assert_eq!(filled.row(1), &[3.0, 2.0]);
        let empty = Matrix::from_rows(&[[nan], [nan]]).unwrap();
        assert!(Imputer::fit(&empty, MissingValues::Mean).is_err());
        assert!(Imputer::fit(&x, MissingValues::Drop).is_err());
        assert!("median".parse::<MissingValues>().is_ok());
        assert!("sometimes".parse::<MissingValues>().is_err());
    }
}
