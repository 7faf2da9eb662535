//! Attention-based fine-tuning: a Transformer with an attention-pooling head, pretrained on
//! the order task with 8 filler tokens, tuned on a version with 20 (12 unseen): full
//! fine-tuning against tuning only the attention projections and the heads. Prints which
//! tokens the pooling head reads in a few test sequences.
//!
//! `cargo run --release -p consort-examples --example attention`

use consort_core::Result;
use consort_data::batch::rows_to_tensor;
use consort_data::synthetic::{order_sequences, order_task, order_vocab_size};
use consort_eval::model_accuracy;
use consort_examples::{f4, print_table};
use consort_models::{NetworkClassifier, TransformerClassifier, TransformerClassifierConfig};
use consort_tune::{NetworkEstimator, TrainConfig, count_parameters, freeze_paths};

const LEN: usize = 16;

fn main() -> Result<()> {
    // Stage lines and progress bars on standard error (-q silences them).
    let _ = consort_examples::progress();
    consort_core::allocator::keep_freed_memory();
    let vocab = order_vocab_size(20);
    let source = order_sequences(1200, LEN, 8, 1)?;
    let target = order_sequences(300, LEN, 20, 2)?;
    let test = order_sequences(400, LEN, 20, 3)?;
    let plain = consort_examples::backend()?.device()?;
    let spec = TransformerClassifierConfig::new(vocab)
        .with_d_ff(128)
        .with_attention_pooling(true);
    let (pretrained_classifier, pretraining) =
        NetworkEstimator::new(spec.clone(), TrainConfig::new().with_epochs(15))
            .fit_with_history(&source)?;
    let pretrained = pretraining.model;
    let accuracy = |m: &NetworkClassifier<TransformerClassifier>| {
        model_accuracy(m, test.features(), test.labels())
    };
    // Fine-tuning starts from the pretrained weights (frozen in parts or not).
    let tune = |m: TransformerClassifier| {
        NetworkEstimator::new(spec.clone(), TrainConfig::new().with_epochs(10))
            .with_start(m)
            .fit_with_history(&target)
            .map(|(c, _)| c)
    };
    let attention_only = freeze_paths(pretrained.clone(), &["tokens", "positions", "pwff", "norm"]);
    let counts = count_parameters(&attention_only);
    let tuned = tune(attention_only)?;
    let rows = vec![
        vec![
            "pretrained, not tuned".into(),
            "-".into(),
            f4(accuracy(&pretrained_classifier)?),
        ],
        vec![
            "full fine-tuning".into(),
            "100%".into(),
            f4(accuracy(&tune(pretrained)?)?),
        ],
        vec![
            "attention projections + heads only".into(),
            format!("{:.1}%", counts.trainable_share() * 100.0),
            f4(accuracy(&tuned)?),
        ],
    ];
    print_table(&["tuning", "trainable", "test accuracy"], &rows);

    let model = tuned.model();
    println!(
        "\nwhere the pooling head looks (markers: A = {}, B = {}):",
        order_task::A,
        order_task::B
    );
    for i in 0..3 {
        let weights = model
            .attention_weights(rows_to_tensor(test.features(), &[i], &plain))
            .expect("attention pooling is on")
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .map_err(|e| consort_core::ConsortError::Backend(format!("{e:?}")))?;
        let tokens = test.features().row(i);
        let cells: Vec<String> = tokens
            .iter()
            .zip(&weights)
            .filter(|(t, _)| **t != 0.0)
            .map(|(t, w)| format!("{t}:{w:.2}"))
            .collect();
        println!("  class {}: {}", test.labels()[i], cells.join(" "));
    }
    Ok(())
}
