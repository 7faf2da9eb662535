//! The knowledge base: for each dataset seen, its meta-features and how each candidate
//! scored on it (cross-validated accuracy). Built once over a corpus, shipped with the crate
//! (`data/knowledge_base.json`), and grown by every selection that records its outcome.

use std::collections::BTreeMap;
use std::path::Path;

use consort_core::io::write_atomic;
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
}

/// Records of datasets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KnowledgeBase {
    /// The records, one per dataset name.
    pub entries: Vec<KnowledgeEntry>,
}

const BUILTIN: &str = include_str!("../../data/knowledge_base.json");

impl KnowledgeBase {
    /// The knowledge base shipped with the crate: the portfolio run on 37 real datasets
    /// (see the README's model-selection section for how it was built).
    pub fn builtin() -> Result<Self> {
        serde_json::from_str(BUILTIN)
            .map_err(|e| ConsortError::Serialization(format!("built-in knowledge base: {e}")))
    }

    /// Reads a knowledge base file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| ConsortError::io(path, e))?;
        let kb: Self = serde_json::from_str(&text).map_err(|e| ConsortError::Parse {
            source_name: path.display().to_string(),
            line: e.line(),
            message: e.to_string(),
        })?;
        kb.check()?;
        Ok(kb)
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

    /// Adds an entry, replacing the dataset's old one (its scores merged in: a candidate not
    /// run this time keeps its earlier score).
    pub fn record(&mut self, entry: KnowledgeEntry) {
        match self.entries.iter_mut().find(|e| e.dataset == entry.dataset) {
            Some(old) => {
                old.meta = entry.meta;
                old.scores.extend(entry.scores);
            }
            None => self.entries.push(entry),
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
