//! Text in, token ids out: tokenisation, a vocabulary with minimum count and an unknown token,
//! padding/truncation for sequence models, bag-of-words counts for naive Bayes, and loading
//! labelled text from CSV/TSV.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use consort_core::{ConsortError, Matrix, Result};
use serde::{Deserialize, Serialize};

use crate::csv::LabelColumn;
use crate::dataset::Dataset;

/// Id of the padding token (sequence models mask it out).
pub const PAD_ID: u32 = 0;
/// Id of the unknown token.
pub const UNK_ID: u32 = 1;

/// Lower-cases and splits on whitespace; punctuation marks become tokens of their own
/// ("Great, fun!" -> `great`, `,`, `fun`, `!`). Apostrophes inside words are kept ("don't").
pub fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let inner_apostrophe =
            c == '\'' && !word.is_empty() && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if c.is_alphanumeric() || inner_apostrophe {
            word.extend(c.to_lowercase());
            continue;
        }
        if !word.is_empty() {
            tokens.push(std::mem::take(&mut word));
        }
        if !c.is_whitespace() {
            tokens.push(c.to_string());
        }
    }
    if !word.is_empty() {
        tokens.push(word);
    }
    tokens
}

/// A token <-> id mapping: id 0 is padding, 1 the unknown token, then tokens by descending
/// frequency (ties alphabetical, so building is deterministic).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vocabulary {
    tokens: Vec<String>,
    #[serde(skip)]
    index: HashMap<String, u32>,
}

impl Vocabulary {
    /// Builds from texts, keeping tokens seen at least `min_count` times, at most `max_size`
    /// ids in all (`None`: no limit).
    pub fn build<S: AsRef<str>>(
        texts: &[S],
        min_count: usize,
        max_size: Option<usize>,
    ) -> Result<Self> {
        if min_count == 0 {
            return Err(ConsortError::config("vocabulary min_count must be >= 1"));
        }
        if max_size.is_some_and(|m| m < 3) {
            return Err(ConsortError::config(
                "vocabulary max_size must leave room for <pad>, <unk> and a token",
            ));
        }
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for t in texts {
            for tok in tokenize(t.as_ref()) {
                *counts.entry(tok).or_default() += 1;
            }
        }
        let mut by_freq: Vec<(String, usize)> = counts
            .into_iter()
            .filter(|(_, c)| *c >= min_count)
            .collect();
        by_freq.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut tokens = vec!["<pad>".to_string(), "<unk>".to_string()];
        let room = max_size.map_or(usize::MAX, |m| m - 2);
        tokens.extend(by_freq.into_iter().take(room).map(|(t, _)| t));
        Ok(Self::from_tokens(tokens))
    }

    fn from_tokens(tokens: Vec<String>) -> Self {
        let index = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        Self { tokens, index }
    }

    /// Rebuilds the lookup table after deserialisation.
    pub fn reindex(self) -> Self {
        Self::from_tokens(self.tokens)
    }

    /// Number of ids, padding and unknown included.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether only the special tokens exist.
    pub fn is_empty(&self) -> bool {
        self.tokens.len() <= 2
    }

    /// The id of a token ([`UNK_ID`] when unknown).
    pub fn id(&self, token: &str) -> u32 {
        self.index.get(token).copied().unwrap_or(UNK_ID)
    }

    /// The token of an id.
    pub fn token(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).map(String::as_str)
    }

    /// Token ids of `text`, truncated to `max_len` and padded with [`PAD_ID`] to exactly
    /// `max_len`.
    pub fn encode(&self, text: &str, max_len: usize) -> Vec<u32> {
        let mut ids: Vec<u32> = tokenize(text)
            .iter()
            .take(max_len)
            .map(|t| self.id(t))
            .collect();
        ids.resize(max_len, PAD_ID);
        ids
    }

    /// Counts of each id in `text` (length [`Vocabulary::len`]; padding never counted).
    pub fn bag_of_words(&self, text: &str) -> Vec<f32> {
        let mut counts = vec![0.0; self.len()];
        for t in tokenize(text) {
            counts[self.id(&t) as usize] += 1.0;
        }
        counts
    }
}

/// Labelled texts.
#[derive(Debug, Clone, PartialEq)]
pub struct TextDataset {
    /// The documents.
    pub texts: Vec<String>,
    /// Class index of each document.
    pub labels: Vec<usize>,
    /// Class names, by index.
    pub class_names: Vec<String>,
}

impl TextDataset {
    /// Padded token ids as features (ids stored exactly as `f32`), for sequence networks.
    pub fn to_sequences(&self, vocab: &Vocabulary, max_len: usize) -> Result<Dataset> {
        if max_len == 0 {
            return Err(ConsortError::config("max_len must be >= 1"));
        }
        let rows: Vec<Vec<f32>> = self
            .texts
            .iter()
            .map(|t| {
                vocab
                    .encode(t, max_len)
                    .into_iter()
                    .map(|id| id as f32)
                    .collect()
            })
            .collect();
        self.dataset(
            Matrix::from_rows(&rows)?,
            (0..max_len).map(|i| format!("t{i}")).collect(),
        )
    }

    /// Bag-of-words counts as features, for naive Bayes and linear models.
    pub fn to_bag_of_words(&self, vocab: &Vocabulary) -> Result<Dataset> {
        let rows: Vec<Vec<f32>> = self.texts.iter().map(|t| vocab.bag_of_words(t)).collect();
        let names = (0..vocab.len() as u32)
            .map(|i| vocab.token(i).unwrap_or_default().to_string())
            .collect();
        self.dataset(Matrix::from_rows(&rows)?, names)
    }

