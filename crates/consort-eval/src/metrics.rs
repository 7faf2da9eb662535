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
}
