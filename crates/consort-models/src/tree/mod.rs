//! Decision trees.

mod cart;

pub use cart::{DecisionTree, DecisionTreeConfig, SplitCriterion};
