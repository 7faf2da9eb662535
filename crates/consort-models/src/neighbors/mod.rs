//! Instance-based models.

mod knn;
mod search;

pub use knn::{KNeighbors, KNeighborsConfig, NeighborWeights};
