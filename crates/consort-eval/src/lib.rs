//! # consort-eval
//!
//! Scores and reports: [`metrics`] (accuracy, macro-F1, log-loss, confusion matrix),
//! [`regression`] (MSE, RMSE, MAE, R²), [`ranking`] (hit rate, precision, recall and NDCG at k
//! for recommenders), [`diversity`] (pairwise disagreement of ensemble members), [`cv`]
//! (k-fold cross-validated scores of any estimator), [`plot`] (SVG line charts) and
//! [`Report`], a run's results as Markdown (with figures) for people and JSON for programs.

#![warn(missing_docs)]

pub mod continual;
pub mod curves;
pub mod cv;
pub mod diversity;
pub mod heatmap;
mod html;
pub mod intervals;

pub use html::to_html as html_page;
pub mod metrics;
pub mod parallel;
pub mod plot;
pub mod ranking;
pub mod regression;
pub mod report;
mod table;

pub use continual::{AccuracyMatrix, ContinualReport, ContinualRun};
pub use curves::{reliability_curve, roc_curve_micro};
pub use cv::{CvScores, cross_validate, cross_validate_regressor};
pub use diversity::Disagreement;
pub use intervals::{IntervalChart, IntervalRow};
pub use metrics::{
    ClassificationMetrics, accuracy, confusion_matrix, expected_calibration_error, log_loss,
    macro_f1, model_accuracy, roc_auc_ovr, wilson_interval,
};
pub use parallel::{ParallelAxis, ParallelCoordinates};
pub use plot::{Chart, Heatmap, LineChart, Marker, Series, Shading};
pub use ranking::RankingMetrics;
pub use regression::{RegressionMetrics, mae, mse, r2, rmse};
pub use report::{DataSummary, Figure, ModelFamily, ModelResult, Report, Section};
pub use table::MarkdownTable;

/// The error of rendering without the `plots` feature.
#[cfg(not(feature = "plots"))]
pub(crate) fn no_plots() -> consort_core::ConsortError {
    consort_core::ConsortError::config(
        "SVG charts need consort-eval's `plots` feature (on by default; off for the training \
         crate, which only needs the metrics)",
    )
}
