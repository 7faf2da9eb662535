//! Stacking: a meta-learner trained on the members' out-of-fold predictions.

use std::sync::Arc;

use consort_core::matrix::argmax;
use consort_core::{
    Classifier, ClassifierEstimator, ConsortError, Matrix, ParamGuard, RegressorEstimator, Result,
    check_input,
};
use consort_core::{Event, ObserverHandle};
use consort_data::{Dataset, Fold, RegressionDataset, stratified_kfold};
use serde::{Deserialize, Serialize};

use crate::member::{Combiner, Member, check_member_probas, check_members, member_probas};

mod regressor;

pub use regressor::StackingRegressor;

/// How a stacked ensemble is trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackingConfig {
    /// Folds of the out-of-fold predictions (stratified for classification).
    pub folds: usize,
    /// Also feed the original features to the meta-learner.
    pub passthrough: bool,
    /// Seed of the fold assignment.
    pub seed: u64,
    /// Receives a [`Event::Progress`] per fitted fold (libraries never print).
    #[serde(skip)]
    pub observer: ObserverHandle,
}

impl Default for StackingConfig {
    fn default() -> Self {
        Self {
            folds: 5,
            passthrough: false,
            seed: 0,
            observer: ObserverHandle::none(),
        }
    }
}

impl ParamGuard for StackingConfig {
    fn check(&self) -> Result<()> {
        if self.folds < 2 {
            return Err(ConsortError::config(format!(
                "stacking needs at least 2 folds, got {}",
                self.folds
            )));
        }
        Ok(())
    }
}

/// A named estimator: a member of a stacked ensemble before fitting.
pub struct NamedEstimator<E: ?Sized> {
    /// Display name (becomes the fitted member's name).
    pub name: String,
    /// The hyperparameters, refitted per fold and on all the data.
    pub estimator: Box<E>,
}

impl<E: ?Sized> NamedEstimator<E> {
    /// Names an estimator.
    pub fn new(name: impl Into<String>, estimator: Box<E>) -> Self {
        Self {
            name: name.into(),
            estimator,
        }
    }
}

/// A classification member to be fitted by stacking.
pub type ClassifierCandidate = NamedEstimator<dyn ClassifierEstimator<Dataset>>;
/// A regression member to be fitted by stacking.
pub type RegressorCandidate = NamedEstimator<dyn RegressorEstimator<RegressionDataset>>;

/// Checks what every stacking fit needs before any fold is fitted.
fn check_stacking(config: &StackingConfig, n_candidates: usize) -> Result<()> {
    config.check()?;
    if n_candidates == 0 {
        return Err(ConsortError::config(
            "an ensemble needs at least one member, got none",
        ));
    }
    Ok(())
}

/// Every member's out-of-fold outputs, one `n_rows x width` matrix per member: for each fold
/// and member, `fit_predict(member, train_rows, test_rows)` returns the `test_rows x width`
/// outputs of the member fitted on `train_rows`.
fn out_of_fold(
    folds: &[Fold],
    n_rows: usize,
    n_members: usize,
    width: usize,
    progress: (&ObserverHandle, &str),
    fit_predict: impl Fn(usize, &[usize], &[usize]) -> Result<Matrix>,
) -> Result<Vec<Matrix>> {
    let mut oof = vec![Matrix::zeros(n_rows, width); n_members];
    for (f, fold) in folds.iter().enumerate() {
        for (m, member_oof) in oof.iter_mut().enumerate() {
            let out = fit_predict(m, &fold.train, &fold.test)?;
            for (row, &i) in out.iter_rows().zip(&fold.test) {
                member_oof.row_mut(i).copy_from_slice(row);
            }
        }
        progress.0.notify(&Event::Progress {
            label: progress.1,
            done: f + 1,
            total: folds.len(),
        });
    }
    Ok(oof)
}

/// Out-of-fold class probabilities of several candidates on one dataset: the held-out view of
/// every member that stacking, fitted weights and cascade thresholds can all learn from
/// without a separate validation split.
#[derive(Debug, Clone)]
pub struct OutOfFold {
    /// The folds used.
    pub folds: Vec<Fold>,
    /// One `rows x n_classes` matrix per candidate: row i comes from the candidate fitted on
    /// the folds that do not hold row i.
    pub probas: Vec<Matrix>,
}

