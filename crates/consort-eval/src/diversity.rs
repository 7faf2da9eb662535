//! How differently ensemble members err: pairwise disagreement.

use crate::table::MarkdownTable;

use consort_core::{ConsortError, Result};
use serde::{Deserialize, Serialize};

/// Share of samples on which each pair of models predicts different classes. Diverse members
/// (high disagreement at similar accuracy) are what makes an ensemble beat its members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disagreement {
    /// Model names, in matrix order.
    pub names: Vec<String>,
    /// `matrix[a][b]`: share of samples where models a and b disagree (symmetric, 0 on the
    /// diagonal).
    pub matrix: Vec<Vec<f64>>,
}

impl Disagreement {
    /// Computes the matrix from each model's predicted classes on the same samples.
    pub fn compute(names: Vec<String>, predictions: &[Vec<usize>]) -> Result<Self> {
        if names.len() != predictions.len() || predictions.len() < 2 {
            return Err(ConsortError::ShapeMismatch(format!(
                "diversity needs at least two models and a name per model, got {} names for {} \
                 prediction lists",
                names.len(),
                predictions.len()
            )));
        }
        let n = predictions[0].len();
        if n == 0 {
            return Err(ConsortError::EmptyDataset(
                "no predictions to compare".into(),
            ));
        }
        if let Some(p) = predictions.iter().find(|p| p.len() != n) {
            return Err(ConsortError::ShapeMismatch(format!(
                "prediction lists of {n} and {} samples",
                p.len()
            )));
        }
        let m = predictions.len();
        let mut matrix = vec![vec![0.0; m]; m];
        for a in 0..m {
            for b in a + 1..m {
                let d = predictions[a]
                    .iter()
                    .zip(&predictions[b])
                    .filter(|(x, y)| x != y)
                    .count() as f64
                    / n as f64;
                matrix[a][b] = d;
                matrix[b][a] = d;
            }
        }
        Ok(Self { names, matrix })
    }

    /// Mean disagreement over all pairs.
    pub fn mean(&self) -> f64 {
        let m = self.names.len();
        let total: f64 = self.matrix.iter().flatten().sum();
        total / (m * (m - 1)) as f64
    }

    /// The matrix as a Markdown table.
    pub fn to_markdown(&self) -> String {
        let mut headers = vec![String::new()];
        headers.extend(self.names.iter().map(|n| format!(">{n}")));
        let mut table = MarkdownTable::new(&headers);
        for (name, row) in self.names.iter().zip(&self.matrix) {
            table.row(
                std::iter::once(format!("**{name}**")).chain(row.iter().map(|v| format!("{v:.3}"))),
            );
        }
        table.to_markdown()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disagreement_counts_differing_predictions() {
        let d = Disagreement::compute(
            vec!["a".into(), "b".into(), "c".into()],
            &[vec![0, 1, 2, 3], vec![0, 1, 2, 0], vec![1, 1, 2, 0]],
        )
        .unwrap();
        assert_eq!(d.matrix[0][1], 0.25);
        assert_eq!(d.matrix[0][2], 0.5);
        assert_eq!(d.matrix[2][1], 0.25);
        assert!((d.mean() - (0.25 + 0.5 + 0.25) / 3.0).abs() < 1e-12);
        assert!(
            d.to_markdown()
                .contains("| **c** | 0.500 | 0.250 | 0.000 |")
        );
        assert!(Disagreement::compute(vec!["a".into()], &[vec![0]]).is_err());
        assert!(
            Disagreement::compute(vec!["a".into(), "b".into()], &[vec![0], vec![0, 1]]).is_err()
        );
    }
}
