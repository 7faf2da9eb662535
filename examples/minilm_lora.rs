//! Fine-tuning MiniLM through the training loop, against its frozen embeddings with logistic
//! regression, on the same IMDB reviews: LoRA adapters, the upper layers, or every weight.
//!
//! Defaults are the sentiment example's subset (2,000 training reviews per class, 1,000 test
//! reviews per class, the first 128 word-piece tokens) and one epoch: about half an hour per
//! fine-tuning mode on 2 CPU cores. Options (all optional):
//! - `--per-class N` training reviews per class, `--test-per-class N`, `--tokens N`,
//!   `--epochs N`;
//! - `--modes lora,top2,full` which fine-tunings to run (`lora`: rank-8 adapters on every
//!   layer's attention query and value projections plus a new head; `top2`: the last two
//!   encoder layers and the head, embeddings and lower layers frozen; `full`: every weight);
//! - `--few-shot`: instead, LoRA against frozen embeddings + logistic regression with 100 and
//!   500 labelled reviews (the first of each class).
//!
//! `cargo run --release -p consort-examples --example minilm_lora -- --per-class 500 --tokens 64`

use std::time::Instant;

use consort_core::{ConsortError, Fit, Matrix};
use consort_data::fetch::{Asset, fetch_with};
use consort_data::{Dataset, TextDataset};
use consort_eval::model_accuracy;
use consort_examples::{f4, imdb_subset, print_table};
use consort_models::nn::{Bert, BertClassifier, BertClassifierSpec, MiniLm};
use consort_models::{LogisticRegressionConfig, Standardized};
use consort_tune::{
    LoraConfig, LoraModel, NetworkEstimator, TrainConfig, count_parameters, freeze_paths,
};

/// What the command line asks for.
struct Options {
    per_class: usize,
    test_per_class: usize,
    tokens: usize,
    epochs: usize,
    modes: Vec<String>,
    few_shot: bool,
}

impl Options {
    fn parse() -> consort_core::Result<Self> {
        let mut o = Options {
            per_class: 2000,
            test_per_class: 1000,
            tokens: 128,
            epochs: 1,
            modes: vec!["lora".into(), "top2".into(), "full".into()],
            few_shot: false,
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            if flag == "--few-shot" {
                o.few_shot = true;
                continue;
            }
            let value = args
                .next()
                .ok_or_else(|| ConsortError::config(format!("{flag} needs a value")))?;
            let number = || {
                value
                    .parse::<usize>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| ConsortError::config(format!("{flag} takes a count >= 1")))
            };
            match flag.as_str() {
                "--per-class" => o.per_class = number()?,
                "--test-per-class" => o.test_per_class = number()?,
                "--tokens" => o.tokens = number()?,
                "--epochs" => o.epochs = number()?,
                "--modes" => o.modes = value.split(',').map(str::to_string).collect(),
                _ => return Err(ConsortError::config(format!("unknown option {flag}"))),
            }
        }
        Ok(o)
    }
}

/// Token ids as rows (0 pads) and the frozen encoder's embeddings of the same tokens.
fn rows(minilm: &MiniLm, text: &TextDataset) -> consort_core::Result<(Dataset, Dataset)> {
    let texts: Vec<&str> = text.texts.iter().map(String::as_str).collect();
    let ids = minilm.tokenizer().encode(&texts)?;
    let mut m = Matrix::zeros(ids.len(), minilm.tokenizer().max_len());
    for (i, s) in ids.iter().enumerate() {
        for (v, &t) in m.row_mut(i).iter_mut().zip(s) {
            *v = t as f32;
        }
    }
    let emb = minilm.embed_tokens(&ids, 32, &consort_examples::progress())?;
    let labels = text.labels.clone();
    Ok((
        Dataset::new(m, labels.clone(), 2)?,
        Dataset::new(emb, labels, 2)?,
    ))
}

/// Frozen embeddings + logistic regression: test accuracy and fit seconds.
fn frozen_row(train: &Dataset, test: &Dataset) -> consort_core::Result<Vec<String>> {
    let start = Instant::now();
    let model = Standardized(LogisticRegressionConfig::default()).fit(train)?;
    Ok(vec![
        "frozen MiniLM embeddings + logistic regression".into(),
        "-".into(),
        f4(model_accuracy(&model, test.features(), test.labels())?),
        format!("{:.1}", start.elapsed().as_secs_f64()),
    ])
}

