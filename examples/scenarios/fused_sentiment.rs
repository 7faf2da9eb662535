//! Fused supervision on IMDB sentiment, shared by the `ensemble_tuning` example and its test:
//! the `sentiment` example's stacked ensemble (MiniLM embeddings + logistic regression, TF-IDF +
//! logistic regression, TF-IDF + multinomial naive Bayes, stacked on 5-fold out-of-fold
//! probabilities) labels reviews nobody labelled, and one MLP on the TF-IDF features alone
//! learns the fused soft outputs. The backbone then predicts without MiniLM's encoder pass,
//! which is where the ensemble's time goes.
//!
//! The unlabelled rows are real reviews: the IMDB training reviews after the labelled ones,
//! their labels dropped.

use std::sync::Arc;
use std::time::Instant;

use consort_core::{Classifier, ClassifierEstimator, Fit, Matrix};
use consort_data::{Dataset, TextDataset, TfidfConfig, TfidfVectorizer};
use consort_ensemble::{Member, NamedEstimator, OutOfFold, StackingClassifier, StackingConfig};
use consort_eval::model_accuracy;
use consort_models::nn::minilm_from_cache;
use consort_models::{Columns, LogisticRegressionConfig, MlpSpec, MultinomialNbConfig};
use consort_tune::{FusedSupervision, NetworkEstimator, TrainConfig};

use crate::fused_supervision::{FusedOutcome, Line};
use crate::imdb_subset;

/// How much of IMDB the scenario reads.
#[derive(Debug, Clone, Copy)]
pub struct SentimentSizes {
    /// Labelled training reviews per class.
    pub labelled_per_class: usize,
    /// Unlabelled training reviews per class (taken after the labelled ones, labels dropped).
    pub unlabelled_per_class: usize,
    /// Test reviews per class.
    pub test_per_class: usize,
    /// Word-piece tokens MiniLM reads per review.
    pub max_tokens: usize,
    /// TF-IDF vocabulary size (words and word pairs).
    pub tfidf_features: usize,
}

impl SentimentSizes {
    /// The `sentiment` example's subset (2,000 labelled and 1,000 test reviews per class,
    /// 128 tokens, 8,000 TF-IDF terms) with 3,000 unlabelled reviews per class.
    pub fn example() -> Self {
        Self {
            labelled_per_class: 2000,
            unlabelled_per_class: 3000,
            test_per_class: 1000,
            max_tokens: 128,
            tfidf_features: 8000,
        }
    }
}

/// The sentiment outcome: the lines of the digits scenario plus where the time goes.
#[derive(Debug, Clone)]
pub struct SentimentFusedOutcome {
    /// Members, ensemble, backbone on labels alone and on the fused targets.
    pub lines: FusedOutcome,
    /// MiniLM's encoder, seconds per review (every MiniLM member pays it; the backbone
    /// does not).
    pub encoder_seconds_per_review: f64,
    /// The ensemble's members and stacker on precomputed features, seconds per review.
    pub ensemble_seconds_per_review: f64,
    /// The backbone on the TF-IDF features, seconds per review.
    pub backbone_seconds_per_review: f64,
    /// Columns the backbone reads (the TF-IDF vocabulary), against the ensemble's.
    pub backbone_inputs: usize,
    /// Columns the ensemble reads (MiniLM embedding and TF-IDF).
    pub ensemble_inputs: usize,
}

/// The backbone: one hidden layer of 64 on the TF-IDF vector.
fn backbone(seed: u64, epochs: usize) -> NetworkEstimator<MlpSpec> {
    NetworkEstimator::new(
        MlpSpec::new(vec![64]).with_dropout(0.5),
        TrainConfig::new()
            .with_epochs(epochs)
            .with_seed(seed)
            .with_learning_rate(1e-3),
    )
}

/// A model's line: its accuracy on `data` and its stated cost.
fn line(name: &str, model: &dyn Classifier, data: &Dataset) -> consort_core::Result<Line> {
    Ok(Line {
        name: name.to_string(),
        accuracy: model_accuracy(model, data.features(), data.labels())?,
        macs: model.macs_per_sample(),
    })
}

