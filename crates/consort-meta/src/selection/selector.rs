//! The meta-learner: rank the portfolio for a dataset from the knowledge base's most similar
//! datasets, try the top few on it, keep the best, and the leave-one-dataset-out evaluation.
//!
//! Similarity: Euclidean distance between meta-feature vectors, each meta-feature
//! standardised over the knowledge base. A candidate's predicted regret is the
//! distance-weighted mean, over the `neighbours` nearest datasets, of how far it fell below
//! the best candidate there (auto-sklearn ranks by its nearest datasets' results the same
//! way); the ranking is by that regret.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use consort_core::{ConsortError, Result};
use consort_data::Dataset;
use serde::{Deserialize, Serialize};

use super::features::MetaFeatures;
use super::knowledge::{KnowledgeBase, KnowledgeEntry};
use super::portfolio::{Portfolio, candidate_names};

/// Candidates with their predicted regret, best first, and the neighbouring datasets used.
pub type Ranking = (Vec<(String, f64)>, Vec<String>);

/// The selector's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetaSelector {
    /// Nearest datasets consulted.
    pub neighbours: usize,
    /// Candidates cross-validated on the new dataset (try-and-switch).
    pub top: usize,
}

impl Default for MetaSelector {
    fn default() -> Self {
        Self {
            neighbours: 3,
            top: 3,
        }
    }
}

/// What a selection did on a new dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetaSelection {
    /// Its meta-features.
    pub meta: MetaFeatures,
    /// Every candidate with its predicted regret (accuracy points below the best), best
    /// first.
    pub ranking: Vec<(String, f64)>,
    /// The datasets of the knowledge base it was ranked from, nearest first.
    pub neighbours: Vec<String>,
    /// The candidates tried, in ranking order, with their cross-validated accuracy.
    pub tried: Vec<(String, f64)>,
    /// The one kept: the best tried.
    pub chosen: String,
    /// Whether a runner-up replaced the first pick.
    pub switched: bool,
}

impl MetaSelection {
    /// The selection as a Markdown table and a line on the choice.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from(
            "| rank | candidate | predicted regret (points) | CV accuracy |\n|---:|---|---:|---:|\n",
        );
        for (i, (name, regret)) in self.ranking.iter().enumerate() {
            let tried = self
                .tried
                .iter()
                .find(|t| &t.0 == name)
                .map_or("-".to_string(), |t| format!("{:.4}", t.1));
            let _ = writeln!(out, "| {} | {name} | {regret:.2} | {tried} |", i + 1);
        }
        let _ = writeln!(
            out,
            "\nnearest datasets: {}; chosen: {}{}",
            self.neighbours.join(", "),
            self.chosen,
            if self.switched {
                format!(" (switched from {})", self.ranking[0].0)
            } else {
                " (the first pick held)".into()
            }
        );
        out
    }
}

/// Leave-one-dataset-out results for one dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LodoRow {
    /// The dataset held out.
    pub dataset: String,
    /// Its best candidate and score.
    pub best: (String, f64),
    /// The meta-learner's first pick and its regret (accuracy points).
    pub first_pick: (String, f64),
    /// The single candidate best on average over the other datasets, and its regret.
    pub best_on_average: (String, f64),
    /// The best of the top candidates by cross-validation (try-and-switch) and its regret.
    pub try_and_switch: (String, f64),
    /// The mean regret of the candidates run on it: what a pick at random costs.
    pub random_pick: f64,
}

/// The leave-one-dataset-out evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LodoReport {
    /// One row per dataset.
    pub rows: Vec<LodoRow>,
}

impl LodoReport {
    fn mean(&self, f: impl Fn(&LodoRow) -> f64) -> f64 {
        self.rows.iter().map(f).sum::<f64>() / self.rows.len().max(1) as f64
    }

    /// Mean regret of the first pick (points).
    pub fn first_pick_regret(&self) -> f64 {
        self.mean(|r| r.first_pick.1)
    }

    /// Mean regret of always taking the candidate best on average (points).
    pub fn best_on_average_regret(&self) -> f64 {
        self.mean(|r| r.best_on_average.1)
    }

    /// Mean regret of try-and-switch among the top candidates (points).
    pub fn try_and_switch_regret(&self) -> f64 {
        self.mean(|r| r.try_and_switch.1)
    }

    /// Mean regret of a candidate picked at random (points).
    pub fn random_pick_regret(&self) -> f64 {
        self.mean(|r| r.random_pick)
    }

