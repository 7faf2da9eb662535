//! Data sets from Debian packages through the fetch command: R's files read without R, and
//! the CSV files checked against figures read from the same packages by the reference
//! Python reader (`rdata` 0.11 on PyPI): shapes, class counts, column sums, missing cells.
#![cfg(feature = "fetch")]

use consort_data::fetch::{Asset, KERNLAB, MASS, MLBENCH, MODELDATA, fetch};
use consort_data::{CsvOptions, MissingValues, RawTable, read_table};

fn table(asset: Asset, name: &str) -> RawTable {
    let dir = fetch(asset).unwrap();
    let options = CsvOptions {
        keep_text_columns: true,
        missing: MissingValues::Median,
        ..CsvOptions::default()
    };
    read_table(dir.join(format!("{name}.csv")), &options).unwrap()
}

fn class_counts(t: &RawTable) -> Vec<(String, usize)> {
    t.class_names()
        .iter()
        .enumerate()
        .map(|(k, n)| (n.clone(), t.labels().iter().filter(|&&l| l == k).count()))
        .collect()
}

fn column_sum(t: &RawTable, name: &str) -> f64 {
    let j = t.feature_names().iter().position(|n| n == name).unwrap();
    (0..t.features().rows())
        .map(|i| f64::from(t.features().row(i)[j]))
        .sum()
}

#[test]
fn mlbench_sets_match_the_reference_reader() {
    let glass = table(Asset::Mlbench, "Glass");
    assert_eq!(glass.labels().len(), 214);
    assert_eq!(glass.label_name(), "Type");
    let counts: Vec<usize> = class_counts(&glass).into_iter().map(|c| c.1).collect();
    assert_eq!(counts, [70, 76, 17, 13, 9, 29]);
    assert!((column_sum(&glass, "RI") - 324.9302).abs() < 1e-3);
    assert!((column_sum(&glass, "Na") - 2869.28).abs() < 1e-2);

    let cancer = table(Asset::Mlbench, "BreastCancer");
    assert!(
        !cancer.feature_names().iter().any(|n| n == "Id"),
        "the id is dropped"
    );
    assert_eq!(cancer.n_missing(), 16, "Bare.nuclei's NAs");
    assert_eq!(
        class_counts(&cancer),
        [("benign".to_string(), 458), ("malignant".to_string(), 241)]
    );
    // Ordered factors with numeric levels arrive as numbers.
    assert_eq!(cancer.feature_names().len(), 9);

    let votes = table(Asset::Mlbench, "HouseVotes84");
    let missing: usize = votes
        .text_columns()
        .iter()
        .map(|c| c.cells.iter().filter(|v| v.is_none()).count())
        .sum();
    assert_eq!(missing, 392);
    assert_eq!(votes.text_columns().len(), 16);
}

#[test]
fn every_packaged_set_loads() {
    for (asset, sets) in [
        (Asset::Mlbench, &MLBENCH[..]),
        (Asset::Modeldata, &MODELDATA[..]),
        (Asset::Mass, &MASS[..]),
        (Asset::Kernlab, &KERNLAB[..]),
    ] {
        for d in sets {
            let t = table(asset, d.name);
            assert_eq!(t.label_name(), d.label);
            assert!(t.class_names().len() >= 2, "{}", d.name);
            assert!(
                t.feature_names().len() + t.text_columns().len() >= 2,
                "{}",
                d.name
            );
        }
    }
    let penguins = table(Asset::Modeldata, "penguins");
    assert_eq!(penguins.labels().len(), 344);
    assert_eq!(penguins.class_names(), ["Adelie", "Chinstrap", "Gentoo"]);
    // kernlab ships spam bzip2-compressed: the UCI set, whole.
    let spam = table(Asset::Kernlab, "spam");
    assert_eq!(spam.labels().len(), 4601);
    assert_eq!(spam.class_names(), ["nonspam", "spam"]);
    assert_eq!(spam.feature_names().len(), 57);
    // MASS's biopsy: the Wisconsin breast-cancer biopsies without their ID column.
    let biopsy = table(Asset::Mass, "biopsy");
    assert_eq!(biopsy.labels().len(), 699);
    assert_eq!(biopsy.class_names(), ["benign", "malignant"]);
    assert!(!biopsy.feature_names().iter().any(|n| n == "ID"));
}
