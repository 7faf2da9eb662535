//! Multimodal fusion on real paired data, shared by the `multimodal` example and its test:
//! the emoji of `emoji-datasource-google` (fetched by `consort fetch emoji`), each a 16x16
//! image, a short text (its name and short names) and a tabular record from Unicode (first
//! code point, sequence length, skin tones, version, ...), classified into 9 categories.
//! Single modalities (a CNN on the image, an MLP on the text's representation: frozen MiniLM
//! sentence embeddings, or TF-IDF; a random forest on the record) against late fusion (their
//! weighted average, or stacking over their out-of-fold probabilities), early fusion (one
//! network over image and text, concatenated) and gated fusion; then the early-fusion network
//! with a modality missing at test time, trained with and without modality dropout.

use std::sync::Arc;

use consort_core::{Classifier, Fit, Matrix, Result};
use consort_data::fetch::{Asset, EMOJI_SIDE, fetch};
use consort_data::tfidf::{TfidfConfig, TfidfVectorizer};
use consort_data::{CsvOptions, read_csv};
use consort_data::{Dataset, ImageTextSet, StandardScaler, read_image_text_csv};
use consort_ensemble::{
    AverageEnsemble, Member, NamedEstimator, OutOfFold, StackingClassifier, StackingConfig,
};
use consort_eval::model_accuracy;
use consort_models::nn::minilm_from_cache;
use consort_models::{
    CnnConfig, Columns, LogisticRegressionConfig, MlpSpec, Modality, MultimodalConfig,
    MultimodalNet, NetworkClassifier, RandomForestConfig,
};

/// How the text of each item becomes features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoder {
    /// All-MiniLM-L6-v2 sentence embeddings (384 values, frozen encoder).
    MiniLm,
    /// TF-IDF of the words, fitted on the training texts.
    Tfidf,
}
use consort_tune::{NetworkEstimator, TrainConfig};

/// The figures (test accuracy).
#[derive(Debug, Clone)]
pub struct MultimodalOutcome {
    /// Training, validation and test items; classes.
    pub sizes: (usize, usize, usize, usize),
    /// Image CNN alone.
    pub image_only: f64,
    /// Text MLP alone.
    pub text_only: f64,
    /// Random forest on the Unicode record alone.
    pub tabular_only: f64,
    /// Weighted average of image and text (weights fitted on validation rows).
    pub late: f64,
    /// Stacking of image and text: logistic regression over their out-of-fold probabilities.
    pub late_stacked: f64,
    /// Weighted average of all three modalities.
    pub late_all: f64,
    /// Stacking of all three modalities.
    pub late_all_stacked: f64,
    /// One network, concatenated representations.
    pub early: f64,
    /// One network, gated representations.
    pub gated: f64,
    /// Early fusion trained with modality dropout.
    pub early_dropout: f64,
    /// (image missing, text missing) for early fusion without modality dropout.
    pub early_missing: (f64, f64),
    /// (image missing, text missing) for early fusion with modality dropout.
    pub early_dropout_missing: (f64, f64),
}

impl MultimodalOutcome {
    /// The best single modality of all three.
    pub fn best_single(&self) -> f64 {
        self.best_image_text_single().max(self.tabular_only)
    }

    /// The best fusion of any modalities.
    pub fn best_fusion(&self) -> f64 {
        self.best_image_text_fusion()
            .max(self.late_all)
            .max(self.late_all_stacked)
    }

    /// The better of image and text alone.
    pub fn best_image_text_single(&self) -> f64 {
        self.image_only.max(self.text_only)
    }

    /// The best fusion of image and text (no tabular record).
    pub fn best_image_text_fusion(&self) -> f64 {
        [
            self.late,
            self.late_stacked,
            self.early,
            self.gated,
            self.early_dropout,
        ]
        .into_iter()
        .fold(0.0, f64::max)
    }
}

fn image_config() -> CnnConfig {
    CnnConfig::new()
        .with_channels(3)
        .with_height(EMOJI_SIDE)
        .with_width(EMOJI_SIDE)
        .with_dropout(0.25)
}

/// Turns items' texts into feature rows.
type TextFeatures = dyn Fn(&ImageTextSet) -> Result<Matrix>;

/// Standardised pixels, the text's features and the tabular record, one row per item.
fn features(set: &ImageTextSet, scaler: &StandardScaler, words: &Matrix) -> Result<Dataset> {
    let pixels = scaler.transform(&set.images)?;
    Dataset::new(
        Matrix::hstack(&[&pixels, words, &set.tabular])?,
        set.labels.clone(),
        set.classes.len(),
    )
}