/// One fine-tuning mode of MiniLM with a new 2-class head, trained through the loop.
fn fine_tune_row(
    mode: &str,
    minilm: &MiniLm,
    dir: &std::path::Path,
    epochs: usize,
    train: &Dataset,
    test: &Dataset,
) -> consort_core::Result<Vec<String>> {
    let device = consort_examples::backend()?.device()?.autodiff();
    let bert = Bert::from_safetensors(minilm.config(), &dir.join("model.safetensors"), &device)?;
    let model = BertClassifier::new(bert, 2, &device);
    let layers = minilm.config().num_hidden_layers;
    // Adapters learn fast from zero; pretrained weights move with a small step (BERT's usual
    // 2e-5 to 5e-5 for full fine-tuning).
    let (name, model, learning_rate) = match mode {
        "lora" => {
            let lora = LoraModel::new(
                model,
                LoraConfig::new(8, &["mha.query.weight", "mha.value.weight"])
                    .with_trainable(&["head"]),
                &device,
            )?;
            (
                "MiniLM + LoRA r=8 (query, value) + head",
                lora.model().clone(),
                2e-3,
            )
        }
        "top2" => {
            let lower: Vec<String> = (0..layers.saturating_sub(2))
                .map(|i| format!("encoder.layers.{i}."))
                .chain(["embeddings.".to_string()])
                .collect();
            let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
            (
                "MiniLM, last 2 layers + head (lower frozen)",
                freeze_paths(model, &lower),
                5e-5,
            )
        }
        "full" => ("MiniLM, every weight + head", model, 3e-5),
        other => {
            return Err(ConsortError::config(format!(
                "unknown mode {other:?}: choose lora, top2 or full"
            )));
        }
    };
    let counts = count_parameters(&model);
    let share = format!(
        "{:.2}% of {:.1}M",
        100.0 * counts.trainable as f64 / counts.total as f64,
        counts.total as f64 / 1e6
    );
    let mut cfg = TrainConfig::new()
        .with_epochs(epochs)
        .with_learning_rate(learning_rate)
        .with_seed(0);
    cfg.batch_size = 16;
    log::info!("fine-tuning: {name} ({share} trained)...");
    let start = Instant::now();
    let tuned = NetworkEstimator::new(
        BertClassifierSpec {
            bert: minilm.config().clone(),
        },
        cfg,
    )
    .with_start(model)
    .fit(train)?;
    let fit_seconds = start.elapsed().as_secs_f64();
    Ok(vec![
        format!("{name}, {epochs} epoch(s)"),
        share,
        f4(model_accuracy(&tuned, test.features(), test.labels())?),
        format!("{fit_seconds:.1}"),
    ])
}

fn main() -> consort_core::Result<()> {
    consort_core::allocator::keep_freed_memory();
    // Log lines (and bars for the download and the embedding below) on standard error.
    let progress = consort_examples::progress();
    let o = Options::parse()?;
    let dir = fetch_with(Asset::MiniLm, &progress)?;
    let device = consort_examples::backend()?.device()?;
    let minilm = MiniLm::load(&dir, o.tokens, &device)?;
    let header = ["model", "trained weights", "test accuracy", "fit (s)"];
    let (test_ids, test_emb) = rows(&minilm, &imdb_subset("test.csv", o.test_per_class)?)?;
    if o.few_shot {
        for labels in [100, 500] {
            let (train_ids, train_emb) = rows(&minilm, &imdb_subset("train.csv", labels / 2)?)?;
            // Few rows: more passes over them.
            let epochs = o.epochs.max(5);
            let table = vec![
                frozen_row(&train_emb, &test_emb)?,
                fine_tune_row("lora", &minilm, &dir, epochs, &train_ids, &test_ids)?,
            ];
            println!(
                "\n{labels} labelled reviews, {} test reviews, first {} tokens",
                test_ids.len(),
                o.tokens
            );
            print_table(&header, &table);
        }
        return Ok(());
    }
    let (train_ids, train_emb) = rows(&minilm, &imdb_subset("train.csv", o.per_class)?)?;
    println!(
        "{} training / {} test reviews, first {} tokens",
        train_ids.len(),
        test_ids.len(),
        o.tokens
    );
    let mut table = vec![frozen_row(&train_emb, &test_emb)?];
    print_table(&header, &table);
    for mode in &o.modes {
        table.push(fine_tune_row(
            mode, &minilm, &dir, o.epochs, &train_ids, &test_ids,
        )?);
        print_table(&header, &table);
    }
    Ok(())
}
