//! Linear models.

pub mod lbfgs;
mod logistic;
mod ridge;

pub use logistic::{LogisticRegression, LogisticRegressionConfig};
pub(crate) use logistic::{one_hot, softmax_into};
pub use ridge::{Ridge, RidgeConfig};