/// Runs the comparison with `seed` for the splits and training.
pub fn multimodal_on_emoji(seed: u64, encoder: TextEncoder) -> Result<MultimodalOutcome> {
    let dir = fetch(Asset::Emoji)?;
    let record = read_csv(
        dir.join("unicode.csv"),
        &CsvOptions {
            drop_columns: vec!["name".into()],
            ..CsvOptions::default()
        },
    )?;
    let set = read_image_text_csv(&dir.join("emoji.csv"))?.with_tabular(&record)?;
    let (rest, test) = set.split(0.25, seed)?;
    let (train, valid) = rest.split(0.2, seed.wrapping_add(1))?;
    let scaler = StandardScaler::fit(&train.images)?;
    let encode: Box<TextFeatures> = match encoder {
        TextEncoder::MiniLm => {
            // The encoder is frozen and sees no labels: embedding every text is no leak.
            let minilm = minilm_from_cache(32, &crate::backend()?.device()?)?;
            Box::new(move |s: &ImageTextSet| {
                let texts: Vec<&str> = s.texts.iter().map(String::as_str).collect();
                minilm.embed(&texts, 64, &crate::observer())
            })
        }
        TextEncoder::Tfidf => {
            let tfidf = TfidfVectorizer::fit(
                &train.texts,
                TfidfConfig {
                    max_ngram: 1,
                    min_df: 2,
                    ..TfidfConfig::default()
                },
            )?;
            Box::new(move |s: &ImageTextSet| Ok(tfidf.transform(&s.texts)))
        }
    };
    let (train_x, valid_x, test_x) = (
        features(&train, &scaler, &encode(&train)?)?,
        features(&valid, &scaler, &encode(&valid)?)?,
        features(&test, &scaler, &encode(&test)?)?,
    );
    let n_pixels = set.images.cols();
    // Columns: pixels, then the text's features up to `width`, then the record.
    let width = train_x.n_features() - set.tabular.cols();
    let all_columns = train_x.n_features();
    // The fusion networks take image and text: the rows without the record.
    let image_text = |d: &Dataset| d.with_features(d.features().select_columns(0..width)?);
    let config = |epochs| {
        TrainConfig::new()
            .with_epochs(epochs)
            .with_learning_rate(2e-3)
            .with_seed(seed)
    };
    let acc = |m: &dyn Classifier| model_accuracy(m, test_x.features(), test_x.labels());

    let image_estimator = Columns {
        range: 0..n_pixels,
        inner: NetworkEstimator::new(image_config(), config(30)),
    };
    let text_estimator = Columns {
        range: n_pixels..width,
        inner: NetworkEstimator::new(MlpSpec::new(vec![128]).with_dropout(0.25), config(30)),
    };
    // The record is a few numbers with thresholds that matter (Unicode allots emoji in
    // blocks of code points): a small model, a random forest, reads it.
    let tabular_estimator = Columns {
        range: width..all_columns,
        inner: RandomForestConfig {
            seed,
            ..RandomForestConfig::default()
        },
    };
    log::info!("fitting the image, text and record members, then the fusions");
    let image: Arc<dyn Classifier> = Arc::new(image_estimator.fit(&train_x)?);
    let text: Arc<dyn Classifier> = Arc::new(text_estimator.fit(&train_x)?);
    let tabular: Arc<dyn Classifier> = Arc::new(tabular_estimator.fit(&train_x)?);
    let members = || {
        vec![
            Member::new("image", image.clone()),
            Member::new("text", text.clone()),
            Member::new("Unicode record", tabular.clone()),
        ]
    };
    let image_and_text = || members().into_iter().take(2).collect::<Vec<_>>();
    let late = AverageEnsemble::fit_weights(image_and_text(), &valid_x)?;
    let late_all = AverageEnsemble::fit_weights(members(), &valid_x)?;
    // Stacked late fusion: a logistic regression over the members' 5-fold out-of-fold
    // probabilities learns per class how far to trust each modality. (Each member's folds
    // are fitted on their own, so image and text's are the first two of all three's.)
    let oof = OutOfFold::compute(
        &[
            NamedEstimator::new("image", Box::new(image_estimator)),
            NamedEstimator::new("text", Box::new(text_estimator)),
            NamedEstimator::new("Unicode record", Box::new(tabular_estimator)),
        ],
        &StackingConfig {
            seed,
            ..StackingConfig::default()
        },
        &train_x,
    )?;
    let oof_image_text = OutOfFold {
        folds: oof.folds.clone(),
        probas: oof.probas[..2].to_vec(),
    };
    let stack = |members: Vec<Member>, oof: &OutOfFold| {
        StackingClassifier::from_out_of_fold(
            members,
            oof,
            &LogisticRegressionConfig::default(),
            false,
            &train_x,
        )
    };
    let stacked = stack(image_and_text(), &oof_image_text)?;
    let stacked_all = stack(members(), &oof)?;
    let fusion = |gated: bool, modality_dropout: f64| {
        MultimodalConfig::new(image_config(), width - n_pixels)
            .with_gated(gated)
            .with_modality_dropout(modality_dropout)
    };
    let train_image_text = image_text(&train_x)?;
    let fit =
        |spec: MultimodalConfig| NetworkEstimator::new(spec, config(30)).fit(&train_image_text);
    let test_image_text = image_text(&test_x)?;
    let acc_image_text = |m: &dyn Classifier| {
        model_accuracy(m, test_image_text.features(), test_image_text.labels())
    };
    let early = fit(fusion(false, 0.0))?;
    let gated = fit(fusion(true, 0.0))?;
    let early_dropout = fit(fusion(false, 0.3))?;
    let missing = |net: &NetworkClassifier<MultimodalNet>| -> Result<(f64, f64)> {
        let without = |m: Modality| {
            NetworkClassifier::new(
                net.model().without(m),
                net.device().clone(),
                net.n_features(),
                net.n_classes(),
            )
        };
        Ok((
            acc_image_text(&without(Modality::Image))?,
            acc_image_text(&without(Modality::Text))?,
        ))
    };
    Ok(MultimodalOutcome {
        sizes: (train.len(), valid.len(), test.len(), set.classes.len()),
        image_only: acc(&*image)?,
        text_only: acc(&*text)?,
        tabular_only: acc(&*tabular)?,
        late: acc(&late)?,
        late_stacked: acc(&stacked)?,
        late_all: acc(&late_all)?,
        late_all_stacked: acc(&stacked_all)?,
        early: acc_image_text(&early)?,
        gated: acc_image_text(&gated)?,
        early_dropout: acc_image_text(&early_dropout)?,
        early_missing: missing(&early)?,
        early_dropout_missing: missing(&early_dropout)?,
    })
}