/// Splits the first `labelled + unlabelled` reviews of each class into the labelled set and
/// the unlabelled texts (in file order).
fn split_labelled(all: TextDataset, labelled_per_class: usize) -> (TextDataset, Vec<String>) {
    let mut taken = vec![0usize; all.class_names.len()];
    let (mut texts, mut labels, mut rest) = (Vec::new(), Vec::new(), Vec::new());
    for (t, l) in all.texts.into_iter().zip(all.labels) {
        if taken[l] < labelled_per_class {
            taken[l] += 1;
            texts.push(t);
            labels.push(l);
        } else {
            rest.push(t);
        }
    }
    let labelled = TextDataset {
        texts,
        labels,
        class_names: all.class_names,
    };
    (labelled, rest)
}

/// Everything before the backbone trains: the two views of every row, the fitted stacking
/// ensemble and the members' lines.
pub struct SentimentViews {
    train: Dataset,
    train_words: Dataset,
    unlabelled_both: Matrix,
    unlabelled_words: Matrix,
    test_words: Dataset,
    fused: StackingClassifier,
    member_lines: Vec<Line>,
    ensemble: Line,
    encoder_seconds_per_review: f64,
    ensemble_seconds_per_review: f64,
    ensemble_inputs: usize,
}

impl SentimentViews {
    /// Reads IMDB, embeds every review with MiniLM, fits TF-IDF, the members and the
    /// stacking ensemble (`seed`: its folds).
    pub fn prepare(sizes: SentimentSizes, seed: u64) -> consort_core::Result<Self> {
        let all = imdb_subset(
            "train.csv",
            sizes.labelled_per_class + sizes.unlabelled_per_class,
        )?;
        let (labelled_text, unlabelled_text) = split_labelled(all, sizes.labelled_per_class);
        let test_text = imdb_subset("test.csv", sizes.test_per_class)?;
        let minilm = minilm_from_cache(sizes.max_tokens, &crate::backend()?.device()?)?;
        let embed = |texts: &[String]| {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            minilm.embed(&refs, 32, &crate::observer())
        };
        let start = Instant::now();
        let test_emb = embed(&test_text.texts)?;
        let encoder_seconds_per_review =
            start.elapsed().as_secs_f64() / test_text.texts.len() as f64;
        let labelled_emb = embed(&labelled_text.texts)?;
        let unlabelled_emb = embed(&unlabelled_text)?;
        // The vocabulary may come from every training review: it needs no labels.
        let vocabulary: Vec<String> = labelled_text
            .texts
            .iter()
            .chain(&unlabelled_text)
            .cloned()
            .collect();
        let tfidf = TfidfVectorizer::fit(
            &vocabulary,
            TfidfConfig {
                max_features: sizes.tfidf_features,
                ..Default::default()
            },
        )?;
        let (e, t) = (minilm.dim(), tfidf.len());
        let names = |n: usize| (0..n).map(|j| format!("f{j}")).collect::<Vec<_>>();
        // The ensemble's view: embedding and TF-IDF side by side; the backbone's: TF-IDF alone.
        let views =
            |emb: &Matrix, text: &TextDataset| -> consort_core::Result<(Dataset, Dataset)> {
                let words = tfidf.transform(&text.texts);
                let both = Dataset::with_names(
                    "imdb",
                    Matrix::hstack(&[emb, &words])?,
                    text.labels.clone(),
                    names(e + t),
                    text.class_names.clone(),
                )?;
                let alone = Dataset::with_names(
                    "imdb tf-idf",
                    words,
                    text.labels.clone(),
                    names(t),
                    text.class_names.clone(),
                )?;
                Ok((both, alone))
            };
        let (train, train_words) = views(&labelled_emb, &labelled_text)?;
        let (test, test_words) = views(&test_emb, &test_text)?;
        let unlabelled_words = tfidf.transform(&unlabelled_text);
        let unlabelled_both = Matrix::hstack(&[&unlabelled_emb, &unlabelled_words])?;

        let lr = LogisticRegressionConfig {
            c: 10.0,
            ..Default::default()
        };
        let members: Vec<(&str, Box<dyn ClassifierEstimator<Dataset>>)> = vec![
            (
                "MiniLM embeddings + logistic",
                Box::new(Columns {
                    range: 0..e,
                    inner: lr.clone(),
                }),
            ),
            (
                "TF-IDF + logistic",
                Box::new(Columns {
                    range: e..e + t,
                    inner: lr.clone(),
                }),
            ),
            (
                "TF-IDF + multinomial NB",
                Box::new(Columns {
                    range: e..e + t,
                    inner: MultinomialNbConfig { alpha: 0.1 },
                }),
            ),
        ];
        let mut fitted = Vec::new();
        let mut member_lines = Vec::new();
        for (name, est) in &members {
            let model: Arc<dyn Classifier> = est.fit_classifier(&train)?;
            member_lines.push(line(name, &*model, &test)?);
            fitted.push(Member::new(*name, model));
        }
        let candidates: Vec<_> = members
            .into_iter()
            .map(|(n, e)| NamedEstimator::new(n, e))
            .collect();
        let stacking = StackingConfig {
            seed,
            ..Default::default()
        };
        let oof = OutOfFold::compute(&candidates, &stacking, &train)?;
        let fused = StackingClassifier::from_out_of_fold(
            fitted,
            &oof,
            &LogisticRegressionConfig::default(),
            false,
            &train,
        )?;
        let start = Instant::now();
        let ensemble = line("stacking of the 3", &fused, &test)?;
        let ensemble_seconds_per_review = start.elapsed().as_secs_f64() / test.len() as f64;
        Ok(Self {
            train,
            train_words,
            unlabelled_both,
            unlabelled_words,
            test_words,
            fused,
            member_lines,
            ensemble,
            encoder_seconds_per_review,
            ensemble_seconds_per_review,
            ensemble_inputs: e + t,
        })
    }

