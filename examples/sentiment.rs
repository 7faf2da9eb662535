//! Sentiment on real IMDB reviews: a large pretrained encoder (MiniLM) and small classic
//! models, alone and combined.
//!
//! Fixed subset (2 CPU cores, minutes): the first 2,000 negative and 2,000 positive reviews of
//! the fixed training file and the first 1,000 of each class of the test file (`consort fetch
//! imdb`), `<br />` tags removed, 128 word-piece tokens for MiniLM. Members:
//! - MiniLM embeddings + logistic regression ("the large model extracts, the small model
//!   classifies");
//! - TF-IDF of words and word pairs + logistic regression, + multinomial naive Bayes;
//! - a Transformer and an LSTM trained from scratch on the same word-piece ids;
//!
//! and the combinations of large and small: average, stacking (5-fold out-of-fold
//! probabilities), and the cascade TF-IDF + logistic -> MiniLM, whose report counts the
//! MiniLM encoder passes it saves. Then few-shot transfer: with 100 and 500 labelled reviews
//! (the first of each class), the pretrained encoder's embeddings against the same
//! Transformer and LSTM from scratch, TF-IDF beside them.
//!
//! `cargo run --release -p consort-examples --example sentiment`

use std::sync::Arc;
use std::time::Instant;

use consort_core::{Classifier, ClassifierEstimator, Matrix};
use consort_data::{Dataset, TextDataset, TfidfConfig, TfidfVectorizer};
use consort_ensemble::{
    AverageEnsemble, CalibrationTarget, Cascade, Confidence, Member, NamedEstimator, OutOfFold,
    StackingClassifier, StackingConfig,
};
use consort_eval::model_accuracy;
use consort_examples::{f4, imdb_subset, print_table};
use consort_models::nn::minilm_from_cache;
use consort_models::{
    Columns, LogisticRegressionConfig, LstmClassifierConfig, MultinomialNbConfig,
    TransformerClassifierConfig,
};
use consort_tune::{NetworkEstimator, TrainConfig};

/// Reviews per class in the training and test subsets.
const TRAIN_PER_CLASS: usize = 2000;
const TEST_PER_CLASS: usize = 1000;
const MAX_TOKENS: usize = 128;

