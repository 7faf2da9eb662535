//! Multimodal fusion on real paired data, shared by the `multimodal` example and its test:
//! the emoji of `emoji-datasource-google` (fetched by `consort fetch emoji`), each a 16x16
//! image and a short text (its name and short names), classified into 9 categories. Single
//! modalities (a CNN on the image, an MLP on the text's representation: frozen MiniLM sentence
//! embeddings, or TF-IDF) against late fusion (their weighted average, or stacking over their
//! out-of-fold probabilities), early fusion (one network over both, concatenated) and gated
//! fusion; then the early-fusion network with a modality missing at test time, trained with
//! and without modality dropout.

use std::sync::Arc;

use consort_core::{BackendKind, ObserverHandle};
use consort_core::{Classifier, Fit, Matrix, Result};
use consort_data::fetch::{Asset, EMOJI_SIDE, fetch};
use consort_data::tfidf::{TfidfConfig, TfidfVectorizer};
use consort_data::{Dataset, ImageTextSet, StandardScaler, read_image_text_csv};
use consort_ensemble::{
    AverageEnsemble, Member, NamedEstimator, OutOfFold, StackingClassifier, StackingConfig,
};
use consort_eval::model_accuracy;
use consort_models::nn::minilm_from_cache;
use consort_models::{
    CnnConfig, Columns, LogisticRegressionConfig, MlpConfig, Modality, MultimodalConfig,
    MultimodalNet, NetworkClassifier,
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
    /// Weighted average of the two (weights fitted on validation rows).
    pub late: f64,
    /// Stacking of the two: logistic regression over their out-of-fold probabilities.
    pub late_stacked: f64,
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
    /// The best single modality.
    pub fn best_single(&self) -> f64 {
        self.image_only.max(self.text_only)
    }

    /// The best fusion.
    pub fn best_fusion(&self) -> f64 {
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

/// Standardised pixels beside the text's features, one row per item.
fn features(set: &ImageTextSet, scaler: &StandardScaler, words: &Matrix) -> Result<Dataset> {
    let pixels = scaler.transform(&set.images)?;
    Dataset::new(
        Matrix::hstack(&[&pixels, words])?,
        set.labels.clone(),
        set.classes.len(),
    )
}

/// Runs the comparison with `seed` for the splits and training.
pub fn multimodal_on_emoji(seed: u64, encoder: TextEncoder) -> Result<MultimodalOutcome> {
    let set = read_image_text_csv(&fetch(Asset::Emoji)?.join("emoji.csv"))?;
    let (rest, test) = set.split(0.25, seed)?;
    let (train, valid) = rest.split(0.2, seed.wrapping_add(1))?;
    let scaler = StandardScaler::fit(&train.images)?;
    let encode: Box<TextFeatures> = match encoder {
        TextEncoder::MiniLm => {
            // The encoder is frozen and sees no labels: embedding every text is no leak.
            let minilm = minilm_from_cache(32, &BackendKind::Flex.device()?)?;
            Box::new(move |s: &ImageTextSet| {
                let texts: Vec<&str> = s.texts.iter().map(String::as_str).collect();
                minilm.embed(&texts, 64, &ObserverHandle::none())
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
    let width = train_x.n_features();
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
        inner: NetworkEstimator::new(
            MlpConfig::new(0, vec![128], 0).with_dropout(0.25),
            config(30),
        ),
    };
    let image: Arc<dyn Classifier> = Arc::new(image_estimator.fit(&train_x)?);
    let text: Arc<dyn Classifier> = Arc::new(text_estimator.fit(&train_x)?);
    let late = AverageEnsemble::fit_weights(
        vec![
            Member::new("image", image.clone()),
            Member::new("text", text.clone()),
        ],
        &valid_x,
    )?;
    // Stacked late fusion: a logistic regression over the two members' 5-fold out-of-fold
    // probabilities learns per class how far to trust each modality.
    let oof = OutOfFold::compute(
        &[
            NamedEstimator::new("image", Box::new(image_estimator)),
            NamedEstimator::new("text", Box::new(text_estimator)),
        ],
        &StackingConfig {
            seed,
            ..StackingConfig::default()
        },
        &train_x,
    )?;
    let stacked = StackingClassifier::from_out_of_fold(
        vec![
            Member::new("image", image.clone()),
            Member::new("text", text.clone()),
        ],
        &oof,
        &LogisticRegressionConfig::default(),
        false,
        &train_x,
    )?;
    let fusion = |gated: bool, modality_dropout: f64| {
        MultimodalConfig::new(image_config(), width - n_pixels)
            .with_gated(gated)
            .with_modality_dropout(modality_dropout)
    };
    let fit = |spec: MultimodalConfig| NetworkEstimator::new(spec, config(30)).fit(&train_x);
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
            acc(&without(Modality::Image))?,
            acc(&without(Modality::Text))?,
        ))
    };
    Ok(MultimodalOutcome {
        sizes: (train.len(), valid.len(), test.len(), set.classes.len()),
        image_only: acc(&*image)?,
        text_only: acc(&*text)?,
        late: acc(&late)?,
        late_stacked: acc(&stacked)?,
        early: acc(&early)?,
        gated: acc(&gated)?,
        early_dropout: acc(&early_dropout)?,
        early_missing: missing(&early)?,
        early_dropout_missing: missing(&early_dropout)?,
    })
}
