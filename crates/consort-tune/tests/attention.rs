//! Attention-based fine-tuning of the Transformer: only the attention projections (and the
//! pooling and classification heads) train, on a shifted version of the order task.

use consort_core::BackendKind;
use consort_core::seed::seeded;
use consort_data::batch::rows_to_tensor;
use consort_data::synthetic::{order_sequences, order_vocab_size};
use consort_eval::model_accuracy;
use consort_models::{NetworkSpec, TransformerClassifier, TransformerClassifierConfig};
use consort_tune::{NetworkEstimator, TrainConfig, count_parameters, freeze_paths};

const LEN: usize = 16;

#[test]
fn attention_only_tuning_matches_full_fine_tuning_with_a_fraction_of_the_parameters() {
    // Pretrained on sequences with 8 filler tokens; tuned and tested on sequences with 20,
    // whose 12 new fillers the pretrained embeddings never saw.
    let vocab = order_vocab_size(20);
    let source = order_sequences(1200, LEN, 8, 1).unwrap();
    let target = order_sequences(300, LEN, 20, 2).unwrap();
    let test = order_sequences(400, LEN, 20, 3).unwrap();
    let device = BackendKind::Flex.device().unwrap().autodiff();
    let spec = TransformerClassifierConfig::new(vocab)
        .with_d_ff(128)
        .with_attention_pooling(true);
    let model = seeded(&device, 0, || spec.build(LEN, 2, &device)).unwrap();
    // Every run starts from given weights: the seeded model, then the pretrained one.
    let fit = |start: TransformerClassifier, data, epochs| {
        NetworkEstimator::new(spec.clone(), TrainConfig::new().with_epochs(epochs))
            .with_start(start)
            .fit_with_history(data)
            .unwrap()
    };
    let (pretrained_classifier, pretraining) = fit(model, &source, 15);
    let pretrained = pretraining.model;
    let accuracy = |c| model_accuracy(c, test.features(), test.labels()).unwrap();
    let before = accuracy(&pretrained_classifier);
    let full = fit(pretrained.clone(), &target, 10).0;
    // Everything but the attention projections and the two heads is frozen.
    let attention_only = freeze_paths(pretrained.clone(), &["tokens", "positions", "pwff", "norm"]);
    let counts = count_parameters(&attention_only);
    let attention = fit(attention_only, &target, 10).0;
    let (full_acc, attention_acc) = (accuracy(&full), accuracy(&attention));
    eprintln!(
        "pretrained {before:.4} on the shifted task; full fine-tuning {full_acc:.4}; attention \
         only {attention_acc:.4} with {} of {} parameters ({:.1}%)",
        counts.trainable,
        counts.total,
        counts.trainable_share() * 100.0
    );
    assert!(counts.trainable_share() < 0.40, "{counts:?}");
    assert!(
        attention_acc >= full_acc - 0.03,
        "{attention_acc} vs {full_acc}"
    );

    // Which tokens the pooling head reads, for one test sequence.
    let model = attention.model();
    let row = rows_to_tensor(test.features(), &[0], attention.device());
    let weights: Vec<f32> = model
        .attention_weights(row)
        .unwrap()
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .unwrap();
    let tokens = test.features().row(0);
    let mut order: Vec<usize> = (0..LEN).collect();
    order.sort_by(|&a, &b| weights[b].total_cmp(&weights[a]));
    eprintln!(
        "sequence {:?}: the head attends most to positions {:?} (weights {:?})",
        tokens,
        &order[..3],
        order[..3].iter().map(|&i| weights[i]).collect::<Vec<_>>()
    );
    assert!((weights.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    for (w, &t) in weights.iter().zip(tokens) {
        if t == 0.0 {
            assert!(*w < 1e-6, "padding gets no attention");
        }
    }
}