fn main() -> consort_core::Result<()> {
    consort_core::allocator::keep_freed_memory();
    let progress = consort_examples::progress();
    let train_text = imdb_subset("train.csv", TRAIN_PER_CLASS)?;
    let test_text = imdb_subset("test.csv", TEST_PER_CLASS)?;
    let device = consort_examples::backend()?.device()?;
    let minilm = minilm_from_cache(MAX_TOKENS, &device)?;

    // The large model extracts: token ids (for the from-scratch networks) and embeddings.
    let tokens = |d: &TextDataset| {
        let texts: Vec<&str> = d.texts.iter().map(String::as_str).collect();
        minilm.tokenizer().encode(&texts)
    };
    let (train_ids, test_ids) = (tokens(&train_text)?, tokens(&test_text)?);
    let start = Instant::now();
    let train_emb = minilm.embed_tokens(&train_ids, 32, &progress)?;
    let test_emb = minilm.embed_tokens(&test_ids, 32, &progress)?;
    let embed_seconds = start.elapsed().as_secs_f64();
    let per_review = embed_seconds / (train_ids.len() + test_ids.len()) as f64;
    println!(
        "MiniLM: {} reviews embedded in {embed_seconds:.1} s ({:.1} reviews/s, batch 32, up to \
         {MAX_TOKENS} tokens)",
        train_ids.len() + test_ids.len(),
        1.0 / per_review
    );
    let tfidf = TfidfVectorizer::fit(
        &train_text.texts,
        TfidfConfig {
            max_features: 8000,
            ..Default::default()
        },
    )?;
    let id_rows = |ids: &[Vec<u32>]| {
        let mut m = Matrix::zeros(ids.len(), MAX_TOKENS);
        for (i, s) in ids.iter().enumerate() {
            for (v, &t) in m.row_mut(i).iter_mut().zip(s) {
                *v = t as f32;
            }
        }
        m
    };
    // One feature matrix of three views side by side: embeddings, TF-IDF, token ids.
    let (e, t) = (minilm.dim(), tfidf.len());
    let views = |emb: &Matrix, text: &TextDataset, ids: &[Vec<u32>]| {
        let x = Matrix::hstack(&[emb, &tfidf.transform(&text.texts), &id_rows(ids)])?;
        Dataset::with_names(
            "imdb",
            x,
            text.labels.clone(),
            (0..e + t + MAX_TOKENS).map(|j| format!("f{j}")).collect(),
            text.class_names.clone(),
        )
    };
    let train = views(&train_emb, &train_text, &train_ids)?;
    let test = views(&test_emb, &test_text, &test_ids)?;
    let (emb_cols, tfidf_cols, id_cols) = (0..e, e..e + t, e + t..e + t + MAX_TOKENS);

    let lr = LogisticRegressionConfig {
        c: 10.0,
        ..Default::default()
    };
    let net_train = |epochs| {
        TrainConfig::new()
            .with_epochs(epochs)
            .with_seed(0)
            .with_learning_rate(1e-3)
    };
    let vocab = minilm.tokenizer().vocab_size();
    // The members on precomputed views (a closure: stacking needs them twice).
    let make_small = || -> Vec<(&str, Box<dyn ClassifierEstimator<Dataset>>)> {
        vec![
            (
                "minilm embeddings + logistic",
                Box::new(Columns {
                    range: emb_cols.clone(),
                    inner: lr.clone(),
                }),
            ),
            (
                "tf-idf + logistic",
                Box::new(Columns {
                    range: tfidf_cols.clone(),
                    inner: lr.clone(),
                }),
            ),
            (
                "tf-idf + multinomial nb",
                Box::new(Columns {
                    range: tfidf_cols.clone(),
                    inner: MultinomialNbConfig { alpha: 0.1 },
                }),
            ),
        ]
    };
    let small = make_small();
    let scratch: Vec<(&str, Box<dyn ClassifierEstimator<Dataset>>)> = vec![
        (
            "transformer (from scratch)",
            Box::new(Columns {
                range: id_cols.clone(),
                inner: NetworkEstimator::new(
                    TransformerClassifierConfig::new(vocab)
                        .with_max_len(MAX_TOKENS)
                        .with_d_model(64)
                        .with_n_heads(4)
                        .with_n_layers(2)
                        .with_d_ff(128),
                    net_train(6),
                )
                .with_observer(progress.clone()),
            }),
        ),
        (
            "lstm (from scratch)",
            Box::new(Columns {
                range: id_cols.clone(),
                inner: NetworkEstimator::new(
                    LstmClassifierConfig::new(vocab)
                        .with_d_embed(64)
                        .with_d_hidden(64),
                    net_train(4),
                )
                .with_observer(progress.clone()),
            }),
        ),
    ];
    let mut rows = Vec::new();
    let mut members = Vec::new();
    for (name, est) in small.iter().chain(&scratch) {
        log::info!("{name}: fitting ...");
        let start = Instant::now();
        let model = est.fit_classifier(&train)?;
        let fit = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let acc = model_accuracy(model.as_ref(), test.features(), test.labels())?;
        let predict = start.elapsed().as_secs_f64();
        rows.push(vec![
            name.to_string(),
            f4(acc),
            format!("{fit:.1}"),
            format!("{:.0}", predict * 1e3),
        ]);
        log::info!("{name}: test accuracy {acc:.4} (fitted in {fit:.1} s)");
        members.push(Member::new(*name, model));
    }

    // Large and small combined, learning from 5-fold out-of-fold probabilities of the
    // embedding and TF-IDF members (their features are computed once, so refits are cheap).
    let candidates: Vec<_> = make_small()
        .into_iter()
        .map(|(n, e)| NamedEstimator::new(n, e))
        .collect();
    let start = Instant::now();
    let oof = OutOfFold::compute(&candidates, &StackingConfig::default(), &train)?;
    let oof_seconds = start.elapsed().as_secs_f64();
    let pair = vec![members[0].clone(), members[1].clone()];
    let combined: Vec<(String, Arc<dyn Classifier>)> = vec![
        (
            "average (minilm + tf-idf logistic)".into(),
            Arc::new(AverageEnsemble::new(pair.clone())?),
        ),
        (
            "stacking (minilm + tf-idf logistic + nb)".into(),
            Arc::new(StackingClassifier::from_out_of_fold(
                members[..3].to_vec(),
                &oof,
                &LogisticRegressionConfig::default(),
                false,
                &train,
            )?),
        ),
    ];
    for (name, model) in &combined {
        let start = Instant::now();
        let acc = model_accuracy(model.as_ref(), test.features(), test.labels())?;
        rows.push(vec![
            name.clone(),
            f4(acc),
            format!("{oof_seconds:.1}"),
            format!("{:.0}", start.elapsed().as_secs_f64() * 1e3),
        ]);
    }
    // Small first: TF-IDF + logistic answers when confident, MiniLM only for the rest.
    let cascade = Cascade::calibrate_on(
        vec![members[1].clone(), members[0].clone()],
        Confidence::MaxProbability,
        CalibrationTarget::AccuracyWithin(0.005),
        &[oof.probas[1].clone(), oof.probas[0].clone()],
        train.labels(),
    )?;
    let report = cascade.report(&test)?;
    rows.push(vec![
        "cascade (tf-idf logistic -> minilm)".into(),
        f4(report.accuracy),
        format!("{oof_seconds:.1}"),
        format!("{:.0}", report.seconds * 1e3),
    ]);
    print_table(
        &["model", "test accuracy", "fit (s)", "predict (ms)"],
        &rows,
    );
    let escalated = report.escalated_to_last;
    println!(
        "\n{} train / {} test reviews. Predict times exclude MiniLM's encoder pass \
         ({:.1} ms per review here), paid by every MiniLM member; the cascade sends {:.1}% of \
         the test reviews to MiniLM, so it needs {:.0} encoder passes instead of {} ({:.0}% of \
         the encoder time saved) for accuracy {:.4} against {:.4} for MiniLM + logistic alone.",
        train.len(),
        test.len(),
        per_review * 1e3,
        escalated * 100.0,
        escalated * test.len() as f64,
        test.len(),
        (1.0 - escalated) * 100.0,
        report.accuracy,
        report.last_member_accuracy
    );

    // Few-shot: the first n/2 reviews of each class of the training subset.
    let mut few_rows = Vec::new();
    for n in [100usize, 500] {
        let mut taken = [0usize; 2];
        let rows: Vec<usize> = (0..train.len())
            .filter(|&i| {
                let l = train.labels()[i];
                let keep = taken[l] < n / 2;
                taken[l] += usize::from(keep);
                keep
            })
            .collect();
        let few = train.subset(&rows);
        let mut row = vec![n.to_string()];
        for (_, est) in [&small[0], &small[1]].into_iter().chain(&scratch) {
            let model = est.fit_classifier(&few)?;
            row.push(f4(model_accuracy(
                model.as_ref(),
                test.features(),
                test.labels(),
            )?));
        }
        few_rows.push(row);
    }
    println!();
    print_table(
        &[
            "labelled reviews",
            "minilm embeddings + logistic",
            "tf-idf + logistic",
            "transformer (from scratch)",
            "lstm (from scratch)",
        ],
        &few_rows,
    );
    Ok(())
}
