//! Baseline recommenders (the learned one, matrix factorisation, is a network:
//! [`crate::nn::MatrixFactorization`]).

mod popularity;

pub use popularity::Popularity;
