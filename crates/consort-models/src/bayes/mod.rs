//! Naive Bayes classifiers.

mod gaussian;
mod multinomial;

pub use gaussian::{GaussianNb, GaussianNbConfig};
pub use multinomial::{MultinomialNb, MultinomialNbConfig};

use consort_core::{ConsortError, Result, check_labels};
use consort_data::Dataset;

/// Checks that a batch for an incremental update matches the model's features and classes.
fn check_update(data: &Dataset, n_features: usize, n_classes: usize) -> Result<()> {
    if data.n_features() != n_features || data.n_classes() != n_classes {
        return Err(ConsortError::ShapeMismatch(format!(
            "model has {n_features} features and {n_classes} classes, data has {} and {}",
            data.n_features(),
            data.n_classes()
        )));
    }
    check_labels(data.labels(), n_classes)
}
