//! Linear models.

pub mod lbfgs;
mod logistic;
mod ridge;

pub use logistic::{LogisticRegression, LogisticRegressionConfig};
pub(crate) use logistic::{log_sum_exp, one_hot, softmax_into};
pub use ridge::{Ridge, RidgeConfig};
