//! The report's figures, in reading order: the model comparison (test accuracy with its 95%
//! interval beside the cross-validated accuracy), the cascades' accuracy against escalation,
//! the networks' training curves, ROC and reliability curves of the recommended candidate
//! beside the test-best one, their confusion matrices, and the members' pairwise
//! disagreement.

use consort_core::{Matrix, Result};
use consort_data::Dataset;
use consort_eval::{
    Disagreement, Figure, Heatmap, IntervalChart, IntervalRow, LineChart, ModelResult,
    reliability_curve, roc_curve_micro,
};

use crate::model_card::scores;

use crate::selection::Selection;
use crate::stages::FittedMember;

/// What the figures are drawn from.
pub(crate) struct Inputs<'a> {
    /// Members then combiners, as in the table.
    pub results: &'a [ModelResult],
    /// Their test probabilities, in the same order.
    pub probas: &'a [Matrix],
    pub selection: &'a Selection,
    pub fitted: &'a [FittedMember],
    pub test: &'a Dataset,
    /// The cascades' figures, made with their sections.
    pub cascades: Vec<Figure>,
}

/// Every figure, in the order the report shows them.
pub(crate) fn all(inputs: &Inputs<'_>) -> Result<Vec<Figure>> {
    let mut figures = vec![comparison(inputs)];
    figures.extend(inputs.cascades.iter().cloned());
    figures.extend(training_curves(inputs.fitted));
    let shown = shown_candidates(inputs);
    figures.push(roc(inputs, &shown)?);
    figures.push(reliability(inputs, &shown)?);
    figures.extend(confusions(inputs, &shown));
    figures.extend(diversity(inputs.fitted)?);
    Ok(figures)
}

/// The recommended candidate, and the test-best one when it is another: the figures compare
/// what cross-validation chose with what the test rows favour.
fn shown_candidates(inputs: &Inputs<'_>) -> Vec<(usize, String)> {
    let recommended = &inputs.selection.recommended().name;
    let position = |name: &str| inputs.results.iter().position(|r| r.name == name);
    let mut shown = Vec::new();
    if let Some(r) = position(recommended) {
        shown.push((r, format!("{recommended} (recommended)")));
    }
    let best = inputs
        .results
        .iter()
        .enumerate()
        .max_by(|a, b| {
            a.1.metrics
                .accuracy
                .total_cmp(&b.1.metrics.accuracy)
                .then(b.0.cmp(&a.0))
        })
        .map(|(i, _)| i);
    if let Some(b) = best
        && shown.first().is_none_or(|(r, _)| *r != b)
    {
        shown.push((b, format!("{} (best on test)", inputs.results[b].name)));
    }
    shown
}

/// Every candidate's test accuracy with its 95% Wilson interval and its cross-validated
/// accuracy, best test accuracy first; the recommended one in the accent colour.
fn comparison(inputs: &Inputs<'_>) -> Figure {
    let n = inputs.test.len();
    let recommended = &inputs.selection.recommended().name;
    let mut rows: Vec<IntervalRow> = scores(inputs.results, inputs.selection, n)
        .into_iter()
        .map(|s| IntervalRow {
            highlight: &s.candidate == recommended,
            label: s.candidate,
            estimate: s.test_accuracy,
            interval: s.test_accuracy_95,
            second: s.cv_accuracy,
        })
        .collect();
    rows.sort_by(|a, b| b.estimate.total_cmp(&a.estimate));
    Figure {
        file: "comparison.svg".into(),
        caption: format!(
            "Every candidate's test accuracy ({n} rows; bars: 95% Wilson intervals) and its \
             out-of-fold accuracy on the training rows (triangles); {recommended}, recommended \
             by cross-validation, in red"
        ),
        chart: IntervalChart {
            title: "Model comparison".into(),
            x_label: "accuracy".into(),
            estimate_name: "test, 95% interval".into(),
            second_name: "cross-validated".into(),
            rows,
        }
        .into(),
    }
}

