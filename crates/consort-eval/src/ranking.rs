//! Top-k ranking metrics for recommenders.

use consort_core::{ConsortError, Recommend, Result};
use serde::{Deserialize, Serialize};

/// Top-k quality of a recommender, averaged over the users that have relevant items.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RankingMetrics {
    /// The cut-off.
    pub k: usize,
    /// Users scored (those with at least one relevant item).
    pub users: usize,
    /// Share of users with at least one relevant item in their top k.
    pub hit_rate: f64,
    /// Mean share of the top k that is relevant.
    pub precision: f64,
    /// Mean share of a user's relevant items found in the top k.
    pub recall: f64,
    /// Mean normalised discounted cumulative gain (binary relevance).
    pub ndcg: f64,
}

impl RankingMetrics {
    /// Ranks, for every user, the items not in `seen[user]` (the training interactions) and
    /// compares the top `k` with `relevant[user]` (the held-out ones). Users with no relevant
    /// items are skipped.
    pub fn compute(
        recommender: &dyn Recommend,
        seen: &[Vec<usize>],
        relevant: &[Vec<usize>],
        k: usize,
    ) -> Result<Self> {
        if k == 0 {
            return Err(ConsortError::config("k must be at least 1"));
        }
        if relevant.len() > recommender.n_users() || seen.len() > recommender.n_users() {
            return Err(ConsortError::ShapeMismatch(format!(
                "interaction lists cover {} users, the recommender knows {}",
                relevant.len().max(seen.len()),
                recommender.n_users()
            )));
        }
        let (mut users, mut hits, mut precision, mut recall, mut ndcg) = (0usize, 0, 0.0, 0.0, 0.0);
        for (user, rel) in relevant.iter().enumerate() {
            if rel.is_empty() {
                continue;
            }
            let exclude = seen.get(user).map_or(&[][..], Vec::as_slice);
            let top = recommender.recommend(user, k, exclude)?;
            let found: Vec<bool> = top.iter().map(|i| rel.contains(i)).collect();
            let n_found = found.iter().filter(|&&f| f).count();
            users += 1;
            hits += usize::from(n_found > 0);
            precision += n_found as f64 / k as f64;
            recall += n_found as f64 / rel.len() as f64;
            let dcg: f64 = found
                .iter()
                .enumerate()
                .filter(|(_, f)| **f)
                .map(|(rank, _)| 1.0 / (rank as f64 + 2.0).log2())
                .sum();
            let ideal: f64 = (0..rel.len().min(k))
                .map(|rank| 1.0 / (rank as f64 + 2.0).log2())
                .sum();
            ndcg += dcg / ideal;
        }
        if users == 0 {
            return Err(ConsortError::EmptyDataset(
                "no user has a relevant item to rank".into(),
            ));
        }
        let n = users as f64;
        Ok(Self {
            k,
            users,
            hit_rate: hits as f64 / n,
            precision: precision / n,
            recall: recall / n,
            ndcg: ndcg / n,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scores item i as -i: always recommends the lowest indices.
    struct LowestFirst;

    impl Recommend for LowestFirst {
        fn n_users(&self) -> usize {
            2
        }
        fn n_items(&self) -> usize {
            5
        }
        fn score_items(&self, _user: usize) -> Result<Vec<f32>> {
            Ok((0..5).map(|i| -(i as f32)).collect())
        }
    }

    #[test]
    fn metrics_match_hand_computed_values() {
        // User 0 saw item 0, so the top 2 is [1, 2]; relevant {2, 4}: one hit at rank 2.
        // User 1 saw nothing, top 2 is [0, 1]; relevant {3}: no hit.
        let seen = vec![vec![0], vec![]];
        let relevant = vec![vec![2, 4], vec![3]];
        let m = RankingMetrics::compute(&LowestFirst, &seen, &relevant, 2).unwrap();
        assert_eq!(m.users, 2);
        assert_eq!(m.hit_rate, 0.5);
        assert_eq!(m.precision, 0.25);
        assert_eq!(m.recall, 0.25);
        let ideal0 = 1.0 + 1.0 / 3f64.log2();
        assert!((m.ndcg - (1.0 / 3f64.log2() / ideal0) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        assert!(RankingMetrics::compute(&LowestFirst, &[], &[vec![1]], 0).is_err());
        assert!(RankingMetrics::compute(&LowestFirst, &[], &[vec![], vec![]], 3).is_err());
        assert!(RankingMetrics::compute(&LowestFirst, &[], &vec![vec![1]; 3], 3).is_err());
    }
}
