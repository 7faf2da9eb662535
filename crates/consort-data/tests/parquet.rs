//! Parquet input (feature `parquet`): files written by pyarrow (`scripts/parquet_fixtures.py`)
//! read through the CSV reader's passes, so the same options give the same table.
#![cfg(feature = "parquet")]

use std::path::PathBuf;

use consort_core::ConsortError;
use consort_data::{
    CsvOptions, LabelColumn, MissingValues, is_parquet, read_column, read_csv, read_header,
    read_table, read_text_csv,
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn iris_from_parquet_is_iris_from_csv_to_the_bit() {
    let csv_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/iris.csv");
    let from_csv = read_csv(&csv_path, &CsvOptions::default()).unwrap();
    let from_parquet = read_csv(fixture("iris_snappy.parquet"), &CsvOptions::default()).unwrap();
    assert_eq!(from_parquet.len(), 150);
    assert_eq!(from_parquet.feature_names(), from_csv.feature_names());
    assert_eq!(from_parquet.class_names(), from_csv.class_names());
    assert_eq!(from_parquet.labels(), from_csv.labels());
    let bits = |m: &consort_core::Matrix| m.as_slice().iter().map(|v| v.to_bits()).collect();
    let (a, b): (Vec<u32>, Vec<u32>) = (bits(from_parquet.features()), bits(from_csv.features()));
    assert_eq!(a, b, "every value as the CSV gives it");
}

/// Every codec pyarrow writes; integers, floats (one null), booleans as 0/1 features, text and
/// dates as text columns, pandas' index column left out, a text label.
#[test]
fn every_codec_reads_the_same_mixed_table() {
    // Missing cells kept as NaN in the raw table (imputed later, from training rows).
    let options = CsvOptions {
        label: LabelColumn::Name("label".into()),
        keep_text_columns: true,
        missing: MissingValues::Median,
        ..CsvOptions::default()
    };
    let mut tables = Vec::new();
    for codec in ["snappy", "gzip", "zstd", "lz4"] {
        let path = fixture(&format!("mixed_{codec}.parquet"));
        assert!(is_parquet(&path));
        let table = read_table(&path, &options).unwrap();
        assert_eq!(table.name(), format!("mixed_{codec}"));
        tables.push(table);
    }
    let t = &tables[0];
    assert_eq!(t.feature_names(), ["count", "weight", "ratio", "member"]);
    assert_eq!(t.class_names(), ["no", "yes"]);
    assert_eq!(t.labels(), [1, 0, 1, 0]);
    assert_eq!(t.features().row(0), [1.0, 0.5, 0.1, 1.0]);
    assert_eq!(t.features().row(3), [4.0, 1e-3, 0.4, 0.0]);
    assert!(t.features().get(1, 1).is_nan(), "a null is a missing cell");
    assert_eq!(t.n_missing(), 2, "one null number, one null text cell");
    let text: Vec<&str> = t.text_columns().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(text, ["colour", "day"]);
    assert_eq!(t.text_columns()[0].cells[1], None);
    assert_eq!(t.text_columns()[1].cells[0].as_deref(), Some("2026-12-01"));
    for other in &tables[1..] {
        assert_eq!(
            other.features().as_slice().len(),
            t.features().as_slice().len()
        );
        for (a, b) in other
            .features()
            .as_slice()
            .iter()
            .zip(t.features().as_slice())
        {
            assert_eq!(a.to_bits(), b.to_bits());
        }
        assert_eq!(other.text_columns(), t.text_columns());
        assert_eq!(other.labels(), t.labels());
    }
    assert_eq!(
        read_column(fixture("mixed_zstd.parquet"), "colour", b',').unwrap(),
        ["red", "", "blue", "red"]
    );
    assert_eq!(
        read_header(fixture("mixed_lz4.parquet"), b',').unwrap(),
        [
            "count", "weight", "ratio", "colour", "member", "day", "label"
        ]
    );
    // Labelled text (`run --text`) reads the same rows.
    let text = read_text_csv(
        fixture("mixed_gzip.parquet"),
        &LabelColumn::Name("colour".into()),
        &LabelColumn::Name("member".into()),
        b',',
    )
    .unwrap();
    assert_eq!(text.texts, ["red", "", "blue", "red"]);
    assert_eq!(
        text.class_names,
        ["false", "true"],
        "a boolean label by name"
    );
    assert_eq!(text.labels, [1, 0, 1, 0]);
}

/// The CSV reader's rules hold as they are: a null in the data stops a run that treats
/// missing cells as errors, with the row named; a text column stops a run that keeps none.
#[test]
fn the_csv_readers_rules_and_messages_apply() {
    let path = fixture("mixed_snappy.parquet");
    let strict = CsvOptions {
        label: LabelColumn::Name("label".into()),
        drop_columns: vec!["colour".into(), "day".into()],
        ..CsvOptions::default()
    };
    let err = read_table(&path, &strict).unwrap_err().to_string();
    assert!(
        err.contains("mixed_snappy.parquet") && err.contains("line 3"),
        "{err}"
    );
    let imputed = CsvOptions {
        missing: MissingValues::Mean,
        ..strict.clone()
    };
    let data = read_csv(&path, &imputed).unwrap();
    assert_eq!(data.features().get(1, 1), (0.5 + 2.25 + 1e-3) / 3.0);
    let unknown = CsvOptions {
        label: LabelColumn::Name("target".into()),
        ..CsvOptions::default()
    };
    assert!(matches!(
        read_table(&path, &unknown),
        Err(ConsortError::UnknownColumn { .. })
    ));
}

#[test]
fn nested_columns_and_broken_files_are_typed_errors() {
    let err = read_table(fixture("nested.parquet"), &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(err, ConsortError::Parse { line: 1, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("\"tags\""), "{err}");
    // A file cut short: Parquet keeps its schema at the end, so nothing of it reads.
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.parquet");
    let bytes = std::fs::read(fixture("iris_snappy.parquet")).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = read_table(&cut, &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(err, ConsortError::SerializationFile { .. }),
        "{err:?}"
    );
    // Found by its magic bytes whatever its name.
    let renamed = dir.path().join("iris.dat");
    std::fs::write(&renamed, &bytes).unwrap();
    assert!(is_parquet(&renamed));
    assert_eq!(
        read_csv(&renamed, &CsvOptions::default()).unwrap().len(),
        150
    );
}
