//! Linear models.

pub mod lbfgs;
mod logistic;

pub(crate) use logistic::{log_sum_exp, one_hot};
pub use logistic::{LogisticRegression, LogisticRegressionConfig};
