//! Decision trees, and the weak learners combined from them: random forests (bagging) and
//! histogram gradient boosting, and AdaBoost (SAMME).

mod adaboost;
mod binning;
mod boosting;
mod cart;
mod forest;
mod histgrow;

pub use adaboost::{AdaBoost, AdaBoostConfig};
pub use boosting::{
    BoostingEarlyStop, HistGradientBoosting, HistGradientBoostingConfig,
    HistGradientBoostingRegressor,
};
pub use cart::{DecisionTree, DecisionTreeConfig, RegressionTree, SplitCriterion};
pub use forest::{MaxFeatures, RandomForest, RandomForestConfig, RandomForestRegressor};
