//! Recommenders beside the learned factorisation ([`crate::nn::MatrixFactorization`]): the
//! popularity baseline, the naive-Bayes content filter, and the hybrid of a factorisation
//! with the filter.

mod content;
mod hybrid;
mod popularity;

pub use content::{ContentFilter, ContentFilterConfig};
pub use hybrid::Hybrid;
pub use popularity::Popularity;
