//! Property tests of the readers hardening II bounded: ratings and items files, and the
//! table reader's bound on parsed memory. Whatever the bytes, a reader returns a value or a
//! typed error: never a panic, never unbounded memory.

use std::io::Read;

use consort_core::ConsortError;
use consort_data::csv::CsvLimits;
use consort_data::item_content::read_item_content;
use consort_data::{CsvOptions, parse_table, read_ratings_csv};
use proptest::prelude::*;

const RATINGS: &str =
    "user,item,rating,timestamp\n1,10,4.5,100\n1,11,3,101\n2,10,5,102\n2,12,1,103\n3,11,2.5,104\n";
const ITEMS: &str = "movieId,title,year,genres\n10,Alpha (1999),1999,Drama|Comedy\n11,\"Beta, the \"\"Film\"\"\",2001,Action\n12,Gamma,,(no genres listed)\n";

/// Writes `bytes` to a temporary file and reads it as ratings, then (when they parse) reads
/// `items` against them.
fn exercise(ratings: &[u8], items: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let (r, i) = (dir.path().join("r.csv"), dir.path().join("i.csv"));
    std::fs::write(&r, ratings).unwrap();
    std::fs::write(&i, items).unwrap();
    let parsed = match read_ratings_csv(&r, b',') {
        Ok(parsed) => parsed,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            read_ratings_csv(dir.path().join("absent.csv"), b',').unwrap_err();
            return;
        }
    };
    assert!(parsed.n_users() >= 1 || parsed.is_empty());
    let _ = read_item_content(&i, &parsed, 50);
}

/// Valid rows without end: what `/dev/stdin` fed by a generator gives.
struct EndlessRows {
    row: Vec<u8>,
    at: usize,
    header: Option<Vec<u8>>,
}

impl Read for EndlessRows {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let source = match &self.header {
            Some(h) => h.clone(),
            None => self.row.clone(),
        };
        let n = (source.len() - self.at).min(buf.len());
        buf[..n].copy_from_slice(&source[self.at..self.at + n]);
        self.at += n;
        if self.at == source.len() {
            self.at = 0;
            self.header = None;
        }
        Ok(n)
    }
}

#[test]
fn an_endless_stream_of_valid_rows_stops_at_the_parsed_bound() {
    let rows = EndlessRows {
        row: b"1.5,2.25,x\n".to_vec(),
        at: 0,
        header: Some(b"a,b,label\n".to_vec()),
    };
    let options = CsvOptions {
        limits: CsvLimits {
            max_parsed_bytes: 1 << 20,
            ..CsvLimits::default()
        },
        ..CsvOptions::default()
    };
    let e = parse_table(rows, "<stdin>", &options).unwrap_err();
    assert!(matches!(e, ConsortError::Parse { .. }), "{e}");
    assert!(e.to_string().contains("endless stream"), "{e}");
}

#[test]
fn the_valid_files_read() {
    let dir = tempfile::tempdir().unwrap();
    let (r, i) = (dir.path().join("r.csv"), dir.path().join("i.csv"));
    std::fs::write(&r, RATINGS).unwrap();
    std::fs::write(&i, ITEMS).unwrap();
    let ratings = read_ratings_csv(&r, b',').unwrap();
    assert_eq!(
        (ratings.len(), ratings.n_users(), ratings.n_items()),
        (5, 3, 3)
    );
    read_item_content(&i, &ratings, 50).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1500,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_bytes(ratings in proptest::collection::vec(any::<u8>(), 0..200),
                    items in proptest::collection::vec(any::<u8>(), 0..200)) {
        exercise(&ratings, &items);
    }

    #[test]
    fn truncations(cut_r in 0usize..200, cut_i in 0usize..200) {
        exercise(
            &RATINGS.as_bytes()[..cut_r.min(RATINGS.len())],
            &ITEMS.as_bytes()[..cut_i.min(ITEMS.len())],
        );
    }

    #[test]
    fn byte_edits(
        edits in proptest::collection::vec((0usize..400, any::<u8>()), 1..6),
    ) {
        let mut r = RATINGS.as_bytes().to_vec();
        let mut i = ITEMS.as_bytes().to_vec();
        for (at, b) in edits {
            if at < 200 {
                let n = r.len();
                r[at % n] = b;
            } else {
                let n = i.len();
                i[at % n] = b;
            }
        }
        exercise(&r, &i);
    }
}
