//! Decision trees.

mod cart;

pub use cart::{DecisionTree, DecisionTreeConfig, RegressionTree, SplitCriterion};
