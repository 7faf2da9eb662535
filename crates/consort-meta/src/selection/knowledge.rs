//! The knowledge base: for each dataset seen, its meta-features and how each candidate
//! scored on it (cross-validated accuracy). Built once over a corpus, shipped with the crate
//! (`data/knowledge_base.json`), and grown by every selection that records its outcome.

use std::collections::BTreeMap;
use std::path::Path;

use consort_core::io::{FileLock, MAX_JSON_BYTES, lock_path, read_to_string_bounded, write_atomic};
use consort_core::{ConsortError, Event, ObserverHandle, Result};
use consort_data::Dataset;
use serde::{Deserialize, Serialize};

use super::features::MetaFeatures;
use super::portfolio::{Portfolio, candidate_names};

/// One dataset's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnowledgeEntry {
    /// The dataset's name.
    pub dataset: String,
    /// Its meta-features.
    pub meta: MetaFeatures,
    /// Candidates' cross-validated accuracy on it (those that were run).
    pub scores: BTreeMap<String, f64>,
}

impl KnowledgeEntry {
    /// The best score recorded and its candidate.
    pub fn best(&self) -> Option<(&str, f64)> {
        self.scores
            .iter()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(n, &s)| (n.as_str(), s))
    }

    /// Whether `other` records the same dataset: the same name, or the same meta-features
    /// (a copy under another name, see [`KnowledgeBase::copy_of`]).
    pub fn same_dataset(&self, other: &KnowledgeEntry) -> bool {
        self.dataset == other.dataset || self.meta == other.meta
    }

    /// How many accuracy points `candidate` fell below the best candidate here (`None`
    /// when it was not run).
    pub fn regret(&self, candidate: &str) -> Option<f64> {
        let best = self.best()?.1;
        self.scores.get(candidate).map(|s| 100.0 * (best - s))
    }
}

/// How well a clairvoyant first pick can do against a fixed candidate when scores are
/// cross-validation draws: see [`KnowledgeBase::cross_draw_regret`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CrossDrawRegret {
    /// Datasets both knowledge bases hold.
    pub datasets: usize,
    /// Mean regret (accuracy points, on the second base's scores) of picking, per dataset,
    /// the candidate best in the first base.
    pub clairvoyant: f64,
    /// Mean regret (same scores) of always picking the fixed candidate.
    pub fixed: f64,
}

/// Records of datasets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KnowledgeBase {
    /// The records, one per dataset name.
    pub entries: Vec<KnowledgeEntry>,
}

const BUILTIN: &str = include_str!("../../data/knowledge_base.json");

impl KnowledgeBase {
    /// The ceiling a first pick meets when candidates' scores are noisy: `self` and `other`
    /// hold the same datasets' scores from two cross-validation draws (other fold and model
    /// seeds). Per dataset, pick the candidate best in `self` (knowledge no meta-learner
    /// has: the dataset's own results) and score it on `other`, against always picking
    /// `fixed`. When even this pick does no better than `fixed`, the candidates' differences
    /// there are within the draws' noise, and no first pick can beat `fixed` but by chance.
    pub fn cross_draw_regret(&self, other: &KnowledgeBase, fixed: &str) -> CrossDrawRegret {
        let (mut n, mut clairvoyant, mut always) = (0, 0.0, 0.0);
        for e in &self.entries {
            let (Some((pick, _)), Some(o)) = (e.best(), other.entry(&e.dataset)) else {
                continue;
            };
            if let (Some(p), Some(f)) = (o.regret(pick), o.regret(fixed)) {
                n += 1;
                clairvoyant += p;
                always += f;
            }
        }
        let mean = |total: f64| if n == 0 { f64::NAN } else { total / n as f64 };
        CrossDrawRegret {
            datasets: n,
            clairvoyant: mean(clairvoyant),
            fixed: mean(always),
        }
    }

    /// The mean of several draws of the same corpus (other cross-validation seeds): each
    /// dataset of the first draw that every draw holds, with the score of each candidate
    /// that every draw ran there averaged. Less noisy scores: the mean of 4 draws of 3 folds
    /// is a 12-fold estimate. Fails on no draws.
    pub fn mean_of(draws: &[&KnowledgeBase]) -> Result<Self> {
        let Some(first) = draws.first() else {
            return Err(ConsortError::EmptyDataset(
                "no knowledge base to average".into(),
            ));
        };
        let entries = first
            .entries
            .iter()
            .filter_map(|e| {
                let same: Vec<&KnowledgeEntry> = draws
                    .iter()
                    .map(|d| d.entry(&e.dataset))
                    .collect::<Option<_>>()?;
                let scores = e
                    .scores
                    .keys()
                    .filter_map(|c| {
                        let s: Vec<f64> = same
                            .iter()
                            .filter_map(|o| o.scores.get(c))
                            .copied()
                            .collect();
                        (s.len() == same.len())
                            .then(|| (c.clone(), s.iter().sum::<f64>() / s.len() as f64))
                    })
                    .collect();
                Some(KnowledgeEntry {
                    dataset: e.dataset.clone(),
                    meta: e.meta.clone(),
                    scores,
                })
            })
            .collect();
        Ok(Self { entries })
    }

