//! Fine-tuning MiniLM with LoRA through the training loop, against its frozen embeddings with
//! logistic regression, on the same IMDB reviews.
//!
//! To fit 2 CPU cores in minutes: 1,000 training reviews (500 per class, the first of the
//! fixed training file), the first 64 word-piece tokens, 2 epochs; tested on 1,000 reviews
//! (500 per class) of the test file. Rank-8 adapters on every layer's attention query and
//! value projections, plus a new classification head, are the only trained weights.
//!
//! `cargo run --release -p consort-examples --example minilm_lora`

use std::time::Instant;

use consort_core::{BackendKind, Fit, Matrix, ObserverHandle};
use consort_data::fetch::{Asset, fetch};
use consort_data::{Dataset, TextDataset};
use consort_eval::model_accuracy;
use consort_examples::{f4, imdb_subset, print_table};
use consort_models::nn::{Bert, BertClassifier, BertClassifierSpec, MiniLm};
use consort_models::{LogisticRegressionConfig, Standardized};
use consort_tune::{LoraConfig, LoraModel, NetworkEstimator, TrainConfig, count_parameters};

const PER_CLASS: usize = 500;
const TOKENS: usize = 64;

fn main() -> consort_core::Result<()> {
    let dir = fetch(Asset::MiniLm)?;
    let (train_text, test_text) = (
        imdb_subset("train.csv", PER_CLASS)?,
        imdb_subset("test.csv", PER_CLASS)?,
    );
    let device = BackendKind::Flex.device()?;
    let minilm = MiniLm::load(&dir, TOKENS, &device)?;
    // Token ids as rows (0 pads) and the frozen encoder's embeddings of the same tokens.
    let rows = |text: &TextDataset| -> consort_core::Result<(Dataset, Dataset)> {
        let texts: Vec<&str> = text.texts.iter().map(String::as_str).collect();
        let ids = minilm.tokenizer().encode(&texts)?;
        let mut m = Matrix::zeros(ids.len(), TOKENS);
        for (i, s) in ids.iter().enumerate() {
            for (v, &t) in m.row_mut(i).iter_mut().zip(s) {
                *v = t as f32;
            }
        }
        let emb = minilm.embed_tokens(&ids, 32, &ObserverHandle::none())?;
        let labels = text.labels.clone();
        Ok((
            Dataset::new(m, labels.clone(), 2)?,
            Dataset::new(emb, labels, 2)?,
        ))
    };
    let (train_ids, train_emb) = rows(&train_text)?;
    let (test_ids, test_emb) = rows(&test_text)?;

    let mut table = Vec::new();
    let start = Instant::now();
    let frozen = Standardized(LogisticRegressionConfig::default()).fit(&train_emb)?;
    table.push(vec![
        "frozen MiniLM embeddings + logistic regression".into(),
        "-".into(),
        f4(model_accuracy(
            &frozen,
            test_emb.features(),
            test_emb.labels(),
        )?),
        format!("{:.1}", start.elapsed().as_secs_f64()),
    ]);

    let train_device = device.clone().autodiff();
    let bert = Bert::from_safetensors(
        minilm.config(),
        &dir.join("model.safetensors"),
        &train_device,
    )?;
    let lora = LoraModel::new(
        BertClassifier::new(bert, 2, &train_device),
        LoraConfig::new(8, &["mha.query.weight", "mha.value.weight"]).with_trainable(&["head"]),
        &train_device,
    )?;
    let counts = count_parameters(lora.model());
    let share = format!(
        "{:.2}% of {:.1}M",
        100.0 * counts.trainable as f64 / counts.total as f64,
        counts.total as f64 / 1e6
    );
    let mut cfg = TrainConfig::new()
        .with_epochs(2)
        .with_learning_rate(2e-3)
        .with_seed(0);
    cfg.batch_size = 16;
    let start = Instant::now();
    let tuned = NetworkEstimator::new(
        BertClassifierSpec {
            bert: minilm.config().clone(),
        },
        cfg,
    )
    .with_start(lora.model().clone())
    .fit(&train_ids)?;
    let fit_seconds = start.elapsed().as_secs_f64();
    table.push(vec![
        "MiniLM + LoRA r=8 (query, value) + head, 2 epochs".into(),
        share,
        f4(model_accuracy(
            &tuned,
            test_ids.features(),
            test_ids.labels(),
        )?),
        format!("{fit_seconds:.1}"),
    ]);
    println!(
        "{} training / {} test reviews, first {TOKENS} tokens",
        train_ids.len(),
        test_ids.len()
    );
    print_table(
        &["model", "trained weights", "test accuracy", "fit (s)"],
        &table,
    );
    Ok(())
}
