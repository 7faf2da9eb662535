//! Continual-learning metrics from the accuracy matrix (Lopez-Paz & Ranzato 2017; Chaudhry et
//! al. 2018), with their signs stated:
//!
//! - `R[i][j]`: accuracy on experience `j`'s test rows after training on experiences `0..=i`;
//! - average accuracy: the mean of the last row, `mean_j R[T-1][j]` (higher is better);
//! - forgetting of `j < T-1`: the best accuracy `j` ever had before the end minus its final
//!   accuracy, `max_{l < T-1} R[l][j] - R[T-1][j]`, averaged over `j` (>= 0; lower is better);
//! - backward transfer (BWT): `mean_{j < T-1} (R[T-1][j] - R[j][j])`: how training later
//!   experiences changed earlier ones (negative = forgetting, positive = later training
//!   helped);
//! - forward transfer (FWT): `mean_{j > 0} (R[j-1][j] - b[j])`, with `b[j]` the accuracy of a
//!   randomly initialised model on experience `j`: what earlier experiences taught about a
//!   later one before it was seen (positive = helpful).

mod report;

pub use report::{ContinualReport, ContinualRun, strategy_table};

use consort_core::{ConsortError, Result};

use crate::plot::{Heatmap, LineChart, Shading};
use crate::table::MarkdownTable;

/// Accuracies after each experience (rows) on each experience (columns).
#[derive(Debug, Clone, PartialEq)]
pub struct AccuracyMatrix {
    rows: Vec<Vec<f64>>,
}

impl AccuracyMatrix {
    /// A `T x T` matrix of accuracies in `[0, 1]`.
    pub fn new(rows: Vec<Vec<f64>>) -> Result<Self> {
        let t = rows.len();
        if t == 0 || rows.iter().any(|r| r.len() != t) {
            return Err(ConsortError::ShapeMismatch(format!(
                "an accuracy matrix is square and non-empty, got {t} rows of lengths {:?}",
                rows.iter().map(Vec::len).collect::<Vec<_>>()
            )));
        }
        if rows.iter().flatten().any(|a| !(0.0..=1.0).contains(a)) {
            return Err(ConsortError::InvalidInput(
                "accuracies must lie in [0, 1]".into(),
            ));
        }
        Ok(Self { rows })
    }

    /// Experiences.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there is no experience (never: [`AccuracyMatrix::new`] refuses it).
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// `R[i][j]`.
    pub fn get(&self, after: usize, on: usize) -> f64 {
        self.rows[after][on]
    }

    /// The rows.
    pub fn rows(&self) -> &[Vec<f64>] {
        &self.rows
    }

    /// Mean accuracy over every experience after the last one.
    pub fn average_accuracy(&self) -> f64 {
        mean(self.rows[self.len() - 1].iter().copied())
    }

    /// Mean accuracy over the experiences seen so far, after each experience.
    pub fn average_accuracy_curve(&self) -> Vec<f64> {
        (0..self.len())
            .map(|i| mean(self.rows[i][..=i].iter().copied()))
            .collect()
    }

    /// Mean forgetting of the experiences before the last (0 with one experience).
    pub fn forgetting(&self) -> f64 {
        let last = self.len() - 1;
        mean((0..last).map(|j| {
            let best = (0..last).map(|l| self.rows[l][j]).fold(f64::MIN, f64::max);
            best - self.rows[last][j]
        }))
    }

    /// Backward transfer (negative: forgetting).
    pub fn backward_transfer(&self) -> f64 {
        let last = self.len() - 1;
        mean((0..last).map(|j| self.rows[last][j] - self.rows[j][j]))
    }

    /// Forward transfer against `random[j]`, the accuracy of a randomly initialised model on
    /// experience `j`.
    pub fn forward_transfer(&self, random: &[f64]) -> Result<f64> {
        if random.len() != self.len() {
            return Err(ConsortError::ShapeMismatch(format!(
                "{} baseline accuracies for {} experiences",
                random.len(),
                self.len()
            )));
        }
        Ok(mean(
            (1..self.len()).map(|j| self.rows[j - 1][j] - random[j]),
        ))
    }