    /// The table a person reads.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from(
            "| held-out dataset | best (CV accuracy) | meta first pick (regret) | best on average (regret) | try-and-switch top 3 (regret) | random pick (regret) |\n|---|---|---|---|---|---:|\n",
        );
        for r in &self.rows {
            let _ = writeln!(
                out,
                "| {} | {} {:.4} | {} {:.2} | {} {:.2} | {} {:.2} | {:.2} |",
                r.dataset,
                r.best.0,
                r.best.1,
                r.first_pick.0,
                r.first_pick.1,
                r.best_on_average.0,
                r.best_on_average.1,
                r.try_and_switch.0,
                r.try_and_switch.1,
                r.random_pick
            );
        }
        let _ = writeln!(
            out,
            "| **mean regret (points)** | | **{:.2}** | **{:.2}** | **{:.2}** | **{:.2}** |",
            self.first_pick_regret(),
            self.best_on_average_regret(),
            self.try_and_switch_regret(),
            self.random_pick_regret()
        );
        out
    }
}

/// Whether `entry` stays in when `exclude` (with its copies) is left out.
fn left_in(entry: &KnowledgeEntry, exclude: Option<&KnowledgeEntry>) -> bool {
    exclude.is_none_or(|x| !x.same_dataset(entry))
}

impl MetaSelector {
    fn check(&self) -> Result<()> {
        if self.neighbours == 0 || self.top == 0 {
            return Err(ConsortError::config(
                "the selector needs neighbours >= 1 and top >= 1",
            ));
        }
        Ok(())
    }

    /// Ranks the portfolio for a dataset with meta-features `meta` from the entries of `kb`
    /// other than `exclude` and its copies ([`KnowledgeEntry::same_dataset`]); returns the
    /// ranking (predicted regret, best first) and the neighbours used.
    pub fn rank(
        &self,
        kb: &KnowledgeBase,
        meta: &MetaFeatures,
        exclude: Option<&KnowledgeEntry>,
    ) -> Result<Ranking> {
        self.check()?;
        let entries: Vec<&KnowledgeEntry> = kb
            .entries
            .iter()
            .filter(|e| left_in(e, exclude) && e.best().is_some())
            .collect();
        if entries.is_empty() {
            return Err(ConsortError::EmptyDataset(
                "the knowledge base has no other dataset to learn from".into(),
            ));
        }
        if entries[0].meta.names != meta.names {
            return Err(ConsortError::ShapeMismatch(format!(
                "meta-features {:?}, the knowledge base has {:?}",
                meta.names, entries[0].meta.names
            )));
        }
        let d = meta.values.len();
        let (mut mean, mut sd) = (vec![0.0; d], vec![0.0; d]);
        for j in 0..d {
            let column: Vec<f64> = entries.iter().map(|e| e.meta.values[j]).collect();
            mean[j] = column.iter().sum::<f64>() / column.len() as f64;
            let var =
                column.iter().map(|v| (v - mean[j]).powi(2)).sum::<f64>() / column.len() as f64;
            sd[j] = var.sqrt().max(1e-9);
        }
        let z = |values: &[f64]| -> Vec<f64> {
            (0..d).map(|j| (values[j] - mean[j]) / sd[j]).collect()
        };
        let target = z(&meta.values);
        let mut by_distance: Vec<(f64, &KnowledgeEntry)> = entries
            .iter()
            .map(|e| {
                let v = z(&e.meta.values);
                let dist = v
                    .iter()
                    .zip(&target)
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f64>()
                    .sqrt();
                (dist, *e)
            })
            .collect();
        by_distance.sort_by(|a, b| a.0.total_cmp(&b.0));
        let near = &by_distance[..self.neighbours.min(by_distance.len())];
        let mut ranking: Vec<(String, f64)> = candidate_names()
            .into_iter()
            .map(|c| {
                let (mut sum, mut weight) = (0.0, 0.0);
                for (dist, e) in near {
                    if let Some(r) = e.regret(c) {
                        let w = 1.0 / (dist + 1e-6);
                        sum += w * r;
                        weight += w;
                    }
                }
                let predicted = if weight > 0.0 {
                    sum / weight
                } else {
                    // No neighbour ran it: its mean regret over every dataset, or last.
                    let all: Vec<f64> = entries.iter().filter_map(|e| e.regret(c)).collect();
                    if all.is_empty() {
                        f64::INFINITY
                    } else {
                        all.iter().sum::<f64>() / all.len() as f64
                    }
                };
                (c.to_string(), predicted)
            })
            .collect();
        // Stable: ties keep the portfolio's order.
        ranking.sort_by(|a, b| a.1.total_cmp(&b.1));
        Ok((
            ranking,
            near.iter().map(|(_, e)| e.dataset.clone()).collect(),
        ))
    }