    /// The entry, other than one named `name`, with exactly these meta-features: the same
    /// data under another name (meta-features include three landmarkers' cross-validated
    /// accuracy, so distinct datasets do not share them).
    pub fn copy_of(&self, name: &str, meta: &MetaFeatures) -> Option<&KnowledgeEntry> {
        self.entries
            .iter()
            .find(|e| e.dataset != name && &e.meta == meta)
    }

    /// The knowledge base shipped with the crate: the portfolio run on 36 real datasets
    /// (see docs/GUIDE.md's model-selection section for how it was built).
    pub fn builtin() -> Result<Self> {
        serde_json::from_str(BUILTIN)
            .map_err(|e| ConsortError::Serialization(format!("built-in knowledge base: {e}")))
    }

    /// Reads a knowledge base file (at most [`MAX_JSON_BYTES`]: a wrong path such as
    /// `/dev/zero` is refused after that much, not read to the end of memory).
    pub fn load(path: &Path) -> Result<Self> {
        let text = read_to_string_bounded(path, MAX_JSON_BYTES, "knowledge base")?;
        let kb: Self = serde_json::from_str(&text).map_err(|e| ConsortError::Parse {
            source_name: path.display().to_string(),
            line: e.line(),
            message: e.to_string(),
        })?;
        kb.check()?;
        Ok(kb)
    }

