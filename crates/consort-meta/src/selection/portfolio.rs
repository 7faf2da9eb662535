//! The candidates a selector chooses among: the project's small models, an MLP, and two
//! combiners of them, each with fixed default settings (selection picks the family; tuning
//! it is `consort search`'s job).

use std::sync::Arc;

use consort_catalog::{EstimatorSettings, ModelKind};
use consort_core::{Classifier, ClassifierEstimator, ConsortError, Result};
use consort_data::Dataset;
use consort_ensemble::{
    ClassifierCandidate, Member, StackingClassifier, StackingConfig, Voting, VotingEnsemble,
};
use consort_eval::cross_validate;
use consort_models::LogisticRegressionConfig;

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
    /// A model of the catalogue with the portfolio's settings: seeded by the portfolio,
    /// scaled where the kind is scale-sensitive.
    fn model(&self, key: &str) -> Result<Box<dyn ClassifierEstimator<Dataset>>> {
        let mut kind = ModelKind::from_key(key)?;
        match &mut kind {
            ModelKind::Forest(c) => c.n_trees = 100,
            ModelKind::Tree(c) => c.min_samples_leaf = 2,
            ModelKind::Mlp(p) => {
                p.hidden = vec![64];
                p.epochs = 40;
            }
            _ => {}
        }
        Ok(kind.estimator(&EstimatorSettings::for_kind(&kind, self.seed)))
    }

    /// The estimator a candidate name stands for: a catalogue model, or one of two
    /// combiners of them.
    pub fn estimator(&self, name: &str) -> Result<Box<dyn ClassifierEstimator<Dataset>>> {
        let members = |keys: &[&'static str]| -> Result<Vec<(&'static str, _)>> {
            keys.iter().map(|&k| Ok((k, self.model(k)?))).collect()
        };
        Ok(match name {
            "naive_bayes" => self.model("gaussian_nb")?,
            "soft_voting" => Box::new(SoftVoting(members(&["logistic", "forest", "boosting"])?)),
            "stacking" => Box::new(Stacking {
                members: members(&["logistic", "forest", "boosting", "knn"])?
                    .into_iter()
                    .map(|(k, e)| ClassifierCandidate::new(k, e))
                    .collect(),
                config: StackingConfig {
                    folds: 3,
                    seed: self.seed,
                    ..StackingConfig::default()
                },
            }),
            other if candidate_names().contains(&other) => self.model(other)?,
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