    fn dataset(&self, features: Matrix, names: Vec<String>) -> Result<Dataset> {
        let features = if self.texts.is_empty() {
            Matrix::zeros(0, names.len())
        } else {
            features
        };
        Dataset::with_names(
            "text",
            features,
            self.labels.clone(),
            names,
            self.class_names.clone(),
        )
    }
}

/// Bag-of-words counts of token-id rows (as made by [`TextDataset::to_sequences`]): one
/// column per id below `vocab_size`, padding not counted.
pub fn bag_of_ids(data: &Dataset, vocab_size: usize) -> Result<Dataset> {
    let mut counts = Matrix::zeros(data.len(), vocab_size);
    for (i, row) in data.features().iter_rows().enumerate() {
        for &id in row {
            if id < 0.0 || id.fract() != 0.0 || id as usize >= vocab_size {
                return Err(ConsortError::InvalidInput(format!(
                    "token id {id} in row {i} is not an integer in 0..{vocab_size}"
                )));
            }
            if id as u32 != PAD_ID {
                counts.row_mut(i)[id as usize] += 1.0;
            }
        }
    }
    Dataset::with_names(
        data.name(),
        counts,
        data.labels().to_vec(),
        (0..vocab_size).map(|i| format!("id{i}")).collect(),
        data.class_names().to_vec(),
    )
}

/// Reads labelled text from a CSV/TSV file with a header (or a Parquet file, where the
/// `parquet` feature is compiled in): one text column, one label column.
pub fn read_text_csv(
    path: impl AsRef<Path>,
    text_column: &LabelColumn,
    label_column: &LabelColumn,
    delimiter: u8,
) -> Result<TextDataset> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let mut parsed =
        crate::csv::ParsedBudget::new(crate::csv::CsvLimits::default().max_parsed_bytes);
    let (header, records) = if crate::csv::is_parquet(path) {
        crate::csv::parquet_records(path, |header| label_column.resolve(header).ok())?
    } else {
        // Lines and parsed memory bounded as the table reader's are: `/dev/zero` or an
        // endless stream ends in a clear error, not an allocation failure.
        let file = crate::csv::open_line_limited(path)?;
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(false)
            .from_reader(file);
        let header: Vec<String> = rdr
            .headers()
            .map_err(|e| parse_error(&name, e))?
            .iter()
            .map(str::to_string)
            .collect();
        let source = name.clone();
        let rows = rdr
            .into_records()
            .map(move |r| r.map_err(|e| parse_error(&source, e)));
        (header, Box::new(rows) as crate::csv::RecordIter)
    };
    let text_col = text_column.resolve(&header)?;
    let label_col = label_column.resolve(&header)?;
    let (mut texts, mut raw) = (Vec::new(), Vec::new());
    for record in records {
        let record = record?;
        parsed
            .add(&record, texts.len())
            .map_err(|message| ConsortError::Parse {
                source_name: name.clone(),
                line: record.position().map_or(0, |p| p.line() as usize),
                message,
            })?;
        texts.push(record[text_col].to_string());
        raw.push(record[label_col].trim().to_string());
    }
    if texts.is_empty() {
        return Err(ConsortError::EmptyDataset(format!(
            "{name} has no data rows"
        )));
    }
    let class_names = crate::csv::sorted_classes(&raw);
    let labels = raw
        .iter()
        .map(|l| {
            class_names
                .iter()
                .position(|c| c == l)
                .expect("label is a class")
        })
        .collect();
    Ok(TextDataset {
        texts,
        labels,
        class_names,
    })
}

fn parse_error(name: &str, e: csv::Error) -> ConsortError {
    crate::csv::csv_error(name, e)
}

impl consort_core::io::Validate for Vocabulary {
    /// `<pad>` and `<unk>` first, at least one real token, no token twice.
    fn validate(&self) -> Result<()> {
        use consort_core::io::ensure;
        ensure(
            self.tokens.len() >= 3 && self.tokens[0] == "<pad>" && self.tokens[1] == "<unk>",
            || {
                format!(
                    "a vocabulary starts with <pad> and <unk> and has >= 1 token, this one has {} \
                     entries",
                    self.tokens.len()
                )
            },
        )?;
        let distinct: std::collections::HashSet<&String> = self.tokens.iter().collect();
        ensure(distinct.len() == self.tokens.len(), || {
            "a vocabulary lists a token twice".into()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_words_and_punctuation() {
        assert_eq!(
            tokenize("Great, FUN film! Don't miss it."),
            ["great", ",", "fun", "film", "!", "don't", "miss", "it", "."]
        );
        assert!(tokenize("   ").is_empty());
    }

    #[test]
    fn vocabulary_counts_pads_and_maps_unknowns() {
        let texts = ["a b a", "b c a", "d"];
        let v = Vocabulary::build(&texts, 2, None).unwrap();
        assert_eq!(v.len(), 4); // <pad>, <unk>, a (3x), b (2x)
        assert_eq!((v.id("a"), v.id("b"), v.id("c")), (2, 3, UNK_ID));
        assert_eq!(v.encode("a c b a b", 4), vec![2, 1, 3, 2]);
        assert_eq!(v.encode("b", 3), vec![3, PAD_ID, PAD_ID]);
        assert_eq!(v.bag_of_words("a a zzz"), vec![0.0, 1.0, 2.0, 0.0]);
        let capped = Vocabulary::build(&texts, 1, Some(3)).unwrap();
        assert_eq!(capped.len(), 3);
        assert!(Vocabulary::build(&texts, 0, None).is_err());
        let json = serde_json::to_string(&v).unwrap();
        let back: Vocabulary = serde_json::from_str::<Vocabulary>(&json).unwrap().reindex();
        assert_eq!(back.id("b"), 3);
    }
}
