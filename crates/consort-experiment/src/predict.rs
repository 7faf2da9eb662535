//! `consort predict`: a saved model's predictions for the rows of a CSV file, checked before
//! they are published, with an optional id column carried in front.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use consort_core::{BackendKind, ConsortError, Matrix, Result};

use crate::saved::{SavedModel, predictions_csv};

/// What `consort predict` did.
#[derive(Debug)]
pub struct Predictions {
    /// The predictions as CSV (`predicted,p_<class>...`).
    pub csv: String,
    /// Rows predicted.
    pub rows: usize,
    /// Accuracy, when the file had the label column.
    pub accuracy: Option<f64>,
}

/// Loads the model in `model_dir` and predicts every row of the CSV file `data` (read with
/// the model's preprocessing; the label column is optional and, when present, scored).
pub fn predict_csv(model_dir: &Path, data: &Path) -> Result<Predictions> {
    predict_csv_with(model_dir, data, &PredictOptions::default())
}

/// How [`predict_csv_with`] predicts.
#[derive(Debug, Clone, Default)]
pub struct PredictOptions {
    /// A column of the data (read as text, not as a feature) copied into the predictions as
    /// their first column, so that rows match by id rather than by order.
    pub id: Option<String>,
    /// Where the model's networks run (`None`: the default backend).
    pub backend: Option<BackendKind>,
}

/// [`predict_csv`] with `options`: an id column carried through, a backend.
pub fn predict_csv_with(
    model_dir: &Path,
    data: &Path,
    options: &PredictOptions,
) -> Result<Predictions> {
    let id = options.id.as_deref();
    let saved = SavedModel::load_on(model_dir, options.backend)?;
    let mut preprocessing = saved.preprocessing.clone();
    if let Some(id) = id {
        if id == preprocessing.label_column {
            return Err(ConsortError::param(
                "--id",
                id,
                "is the label column; name a column that identifies the rows",
            ));
        }
        if !preprocessing.dropped_columns.iter().any(|c| c == id) {
            preprocessing.dropped_columns.push(id.to_string());
        }
    }
    let (rows, labelled) = preprocessing.read(data)?;
    let ids = id
        .map(|id| consort_data::read_column(data, id, preprocessing.delimiter))
        .transpose()?;
    if let Some(ids) = &ids
        && ids.len() != rows.len()
    {
        return Err(ConsortError::ShapeMismatch(format!(
            "{}: {} ids for {} rows",
            data.display(),
            ids.len(),
            rows.len()
        )));
    }
    let (proba, predicted) = saved.model.predict_with_proba(rows.features())?;
    check_probabilities(&proba).map_err(|message| ConsortError::InvalidModel {
        path: model_dir.to_path_buf(),
        message,
    })?;
    let accuracy = labelled.then(|| {
        predicted
            .iter()
            .zip(rows.labels())
            .filter(|(p, l)| p == l)
            .count() as f64
            / rows.len().max(1) as f64
    });
    let mut csv = predictions_csv(&proba, &predicted, &saved.preprocessing.class_names);
    if let (Some(name), Some(ids)) = (id, &ids) {
        csv = with_first_column(&csv, name, ids);
    }
    Ok(Predictions {
        csv,
        rows: rows.len(),
        accuracy,
    })
}

/// `csv` with a column `name` of `values` in front, quoted where a value needs it.
fn with_first_column(csv: &str, name: &str, values: &[String]) -> String {
    let quote = |v: &str| {
        if v.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", v.replace('"', "\"\""))
        } else {
            v.to_string()
        }
    };
    let mut out = String::with_capacity(csv.len() + values.iter().map(String::len).sum::<usize>());
    for (i, line) in csv.lines().enumerate() {
        let first = if i == 0 {
            quote(name)
        } else {
            quote(&values[i - 1])
        };
        let _ = writeln!(out, "{first},{line}");
    }
    out
}

/// How far a row of probabilities may sum from 1 (`f32` rounding over many classes).
const PROBABILITY_SUM_TOLERANCE: f32 = 1e-3;

/// Checks what a model predicts before it is published: every probability finite and
/// non-negative, every row summing to 1. Weights that pass their own checks can still combine
/// into overflow; this is the last line that keeps NaN out of a predictions file.
fn check_probabilities(proba: &Matrix) -> std::result::Result<(), String> {
    for (r, row) in proba.iter_rows().enumerate() {
        if let Some(v) = row.iter().find(|v| !v.is_finite() || **v < 0.0) {
            return Err(format!(
                "it predicts a probability of {v} for row {} (a corrupted or hand-edited \
                 model: probabilities must be finite and non-negative); nothing was written",
                r + 1
            ));
        }
        let sum: f32 = row.iter().sum();
        if (sum - 1.0).abs() > PROBABILITY_SUM_TOLERANCE {
            return Err(format!(
                "its probabilities for row {} sum to {sum}, not 1 (a corrupted or \
                 hand-edited model); nothing was written",
                r + 1
            ));
        }
    }
    Ok(())
}

/// The default output path of `consort predict`: beside the input, `<stem>.predictions.csv`.
pub fn default_predictions_path(data: &Path) -> PathBuf {
    let stem = data
        .file_stem()
        .map_or_else(|| "data".into(), |s| s.to_string_lossy().into_owned());
    data.with_file_name(format!("{stem}.predictions.csv"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_probabilities_are_published() {
        let m = |v: Vec<f32>| Matrix::new(2, 2, v).unwrap();
        assert!(check_probabilities(&m(vec![0.25, 0.75, 1.0, 0.0])).is_ok());
        for (bad, said) in [
            (vec![0.5, 0.5, f32::NAN, f32::NAN], "NaN"),
            (vec![0.5, 0.5, f32::INFINITY, 0.0], "inf"),
            (vec![1.5, -0.5, 0.5, 0.5], "-0.5"),
            (vec![0.0, 0.0, 0.5, 0.5], "sum to 0"),
        ] {
            let e = check_probabilities(&m(bad)).unwrap_err();
            assert!(e.contains(said), "{e}");
        }
    }
}