    /// Test reviews.
    pub fn test_len(&self) -> usize {
        self.test_words.len()
    }

    /// Trains the backbone (`seed`, `epochs`) on the labels alone and on the fused targets.
    pub fn backbones(
        &self,
        seed: u64,
        epochs: usize,
    ) -> consort_core::Result<SentimentFusedOutcome> {
        let (train, test_words) = (&self.train, &self.test_words);

        let alone = backbone(seed, epochs).fit(&self.train_words)?;
        let (student, _) = FusedSupervision::default().train_across_views(
            &backbone(seed, epochs),
            &self.fused,
            train.features(),
            Some(&self.unlabelled_both),
            &self.train_words,
            Some(&self.unlabelled_words),
        )?;
        let start = Instant::now();
        let backbone_fused = line("MLP on TF-IDF, fused supervision", &student, test_words)?;
        let backbone_seconds_per_review = start.elapsed().as_secs_f64() / test_words.len() as f64;
        Ok(SentimentFusedOutcome {
            lines: FusedOutcome {
                members: self.member_lines.clone(),
                ensemble: self.ensemble.clone(),
                backbone_alone: line("MLP on TF-IDF, labels only", &alone, test_words)?,
                backbone_fused,
                rows: (train.len(), self.unlabelled_words.rows()),
            },
            encoder_seconds_per_review: self.encoder_seconds_per_review,
            ensemble_seconds_per_review: self.ensemble_seconds_per_review,
            backbone_seconds_per_review,
            backbone_inputs: self.train_words.n_features(),
            ensemble_inputs: self.ensemble_inputs,
        })
    }
}

/// Runs the scenario: `seed` drives the stacking folds and the backbone's initialisation and
/// batches; `epochs` of backbone training (labels alone and fused alike).
pub fn fused_supervision_on_sentiment(
    sizes: SentimentSizes,
    seed: u64,
    epochs: usize,
) -> consort_core::Result<SentimentFusedOutcome> {
    SentimentViews::prepare(sizes, seed)?.backbones(seed, epochs)
}
