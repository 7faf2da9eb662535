//! Which member or combiner to trust: every candidate scored on the training rows out of
//! fold. Members are scored on their out-of-fold probabilities; combiners that learn from
//! those probabilities (weights, stacking, cascade thresholds) are scored by nesting: for each
//! fold, the combiner is built from the other folds' rows only and predicts this fold's.

use consort_core::{Matrix, Result};
use consort_data::Dataset;
use consort_ensemble::{Member, OutOfFold};
use consort_eval::{ClassificationMetrics, MarkdownTable, ModelFamily, Section};
use serde::{Deserialize, Serialize};

use crate::combine::{self, Stage, accuracy};
use crate::config::{CombinerSpec, Role};

/// A member or combiner with its cross-validated scores on the training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Its name in the report.
    pub name: String,
    /// Large, small or ensemble.
    pub family: ModelFamily,
    /// Out-of-fold accuracy.
    pub accuracy: f64,
    /// Out-of-fold log-loss.
    pub log_loss: f64,
    /// Scored by nested folds (a combiner that learns from out-of-fold predictions).
    pub nested: bool,
}

/// The candidates and the one their out-of-fold scores recommend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// Members first, then combiners, in report order.
    pub candidates: Vec<Candidate>,
    /// Index of the recommended candidate: the highest out-of-fold accuracy, then the lowest
    /// log-loss, then the first listed.
    pub recommended: usize,
    /// Folds used.
    pub folds: usize,
}

/// A member as the selection sees it.
pub(crate) struct ScoredMember<'a> {
    pub member: &'a Member,
    pub family: ModelFamily,
    pub role: Role,
}

/// A combiner as the selection sees it: its spec, name and members (indices into the
/// experiment's members).
pub(crate) struct ScoredCombiner<'a> {
    pub spec: &'a CombinerSpec,
    pub name: String,
    pub members: Vec<usize>,
}

impl Selection {
    /// Scores every member and combiner out of fold on `train`.
    pub(crate) fn compute(
        members: &[ScoredMember<'_>],
        combiners: &[ScoredCombiner<'_>],
        oof: &OutOfFold,
        train: &Dataset,
    ) -> Result<Self> {
        let labels = train.labels();
        let score = |proba: &Matrix| -> Result<(f64, f64)> {
            let metrics = ClassificationMetrics::compute(labels, proba, None)?;
            Ok((accuracy(proba, labels), metrics.log_loss))
        };
        let mut candidates = Vec::new();
        for (m, member) in members.iter().enumerate() {
            let (accuracy, log_loss) = score(&oof.probas[m])?;
            candidates.push(Candidate {
                name: member.member.name.clone(),
                family: member.family,
                accuracy,
                log_loss,
                nested: false,
            });
        }
        for c in combiners {
            let Some(proba) = combiner_out_of_fold(c, members, oof, train)? else {
                continue;
            };
            let (accuracy, log_loss) = score(&proba)?;
            candidates.push(Candidate {
                name: c.name.clone(),
                family: ModelFamily::Ensemble,
                accuracy,
                log_loss,
                nested: c.spec.kind.learns_out_of_fold(),
            });
        }
        let recommended = (0..candidates.len())
            .fold(None, |best: Option<usize>, i| match best {
                Some(b)
                    if candidates[b].accuracy > candidates[i].accuracy
                        || (candidates[b].accuracy == candidates[i].accuracy
                            && candidates[b].log_loss <= candidates[i].log_loss) =>
                {
                    Some(b)
                }
                _ => Some(i),
            })
            .unwrap_or(0);
        Ok(Self {
            candidates,
            recommended,
            folds: oof.folds.len(),
        })
    }

    /// The recommended candidate.
    pub fn recommended(&self) -> &Candidate {
        &self.candidates[self.recommended]
    }

    /// The report section: every candidate's out-of-fold scores, the recommended one marked.
    pub fn section(&self) -> Section {
        let mut body = format!(
            "Every candidate scored on the training rows by {}-fold cross-validation: members on \
             their out-of-fold predictions; combiners that learn from those (weights, \
             stacking, cascade thresholds) by nested folds, each fold's combiner built from the \
             other folds only. The test set plays no part in the choice.\n\n",
            self.folds
        );
        let mut table = MarkdownTable::new(&[
            "candidate",
            "family",
            ">out-of-fold accuracy",
            ">out-of-fold log-loss",
            "",
        ]);
        for (i, c) in self.candidates.iter().enumerate() {
            table.row([
                c.name.clone(),
                c.family.to_string(),
                format!("{:.4}", c.accuracy),
                format!("{:.4}", c.log_loss),
                if i == self.recommended {
                    "**recommended**".into()
                } else {
                    String::new()
                },
            ]);
        }
        body.push_str(&table.to_markdown());
        let r = self.recommended();
        body.push_str(&format!(
            "\nRecommended: **{}** (out-of-fold accuracy {:.4}); `consort run --select` saves it \
             for `consort predict`.\n",
            r.name, r.accuracy
        ));
        Section {
            heading: "Selection by cross-validation".into(),
            body,
        }
    }
}

/// A combiner's out-of-fold probabilities on every training row (`None`: it does not apply).
fn combiner_out_of_fold(
    c: &ScoredCombiner<'_>,
    members: &[ScoredMember<'_>],
    oof: &OutOfFold,
    train: &Dataset,
) -> Result<Option<Matrix>> {
    let stages = |rows: Option<&[usize]>| -> Vec<(Matrix, usize)> {
        c.members
            .iter()
            .map(|&m| {
                let p = match rows {
                    Some(r) => oof.probas[m].select_rows(r),
                    None => oof.probas[m].clone(),
                };
                (p, m)
            })
            .collect()
    };
    fn as_stages<'a>(held: &'a [(Matrix, usize)], members: &[ScoredMember<'a>]) -> Vec<Stage<'a>> {
        held.iter()
            .map(|(p, m)| Stage {
                member: members[*m].member,
                role: members[*m].role,
                held_out: p,
            })
            .collect()
    }
    if !c.spec.kind.learns_out_of_fold() {
        let held = stages(None);
        let Ok((built, used)) = combine::build(c.spec, &as_stages(&held, members), train)? else {
            return Ok(None);
        };
        let probas: Vec<Matrix> = used.iter().map(|&i| held[i].0.clone()).collect();
        return Ok(Some(built.get().combine(&probas, train.features())?.0));
    }
    let mut out = Matrix::zeros(train.len(), train.n_classes());
    for fold in &oof.folds {
        let held = stages(Some(&fold.train));
        let rest = train.subset(&fold.train);
        let Ok((built, used)) = combine::build(c.spec, &as_stages(&held, members), &rest)? else {
            return Ok(None);
        };
        let probas: Vec<Matrix> = used
            .iter()
            .map(|&i| oof.probas[c.members[i]].select_rows(&fold.test))
            .collect();
        let x = train.features().select_rows(&fold.test);
        let (proba, _) = built.get().combine(&probas, &x)?;
        for (row, &i) in proba.iter_rows().zip(&fold.test) {
            out.row_mut(i).copy_from_slice(row);
        }
    }
    Ok(Some(out))
}
