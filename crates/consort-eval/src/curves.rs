//! The points of a classifier's diagnostic curves: ROC (one-vs-rest, micro-averaged over the
//! classes) and reliability (accuracy against confidence), for report figures.

use consort_core::{ConsortError, Matrix, Result};

fn check(y_true: &[usize], proba: &Matrix) -> Result<()> {
    if y_true.len() != proba.rows() {
        return Err(ConsortError::ShapeMismatch(format!(
            "{} labels for {} rows of probabilities",
            y_true.len(),
            proba.rows()
        )));
    }
    if y_true.is_empty() {
        return Err(ConsortError::EmptyDataset("a curve needs rows".into()));
    }
    if let Some(&l) = y_true.iter().find(|&&l| l >= proba.cols()) {
        return Err(ConsortError::LabelOutOfRange {
            label: l,
            n_classes: proba.cols(),
        });
    }
    proba.ensure_finite("probabilities")
}

/// The micro-averaged one-vs-rest ROC curve: every (row, class) pair is a binary decision
/// scored by the class's probability, positive when the class is the row's label. Returns
/// `(false positive rate, true positive rate)` from `(0, 0)` to `(1, 1)`, one point per
/// distinct score (ties share a point).
pub fn roc_curve_micro(y_true: &[usize], proba: &Matrix) -> Result<Vec<(f64, f64)>> {
    check(y_true, proba)?;
    let k = proba.cols();
    let mut scored: Vec<(f32, bool)> = proba
        .iter_rows()
        .zip(y_true)
        .flat_map(|(row, &y)| row.iter().enumerate().map(move |(c, &p)| (p, c == y)))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let positives = y_true.len() as f64;
    let negatives = (y_true.len() * (k - 1)).max(1) as f64;
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut points = vec![(0.0, 0.0)];
    for (i, &(score, positive)) in scored.iter().enumerate() {
        if positive {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        if scored.get(i + 1).is_none_or(|next| next.0 != score) {
            points.push((fp / negatives, tp / positives));
        }
    }
    Ok(points)
}

/// The reliability curve of the top-label confidence over `bins` equal-width bins: one
/// `(mean confidence, accuracy)` point per non-empty bin, in order of confidence. A calibrated
/// model's points lie on the diagonal.
pub fn reliability_curve(y_true: &[usize], proba: &Matrix, bins: usize) -> Result<Vec<(f64, f64)>> {
    check(y_true, proba)?;
    if bins == 0 {
        return Err(ConsortError::config(
            "a reliability curve needs at least one bin",
        ));
    }
    let mut sums = vec![(0.0f64, 0.0f64, 0usize); bins];
    for (row, &y) in proba.iter_rows().zip(y_true) {
        let (predicted, &p) = row
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .expect("at least one class");
        let confidence = f64::from(p).clamp(0.0, 1.0);
        let b = ((confidence * bins as f64) as usize).min(bins - 1);
        sums[b].0 += confidence;
        sums[b].1 += f64::from(u8::from(predicted == y));
        sums[b].2 += 1;
    }
    Ok(sums
        .into_iter()
        .filter(|s| s.2 > 0)
        .map(|(c, a, n)| (c / n as f64, a / n as f64))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_perfect_ranking_hugs_the_top_left_corner() {
        let proba = Matrix::new(2, 2, vec![0.9, 0.1, 0.2, 0.8]).unwrap();
        let roc = roc_curve_micro(&[0, 1], &proba).unwrap();
        assert_eq!(roc.first(), Some(&(0.0, 0.0)));
        assert_eq!(roc.last(), Some(&(1.0, 1.0)));
        // Both positives (0.9, 0.8) score above both negatives (0.2, 0.1).
        assert!(roc.contains(&(0.0, 1.0)), "{roc:?}");
    }

    #[test]
    fn a_reversed_ranking_hugs_the_bottom_right() {
        let proba = Matrix::new(2, 2, vec![0.1, 0.9, 0.8, 0.2]).unwrap();
        let roc = roc_curve_micro(&[0, 1], &proba).unwrap();
        assert!(roc.contains(&(1.0, 0.0)), "{roc:?}");
    }

    #[test]
    fn reliability_bins_confidence_against_accuracy() {
        // Two rows at 0.9 confidence, one right and one wrong; one at 0.6, right.
        let proba = Matrix::new(3, 2, vec![0.9, 0.1, 0.9, 0.1, 0.4, 0.6]).unwrap();
        let curve = reliability_curve(&[0, 1, 1], &proba, 10).unwrap();
        assert_eq!(curve.len(), 2);
        assert!(
            (curve[0].0 - 0.6).abs() < 1e-6 && curve[0].1 == 1.0,
            "{curve:?}"
        );
        assert!(
            (curve[1].0 - 0.9).abs() < 1e-6 && curve[1].1 == 0.5,
            "{curve:?}"
        );
        assert!(reliability_curve(&[0, 2, 1], &proba, 10).is_err());
    }
}