    /// The candidate with the highest mean accuracy over the entries other than `exclude`
    /// and its copies.
    pub fn best_on_average(kb: &KnowledgeBase, exclude: Option<&KnowledgeEntry>) -> Option<String> {
        let mut totals: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
        for e in kb.entries.iter().filter(|e| left_in(e, exclude)) {
            for (c, s) in &e.scores {
                let t = totals.entry(c.as_str()).or_default();
                t.0 += s;
                t.1 += 1;
            }
        }
        candidate_names()
            .into_iter()
            .filter_map(|c| totals.get(c).map(|t| (c, t.0 / t.1 as f64)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(c, _)| c.to_string())
    }

    /// Selects for `data`: ranks, cross-validates the top candidates with `portfolio`, keeps
    /// the best; the caller records it with [`KnowledgeBase::record`] ([`MetaSelection::entry`]).
    pub fn select(
        &self,
        kb: &KnowledgeBase,
        data: &Dataset,
        portfolio: &Portfolio,
    ) -> Result<MetaSelection> {
        let meta = MetaFeatures::of(data, portfolio.seed)?;
        let (ranking, neighbours) = self.rank(kb, &meta, None)?;
        let mut tried = Vec::new();
        for (name, _) in ranking.iter().take(self.top) {
            tried.push((name.clone(), portfolio.score(name, data)?));
        }
        let chosen = tried
            .iter()
            .fold(None::<&(String, f64)>, |best, t| match best {
                Some(b) if b.1 >= t.1 => Some(b),
                _ => Some(t),
            })
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let switched = chosen != ranking[0].0;
        Ok(MetaSelection {
            meta,
            ranking,
            neighbours,
            tried,
            chosen,
            switched,
        })
    }

    /// Leave one dataset out: for each entry of `kb`, rank from the others (less any copy of
    /// it under another name, see [`KnowledgeBase::copy_of`]) and score the
    /// first pick, the best-on-average candidate and try-and-switch among the top
    /// candidates, by their regret on the held-out entry's recorded scores.
    pub fn leave_one_dataset_out(&self, kb: &KnowledgeBase) -> Result<LodoReport> {
        let mut rows = Vec::new();
        for e in &kb.entries {
            let Some((best, best_score)) = e.best() else {
                continue;
            };
            // Out with it go its copies under other names (a grown knowledge base may hold
            // some), else it would be its own nearest neighbour.
            let (ranking, _) = self.rank(kb, &e.meta, Some(e))?;
            let regret_of = |c: &str| e.regret(c).unwrap_or(100.0);
            let first = ranking[0].0.clone();
            let average = Self::best_on_average(kb, Some(e)).unwrap_or_default();
            // The tried candidate with the best score, ties to the earlier in the ranking.
            let switched = ranking
                .iter()
                .take(self.top)
                .filter(|(c, _)| e.scores.contains_key(c))
                .fold(None::<(&str, f64)>, |acc, (c, _)| {
                    let s = e.scores[c];
                    match acc {
                        Some(a) if a.1 >= s => Some(a),
                        _ => Some((c.as_str(), s)),
                    }
                })
                .map_or(first.clone(), |(c, _)| c.to_string());
            rows.push(LodoRow {
                dataset: e.dataset.clone(),
                best: (best.to_string(), best_score),
                first_pick: (first.clone(), regret_of(&first)),
                best_on_average: (average.clone(), regret_of(&average)),
                try_and_switch: (switched.clone(), regret_of(&switched)),
                random_pick: e.scores.keys().map(|c| regret_of(c)).sum::<f64>()
                    / e.scores.len() as f64,
            });
        }
        Ok(LodoReport { rows })
    }
}

impl MetaSelection {
    /// The knowledge-base record of this selection on dataset `name`: its meta-features
    /// and the scores of the candidates tried.
    pub fn entry(&self, name: &str) -> KnowledgeEntry {
        KnowledgeEntry {
            dataset: name.to_string(),
            meta: self.meta.clone(),
            scores: self.tried.iter().cloned().collect(),
        }
    }
}
