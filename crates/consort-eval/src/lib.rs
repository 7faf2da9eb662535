//! # consort-eval
//!
//! Scores and reports: [`metrics`] (accuracy, macro-F1, log-loss, confusion matrix),
//! [`regression`] (MSE, RMSE, MAE, R²), [`ranking`] (hit rate, precision, recall and NDCG at k
//! for recommenders) and [`Report`], a run's results as a Markdown table for people and JSON
//! for programs.

#![warn(missing_docs)]

pub mod metrics;
pub mod ranking;
pub mod regression;
pub mod report;

pub use metrics::{
    ClassificationMetrics, accuracy, confusion_matrix, log_loss, macro_f1, model_accuracy,
};
pub use ranking::RankingMetrics;
pub use regression::{RegressionMetrics, mae, mse, r2, rmse};
pub use report::{DataSummary, ModelFamily, ModelResult, Report};