    /// The matrix as a Markdown table (rows: after training on; columns: tested on).
    pub fn to_markdown(&self, names: &[String]) -> String {
        let mut headers = vec!["after \\ on".to_string()];
        headers.extend(names.iter().map(|n| format!(">{n}")));
        let mut table = MarkdownTable::new(&headers);
        for (i, row) in self.rows.iter().enumerate() {
            table.row(
                std::iter::once(names.get(i).cloned().unwrap_or_else(|| i.to_string()))
                    .chain(row.iter().map(|a| format!("{a:.3}"))),
            );
        }
        table.to_markdown()
    }
}

impl AccuracyMatrix {
    /// The matrix as a heatmap figure (rows: after training on; columns: tested on), shaded
    /// by accuracy itself (white 0, full colour 1), so 0.92 reads dark wherever it sits.
    pub fn heatmap(&self, title: impl Into<String>, names: &[String]) -> Heatmap {
        Heatmap {
            title: title.into(),
            y_label: "after training on".into(),
            x_label: "tested on".into(),
            row_labels: names.to_vec(),
            col_labels: names.to_vec(),
            values: self.rows.clone(),
            shading: Shading::Absolute {
                low: 0.0,
                high: 1.0,
            },
        }
    }
}

/// Average accuracy over the experiences seen, after each experience, one line per run:
/// the per-experience curve of a strategy table.
pub fn average_accuracy_chart(runs: &[(String, &AccuracyMatrix)]) -> LineChart {
    runs.iter().fold(
        LineChart::new(
            "Average accuracy over the experiences seen",
            "experiences trained on",
            "average accuracy",
        ),
        |chart, (name, m)| {
            chart.with_series(
                name.clone(),
                m.average_accuracy_curve()
                    .into_iter()
                    .enumerate()
                    .map(|(i, a)| ((i + 1) as f64, a))
                    .collect(),
            )
        },
    )
}

/// Mean of the values; 0 for none.
fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
    }

    #[test]
    fn metrics_of_a_hand_computed_matrix() {
        // Three experiences. After e0: 0.9 on e0; after e1: e0 drops to 0.6; after e2: e0 at
        // 0.5, e1 at 0.7 (was 0.8).
        let r = AccuracyMatrix::new(vec![
            vec![0.9, 0.1, 0.2],
            vec![0.6, 0.8, 0.3],
            vec![0.5, 0.7, 0.95],
        ])
        .unwrap();
        close(r.average_accuracy(), (0.5 + 0.7 + 0.95) / 3.0);
        // Forgetting: e0: max(0.9, 0.6) - 0.5 = 0.4; e1: max(0.1, 0.8) - 0.7 = 0.1.
        close(r.forgetting(), (0.4 + 0.1) / 2.0);
        // BWT: (0.5 - 0.9 + 0.7 - 0.8) / 2 = -0.25: negative, as forgetting is.
        close(r.backward_transfer(), -0.25);
        // FWT against a random model scoring 0.1 everywhere: (0.1 - 0.1 + 0.3 - 0.1) / 2.
        close(r.forward_transfer(&[0.1, 0.1, 0.1]).unwrap(), 0.1);
        let curve = r.average_accuracy_curve();
        close(curve[0], 0.9);
        close(curve[1], 0.7);
    }

    #[test]
    fn later_training_that_helps_has_positive_backward_transfer_and_no_forgetting() {
        let r = AccuracyMatrix::new(vec![vec![0.7, 0.0], vec![0.9, 0.8]]).unwrap();
        close(r.backward_transfer(), 0.2);
        close(r.forgetting(), -0.2);
        let one = AccuracyMatrix::new(vec![vec![0.5]]).unwrap();
        close(one.forgetting(), 0.0);
        close(one.backward_transfer(), 0.0);
    }

    #[test]
    fn malformed_matrices_are_errors() {
        assert!(AccuracyMatrix::new(vec![]).is_err());
        assert!(AccuracyMatrix::new(vec![vec![0.5, 0.5]]).is_err());
        assert!(AccuracyMatrix::new(vec![vec![1.5]]).is_err());
        let r = AccuracyMatrix::new(vec![vec![0.5]]).unwrap();
        assert!(r.forward_transfer(&[]).is_err());
    }
}