/// The training loss of every network's final fit, per epoch.
fn training_curves(fitted: &[FittedMember]) -> Option<Figure> {
    let chart = fitted.iter().filter(|f| !f.curve.is_empty()).fold(
        LineChart::new("Training curves", "epoch", "training loss"),
        |chart, f| {
            chart.with_series(
                f.member.name.clone(),
                f.curve
                    .iter()
                    .map(|r| (r.epoch as f64, r.train_loss))
                    .collect(),
            )
        },
    );
    (!chart.series.is_empty()).then(|| Figure {
        file: "training.svg".into(),
        caption: "Training loss per epoch of each network's final fit on the training rows".into(),
        chart: chart.into(),
    })
}

/// Micro-averaged one-vs-rest ROC curves, with the chance diagonal.
fn roc(inputs: &Inputs<'_>, shown: &[(usize, String)]) -> Result<Figure> {
    diagonal_curves(
        inputs,
        shown,
        LineChart::new(
            "ROC (one-vs-rest, micro-averaged)",
            "false positive rate",
            "true positive rate",
        ),
        roc_curve_micro,
        ("chance", "roc.svg"),
        "ROC curves on the test rows: every (row, class) pair a decision scored by the class's \
         probability; the diagonal is chance",
    )
}

/// Reliability diagrams over 10 bins of the top-class probability, with the diagonal of
/// perfect calibration.
fn reliability(inputs: &Inputs<'_>, shown: &[(usize, String)]) -> Result<Figure> {
    diagonal_curves(
        inputs,
        shown,
        LineChart::new(
            "Calibration (reliability)",
            "mean predicted probability of the top class",
            "accuracy",
        ),
        |y, proba| reliability_curve(y, proba, 10),
        ("perfectly calibrated", "calibration.svg"),
        "Accuracy against confidence on the test rows (10 bins of the top-class probability); \
         on the diagonal a model is as sure as it is right",
    )
}

/// One curve per shown candidate from its test probabilities, then the unit diagonal named
/// `diagonal`, as the figure `file`.
fn diagonal_curves(
    inputs: &Inputs<'_>,
    shown: &[(usize, String)],
    mut chart: LineChart,
    curve: impl Fn(&[usize], &Matrix) -> Result<Vec<(f64, f64)>>,
    (diagonal, file): (&str, &str),
    caption: &str,
) -> Result<Figure> {
    for (i, name) in shown {
        chart = chart.with_series(
            name.clone(),
            curve(inputs.test.labels(), &inputs.probas[*i])?,
        );
    }
    Ok(Figure {
        file: file.into(),
        caption: caption.into(),
        chart: chart
            .with_series(diagonal, vec![(0.0, 0.0), (1.0, 1.0)])
            .into(),
    })
}

/// The confusion matrices of the recommended and the test-best candidate, each labelled.
fn confusions(inputs: &Inputs<'_>, shown: &[(usize, String)]) -> Vec<Figure> {
    shown
        .iter()
        .enumerate()
        .map(|(k, (i, name))| Figure {
            file: if k == 0 {
                "confusion.svg".into()
            } else {
                "confusion-best.svg".into()
            },
            caption: format!("Confusion matrix of {name} on the test rows"),
            chart: Heatmap::confusion(
                format!("{name}: test confusion matrix"),
                inputs.test.class_names(),
                &inputs.results[*i].metrics.confusion,
            )
            .into(),
        })
        .collect()
}

/// How often two members disagree on the test rows, as a heatmap (two members or more).
fn diversity(fitted: &[FittedMember]) -> Result<Option<Figure>> {
    if fitted.len() < 2 {
        return Ok(None);
    }
    let names: Vec<String> = fitted.iter().map(|f| f.member.name.clone()).collect();
    let predictions: Vec<Vec<usize>> = fitted.iter().map(|f| f.test_predicted.clone()).collect();
    let d = Disagreement::compute(names.clone(), &predictions)?;
    let high = d
        .matrix
        .iter()
        .flatten()
        .copied()
        .fold(0.0f64, f64::max)
        .max(1e-6);
    Ok(Some(Figure {
        file: "diversity.svg".into(),
        caption: format!(
            "Share of test rows on which two members disagree (darkest: {high:.3}); diverse \
             members are what ensembles gain from"
        ),
        chart: Heatmap::pairwise("Member disagreement", &names, d.matrix, (0.0, high)).into(),
    }))
}
