//! TF-IDF features of word n-grams (scikit-learn's `TfidfVectorizer` with `sublinear_tf`):
//! the strong classic small model for text is a linear model on these.

use std::collections::HashMap;

use consort_core::{ConsortError, Matrix, Result};
use serde::{Deserialize, Serialize};

use crate::text::tokenize;

/// How a [`TfidfVectorizer`] is fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TfidfConfig {
    /// Longest n-gram (1: words; 2: words and word pairs).
    pub max_ngram: usize,
    /// A term must appear in at least this many training documents.
    pub min_df: usize,
    /// Keep the terms in most documents, at most this many (ties by term, so fitting is
    /// deterministic).
    pub max_features: usize,
    /// `1 + ln(tf)` instead of the raw count.
    pub sublinear_tf: bool,
}

impl Default for TfidfConfig {
    fn default() -> Self {
        Self {
            max_ngram: 2,
            min_df: 2,
            max_features: 20_000,
            sublinear_tf: true,
        }
    }
}

/// A fitted vocabulary of n-grams with their inverse document frequencies. Rows it makes are
/// L2-normalised; a document with no known term is a zero row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TfidfVectorizer {
    config: TfidfConfig,
    terms: Vec<String>,
    idf: Vec<f32>,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

/// The n-grams of a document (words joined by a space), up to `max_ngram` long.
fn ngrams(text: &str, max_ngram: usize) -> Vec<String> {
    let words = tokenize(text);
    let mut out = Vec::with_capacity(words.len() * max_ngram);
    for n in 1..=max_ngram {
        for w in words.windows(n) {
            out.push(w.join(" "));
        }
    }
    out
}

impl TfidfVectorizer {
    /// Learns the vocabulary and idf (`ln((1 + n) / (1 + df)) + 1`, smoothed as in
    /// scikit-learn) from training documents.
    pub fn fit<S: AsRef<str>>(docs: &[S], config: TfidfConfig) -> Result<Self> {
        if config.max_ngram == 0 || config.max_features == 0 || config.min_df == 0 {
            return Err(ConsortError::config(
                "tf-idf needs max_ngram, min_df and max_features >= 1",
            ));
        }
        if docs.is_empty() {
            return Err(ConsortError::EmptyDataset(
                "tf-idf needs at least one document".into(),
            ));
        }
        let mut df: HashMap<String, usize> = HashMap::new();
        for doc in docs {
            let mut seen = ngrams(doc.as_ref(), config.max_ngram);
            seen.sort_unstable();
            seen.dedup();
            for term in seen {
                *df.entry(term).or_insert(0) += 1;
            }
        }
        let mut kept: Vec<(String, usize)> = df
            .into_iter()
            .filter(|&(_, d)| d >= config.min_df)
            .collect();
        kept.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        kept.truncate(config.max_features);
        kept.sort_by(|a, b| a.0.cmp(&b.0));
        let n = docs.len() as f64;
        let idf = kept
            .iter()
            .map(|(_, d)| (((1.0 + n) / (1.0 + *d as f64)).ln() + 1.0) as f32)
            .collect();
        let terms: Vec<String> = kept.into_iter().map(|(t, _)| t).collect();
        let mut v = Self {
            config,
            terms,
            idf,
            index: HashMap::new(),
        };
        v.reindex();
        Ok(v)
    }

    fn reindex(&mut self) {
        self.index = self
            .terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i))
            .collect();
    }

    /// Rebuilds the lookup after deserialising.
    pub fn restored(mut self) -> Self {
        self.reindex();
        self
    }

    /// Number of terms (feature columns).
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether no term was kept.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The terms, in column order.
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// One L2-normalised tf-idf row per document.
    pub fn transform<S: AsRef<str>>(&self, docs: &[S]) -> Matrix {
        let mut out = Matrix::zeros(docs.len(), self.terms.len());
        for (i, doc) in docs.iter().enumerate() {
            let row = out.row_mut(i);
            for term in ngrams(doc.as_ref(), self.config.max_ngram) {
                if let Some(&j) = self.index.get(&term) {
                    row[j] += 1.0;
                }
            }
            for (v, idf) in row.iter_mut().zip(&self.idf) {
                if *v > 0.0 {
                    let tf = if self.config.sublinear_tf {
                        1.0 + v.ln()
                    } else {
                        *v
                    };
                    *v = tf * idf;
                }
            }
            let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
            if norm > 0.0 {
                row.iter_mut().for_each(|v| *v /= norm);
            }
        }
        out
    }
}

impl consort_core::io::Validate for TfidfVectorizer {
    fn validate(&self) -> Result<()> {
        use consort_core::io::ensure;
        ensure(
            (1..=8).contains(&self.config.max_ngram) && !self.terms.is_empty(),
            || "tf-idf needs 1 <= max_ngram <= 8 and >= 1 term".into(),
        )?;
        ensure(self.terms.len() == self.idf.len(), || {
            format!(
                "{} terms but {} idf weights",
                self.terms.len(),
                self.idf.len()
            )
        })?;
        ensure(self.idf.iter().all(|w| w.is_finite() && *w > 0.0), || {
            "an idf weight is not a positive finite number".into()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rare_and_common_terms_weigh_as_tfidf_says() {
        let docs = ["good movie", "bad movie", "good good plot", "movie"];
        let v = TfidfVectorizer::fit(
            &docs,
            TfidfConfig {
                min_df: 1,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(
            v.terms().contains(&"good movie".to_string()),
            "bigrams kept"
        );
        let x = v.transform(&["good good movie", "unseen words"]);
        let col = |t: &str| v.terms().iter().position(|x| x == t).unwrap();
        let row = x.row(0);
        // "movie" is in 3 of 4 documents, "good" in 2: good weighs more, and twice-seen
        // good gets 1 + ln 2.
        assert!(row[col("good")] > row[col("movie")]);
        let norm: f32 = row.iter().map(|v| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        assert!(
            x.row(1).iter().all(|&v| v == 0.0),
            "no known term: a zero row"
        );
        let idf_movie = ((5.0f64 / 4.0).ln() + 1.0) as f32;
        let idf_good = ((5.0f64 / 3.0).ln() + 1.0) as f32;
        let ratio = row[col("good")] / row[col("movie")];
        assert!((ratio - (1.0 + 2f32.ln()) * idf_good / idf_movie).abs() < 1e-5);
        assert!(TfidfVectorizer::fit::<&str>(&[], TfidfConfig::default()).is_err());
    }
}
