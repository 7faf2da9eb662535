//! Feature binning for histogram-based trees: each feature's training values are cut into at
//! most `max_bins` ordered bins (every distinct value its own bin when there are few, quantiles
//! otherwise), and samples are stored as one byte per feature.

use consort_core::{ConsortError, Matrix, Result};
use serde::{Deserialize, Serialize};

/// Upper edges of each feature's bins: a value `x` falls in the first bin whose edge is
/// `>= x`; values above the last edge fall in the last bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BinMapper {
    /// Per feature, the thresholds between consecutive bins (`bins - 1` of them).
    pub edges: Vec<Vec<f32>>,
}

impl BinMapper {
    /// Learns the bins of every column of `x` (at most `max_bins`, 2..=256).
    pub fn fit(x: &Matrix, max_bins: usize) -> Result<Self> {
        if !(2..=256).contains(&max_bins) {
            return Err(ConsortError::config(format!(
                "max_bins must lie in 2..=256, got {max_bins}"
            )));
        }
        let edges = (0..x.cols())
            .map(|j| {
                let mut values: Vec<f32> = x.iter_rows().map(|r| r[j]).collect();
                values.sort_unstable_by(f32::total_cmp);
                values.dedup();
                if values.len() <= max_bins {
                    // Midpoints between consecutive distinct values.
                    values
                        .windows(2)
                        .map(|w| w[0] + (w[1] - w[0]) / 2.0)
                        .collect()
                } else {
                    // Quantiles of the distinct values, deduplicated.
                    let mut e: Vec<f32> = (1..max_bins)
                        .map(|b| values[b * values.len() / max_bins])
                        .collect();
                    e.dedup();
                    e
                }
            })
            .collect();
        Ok(Self { edges })
    }

    /// Bins of feature `j` (at least 1).
    pub fn n_bins(&self, j: usize) -> usize {
        self.edges[j].len() + 1
    }

    /// The bin of value `v` of feature `j`.
    pub fn bin(&self, j: usize, v: f32) -> u8 {
        self.edges[j].partition_point(|&e| e < v) as u8
    }

    /// Every sample's bins, feature-major (`binned[j * n + i]`).
    pub fn transform(&self, x: &Matrix) -> Vec<u8> {
        let n = x.rows();
        let mut out = vec![0u8; n * x.cols()];
        for j in 0..x.cols() {
            for (i, row) in x.iter_rows().enumerate() {
                out[j * n + i] = self.bin(j, row[j]);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_values_get_a_bin_each_and_many_get_quantiles() {
        let x = Matrix::from_rows(&[[0.0f32, 1.0], [2.0, 2.0], [2.0, 3.0], [4.0, 4.0]]).unwrap();
        let m = BinMapper::fit(&x, 2).unwrap();
        assert_eq!(m.n_bins(0), 2);
        let m = BinMapper::fit(&x, 8).unwrap();
        assert_eq!(m.edges[0], vec![1.0, 3.0]);
        assert_eq!(m.transform(&x)[..4], [0, 1, 1, 2]);
        // Values outside the training range land in the end bins.
        assert_eq!(m.bin(0, -5.0), 0);
        assert_eq!(m.bin(0, 9.0), 2);
        assert!(BinMapper::fit(&x, 1).is_err());
    }
}
