//! From a [`CombinerSpec`] and fitted members to a fitted combiner. The same function builds
//! the run's combiners (from every training row's out-of-fold probabilities) and the
//! selection's nested ones (from the other folds' rows only).

use std::sync::Arc;

use consort_core::matrix::argmax;
use consort_core::{Fit, Matrix, Result};
use consort_data::Dataset;
use consort_ensemble::{
    AverageEnsemble, CalibrationTarget, Cascade, Combiner, Confidence, Member, StackingClassifier,
    Voting, VotingEnsemble,
};
use consort_models::{LogisticRegression, LogisticRegressionConfig};

use crate::config::{CombinerKind, CombinerSpec, Role};

/// A fitted combiner of the kinds an experiment builds.
#[derive(Debug, Clone)]
pub(crate) enum BuiltCombiner {
    Voting(VotingEnsemble),
    Average(AverageEnsemble),
    /// With its meta-learner's concrete type, for saving.
    Stacking(StackingClassifier, LogisticRegression),
    Cascade(Cascade),
}

impl BuiltCombiner {
    /// The combiner behind the shared contract.
    pub fn get(&self) -> &dyn Combiner {
        match self {
            Self::Voting(c) => c,
            Self::Average(c) => c,
            Self::Stacking(c, _) => c,
            Self::Cascade(c) => c,
        }
    }
}

/// A member as a combiner sees it: its fitted model, role and held-out probabilities.
pub(crate) struct Stage<'a> {
    pub member: &'a Member,
    pub role: Role,
    /// Out-of-fold probabilities on the rows the combiner learns from.
    pub held_out: &'a Matrix,
}

/// Accuracy of probabilities against labels.
pub(crate) fn accuracy(proba: &Matrix, labels: &[usize]) -> f64 {
    let hits = proba
        .iter_rows()
        .zip(labels)
        .filter(|&(row, &l)| argmax(row) == l)
        .count();
    hits as f64 / labels.len().max(1) as f64
}

/// Builds `spec` over `members` (already chosen for it, in order), learning from their
/// held-out probabilities on `data`'s rows. `Ok(None)`: the combiner does not apply here (a
/// cascade without a cheap and an expensive member), with the reason.
pub(crate) fn build(
    spec: &CombinerSpec,
    members: &[Stage<'_>],
    data: &Dataset,
) -> Result<std::result::Result<(BuiltCombiner, Vec<usize>), String>> {
    let all: Vec<usize> = (0..members.len()).collect();
    let fitted = |idx: &[usize]| idx.iter().map(|&i| members[i].member.clone()).collect();
    let held_out = |idx: &[usize]| -> Vec<Matrix> {
        idx.iter().map(|&i| members[i].held_out.clone()).collect()
    };
    Ok(Ok(match spec.kind {
        CombinerKind::SoftVote => (
            BuiltCombiner::Voting(VotingEnsemble::new(fitted(&all), Voting::Soft)?),
            all,
        ),
        CombinerKind::HardVote => (
            BuiltCombiner::Voting(VotingEnsemble::new(fitted(&all), Voting::Hard)?),
            all,
        ),
        CombinerKind::Average => (
            BuiltCombiner::Average(AverageEnsemble::new(fitted(&all))?),
            all,
        ),
        CombinerKind::WeightedAverage => (
            BuiltCombiner::Average(AverageEnsemble::fit_weights_on(
                fitted(&all),
                &held_out(&all),
                data.labels(),
            )?),
            all,
        ),
        CombinerKind::Stacking => {
            let passthrough = spec.passthrough.unwrap_or(false);
            let probas = held_out(&all);
            let mut inputs: Vec<&Matrix> = probas.iter().collect();
            if passthrough {
                inputs.push(data.features());
            }
            let meta = LogisticRegressionConfig::default()
                .fit(&data.with_features(Matrix::hstack(&inputs)?)?)?;
            let stacked =
                StackingClassifier::from_parts(fitted(&all), Arc::new(meta.clone()), passthrough)?;
            (BuiltCombiner::Stacking(stacked, meta), all)
        }
        CombinerKind::Cascade => {
            let Some(cheap) = members.iter().position(|c| c.role == Role::Cheap) else {
                return Ok(Err("no member has role \"cheap\"".into()));
            };
            // The most accurate expensive member out of fold answers what the cheap one
            // passes on.
            let Some(expensive) = (0..members.len())
                .filter(|&i| members[i].role == Role::Expensive)
                .map(|i| (i, accuracy(members[i].held_out, data.labels())))
                // Ties: the later member (networks are listed small to large by habit).
                .fold(None, |best: Option<(usize, f64)>, (i, a)| match best {
                    Some((_, b)) if b > a => best,
                    _ => Some((i, a)),
                })
                .map(|(i, _)| i)
            else {
                return Ok(Err("no member has role \"expensive\"".into()));
            };
            let stages = [cheap, expensive];
            (
                BuiltCombiner::Cascade(Cascade::calibrate_on(
                    fitted(&stages),
                    Confidence::MaxProbability,
                    CalibrationTarget::AccuracyWithin(spec.tolerance.unwrap_or(0.005)),
                    &held_out(&stages),
                    data.labels(),
                )?),
                stages.to_vec(),
            )
        }
    }))
}

/// A fitted combiner: its name, spec index, members (indices into the fitted members).
pub(crate) struct FittedCombiner {
    pub name: String,
    pub spec: usize,
    pub built: BuiltCombiner,
    pub members: Vec<usize>,
}
