//! Text mode: one text column of a CSV becomes two views side by side in the feature matrix,
//! MiniLM sentence embeddings (the large pretrained model extracts; the classical models and
//! the MLP classify) and word-piece ids (the Transformer and LSTM members train on them).

use consort_core::{ConsortError, ObserverHandle, Result};
use consort_data::split::stratified_indices;
use consort_data::{LabelColumn, MissingValues, TextDataset, read_text_csv};

use crate::config::DataConfig;
use crate::prepared::Prepared;
#[cfg(feature = "text")]
use crate::prepared::{Preprocessing, TextViews};

/// Reads the text and label columns, splits (or maps the given test file's labels), and
/// builds the embedding and token views.
pub(crate) fn prepare_text(
    data: &DataConfig,
    column: &str,
    seed: u64,
    backend: Option<consort_core::BackendKind>,
    observer: &ObserverHandle,
) -> Result<Prepared> {
    let path = data.csv.as_ref().ok_or_else(|| {
        ConsortError::config("[data] `text` names a column of `csv`, and there is no csv")
    })?;
    let text_col = LabelColumn::Name(column.to_string());
    let label_col = data
        .label
        .as_deref()
        .map_or(LabelColumn::Last, LabelColumn::parse);
    let read = |p: &std::path::Path| -> Result<TextDataset> {
        let set = read_text_csv(p, &text_col, &label_col, data.delimiter.byte())?;
        // A column of numbers named as text is a mistake worth stopping for.
        let numeric = set
            .texts
            .iter()
            .filter(|t| !t.trim().is_empty())
            .all(|t| t.trim().parse::<f64>().is_ok());
        if numeric && set.texts.iter().any(|t| !t.trim().is_empty()) {
            return Err(ConsortError::InvalidInput(format!(
                "{}: column {column:?} holds numbers, not text; name the text column with \
                 --text, or leave --text out for numeric features",
                p.display()
            )));
        }
        Ok(set)
    };
    let all = read(path)?;
    if data.missing != MissingValues::Error || !data.drop.is_empty() {
        return Err(ConsortError::config(
            "in text mode only the text and label columns are read: leave out --missing and \
             --drop",
        ));
    }
    let k = all.class_names.len();
    let (train, test) = match &data.test {
        Some(t) => {
            let given = read(t)?;
            let labels = training_classes(&given, &all.class_names, t)?;
            (
                all.clone(),
                TextDataset {
                    texts: given.texts,
                    labels,
                    class_names: all.class_names.clone(),
                },
            )
        }
        None => {
            if k < 2 {
                return Err(ConsortError::TooFewClasses(format!(
                    "{} has {k} class; a classifier needs at least 2",
                    path.display()
                )));
            }
            let (tr, te) = stratified_indices(&all.labels, k, data.test_fraction.get(), seed)?;
            let pick = |idx: &[usize]| TextDataset {
                texts: idx.iter().map(|&i| all.texts[i].clone()).collect(),
                labels: idx.iter().map(|&i| all.labels[i]).collect(),
                class_names: all.class_names.clone(),
            };
            (pick(&tr), pick(&te))
        }
    };
    views(data, column, path, (train, test), backend, observer)
}

#[cfg(feature = "text")]
fn views(
    data: &DataConfig,
    column: &str,
    path: &std::path::Path,
    (train, test): (TextDataset, TextDataset),
    backend: Option<consort_core::BackendKind>,
    observer: &ObserverHandle,
) -> Result<Prepared> {
    use consort_core::{BackendKind, Matrix};
    use consort_data::Dataset;

    let device = BackendKind::chosen(backend)?.device()?;
    let minilm = consort_models::nn::minilm_from_cache(data.max_tokens, &device)?;
    let start = std::time::Instant::now();
    let build = |set: &TextDataset| -> Result<Dataset> {
        let texts: Vec<&str> = set.texts.iter().map(String::as_str).collect();
        let ids = minilm.tokenizer().encode(&texts)?;
        let emb = minilm.embed_tokens(&ids, 32, observer)?;
        let mut tokens = Matrix::zeros(ids.len(), data.max_tokens);
        for (i, s) in ids.iter().enumerate() {
            for (v, &t) in tokens.row_mut(i).iter_mut().zip(s) {
                *v = t as f32;
            }
        }
        let names = (0..minilm.dim())
            .map(|j| format!("minilm_{j}"))
            .chain((0..data.max_tokens).map(|j| format!("token_{j}")))
            .collect();
        Dataset::with_names(
            path.file_stem()
                .map_or("text".into(), |s| s.to_string_lossy().into_owned()),
            Matrix::hstack(&[&emb, &tokens])?,
            set.labels.clone(),
            names,
            set.class_names.clone(),
        )
    };
    let (train_set, test_set) = (build(&train)?, build(&test)?);
    let seconds = start.elapsed().as_secs_f64();
    let n = train.texts.len() + test.texts.len();
    let dim = minilm.dim();
    let notes = vec![format!(
        "text column {column:?}: MiniLM (all-MiniLM-L6-v2) sentence embeddings ({dim} \
         features) for the classical models and the MLP, word-piece ids (up to {} tokens) for \
         the sequence networks; {n} texts embedded in {seconds:.1} s ({:.1}/s)",
        data.max_tokens,
        n as f64 / seconds.max(1e-9)
    )];
    let preprocessing = Preprocessing {
        numeric_columns: Vec::new(),
        text_columns: vec![column.to_string()],
        label_column: String::new(),
        dropped_columns: Vec::new(),
        delimiter: data.delimiter.byte(),
        missing: MissingValues::Error,
        imputer: None,
        one_hot: None,
        class_names: train_set.class_names().to_vec(),
        feature_names: train_set.feature_names().to_vec(),
    };
    Ok(Prepared {
        text: Some(TextViews {
            embedding: 0..dim,
            tokens: dim..dim + data.max_tokens,
            vocab_size: minilm.tokenizer().vocab_size(),
        }),
        name: train_set.name().to_string(),
        train: train_set,
        test: test_set,
        notes,
        preprocessing,
    })
}

#[cfg(not(feature = "text"))]
fn views(
    _: &DataConfig,
    _: &str,
    _: &std::path::Path,
    _: (TextDataset, TextDataset),
    _: Option<consort_core::BackendKind>,
    _: &ObserverHandle,
) -> Result<Prepared> {
    Err(ConsortError::config(
        "text columns need MiniLM: build consort-experiment with its `text` feature (the \
         consort command has it)",
    ))
}

/// The test file's labels as classes of the training data; a label the training data lacks is
/// an error at its row (the header is line 1).
fn training_classes(
    given: &TextDataset,
    classes: &[String],
    path: &std::path::Path,
) -> Result<Vec<usize>> {
    given
        .labels
        .iter()
        .enumerate()
        .map(|(row, &l)| {
            let name = &given.class_names[l];
            classes
                .iter()
                .position(|c| c == name)
                .ok_or_else(|| ConsortError::Parse {
                    source_name: path.display().to_string(),
                    line: row + 2,
                    message: format!(
                        "label {name:?} is not a class of the training data {classes:?}"
                    ),
                })
        })
        .collect()
}
