//! Classification metrics.

use consort_core::{Classifier, ConsortError, Matrix, Result, check_labels};
use serde::{Deserialize, Serialize};

/// Probabilities are clipped to `[EPS, 1 - EPS]` in the log-loss (scikit-learn's convention).
const EPS: f64 = 1e-15;

fn check_lengths(n_true: usize, n_pred: usize) -> Result<()> {
    if n_true == 0 {
        return Err(ConsortError::EmptyDataset("no samples to score".into()));
    }
    if n_true != n_pred {
        return Err(ConsortError::ShapeMismatch(format!(
            "{n_true} true labels but {n_pred} predictions"
        )));
    }
    Ok(())
}

/// Share of predictions equal to the true label.
pub fn accuracy(y_true: &[usize], y_pred: &[usize]) -> Result<f64> {
    check_lengths(y_true.len(), y_pred.len())?;
    let hits = y_true.iter().zip(y_pred).filter(|(a, b)| a == b).count();
    Ok(hits as f64 / y_true.len() as f64)
}

/// The Wilson score interval of a proportion: `successes` of `n` trials, at the normal
/// quantile `z` (1.96 for 95%). Unlike the normal approximation it stays inside [0, 1] and is
/// not empty at 0 or `n` successes; the interval for an accuracy measured on `n` test rows.
pub fn wilson_interval(successes: usize, n: usize, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (n, p) = (n as f64, successes as f64 / n as f64);
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    // The interval contains `p` exactly; rounding must not push an end past it.
    ((centre - half).clamp(0.0, p), (centre + half).clamp(p, 1.0))
}

/// Accuracy of a fitted classifier on features `x` with true labels `y`.
pub fn model_accuracy(model: &dyn Classifier, x: &Matrix, y: &[usize]) -> Result<f64> {
    accuracy(y, &model.predict(x)?)
}

/// `matrix[true][predicted]` counts.
pub fn confusion_matrix(
    y_true: &[usize],
    y_pred: &[usize],
    n_classes: usize,
) -> Result<Vec<Vec<usize>>> {
    check_lengths(y_true.len(), y_pred.len())?;
    check_labels(y_true, n_classes)?;
    check_labels(y_pred, n_classes)?;
    let mut m = vec![vec![0; n_classes]; n_classes];
    for (&t, &p) in y_true.iter().zip(y_pred) {
        m[t][p] += 1;
    }
    Ok(m)
}

/// Unweighted mean over classes of the F1 score; classes absent from both truth and
/// prediction are left out of the mean (their F1 is undefined).
pub fn macro_f1(y_true: &[usize], y_pred: &[usize], n_classes: usize) -> Result<f64> {
    let cm = confusion_matrix(y_true, y_pred, n_classes)?;
    let mut sum = 0.0;
    let mut counted = 0;
    for c in 0..n_classes {
        let tp = cm[c][c] as f64;
        let actual: usize = cm[c].iter().sum();
        let predicted: usize = cm.iter().map(|row| row[c]).sum();
        if actual + predicted == 0 {
            continue;
        }
        sum += 2.0 * tp / (actual + predicted) as f64;
        counted += 1;
    }
    Ok(if counted == 0 {
        0.0
    } else {
        sum / counted as f64
    })
}

/// Mean negative log-probability of the true class (probabilities clipped to `[1e-15, 1]`).
pub fn log_loss(y_true: &[usize], proba: &Matrix) -> Result<f64> {
    check_lengths(y_true.len(), proba.rows())?;
    check_labels(y_true, proba.cols())?;
    proba.ensure_finite("probabilities")?;
    let total: f64 = y_true
        .iter()
        .enumerate()
        .map(|(i, &y)| -f64::from(proba.get(i, y)).clamp(EPS, 1.0 - EPS).ln())
        .sum();
    Ok(total / y_true.len() as f64)
}

