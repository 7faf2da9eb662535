//! What items are, for content-based recommenders: a table of items (id, title, year,
//! `|`-separated genres, as MovieLens' `movies.csv`) turned into token counts per item,
//! aligned to a [`Ratings`]' item indices: one column per genre (`genre:Drama`), per decade
//! (`decade:1990`) and per frequent title word (`word:love`).

use std::collections::HashMap;
use std::path::Path;

use consort_core::{ConsortError, Matrix, Result};

use crate::Ratings;

/// Items' content as token counts.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemContent {
    /// The tokens, one per column.
    pub tokens: Vec<String>,
    /// `n_items x tokens`, in the ratings' item order; an item without a row is all zeros.
    pub features: Matrix,
}

fn title_words(title: &str) -> Vec<String> {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 3 && w.chars().all(char::is_alphabetic))
        .map(str::to_lowercase)
        .filter(|w| !["the", "and", "for", "with", "from"].contains(&w.as_str()))
        .collect()
}

/// Reads `movieId,title,year,genres` rows from `path` for the items of `ratings`, keeping
/// the `max_words` most frequent title words.
pub fn read_item_content(path: &Path, ratings: &Ratings, max_words: usize) -> Result<ItemContent> {
    let file = crate::csv::open_line_limited(path)?;
    let mut reader = csv::ReaderBuilder::new().from_reader(file);
    let name = path.display().to_string();
    let header = reader
        .headers()
        .map_err(|e| crate::csv::csv_error(&name, e))?
        .clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| ConsortError::UnknownColumn {
                requested: name.into(),
                available: header.iter().map(String::from).collect(),
            })
    };
    let (id, title, year, genres) = (col("movieId")?, col("title")?, col("year")?, col("genres")?);
    let index: HashMap<&str, usize> = ratings
        .item_ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let mut per_item: Vec<Vec<String>> = vec![Vec::new(); ratings.n_items()];
    let mut word_counts: HashMap<String, usize> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| crate::csv::csv_error(&name, e))?;
        let Some(&item) = index.get(record.get(id).unwrap_or("")) else {
            continue;
        };
        let mut tokens: Vec<String> = record
            .get(genres)
            .unwrap_or("")
            .split('|')
            .filter(|g| !g.is_empty() && *g != "(no genres listed)")
            .map(|g| format!("genre:{g}"))
            .collect();
        if let Ok(y) = record.get(year).unwrap_or("").parse::<i32>() {
            tokens.push(format!("decade:{}", y / 10 * 10));
        }
        for w in title_words(record.get(title).unwrap_or("")) {
            *word_counts.entry(w.clone()).or_default() += 1;
            tokens.push(format!("word:{w}"));
        }
        per_item[item] = tokens;
    }
    let mut words: Vec<(String, usize)> = word_counts.into_iter().collect();
    words.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let kept: std::collections::HashSet<String> = words
        .into_iter()
        .take(max_words)
        .map(|(w, _)| format!("word:{w}"))
        .collect();
    let mut vocabulary: Vec<String> = per_item
        .iter()
        .flatten()
        .filter(|t| !t.starts_with("word:") || kept.contains(*t))
        .cloned()
        .collect();
    vocabulary.sort();
    vocabulary.dedup();
    let column: HashMap<&str, usize> = vocabulary
        .iter()
        .enumerate()
        .map(|(j, t)| (t.as_str(), j))
        .collect();
    let mut features = Matrix::zeros(ratings.n_items(), vocabulary.len());
    for (i, tokens) in per_item.iter().enumerate() {
        for t in tokens {
            if let Some(&j) = column.get(t.as_str()) {
                features.row_mut(i)[j] = 1.0;
            }
        }
    }
    Ok(ItemContent {
        tokens: vocabulary,
        features,
    })
}
