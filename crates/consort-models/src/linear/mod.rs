//! Linear models.

pub mod lbfgs;
mod logistic;

pub use logistic::{LogisticRegression, LogisticRegressionConfig};
pub(crate) use logistic::{log_sum_exp, one_hot};
