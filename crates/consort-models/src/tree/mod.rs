//! Decision trees, and forests of them.

mod cart;
mod forest;

pub use cart::{DecisionTree, DecisionTreeConfig, RegressionTree, SplitCriterion};
pub use forest::{MaxFeatures, RandomForest, RandomForestConfig, RandomForestRegressor};