/// Area under the ROC curve of `scores` separating `positive` rows from the rest (ties
/// share their average rank: the Mann-Whitney statistic). `None` when one side is empty.
fn binary_auc(scores: &[f32], positive: &[bool]) -> Option<f64> {
    let p = positive.iter().filter(|&&b| b).count();
    let n = positive.len() - p;
    if p == 0 || n == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let tied = order[i..]
            .iter()
            .take_while(|&&j| scores[j] == scores[order[i]])
            .count();
        // Ranks i+1 ..= i+tied share their mean.
        let mean_rank = i as f64 + (tied as f64 + 1.0) / 2.0;
        rank_sum += mean_rank * order[i..i + tied].iter().filter(|&&j| positive[j]).count() as f64;
        i += tied;
    }
    Some((rank_sum - (p * (p + 1)) as f64 / 2.0) / (p * n) as f64)
}

/// Macro-averaged one-vs-rest ROC-AUC: each class's probability column against membership
/// in that class, averaged over the classes present with both positives and negatives.
pub fn roc_auc_ovr(y_true: &[usize], proba: &Matrix) -> Result<f64> {
    check_lengths(y_true.len(), proba.rows())?;
    check_labels(y_true, proba.cols())?;
    proba.ensure_finite("probabilities")?;
    let aucs: Vec<f64> = (0..proba.cols())
        .filter_map(|k| {
            let scores: Vec<f32> = proba.iter_rows().map(|r| r[k]).collect();
            let positive: Vec<bool> = y_true.iter().map(|&y| y == k).collect();
            binary_auc(&scores, &positive)
        })
        .collect();
    if aucs.is_empty() {
        return Err(ConsortError::TooFewClasses(
            "ROC-AUC needs at least two classes among the true labels".into(),
        ));
    }
    Ok(aucs.iter().sum::<f64>() / aucs.len() as f64)
}

/// Expected calibration error of the top-label confidence over `bins` equal-width bins:
/// `sum_b |B_b| / n * |accuracy(B_b) - mean confidence(B_b)|`.
pub fn expected_calibration_error(y_true: &[usize], proba: &Matrix, bins: usize) -> Result<f64> {
    check_lengths(y_true.len(), proba.rows())?;
    check_labels(y_true, proba.cols())?;
    proba.ensure_finite("probabilities")?;
    if bins == 0 {
        return Err(ConsortError::config("calibration needs at least one bin"));
    }
    let mut totals = vec![(0.0f64, 0.0f64, 0usize); bins];
    for (row, &y) in proba.iter_rows().zip(y_true) {
        let predicted = consort_core::matrix::argmax(row);
        let confidence = f64::from(row[predicted]).clamp(0.0, 1.0);
        let b = ((confidence * bins as f64) as usize).min(bins - 1);
        totals[b].0 += confidence;
        totals[b].1 += f64::from(u8::from(predicted == y));
        totals[b].2 += 1;
    }
    let n = y_true.len() as f64;
    Ok(totals
        .iter()
        .filter(|t| t.2 > 0)
        .map(|&(conf, hits, _)| (hits - conf).abs() / n)
        .sum())
}

/// The standard classification scores of one model on one dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationMetrics {
    /// Share of correct predictions.
    pub accuracy: f64,
    /// Macro-averaged F1.
    pub macro_f1: f64,
    /// Mean cross-entropy of the predicted probabilities.
    pub log_loss: f64,
    /// `confusion[true][predicted]`.
    pub confusion: Vec<Vec<usize>>,
    /// Macro one-vs-rest ROC-AUC of the probabilities.
    #[serde(default)]
    pub roc_auc: f64,
    /// Expected calibration error (15 bins) of the top-label confidence.
    #[serde(default)]
    pub ece: f64,
}

