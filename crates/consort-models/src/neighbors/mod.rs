//! Instance-based models.

mod knn;

pub use knn::{KNeighbors, KNeighborsConfig, NeighborWeights};