impl OutOfFold {
    /// Fits every candidate on each fold's training part and predicts its held-out part
    /// (stratified folds).
    pub fn compute(
        candidates: &[ClassifierCandidate],
        config: &StackingConfig,
        data: &Dataset,
    ) -> Result<Self> {
        check_stacking(config, candidates.len())?;
        data.ensure_trainable()?;
        let folds = stratified_kfold(data.labels(), data.n_classes(), config.folds, config.seed)?;
        let k = data.n_classes();
        let probas = out_of_fold(
            &folds,
            data.len(),
            candidates.len(),
            k,
            (&config.observer, "out-of-fold"),
            |m, train, test| {
                let model = candidates[m]
                    .estimator
                    .fit_classifier(&data.subset(train))?;
                let proba = model.predict_proba(&data.features().select_rows(test))?;
                if proba.cols() != k {
                    return Err(ConsortError::ShapeMismatch(format!(
                        "member {:?} returned {} classes, the data has {k}",
                        candidates[m].name,
                        proba.cols()
                    )));
                }
                Ok(proba)
            },
        )?;
        Ok(Self { folds, probas })
    }

    /// Accuracy of candidate `m` on each fold's held-out part (its cross-validated scores).
    pub fn fold_accuracies(&self, m: usize, labels: &[usize]) -> Vec<f64> {
        self.folds
            .iter()
            .map(|f| {
                let hits = f
                    .test
                    .iter()
                    .filter(|&&i| argmax(self.probas[m].row(i)) == labels[i])
                    .count();
                hits as f64 / f.test.len().max(1) as f64
            })
            .collect()
    }

    /// The candidates' probabilities side by side (the meta-learner's input).
    pub fn stacked(&self) -> Result<Matrix> {
        Matrix::hstack(&self.probas.iter().collect::<Vec<_>>())
    }
}

/// The meta-learner's input: member outputs, then (with passthrough) the features.
fn meta_input(outputs: Matrix, x: &Matrix, passthrough: bool) -> Result<Matrix> {
    if passthrough {
        Matrix::hstack(&[&outputs, x])
    } else {
        Ok(outputs)
    }
}

/// A stacked classifier: members' class probabilities (and optionally the features) feed a
/// meta-learner, trained on out-of-fold probabilities so that it learns how members behave on
/// data they did not see.
#[derive(Clone)]
pub struct StackingClassifier {
    members: Vec<Member>,
    meta: Arc<dyn Classifier>,
    passthrough: bool,
    n_classes: usize,
    n_features: usize,
}

impl std::fmt::Debug for StackingClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StackingClassifier")
            .field("members", &self.members)
            .field("passthrough", &self.passthrough)
            .finish()
    }
}

impl StackingClassifier {
    /// Stratified k-fold stacking: for each fold, every candidate is fitted on the other folds
    /// and predicts this one; `meta` is fitted on those out-of-fold probabilities; finally
    /// every candidate is refitted on all of `data`.
    pub fn fit(
        candidates: &[ClassifierCandidate],
        meta: &dyn ClassifierEstimator<Dataset>,
        config: &StackingConfig,
        data: &Dataset,
    ) -> Result<Self> {
        let oof = OutOfFold::compute(candidates, config, data)?;
        let members = candidates
            .iter()
            .map(|c| Ok(Member::new(&c.name, c.estimator.fit_classifier(data)?)))
            .collect::<Result<Vec<_>>>()?;
        Self::from_out_of_fold(members, &oof, meta, config.passthrough, data)
    }

