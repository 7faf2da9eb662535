//! Naive Bayes classifiers.

mod gaussian;

pub use gaussian::{GaussianNb, GaussianNbConfig};
