//! Sequence networks on the order-dependent task, against a bag-of-words baseline; and
//! the text pipeline end to end on a small labelled TSV.

use consort_core::{Classifier, ConsortError, Fit};
use consort_data::synthetic::{order_sequences, order_vocab_size};
use consort_data::text::{PAD_ID, UNK_ID};
use consort_data::{Dataset, LabelColumn, Vocabulary, bag_of_ids, read_text_csv};
use consort_models::{
    LstmClassifierConfig, MultinomialNbConfig, NetworkClassifier, NetworkSpec,
    TransformerClassifierConfig,
};
use consort_tune::{NetworkEstimator, TrainConfig};

const FILLERS: u32 = 8;
const LEN: usize = 16;

fn accuracy(model: &dyn Classifier, test: &Dataset) -> f64 {
    consort_eval::model_accuracy(model, test.features(), test.labels()).unwrap()
}

fn task() -> (Dataset, Dataset) {
    (
        order_sequences(1200, LEN, FILLERS, 1).unwrap(),
        order_sequences(400, LEN, FILLERS, 2).unwrap(),
    )
}

fn bag_of_words_baseline(train: &Dataset, test: &Dataset) -> f64 {
    let v = order_vocab_size(FILLERS);
    let nb = MultinomialNbConfig::default()
        .fit(&bag_of_ids(train, v).unwrap())
        .unwrap();
    accuracy(&nb, &bag_of_ids(test, v).unwrap())
}

/// Trains `spec` on the order task and checks it beats bag-of-words by 15 points and reaches
/// 0.90; returns the fitted model.
fn assert_sees_order<S: NetworkSpec>(spec: S, learning_rate: f64) -> NetworkClassifier<S::Net> {
    let (train, test) = task();
    let nb = bag_of_words_baseline(&train, &test);
    let model = NetworkEstimator::new(
        spec.clone(),
        TrainConfig::new()
            .with_epochs(15)
            .with_learning_rate(learning_rate)
            .with_batch_size(32),
    )
    .fit(&train)
    .unwrap();
    let acc = accuracy(&model, &test);
    eprintln!(
        "order task: {} {acc:.4}, multinomial nb {nb:.4}",
        spec.name()
    );
    assert!(acc >= 0.90, "{acc}");
    assert!(
        acc >= nb + 0.15,
        "{} {acc} vs bag of words {nb}",
        spec.name()
    );
    model
}

#[test]
fn lstm_sees_order_that_bag_of_words_cannot() {
    let lstm = assert_sees_order(LstmClassifierConfig::new(order_vocab_size(FILLERS)), 5e-3);
    // An id outside the vocabulary is a typed error, not an out-of-bounds panic.
    let (_, test) = task();
    let mut bad = test.features().select_rows(&[0]);
    bad.as_mut_slice()[3] = 999.0;
    assert!(matches!(
        lstm.predict_proba(&bad),
        Err(ConsortError::InvalidInput(_))
    ));
}

#[test]
fn transformer_sees_order_that_bag_of_words_cannot() {
    assert_sees_order(
        TransformerClassifierConfig::new(order_vocab_size(FILLERS)),
        2e-3,
    );
}

#[test]
fn a_row_predicts_the_same_alone_and_in_a_batch() {
    let (train, test) = task();
    let model = NetworkEstimator::new(
        TransformerClassifierConfig::new(order_vocab_size(FILLERS)),
        TrainConfig::new().with_epochs(1),
    )
    .fit(&train)
    .unwrap();
    let all = model.predict_proba(test.features()).unwrap();
    for i in [0, 7, 399] {
        let alone = model
            .predict_proba(&test.features().select_rows(&[i]))
            .unwrap();
        for (a, b) in alone.row(0).iter().zip(all.row(i)) {
            assert!((a - b).abs() < 1e-5, "row {i}: {a} vs {b}");
        }
    }
}

#[test]
fn text_pipeline_from_tsv_to_models() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reviews.tsv");
    let mut body = String::from("id\treview\tsentiment\n");
    let good = [
        "great fun film",
        "loved it , great cast",
        "wonderful and fun",
        "great great story",
    ];
    let bad = [
        "boring film",
        "awful , boring plot",
        "hated it",
        "dull and awful story",
    ];
    for i in 0..40 {
        body.push_str(&format!("{i}\t{}\tpos\n", good[i % 4]));
        body.push_str(&format!("{}\t{}\tneg\n", i + 100, bad[i % 4]));
    }
    std::fs::write(&path, body).unwrap();
    let texts = read_text_csv(
        &path,
        &LabelColumn::Name("review".into()),
        &LabelColumn::Name("sentiment".into()),
        b'\t',
    )
    .unwrap();
    assert_eq!(texts.class_names, ["neg", "pos"]);
    assert_eq!(texts.texts.len(), 80);
    let vocab = Vocabulary::build(&texts.texts, 2, None).unwrap();
    assert_eq!(
        vocab.id("great"),
        2,
        "the most frequent token gets the first free id"
    );
    let seqs = texts.to_sequences(&vocab, 6).unwrap();
    assert_eq!(seqs.n_features(), 6);
    assert_eq!(seqs.features().get(0, 5), PAD_ID as f32);
    assert_eq!(vocab.encode("great zzz", 2), vec![2, UNK_ID]);
    let bow = texts.to_bag_of_words(&vocab).unwrap();
    let nb = MultinomialNbConfig::default().fit(&bow).unwrap();
    assert_eq!(accuracy(&nb, &bow), 1.0);
    assert!(matches!(
        read_text_csv(
            &path,
            &LabelColumn::Name("text".into()),
            &LabelColumn::Last,
            b'\t'
        ),
        Err(ConsortError::UnknownColumn { .. })
    ));
}
