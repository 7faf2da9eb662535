//! Ensemble members and the checks every combiner shares.

use std::sync::Arc;

use consort_core::{Classifier, ConsortError, Matrix, Result};

/// A named fitted model taking part in an ensemble: a classifier by default, a
/// [`RegressorMember`](crate::RegressorMember) for regression ensembles.
///
/// Members are shared (`Arc`), so one fitted model can sit in several ensembles and still be
/// evaluated on its own.
pub struct Member<M: ?Sized = dyn Classifier> {
    /// Display name.
    pub name: String,
    /// The fitted model.
    pub model: Arc<M>,
}

impl<M: ?Sized> Clone for Member<M> {
    fn clone(&self) -> Self {
        Self {
            name: self.name.clone(),
            model: self.model.clone(),
        }
    }
}

impl<M: ?Sized> std::fmt::Debug for Member<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Member").field("name", &self.name).finish()
    }
}

impl Member {
    /// Names a fitted classifier.
    pub fn new(name: impl Into<String>, model: Arc<dyn Classifier>) -> Self {
        Self {
            name: name.into(),
            model,
        }
    }
}

impl Member<dyn consort_core::Regressor> {
    /// Names a fitted regressor.
    pub fn regressor(name: impl Into<String>, model: Arc<dyn consort_core::Regressor>) -> Self {
        Self {
            name: name.into(),
            model,
        }
    }
}

/// Checks that there is at least one member and that all agree on classes and features.
/// Returns `(n_classes, n_features)`.
pub(crate) fn check_members(members: &[Member]) -> Result<(usize, usize)> {
    let first = members
        .first()
        .ok_or_else(|| ConsortError::config("an ensemble needs at least one member, got none"))?;
    let (k, d) = (first.model.n_classes(), first.model.n_features());
    for m in &members[1..] {
        if m.model.n_classes() != k {
            return Err(ConsortError::ShapeMismatch(format!(
                "member {:?} has {} classes, member {:?} has {k}",
                m.name,
                m.model.n_classes(),
                first.name
            )));
        }
        if m.model.n_features() != d {
            return Err(ConsortError::ShapeMismatch(format!(
                "member {:?} takes {} features, member {:?} takes {d}",
                m.name,
                m.model.n_features(),
                first.name
            )));
        }
    }
    Ok((k, d))
}

/// A combiner whose output is a function of its members' class probabilities (and, for
/// stacking with passthrough, of the features): given those probabilities, already computed
/// for the same rows, it combines them without asking any member to predict again. An
/// experiment that evaluates several combiners over the same members predicts with each
/// member once and shares the result.
///
/// For every combiner, `combine(&probas_of_members_on(x), x)` equals
/// `predict_with_proba(x)`: the `Classifier` impls are written through it.
pub trait Combiner: Classifier {
    /// The members, in the order `combine` expects their probabilities.
    fn combined_members(&self) -> &[Member];

    /// Probabilities and predicted classes from the members' probabilities for the rows of
    /// `x` (one `rows x n_classes` matrix per member, in member order).
    fn combine(&self, member_probas: &[Matrix], x: &Matrix) -> Result<(Matrix, Vec<usize>)>;
}

/// Checks member probabilities handed to [`Combiner::combine`]: one per member, each
/// `x.rows() x n_classes`.
pub(crate) fn check_member_probas(
    members: &[Member],
    probas: &[Matrix],
    x: &Matrix,
    n_classes: usize,
) -> Result<()> {
    if probas.len() != members.len() {
        return Err(ConsortError::ShapeMismatch(format!(
            "{} probability matrices for {} members",
            probas.len(),
            members.len()
        )));
    }
    for (m, p) in members.iter().zip(probas) {
        if p.rows() != x.rows() || p.cols() != n_classes {
            return Err(ConsortError::ShapeMismatch(format!(
                "member {:?}: a {}x{} probability matrix for {} rows and {n_classes} classes",
                m.name,
                p.rows(),
                p.cols(),
                x.rows()
            )));
        }
    }
    Ok(())
}

/// Every member's class probabilities for `x`, checked for shape.
pub(crate) fn member_probas(members: &[Member], x: &Matrix) -> Result<Vec<Matrix>> {
    members
        .iter()
        .map(|m| {
            let p = m.model.predict_proba(x)?;
            if p.rows() != x.rows() || p.cols() != m.model.n_classes() {
                return Err(ConsortError::ShapeMismatch(format!(
                    "member {:?} returned a {}x{} probability matrix for {} rows",
                    m.name,
                    p.rows(),
                    p.cols(),
                    x.rows()
                )));
            }
            Ok(p)
        })
        .collect()
}

/// Checks held-out probabilities computed elsewhere (one `rows x n_classes` matrix per member,
/// one label per row) against the members. Returns `(n_classes, n_features)`.
pub(crate) fn check_held_out(
    members: &[Member],
    probas: &[Matrix],
    labels: &[usize],
) -> Result<(usize, usize)> {
    let (n_classes, n_features) = check_members(members)?;
    consort_core::check_labels(labels, n_classes)?;
    if labels.is_empty() {
        return Err(ConsortError::EmptyDataset(
            "no held-out samples to learn from".into(),
        ));
    }
    if probas.len() != members.len()
        || probas
            .iter()
            .any(|p| p.rows() != labels.len() || p.cols() != n_classes)
    {
        return Err(ConsortError::ShapeMismatch(format!(
            "{} probability matrices for {} members, {} labels and {n_classes} classes",
            probas.len(),
            members.len(),
            labels.len()
        )));
    }
    Ok((n_classes, n_features))
}
