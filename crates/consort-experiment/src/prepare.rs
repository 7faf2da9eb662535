//! From a [`DataConfig`] to training and test sets: read, split (or align a given test
//! file), drop or impute missing cells and one-hot encode text columns, every fitted step
//! fitted on the training rows only and kept ([`Preprocessing`]) for rows to predict later.

use consort_core::{ConsortError, Result};
use consort_data::{
    CsvOptions, Dataset, Imputer, LabelColumn, MissingValues, OneHotEncoder, RawTable, embedded,
    read_table, train_test_split,
};

use crate::config::{Categorical, DataConfig};
pub use crate::prepared::{Prepared, Preprocessing, TextViews};

/// Loads the data, splits it (stratified, `test_fraction`, `seed`) or reads the given test
/// file, deals with missing cells and text columns, all fitted on the training rows.
pub fn prepare(data: &DataConfig, seed: u64) -> Result<Prepared> {
    prepare_observed(data, seed, &consort_core::ObserverHandle::none())
}

/// [`prepare`], reporting long steps (MiniLM embeddings in text mode) to `observer`.
pub fn prepare_observed(
    data: &DataConfig,
    seed: u64,
    observer: &consort_core::ObserverHandle,
) -> Result<Prepared> {
    prepare_on(data, seed, None, observer)
}

/// [`prepare_observed`] with text mode's encoder on `backend` (the run's; `None`: the default
/// backend).
pub fn prepare_on(
    data: &DataConfig,
    seed: u64,
    backend: Option<consort_core::BackendKind>,
    observer: &consort_core::ObserverHandle,
) -> Result<Prepared> {
    data_check(data)?;
    if let Some(column) = &data.text {
        return crate::text::prepare_text(data, column, seed, backend, observer);
    }
    if let Some(name) = &data.embedded {
        return prepare_embedded(name, data, seed);
    }
    let path = data.csv.as_ref().expect("checked: csv or embedded");
    let options = CsvOptions {
        label: data
            .label
            .as_deref()
            .map_or(LabelColumn::Last, LabelColumn::parse),
        delimiter: data.delimiter.byte(),
        missing: data.missing,
        drop_columns: data.drop.clone(),
        keep_text_columns: data.categorical == Categorical::OneHot,
        limits: data.limits(),
        suggest_options: true,
    };
    let mut notes = Vec::new();
    let table = read_table(path, &options)?;
    let name = table.name().to_string();
    // The test file's columns are matched by header name, its label column too: the same
    // columns in another order are the same table.
    let given_test = match &data.test {
        Some(t) => {
            let test_options = CsvOptions {
                label: LabelColumn::Name(table.label_name().to_string()),
                ..options.clone()
            };
            Some(read_table(t, &test_options)?.aligned_to(&table)?)
        }
        None => None,
    };
    let numeric_columns = table.feature_names().to_vec();
    let text_columns: Vec<String> = table
        .text_columns()
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let label_column = table.label_name().to_string();
    let missing = table.n_missing() + given_test.as_ref().map_or(0, RawTable::n_missing);
    let (train, test) = split_rows(data, table, given_test, missing, seed, &mut notes)?;
    let one_hot = (!text_columns.is_empty()).then(|| OneHotEncoder::fit(&train));
    let (train, test) = match &one_hot {
        Some(encoder) => {
            notes.push(format!(
                "one-hot encoded text columns {} into {} indicator columns (categories from the \
                 training rows; unseen ones set no indicator)",
                text_columns.join(", "),
                encoder.width()
            ));
            (encoder.encode(train)?, encoder.encode(test)?)
        }
        None => (train, test),
    };
    let imputer = fit_imputer(data.missing, &train, missing, &mut notes)?;
    let feature_names = train.feature_names().to_vec();
    let class_names = train.class_names().to_vec();
    let (train, test) = match &imputer {
        Some(imputer) => (train.impute(imputer)?, test.impute(imputer)?),
        None => (train.into_dataset()?, test.into_dataset()?),
    };
    Ok(Prepared {
        text: None,
        name,
        train,
        test,
        notes,
        preprocessing: Preprocessing {
            numeric_columns,
            text_columns,
            label_column,
            dropped_columns: data.drop.clone(),
            delimiter: data.delimiter.byte(),
            missing: data.missing,
            imputer,
            one_hot,
            class_names,
            feature_names,
        },
    })
}