    /// The knowledge base at `path`, or the built-in one where no file is there yet.
    pub fn load_or_builtin(path: &Path) -> Result<Self> {
        match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::builtin(),
            _ => Self::load(path),
        }
    }

    /// Records `entry` in the knowledge base file at `path` (started from the built-in one
    /// where there is none) and returns the name it was recorded under ([`Self::record`]).
    ///
    /// Read, merge and write happen under an exclusive lock on `path.lock`
    /// ([`FileLock`]), reading the file afresh: two processes recording at once both
    /// keep their record, where two read-modify-write cycles without it lose one.
    pub fn record_in(path: &Path, entry: KnowledgeEntry) -> Result<String> {
        let _lock = FileLock::acquire(&lock_path(path), "knowledge base")?;
        let mut kb = Self::load_or_builtin(path)?;
        let name = kb.record(entry);
        kb.save(path)?;
        Ok(name)
    }

    /// Writes it (atomically).
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        write_atomic(path, text.as_bytes())
    }

    fn check(&self) -> Result<()> {
        let names = self.entries.first().map(|e| &e.meta.names);
        for e in &self.entries {
            if Some(&e.meta.names) != names || e.meta.names.len() != e.meta.values.len() {
                return Err(ConsortError::InvalidInput(format!(
                    "knowledge base entry {:?} has other meta-features than the first",
                    e.dataset
                )));
            }
            if e.meta
                .values
                .iter()
                .chain(e.scores.values())
                .any(|v| !v.is_finite())
            {
                return Err(ConsortError::NonFinite(format!(
                    "knowledge base entry {:?}",
                    e.dataset
                )));
            }
        }
        Ok(())
    }

    /// The entry of `dataset`.
    pub fn entry(&self, dataset: &str) -> Option<&KnowledgeEntry> {
        self.entries.iter().find(|e| e.dataset == dataset)
    }

    /// Adds an entry, or merges it into the dataset's old one: the entry of the same name,
    /// else a copy of it under another name ([`KnowledgeBase::copy_of`]: the same data
    /// seen again under a new file name is still one dataset). The scores merge: a
    /// candidate not run this time keeps its earlier score. Returns the name it is recorded
    /// under.
    pub fn record(&mut self, entry: KnowledgeEntry) -> String {
        let old = match self.entries.iter().position(|e| e.dataset == entry.dataset) {
            Some(i) => Some(i),
            None => self.entries.iter().position(|e| e.meta == entry.meta),
        };
        match old {
            Some(i) => {
                let old = &mut self.entries[i];
                old.meta = entry.meta;
                old.scores.extend(entry.scores);
                old.dataset.clone()
            }
            None => {
                let name = entry.dataset.clone();
                self.entries.push(entry);
                name
            }
        }
    }

    /// Runs every candidate of `portfolio` on every dataset (its meta-features too) and
    /// records the results; one [`Event::Progress`] per dataset.
    pub fn build(
        datasets: &[(String, Dataset)],
        portfolio: &Portfolio,
        observer: &ObserverHandle,
    ) -> Result<Self> {
        let mut kb = Self::default();
        for (i, (name, data)) in datasets.iter().enumerate() {
            let meta = MetaFeatures::of(data, portfolio.seed)?;
            // A copy would count one dataset twice and, left out one at a time, be its
            // own nearest neighbour.
            if let Some(copy) = kb.copy_of(name, &meta) {
                return Err(ConsortError::InvalidInput(format!(
                    "dataset {name:?} is a copy of {:?} (the same meta-features): a knowledge \
                     base holds each dataset once",
                    copy.dataset
                )));
            }
            let mut scores = BTreeMap::new();
            for candidate in candidate_names() {
                scores.insert(candidate.to_string(), portfolio.score(candidate, data)?);
            }
            kb.record(KnowledgeEntry {
                dataset: name.clone(),
                meta,
                scores,
            });
            observer.notify(&Event::Progress {
                label: "knowledge base",
                done: i + 1,
                total: datasets.len(),
            });
        }
        Ok(kb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(scores: &[(&str, &[(&str, f64)])]) -> KnowledgeBase {
        KnowledgeBase {
            entries: scores
                .iter()
                .map(|(name, s)| KnowledgeEntry {
                    dataset: name.to_string(),
                    meta: MetaFeatures {
                        names: vec![],
                        values: vec![],
                    },
                    scores: s.iter().map(|(c, v)| (c.to_string(), *v)).collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_clairvoyant_pick_is_scored_on_the_other_draw() {
        let first = base(&[
            ("a", &[("x", 0.90), ("y", 0.80)]),
            ("b", &[("x", 0.70), ("y", 0.75)]),
            ("only-here", &[("x", 0.5), ("y", 0.6)]),
        ]);
        let second = base(&[
            // The first draw's best (x) is 2 points below y here: noise turned it over.
            ("a", &[("x", 0.88), ("y", 0.90)]),
            ("b", &[("x", 0.70), ("y", 0.76)]),
        ]);
        let r = first.cross_draw_regret(&second, "y");
        assert_eq!(r.datasets, 2);
        // Picks: x on a (2 points), y on b (0); always y: 0 and 0.
        assert!((r.clairvoyant - 1.0).abs() < 1e-9, "{r:?}");
        assert!(r.fixed.abs() < 1e-9, "{r:?}");
        assert!(first.cross_draw_regret(&second, "z").datasets == 0);
    }

    #[test]
    fn the_mean_of_draws_averages_the_scores_every_draw_holds() {
        let first = base(&[
            ("a", &[("x", 0.90), ("y", 0.80)]),
            ("only-here", &[("x", 0.5)]),
        ]);
        let second = base(&[("a", &[("x", 0.80), ("y", 0.90), ("z", 0.1)])]);
        let mean = KnowledgeBase::mean_of(&[&first, &second]).unwrap();
        assert_eq!(mean.entries.len(), 1);
        let a = mean.entry("a").unwrap();
        assert_eq!(a.scores.len(), 2);
        assert!((a.scores["x"] - 0.85).abs() < 1e-12 && (a.scores["y"] - 0.85).abs() < 1e-12);
        assert!(KnowledgeBase::mean_of(&[]).is_err());
    }

    #[test]
    fn a_copy_under_a_new_name_is_recorded_into_its_old_entry() {
        let mut kb = base(&[("a", &[("x", 0.9)])]);
        kb.entries[0].meta.values = vec![1.0];
        let mut again = base(&[("renamed", &[("y", 0.8)])]).entries.remove(0);
        again.meta.values = vec![1.0];
        assert_eq!(kb.record(again.clone()), "a");
        assert_eq!(kb.entries.len(), 1);
        assert_eq!(kb.entries[0].scores.len(), 2);
        again.meta.values = vec![2.0];
        assert_eq!(kb.record(again), "renamed");
        assert_eq!(kb.entries.len(), 2);
    }

    #[test]
    fn a_copy_is_found_by_its_meta_features() {
        let mut kb = base(&[("a", &[("x", 0.9)])]);
        kb.entries[0].meta.values = vec![1.0, 2.0];
        let meta = kb.entries[0].meta.clone();
        assert_eq!(kb.copy_of("b", &meta).unwrap().dataset, "a");
        assert!(kb.copy_of("a", &meta).is_none());
        let other = MetaFeatures {
            values: vec![1.0, 2.5],
            ..meta
        };
        assert!(kb.copy_of("b", &other).is_none());
    }

    #[test]
    fn concurrent_writers_lose_no_record() {
        // Eight processes' worth of recorders on one file, all at once: each reads, merges
        // and writes under the lock, so every record is there afterwards (without it, the
        // last writer's copy of the file would hold only its own).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kb.json");
        let builtin = KnowledgeBase::builtin().unwrap();
        let template = builtin.entries[0].clone();
        let writers = 8;
        std::thread::scope(|s| {
            for w in 0..writers {
                let (path, mut entry) = (&path, template.clone());
                s.spawn(move || {
                    entry.dataset = format!("writer-{w}");
                    entry.meta.values[0] = 1e6 + w as f64;
                    assert_eq!(
                        KnowledgeBase::record_in(path, entry).unwrap(),
                        format!("writer-{w}")
                    );
                });
            }
        });
        let kb = KnowledgeBase::load(&path).unwrap();
        assert_eq!(kb.entries.len(), builtin.entries.len() + writers);
        for w in 0..writers {
            assert!(
                kb.entry(&format!("writer-{w}")).is_some(),
                "writer {w} lost"
            );
        }
        if Path::new("/dev/zero").exists() {
            let e = KnowledgeBase::load(Path::new("/dev/zero")).unwrap_err();
            assert!(matches!(e, ConsortError::InputTooLarge { .. }), "{e}");
        }
    }
}
