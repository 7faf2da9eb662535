//! Attention-based fine-tuning: a Transformer with an attention-pooling head, pretrained on
//! the order task with 8 filler tokens, tuned on a version with 20 (12 unseen): full
//! fine-tuning against tuning only the attention projections and the heads. Prints which
//! tokens the pooling head reads in a few test sequences.
//!
//! `cargo run --release -p consort-examples --example attention`

use consort_core::seed::seeded;
use consort_core::{BackendKind, Result};
use consort_data::batch::rows_to_tensor;
use consort_data::synthetic::{order_sequences, order_task, order_vocab_size};
use consort_eval::model_accuracy;
use consort_examples::{f4, print_table};
use consort_models::{
    NetworkClassifier, NetworkSpec, TransformerClassifier, TransformerClassifierConfig,
};
use consort_tune::{TrainConfig, Trainer, count_parameters, freeze_paths};

const LEN: usize = 16;

fn main() -> Result<()> {
    let vocab = order_vocab_size(20);
    let source = order_sequences(1200, LEN, 8, 1)?;
    let target = order_sequences(300, LEN, 20, 2)?;
    let test = order_sequences(400, LEN, 20, 3)?;
    let device = BackendKind::default_kind()?.device()?.autodiff();
    let plain = device.clone().without_autodiff();
    let spec = TransformerClassifierConfig::new(vocab)
        .with_d_ff(128)
        .with_attention_pooling(true);
    let model = seeded(&device, 0, || spec.build(LEN, 2, &device))?;
    let pretrained = Trainer::new(TrainConfig::new().with_epochs(15).with_progress(true))
        .with_label("pretrain")
        .fit(model, &device, &source, None, &mut [])?
        .model;
    let accuracy = |m: TransformerClassifier| {
        model_accuracy(
            &NetworkClassifier::new(m, plain.clone(), LEN, 2),
            test.features(),
            test.labels(),
        )
    };
    let tune = |m: TransformerClassifier| -> Result<TransformerClassifier> {
        Ok(Trainer::new(TrainConfig::new().with_epochs(10))
            .fit(m, &device, &target, None, &mut [])?
            .model)
    };
    let attention_only = freeze_paths(pretrained.clone(), &["tokens", "positions", "pwff", "norm"]);
    let counts = count_parameters(&attention_only);
    let tuned = tune(attention_only)?;
    let rows = vec![
        vec![
            "pretrained, not tuned".into(),
            "-".into(),
            f4(accuracy(pretrained.clone())?),
        ],
        vec![
            "full fine-tuning".into(),
            "100%".into(),
            f4(accuracy(tune(pretrained)?)?),
        ],
        vec![
            "attention projections + heads only".into(),
            format!("{:.1}%", counts.trainable_share() * 100.0),
            f4(accuracy(tuned.clone())?),
        ],
    ];
    print_table(&["tuning", "trainable", "test accuracy"], &rows);

    let model = NetworkClassifier::new(tuned, plain.clone(), LEN, 2).model();
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