/// An embedded (or fetched) dataset, split unless it brings its own test rows; nothing to
/// fit beforehand.
fn prepare_embedded(name: &str, data: &DataConfig, seed: u64) -> Result<Prepared> {
    let (train, test) = match fetched_images(name)? {
        Some(pair) => pair,
        None => {
            let set = embedded::by_name(name).ok_or_else(|| {
                ConsortError::config(format!(
                    "unknown embedded dataset {name:?}; available: {:?}{}",
                    embedded::NAMES,
                    if cfg!(feature = "fetch") {
                        ", and fashion-mnist, fashion-mnist-10k (fetched)"
                    } else {
                        ""
                    }
                ))
            })?;
            train_test_split(&set, data.test_fraction.get(), seed)?
        }
    };
    let preprocessing = Preprocessing {
        numeric_columns: train.feature_names().to_vec(),
        text_columns: Vec::new(),
        label_column: "label".into(),
        dropped_columns: Vec::new(),
        delimiter: b',',
        missing: MissingValues::Error,
        imputer: None,
        one_hot: None,
        class_names: train.class_names().to_vec(),
        feature_names: train.feature_names().to_vec(),
    };
    Ok(Prepared {
        text: None,
        name: train.name().to_string(),
        train,
        test,
        notes: Vec::new(),
        preprocessing,
    })
}

/// The training and test rows: rows with missing cells dropped first under `--missing
/// drop`, the label column checked, then the given test file or a stratified split.
fn split_rows(
    data: &DataConfig,
    mut table: RawTable,
    given_test: Option<RawTable>,
    missing: usize,
    seed: u64,
    notes: &mut Vec<String>,
) -> Result<(RawTable, RawTable)> {
    if data.missing == MissingValues::Drop && missing > 0 {
        let before = table.labels().len();
        table = table.complete_rows();
        if table.labels().is_empty() {
            return Err(ConsortError::EmptyDataset(format!(
                "every one of the {before} rows has a missing cell, so --missing drop (`missing \
                 = \"drop\"`) leaves none: fill them instead (--missing mean, median or \
                 most-frequent), or --drop the column that is mostly empty"
            )));
        }
        notes.push(format!(
            "dropped {} rows with missing cells",
            before - table.labels().len()
        ));
    }
    crate::preflight::check_label_column(
        table.label_name(),
        table.labels().len(),
        table.class_names().len(),
    )?;
    Ok(match given_test {
        Some(t) if data.missing == MissingValues::Drop => (table, t.complete_rows()),
        Some(t) => (table, t),
        None => table.split(data.test_fraction.get(), seed)?,
    })
}

/// The imputer of the missing-cell policy, fitted on the training rows (`None` when the
/// policy does not impute).
fn fit_imputer(
    policy: MissingValues,
    train: &RawTable,
    missing: usize,
    notes: &mut Vec<String>,
) -> Result<Option<Imputer>> {
    if !policy.imputes() {
        return Ok(None);
    }
    let imputer = Imputer::fit(train.features(), policy)?;
    if missing > 0 {
        notes.push(format!(
            "imputed {missing} missing cells with the {} of their column over the training rows",
            match policy {
                MissingValues::Mean => "mean",
                MissingValues::Median => "median",
                _ => "most frequent value",
            }
        ));
    }
    Ok(Some(imputer))
}

/// Fashion-MNIST through the fetch command, with its own test set: `fashion-mnist` (all
/// 60,000 training and 10,000 test images) or `fashion-mnist-10k` (the first 10,000 and
/// 2,000: a run of minutes with every member and out-of-fold selection).
#[cfg(feature = "fetch")]
fn fetched_images(name: &str) -> Result<Option<(Dataset, Dataset)>> {
    use consort_data::fetch::{Asset, fetch};
    use consort_data::idx::{FASHION_MNIST_CLASSES, idx_dataset};
    let (train_rows, test_rows) = match name {
        "fashion-mnist" => (None, None),
        "fashion-mnist-10k" => (Some(10_000), Some(2_000)),
        _ => return Ok(None),
    };
    let dir = fetch(Asset::FashionMnist)?;
    let load = |images: &str, labels: &str, rows| {
        idx_dataset(
            &dir.join(images),
            &dir.join(labels),
            &FASHION_MNIST_CLASSES,
            rows,
        )
        .map(|d| d.with_name(name))
    };
    Ok(Some((
        load(
            "train-images-idx3-ubyte",
            "train-labels-idx1-ubyte",
            train_rows,
        )?,
        load(
            "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte",
            test_rows,
        )?,
    )))
}

#[cfg(not(feature = "fetch"))]
fn fetched_images(_name: &str) -> Result<Option<(Dataset, Dataset)>> {
    Ok(None)
}

fn data_check(data: &DataConfig) -> Result<()> {
    match (&data.embedded, &data.csv) {
        (Some(_), None) | (None, Some(_)) => Ok(()),
        _ => Err(ConsortError::config(
            "[data] needs exactly one of `embedded` and `csv`",
        )),
    }
}
