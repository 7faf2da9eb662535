//! # consort-eval
//!
//! Scores and reports: [`metrics`] (accuracy, macro-F1, log-loss, confusion matrix) and
//! [`Report`], a run's results as a Markdown table for people and JSON for programs.

#![warn(missing_docs)]

pub mod metrics;
pub mod report;

pub use metrics::{
    ClassificationMetrics, accuracy, confusion_matrix, log_loss, macro_f1, model_accuracy,
};
pub use report::{DataSummary, ModelFamily, ModelResult, Report};
