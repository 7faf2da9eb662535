//! The candidates a selector chooses among: the project's small models, an MLP, and two
//! combiners of them, each with fixed default settings (selection picks the family; tuning
//! it is `consort tune`'s job).

use std::sync::Arc;

use consort_core::{Classifier, ClassifierEstimator, ConsortError, Result};
use consort_data::Dataset;
use consort_ensemble::{
    ClassifierCandidate, Member, StackingClassifier, StackingConfig, Voting, VotingEnsemble,
};
use consort_eval::cross_validate;
use consort_models::{
    DecisionTreeConfig, GaussianNbConfig, HistGradientBoostingConfig, KNeighborsConfig,
    LogisticRegressionConfig, MlpConfig, RandomForestConfig, Standardized,
};
use consort_tune::{NetworkEstimator, TrainConfig};

/// The candidates' names, in the portfolio's order.
pub fn candidate_names() -> Vec<&'static str> {
    vec![
        "logistic",
        "tree",
        "forest",
        "boosting",
        "naive_bayes",
        "knn",
        "mlp",
        "soft_voting",
        "stacking",
    ]
}

/// The portfolio, seeded.
#[derive(Debug, Clone, Copy)]
pub struct Portfolio {
    /// Seed of the models and of the folds.
    pub seed: u64,
    /// Cross-validation folds.
    pub folds: usize,
}

impl Default for Portfolio {
    fn default() -> Self {
        Self { seed: 0, folds: 3 }
    }
}

/// Soft voting over fitted members.
struct SoftVoting(Vec<(&'static str, Box<dyn ClassifierEstimator<Dataset>>)>);

impl ClassifierEstimator<Dataset> for SoftVoting {
    fn fit_classifier(&self, data: &Dataset) -> Result<Arc<dyn Classifier>> {
        let members = self
            .0
            .iter()
            .map(|(name, e)| Ok(Member::new(*name, e.fit_classifier(data)?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Arc::new(VotingEnsemble::new(members, Voting::Soft)?))
    }
}

/// Stacking: out-of-fold probabilities of the members into a logistic regression.
struct Stacking {
    members: Vec<ClassifierCandidate>,
    config: StackingConfig,
}

impl ClassifierEstimator<Dataset> for Stacking {
    fn fit_classifier(&self, data: &Dataset) -> Result<Arc<dyn Classifier>> {
        let meta = LogisticRegressionConfig::default();
        Ok(Arc::new(StackingClassifier::fit(
            &self.members,
            &meta,
            &self.config,
            data,
        )?))
    }
}

impl Portfolio {
    fn logistic() -> Box<dyn ClassifierEstimator<Dataset>> {
        Box::new(Standardized(LogisticRegressionConfig::default()))
    }

    fn forest(&self) -> Box<dyn ClassifierEstimator<Dataset>> {
        Box::new(RandomForestConfig {
            n_trees: 100,
            seed: self.seed,
            ..RandomForestConfig::default()
        })
    }

    fn boosting(&self) -> Box<dyn ClassifierEstimator<Dataset>> {
        Box::new(HistGradientBoostingConfig {
            seed: self.seed,
            ..HistGradientBoostingConfig::default()
        })
    }

    fn knn() -> Box<dyn ClassifierEstimator<Dataset>> {
        Box::new(Standardized(KNeighborsConfig::default()))
    }

    /// The estimator a candidate name stands for.
    pub fn estimator(&self, name: &str) -> Result<Box<dyn ClassifierEstimator<Dataset>>> {
        Ok(match name {
            "logistic" => Self::logistic(),
            "tree" => Box::new(DecisionTreeConfig {
                min_samples_leaf: 2,
                ..DecisionTreeConfig::default()
            }),
            "forest" => self.forest(),
            "boosting" => self.boosting(),
            "naive_bayes" => Box::new(GaussianNbConfig::default()),
            "knn" => Self::knn(),
            "mlp" => Box::new(Standardized(NetworkEstimator::new(
                MlpConfig::new(0, vec![64], 0),
                TrainConfig::new().with_epochs(40).with_seed(self.seed),
            ))),
            "soft_voting" => Box::new(SoftVoting(vec![
                ("logistic", Self::logistic()),
                ("forest", self.forest()),
                ("boosting", self.boosting()),
            ])),
            "stacking" => Box::new(Stacking {
                members: vec![
                    ClassifierCandidate::new("logistic", Self::logistic()),
                    ClassifierCandidate::new("forest", self.forest()),
                    ClassifierCandidate::new("boosting", self.boosting()),
                    ClassifierCandidate::new("knn", Self::knn()),
                ],
                config: StackingConfig {
                    folds: 3,
                    seed: self.seed,
                    ..StackingConfig::default()
                },
            }),
            other => {
                return Err(ConsortError::config(format!(
                    "unknown candidate {other:?}; the portfolio has {:?}",
                    candidate_names()
                )));
            }
        })
    }

    /// The candidate's stratified k-fold accuracy on `data`.
    pub fn score(&self, name: &str, data: &Dataset) -> Result<f64> {
        let estimator = self.estimator(name)?;
        Ok(cross_validate(estimator.as_ref(), data, self.folds, self.seed)?.mean)
    }
}