impl ClassificationMetrics {
    /// Scores probabilities against true labels; predictions are `predict` when given
    /// (hard voting predicts differently from its probabilities' arg-max), else the arg-max.
    pub fn compute(y_true: &[usize], proba: &Matrix, predict: Option<&[usize]>) -> Result<Self> {
        let argmax;
        let y_pred = match predict {
            Some(p) => p,
            None => {
                argmax = proba.argmax_rows();
                &argmax
            }
        };
        Ok(Self {
            accuracy: accuracy(y_true, y_pred)?,
            macro_f1: macro_f1(y_true, y_pred, proba.cols())?,
            log_loss: log_loss(y_true, proba)?,
            confusion: confusion_matrix(y_true, y_pred, proba.cols())?,
            roc_auc: roc_auc_ovr(y_true, proba)?,
            ece: expected_calibration_error(y_true, proba, 15)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_match_hand_computed_values() {
        let y = [0, 0, 1, 1, 2, 2];
        let p = [0, 1, 1, 1, 2, 0];
        assert!((accuracy(&y, &p).unwrap() - 4.0 / 6.0).abs() < 1e-12);
        assert_eq!(
            confusion_matrix(&y, &p, 3).unwrap(),
            vec![vec![1, 1, 0], vec![0, 2, 0], vec![1, 0, 1]]
        );
        // F1: class 0 = 2*1/(2+2) = .5, class 1 = 2*2/(2+3) = .8, class 2 = 2*1/(2+1) = 2/3.
        let f1 = macro_f1(&y, &p, 3).unwrap();
        assert!((f1 - (0.5 + 0.8 + 2.0 / 3.0) / 3.0).abs() < 1e-12, "{f1}");
        let proba = Matrix::from_rows(&[[0.5f32, 0.5], [0.0, 1.0]]).unwrap();
        let ll = log_loss(&[0, 0], &proba).unwrap();
        assert!(
            (ll - (2f64.ln() + 1e-15f64.ln().abs()) / 2.0).abs() < 1e-6,
            "{ll}"
        );
    }

    #[test]
    fn roc_auc_and_calibration_match_hand_computed_values() {
        // Binary: positives score 0.9 and 0.4, negatives 0.6 and 0.1: 3 of 4 pairs ordered.
        let proba =
            Matrix::from_rows(&[[0.1f32, 0.9], [0.6, 0.4], [0.4, 0.6], [0.9, 0.1]]).unwrap();
        let y = [1, 1, 0, 0];
        assert!((roc_auc_ovr(&y, &proba).unwrap() - 0.75).abs() < 1e-12);
        // Ties count half.
        let tied = Matrix::from_rows(&[[0.5f32, 0.5], [0.5, 0.5]]).unwrap();
        assert!((roc_auc_ovr(&[0, 1], &tied).unwrap() - 0.5).abs() < 1e-12);
        assert!(roc_auc_ovr(&[1, 1], &tied).is_err());
        // Confidences 0.9 (right), 0.6 (wrong), 0.6 (right), 0.9 (right), 15 bins:
        // bin of 0.9: 2 rows, accuracy 1 vs 0.9; bin of 0.6: 2 rows, accuracy 0.5 vs 0.6.
        let ece = expected_calibration_error(&[1, 1, 1, 0], &proba, 15).unwrap();
        assert!((ece - (2.0 * 0.1 + 2.0 * 0.1) / 4.0).abs() < 1e-6, "{ece}");
        // Perfectly confident and right: no calibration error.
        let sure = Matrix::from_rows(&[[1.0f32, 0.0], [0.0, 1.0]]).unwrap();
        assert!(expected_calibration_error(&[0, 1], &sure, 10).unwrap() < 1e-12);
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(matches!(
            accuracy(&[], &[]),
            Err(ConsortError::EmptyDataset(_))
        ));
        assert!(matches!(
            accuracy(&[1], &[1, 2]),
            Err(ConsortError::ShapeMismatch(_))
        ));
        assert!(matches!(
            confusion_matrix(&[0, 5], &[0, 0], 3),
            Err(ConsortError::LabelOutOfRange { label: 5, .. })
        ));
        let nan = Matrix::from_rows(&[[f32::NAN, 1.0]]).unwrap();
        assert!(matches!(
            log_loss(&[0], &nan),
            Err(ConsortError::NonFinite(_))
        ));
    }

    #[test]
    fn wilson_intervals_match_the_textbook() {
        // Agresti & Coull's example: 0 of 10 gives [0, 0.278]; 8 of 10 gives [0.490, 0.943].
        let (lo, hi) = wilson_interval(0, 10, 1.96);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.2775).abs() < 1e-3, "{hi}");
        let (lo, hi) = wilson_interval(8, 10, 1.96);
        assert!(
            (lo - 0.4902).abs() < 1e-3 && (hi - 0.9433).abs() < 1e-3,
            "{lo} {hi}"
        );
        assert_eq!(wilson_interval(0, 0, 1.96), (0.0, 1.0));
        // All right: the upper end is 1, not a rounding below it.
        for n in [1, 7, 60, 451] {
            assert_eq!(wilson_interval(n, n, 1.96).1, 1.0);
        }
    }
}
