//! Naive Bayes classifiers.

mod gaussian;
mod multinomial;

pub use gaussian::{GaussianNb, GaussianNbConfig};
pub use multinomial::{MultinomialNb, MultinomialNbConfig};