    /// Stacking from out-of-fold probabilities already computed (by [`OutOfFold::compute`]
    /// on `data`) and members already refitted on all of `data`: fits only the meta-learner.
    pub fn from_out_of_fold(
        members: Vec<Member>,
        oof: &OutOfFold,
        meta: &dyn ClassifierEstimator<Dataset>,
        passthrough: bool,
        data: &Dataset,
    ) -> Result<Self> {
        check_members(&members)?;
        if oof.probas.len() != members.len() || oof.probas.iter().any(|p| p.rows() != data.len()) {
            return Err(ConsortError::ShapeMismatch(format!(
                "out-of-fold probabilities of {} members for {} members and {} rows",
                oof.probas.len(),
                members.len(),
                data.len()
            )));
        }
        let meta_data =
            data.with_features(meta_input(oof.stacked()?, data.features(), passthrough)?)?;
        let meta = meta.fit_classifier(&meta_data)?;
        Self::assemble(members, meta, passthrough)
    }

    /// Stacking over members that are already fitted ("prefit"): the meta-learner is fitted
    /// on their probabilities for `holdout`, data the members did not see.
    pub fn fit_prefit(
        members: Vec<Member>,
        meta: &dyn ClassifierEstimator<Dataset>,
        passthrough: bool,
        holdout: &Dataset,
    ) -> Result<Self> {
        let (_, n_features) = check_members(&members)?;
        holdout.ensure_trainable()?;
        check_input(holdout.features(), n_features)?;
        let outputs = Matrix::hstack(
            &member_probas(&members, holdout.features())?
                .iter()
                .collect::<Vec<_>>(),
        )?;
        let meta_data =
            holdout.with_features(meta_input(outputs, holdout.features(), passthrough)?)?;
        let meta = meta.fit_classifier(&meta_data)?;
        Self::assemble(members, meta, passthrough)
    }

    /// Stacking from fitted parts: members and a meta-learner fitted on their probabilities
    /// (then the features, with `passthrough`), as saved and loaded back.
    pub fn from_parts(
        members: Vec<Member>,
        meta: Arc<dyn Classifier>,
        passthrough: bool,
    ) -> Result<Self> {
        Self::assemble(members, meta, passthrough)
    }

    fn assemble(
        members: Vec<Member>,
        meta: Arc<dyn Classifier>,
        passthrough: bool,
    ) -> Result<Self> {
        let (n_classes, n_features) = check_members(&members)?;
        if meta.n_classes() != n_classes {
            return Err(ConsortError::ShapeMismatch(format!(
                "the meta-learner has {} classes, the members {n_classes}",
                meta.n_classes()
            )));
        }
        Ok(Self {
            members,
            meta,
            passthrough,
            n_classes,
            n_features,
        })
    }

    /// The fitted members.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// Whether the meta-learner also sees the features.
    pub fn passthrough(&self) -> bool {
        self.passthrough
    }

    /// The fitted meta-learner.
    pub fn meta(&self) -> &Arc<dyn Classifier> {
        &self.meta
    }

    /// What the meta-learner sees for `x`.
    pub fn meta_features(&self, x: &Matrix) -> Result<Matrix> {
        check_input(x, self.n_features)?;
        self.meta_features_from(&member_probas(&self.members, x)?, x)
    }

    fn meta_features_from(&self, probas: &[Matrix], x: &Matrix) -> Result<Matrix> {
        meta_input(
            Matrix::hstack(&probas.iter().collect::<Vec<_>>())?,
            x,
            self.passthrough,
        )
    }
}

impl Classifier for StackingClassifier {
    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        self.meta.predict_proba(&self.meta_features(x)?)
    }

    fn predict_with_proba(&self, x: &Matrix) -> Result<(Matrix, Vec<usize>)> {
        self.meta.predict_with_proba(&self.meta_features(x)?)
    }

    /// The members' and the meta-learner's, where all can state theirs.
    fn macs_per_sample(&self) -> Option<u64> {
        self.members
            .iter()
            .map(|m| m.model.macs_per_sample())
            .chain([self.meta.macs_per_sample()])
            .sum()
    }
}

impl Combiner for StackingClassifier {
    fn combined_members(&self) -> &[Member] {
        &self.members
    }

    fn combine(&self, member_probas: &[Matrix], x: &Matrix) -> Result<(Matrix, Vec<usize>)> {
        check_input(x, self.n_features)?;
        check_member_probas(&self.members, member_probas, x, self.n_classes)?;
        self.meta
            .predict_with_proba(&self.meta_features_from(member_probas, x)?)
    }
}
