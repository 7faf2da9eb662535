//! Hard and soft voting.

use consort_core::matrix::argmax;
use consort_core::{Classifier, Matrix, Result};

use crate::average::weighted_sum;
use crate::member::{Combiner, Member, check_member_probas, check_members, member_probas};

/// How members' opinions are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Voting {
    /// Each member votes for its most probable class; the majority wins. Ties go to the tied
    /// class with the highest mean probability, then to the lowest class index.
    Hard,
    /// The class with the highest mean probability wins.
    Soft,
}

/// A voting ensemble.
#[derive(Debug, Clone)]
pub struct VotingEnsemble {
    members: Vec<Member>,
    voting: Voting,
    n_classes: usize,
    n_features: usize,
}

impl VotingEnsemble {
    /// Builds a voting ensemble; members must agree on classes and features.
    pub fn new(members: Vec<Member>, voting: Voting) -> Result<Self> {
        let (n_classes, n_features) = check_members(&members)?;
        Ok(Self {
            members,
            voting,
            n_classes,
            n_features,
        })
    }

    /// The voting rule.
    pub fn voting(&self) -> Voting {
        self.voting
    }

    /// The members.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    fn mean_proba(&self, probas: &[Matrix]) -> Matrix {
        let w = vec![1.0 / probas.len() as f64; probas.len()];
        weighted_sum(probas, &w)
    }

    /// Vote shares per class (hard voting's probability estimate).
    fn vote_shares(&self, probas: &[Matrix]) -> Matrix {
        let (rows, k) = probas[0].shape();
        let mut votes = Matrix::zeros(rows, k);
        let share = 1.0 / probas.len() as f32;
        for p in probas {
            for (i, row) in p.iter_rows().enumerate() {
                votes.row_mut(i)[argmax(row)] += share;
            }
        }
        votes
    }
}

impl Classifier for VotingEnsemble {
    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    /// Soft: the mean probability. Hard: each class's share of the votes.
    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        self.predict_with_proba(x).map(|(proba, _)| proba)
    }

    fn predict(&self, x: &Matrix) -> Result<Vec<usize>> {
        self.predict_with_proba(x).map(|(_, predicted)| predicted)
    }

    fn predict_with_proba(&self, x: &Matrix) -> Result<(Matrix, Vec<usize>)> {
        self.combine(&member_probas(&self.members, x)?, x)
    }
}

impl Combiner for VotingEnsemble {
    fn combined_members(&self) -> &[Member] {
        &self.members
    }

    fn combine(&self, probas: &[Matrix], x: &Matrix) -> Result<(Matrix, Vec<usize>)> {
        check_member_probas(&self.members, probas, x, self.n_classes)?;
        let mean = self.mean_proba(probas);
        if self.voting == Voting::Soft {
            let predicted = mean.argmax_rows();
            return Ok((mean, predicted));
        }
        let votes = self.vote_shares(probas);
        let predicted = votes
            .iter_rows()
            .zip(mean.iter_rows())
            .map(|(v, m)| {
                let top = v.iter().copied().fold(f32::MIN, f32::max);
                // Among the classes with the most votes, the highest mean probability wins;
                // `argmax` resolves exact ties to the lowest index.
                let tied: Vec<f32> = v
                    .iter()
                    .zip(m)
                    .map(|(&votes, &p)| if votes == top { p } else { f32::NEG_INFINITY })
                    .collect();
                argmax(&tied)
            })
            .collect();
        Ok((votes, predicted))
    }
}
