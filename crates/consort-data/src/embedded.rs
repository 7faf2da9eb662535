//! Datasets compiled into the binary, so the main job and tests need no files.

use crate::csv::{CsvOptions, parse_csv};
use crate::dataset::Dataset;

const DIGITS_CSV: &[u8] = include_bytes!("../data/digits.csv");
const IRIS_CSV: &[u8] = include_bytes!("../data/iris.csv");

/// The names [`by_name`] accepts.
pub const NAMES: [&str; 2] = ["digits", "iris"];

/// Handwritten digits: 1797 8x8 grey images (levels 0-16, row-major `pixel_r_c`), 10 classes.
///
/// UCI "Optical Recognition of Handwritten Digits" test set as shipped by scikit-learn
/// (CC BY 4.0).
pub fn digits() -> Dataset {
    parse_csv(DIGITS_CSV, "embedded digits.csv", &CsvOptions::default())
        .expect("the embedded digits.csv is valid (checked by tests)")
        .with_name("digits")
}

/// Fisher's iris: 150 flowers, 4 measurements in cm, 3 species (CC BY 4.0).
pub fn iris() -> Dataset {
    parse_csv(IRIS_CSV, "embedded iris.csv", &CsvOptions::default())
        .expect("the embedded iris.csv is valid (checked by tests)")
        .with_name("iris")
}

/// An embedded dataset by name (`digits` or `iris`).
pub fn by_name(name: &str) -> Option<Dataset> {
    match name {
        "digits" => Some(digits()),
        "iris" => Some(iris()),
        _ => None,
    }
}
