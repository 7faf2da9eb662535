//! What an experiment is made of, as data: built in code or read from a TOML experiment file.
//!
//! Every table rejects unknown keys, and every value is checked while it is read, so a typo or
//! a bad value is an [`ConsortError::InvalidConfig`] naming the key and its line. The default
//! main job is the shipped file `examples/configs/digits.toml` ([`ExperimentConfig::main_job`]).

use std::path::{Path, PathBuf};

use consort_core::{BackendKind, ConsortError, ParamGuard, Result};
use consort_data::MissingValues;
use consort_models::{
    AdaBoostConfig, DecisionTreeConfig, GaussianNbConfig, HistGradientBoostingConfig,
    KNeighborsConfig, LogisticRegressionConfig, MultinomialNbConfig, RandomForestConfig,
};
use serde::{Deserialize, Serialize};

/// The shipped main job: embedded digits, two networks, four small models, six combiners.
pub const MAIN_JOB_TOML: &str = include_str!("../../../examples/configs/digits.toml");

/// A whole experiment: data, members, combiners, evaluation and output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    /// Seed of the split, the initialisations, the shuffles and the folds.
    #[serde(default)]
    pub seed: u64,
    /// Folds of the out-of-fold predictions the learned combiners learn from and the
    /// selection is made on (at least 2).
    #[serde(default = "default_folds")]
    pub folds: Folds,
    /// Parent folder of the fresh run folder (relative to the working directory).
    #[serde(default = "default_out")]
    pub out: PathBuf,
    /// Backend for the networks (default: `CONSORT_BACKEND`, else flex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<BackendKind>,
    /// Training epochs of every network, overriding each model's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epochs: Option<usize>,
    /// Refit the member or combiner the out-of-fold scores recommend on all training rows
    /// and save it (`model/` in the run folder) for `consort predict`.
    #[serde(default)]
    pub select: bool,
    /// Where the rows come from and how they are cleaned.
    pub data: DataConfig,
    /// The members (`[[model]]` tables), in report order.
    #[serde(default, rename = "model")]
    pub models: Vec<ModelSpec>,
    /// The combiners (`[[combiner]]` tables), in report order.
    #[serde(default, rename = "combiner")]
    pub combiners: Vec<CombinerSpec>,
}

fn default_folds() -> Folds {
    Folds(5)
}

fn default_out() -> PathBuf {
    PathBuf::from("runs")
}

/// A number of folds, at least 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "usize", into = "usize")]
pub struct Folds(usize);

impl Folds {
    /// Checked: at least 2.
    pub fn new(folds: usize) -> Result<Self> {
        Self::try_from(folds).map_err(ConsortError::config)
    }

    /// The count.
    pub fn get(self) -> usize {
        self.0
    }
}

impl TryFrom<usize> for Folds {
    type Error = String;
    fn try_from(v: usize) -> std::result::Result<Self, String> {
        if v < 2 {
            return Err(format!("need at least 2 folds, got {v}"));
        }
        Ok(Self(v))
    }
}

impl From<Folds> for usize {
    fn from(f: Folds) -> usize {
        f.0
    }
}

/// A share strictly between 0 and 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Fraction(f64);

impl Fraction {
    /// Checked: strictly between 0 and 1.
    pub fn new(v: f64) -> Result<Self> {
        Self::try_from(v).map_err(ConsortError::config)
    }

    /// The share.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Fraction {
    type Error = String;
    fn try_from(v: f64) -> std::result::Result<Self, String> {
        if !(v > 0.0 && v < 1.0) {
            return Err(format!(
                "a fraction must lie strictly between 0 and 1, got {v}"
            ));
        }
        Ok(Self(v))
    }
}

impl From<Fraction> for f64 {
    fn from(f: Fraction) -> f64 {
        f.0
    }
}

/// Where the data comes from: exactly one of `embedded` and `csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// A dataset compiled in (`digits`, `iris`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedded: Option<String>,
    /// A CSV file with a header row (relative paths: from the experiment file's folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv: Option<PathBuf>,
    /// The label column of `csv`: a header name or a 0-based index (default: the last).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Field delimiter of `csv` (one ASCII character).
    #[serde(default = "default_delimiter")]
    pub delimiter: Delimiter,
    /// A test file with the same columns (matched by header name) instead of a split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<PathBuf>,
    /// Share of each class held out for testing when there is no test file.
    #[serde(default = "default_test_fraction")]
    pub test_fraction: Fraction,
    /// Missing cells (empty, `?`, `NA`, `NaN`): error, drop, mean, median, most-frequent.
    #[serde(default)]
    pub missing: MissingValues,
    /// Columns left out (ids, say).
    #[serde(default)]
    pub drop: Vec<String>,
    /// Columns whose cells are not numbers: `error` (naming the column) or `one-hot`.
    #[serde(default)]
    pub categorical: Categorical,
    /// Class weighting: `none` or `balanced` (every class the same total weight).
    #[serde(default)]
    pub class_weight: ClassWeight,
    /// A text column of `csv`: MiniLM sentence embeddings become the features of the
    /// classical models and the MLP, its word-piece ids the input of `transformer` and `lstm`
    /// members (a Transformer and an LSTM are added when the file lists none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Word-piece tokens per text in text mode (MiniLM reads at most 512).
    #[serde(default = "default_max_tokens")]
    pub max_tokens: usize,
}

fn default_max_tokens() -> usize {
    128
}

fn default_delimiter() -> Delimiter {
    Delimiter(b',')
}

fn default_test_fraction() -> Fraction {
    Fraction(0.25)
}

impl DataConfig {
    /// An embedded dataset with the defaults.
    pub fn embedded(name: impl Into<String>) -> Self {
        Self {
            embedded: Some(name.into()),
            csv: None,
            ..Self::csv("")
        }
    }

    /// A CSV file with the defaults (label: the last column).
    pub fn csv(path: impl Into<PathBuf>) -> Self {
        Self {
            embedded: None,
            csv: Some(path.into()),
            label: None,
            delimiter: default_delimiter(),
            test: None,
            test_fraction: default_test_fraction(),
            missing: MissingValues::Error,
            drop: Vec::new(),
            categorical: Categorical::Error,
            class_weight: ClassWeight::None,
            text: None,
            max_tokens: default_max_tokens(),
        }
    }

    fn check(&self) -> Result<()> {
        match (&self.embedded, &self.csv) {
            (Some(_), None) | (None, Some(_)) => {}
            _ => {
                return Err(ConsortError::config(
                    "[data] needs exactly one of `embedded` and `csv`",
                ));
            }
        }
        if self.embedded.is_some()
            && (self.test.is_some()
                || self.label.is_some()
                || !self.drop.is_empty()
                || self.missing != MissingValues::Error
                || self.categorical != Categorical::Error)
        {
            return Err(ConsortError::config(
                "[data] `label`, `test`, `missing`, `drop` and `categorical` apply to `csv` only",
            ));
        }
        if self.embedded.is_some() && self.text.is_some() {
            return Err(ConsortError::config("[data] `text` applies to `csv` only"));
        }
        if !(2..=512).contains(&self.max_tokens) {
            return Err(ConsortError::config(format!(
                "[data] max_tokens must lie in 2..=512, got {}",
                self.max_tokens
            )));
        }
        Ok(())
    }
}

/// A one-byte ASCII field delimiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Delimiter(u8);

impl Delimiter {
    /// Checked: one ASCII character.
    pub fn new(c: char) -> Result<Self> {
        Self::try_from(c.to_string()).map_err(ConsortError::config)
    }

    /// The byte.
    pub fn byte(self) -> u8 {
        self.0
    }
}

impl TryFrom<String> for Delimiter {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        match s.as_bytes() {
            [b] if b.is_ascii() && *b != b'"' && *b != b'\n' && *b != b'\r' => Ok(Self(*b)),
            _ => Err(format!(
                "the delimiter must be one ASCII character other than a quote or a line break, \
                 got {s:?}"
            )),
        }
    }
}

impl From<Delimiter> for String {
    fn from(d: Delimiter) -> String {
        char::from(d.0).to_string()
    }
}

/// What to do with columns whose cells are not numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Categorical {
    /// Stop, naming the column (the default).
    #[default]
    Error,
    /// One column per category seen in the training rows; a category first seen at test
    /// time sets none of them.
    OneHot,
}

/// Class weighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClassWeight {
    /// Every sample counts once.
    #[default]
    None,
    /// Sample weight `n / (n_classes * count(class))`: networks draw batches by it, classical
    /// models that take sample weights weight their loss or statistics by it.
    Balanced,
}

/// A member's part in the experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// An ordinary member.
    #[default]
    Member,
    /// Fast enough to answer first: the cascade's first stage.
    Cheap,
    /// Accurate and costly: the cascade's candidates for its last stage.
    Expensive,
}

/// Optimiser steps a network may take per fit by default: far above what 30 epochs of
/// a few thousand rows need (digits: 660), and about one epoch at 200,000 rows.
pub const DEFAULT_MAX_STEPS: usize = 3000;

/// A multi-layer perceptron member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MlpParams {
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Dropout after each hidden layer.
    pub dropout: f64,
    /// Passes over the training rows (fewer when `max_steps` runs out first).
    pub epochs: usize,
    /// Budget of optimiser steps per fit: on large data the epochs are cut to fit it (at
    /// least one epoch), so that training time stops growing with the rows.
    pub max_steps: usize,
    /// Rows per optimiser step.
    pub batch_size: usize,
    /// Adam's step size.
    pub learning_rate: f64,
}

impl Default for MlpParams {
    fn default() -> Self {
        Self {
            hidden: vec![256, 256],
            dropout: 0.0,
            epochs: 30,
            max_steps: DEFAULT_MAX_STEPS,
            batch_size: 64,
            learning_rate: 1e-3,
        }
    }
}

/// A convolutional member over square (or given) grey images.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CnnParams {
    /// Image height (default: the square root of the feature count).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<usize>,
    /// Image width (default: as the height).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<usize>,
    /// Channels of the two convolutions.
    pub conv_channels: [usize; 2],
    /// Width of the dense layer.
    pub hidden: usize,
    /// Dropout before the output layer.
    pub dropout: f64,
    /// Passes over the training rows (fewer when `max_steps` runs out first).
    pub epochs: usize,
    /// Budget of optimiser steps per fit (see [`MlpParams::max_steps`]).
    pub max_steps: usize,
    /// Rows per optimiser step.
    pub batch_size: usize,
    /// Adam's step size.
    pub learning_rate: f64,
}

impl Default for CnnParams {
    fn default() -> Self {
        Self {
            height: None,
            width: None,
            conv_channels: [16, 32],
            hidden: 128,
            dropout: 0.0,
            epochs: 25,
            max_steps: DEFAULT_MAX_STEPS,
            batch_size: 64,
            learning_rate: 1e-3,
        }
    }
}

/// Epochs, batch size and learning rate must be positive.
fn check_training(
    epochs: usize,
    batch_size: usize,
    learning_rate: f64,
    max_steps: usize,
) -> Result<()> {
    if epochs == 0 || batch_size == 0 || max_steps == 0 {
        return Err(ConsortError::config(
            "a network needs epochs, batch_size and max_steps >= 1",
        ));
    }
    if !(learning_rate.is_finite() && learning_rate > 0.0) {
        return Err(ConsortError::config(format!(
            "learning_rate must be > 0, got {learning_rate}"
        )));
    }
    Ok(())
}

/// Which model a member is, with its hyperparameters.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelKind {
    /// [`consort_models::Mlp`].
    Mlp(MlpParams),
    /// [`consort_models::Cnn`].
    Cnn(CnnParams),
    /// Multinomial logistic regression.
    Logistic(LogisticRegressionConfig),
    /// A CART tree.
    Tree(DecisionTreeConfig),
    /// A random forest.
    Forest(RandomForestConfig),
    /// Histogram gradient boosting.
    Boosting(HistGradientBoostingConfig),
    /// AdaBoost (SAMME) over shallow trees.
    AdaBoost(AdaBoostConfig),
    /// k nearest neighbours.
    Knn(KNeighborsConfig),
    /// Gaussian naive Bayes.
    GaussianNb(GaussianNbConfig),
    /// Multinomial naive Bayes (counts).
    MultinomialNb(MultinomialNbConfig),
    /// A Transformer encoder from scratch on a text column's word-piece ids.
    Transformer(SequenceParams),
    /// An LSTM from scratch on a text column's word-piece ids.
    Lstm(SequenceParams),
}

/// A sequence network trained from scratch on word-piece ids (text mode).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SequenceParams {
    /// Token embedding width (the Transformer's model width).
    pub width: usize,
    /// Transformer: layers (an LSTM has one).
    pub layers: usize,
    /// Transformer: attention heads (must divide `width`).
    pub heads: usize,
    /// Transformer: feed-forward width; LSTM: hidden state width.
    pub hidden: usize,
    /// Passes over the training rows (fewer when `max_steps` runs out first).
    pub epochs: usize,
    /// Budget of optimiser steps per fit.
    pub max_steps: usize,
    /// Rows per optimiser step.
    pub batch_size: usize,
    /// Adam's step size.
    pub learning_rate: f64,
}

impl Default for SequenceParams {
    fn default() -> Self {
        Self {
            width: 64,
            layers: 2,
            heads: 4,
            hidden: 128,
            epochs: 5,
            max_steps: DEFAULT_MAX_STEPS,
            batch_size: 64,
            learning_rate: 1e-3,
        }
    }
}

impl ModelKind {
    /// The TOML key of this kind.
    pub fn key(&self) -> &'static str {
        match self {
            Self::Mlp(_) => "mlp",
            Self::Cnn(_) => "cnn",
            Self::Logistic(_) => "logistic",
            Self::Tree(_) => "tree",
            Self::Forest(_) => "forest",
            Self::Boosting(_) => "boosting",
            Self::AdaBoost(_) => "adaboost",
            Self::Knn(_) => "knn",
            Self::GaussianNb(_) => "gaussian_nb",
            Self::MultinomialNb(_) => "multinomial_nb",
            Self::Transformer(_) => "transformer",
            Self::Lstm(_) => "lstm",
        }
    }

    /// Networks are the large models; everything else is small.
    pub fn is_network(&self) -> bool {
        matches!(
            self,
            Self::Mlp(_) | Self::Cnn(_) | Self::Transformer(_) | Self::Lstm(_)
        )
    }

    /// Whether it reads word-piece ids (text mode only).
    pub fn reads_tokens(&self) -> bool {
        matches!(self, Self::Transformer(_) | Self::Lstm(_))
    }

    /// Whether standardisation helps this kind by default (scale-sensitive models).
    fn standardizes_by_default(&self) -> bool {
        matches!(
            self,
            Self::Mlp(_) | Self::Cnn(_) | Self::Logistic(_) | Self::Knn(_)
        )
    }

    fn check(&self) -> Result<()> {
        match self {
            Self::Mlp(p) => {
                if p.hidden.contains(&0) || !(0.0..1.0).contains(&p.dropout) {
                    return Err(ConsortError::config(
                        "mlp: hidden widths must be >= 1 and dropout in [0, 1)",
                    ));
                }
                check_training(p.epochs, p.batch_size, p.learning_rate, p.max_steps)
            }
            Self::Cnn(p) => {
                if p.conv_channels.contains(&0) || p.hidden == 0 || !(0.0..1.0).contains(&p.dropout)
                {
                    return Err(ConsortError::config(
                        "cnn: channels and hidden width must be >= 1 and dropout in [0, 1)",
                    ));
                }
                if p.height == Some(0) || p.width == Some(0) {
                    return Err(ConsortError::config("cnn: height and width must be >= 1"));
                }
                check_training(p.epochs, p.batch_size, p.learning_rate, p.max_steps)
            }
            Self::Logistic(c) => c.check(),
            Self::Tree(c) => c.check(),
            Self::Forest(c) => c.check(),
            Self::Boosting(c) => c.check(),
            Self::AdaBoost(c) => c.check(),
            Self::Knn(c) => c.check(),
            Self::GaussianNb(c) => c.check(),
            Self::MultinomialNb(c) => c.check(),
            Self::Transformer(p) | Self::Lstm(p) => {
                if p.width == 0 || p.layers == 0 || p.hidden == 0 || p.heads == 0 {
                    return Err(ConsortError::config(
                        "sequence networks need width, layers, heads and hidden >= 1",
                    ));
                }
                if matches!(self, Self::Transformer(_)) && !p.width.is_multiple_of(p.heads) {
                    return Err(ConsortError::config(format!(
                        "transformer: width {} must be a multiple of heads {}",
                        p.width, p.heads
                    )));
                }
                check_training(p.epochs, p.batch_size, p.learning_rate, p.max_steps)
            }
        }
    }
}

/// One member: a name, a role and a model with its hyperparameters.
///
/// In TOML, the model is a sub-table named by its kind:
///
/// ```toml
/// [[model]]
/// name = "forest"
/// forest = { n_trees = 300, max_depth = 12 }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ModelEntry", into = "ModelEntry")]
pub struct ModelSpec {
    /// Display name (unique within the experiment).
    pub name: String,
    /// Its part in the experiment.
    pub role: Role,
    /// Standardise the features (fitted on the training rows) before the model.
    pub standardize: bool,
    /// The model.
    pub kind: ModelKind,
}

impl ModelSpec {
    /// A member with the kind's default name-free settings: standardised when the kind is
    /// scale-sensitive, role `member`.
    pub fn new(name: impl Into<String>, kind: ModelKind) -> Self {
        Self {
            name: name.into(),
            role: Role::Member,
            standardize: kind.standardizes_by_default(),
            kind,
        }
    }

    /// Sets the role.
    pub fn with_role(mut self, role: Role) -> Self {
        self.role = role;
        self
    }
}

/// The TOML shape of a member (one kind key among many).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default)]
    role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    standardize: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mlp: Option<MlpParams>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cnn: Option<CnnParams>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    logistic: Option<LogisticRegressionConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tree: Option<DecisionTreeConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    forest: Option<RandomForestConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    boosting: Option<HistGradientBoostingConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    adaboost: Option<AdaBoostConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    knn: Option<KNeighborsConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gaussian_nb: Option<GaussianNbConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    multinomial_nb: Option<MultinomialNbConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    transformer: Option<SequenceParams>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lstm: Option<SequenceParams>,
}

const MODEL_KEYS: &str = "mlp, cnn, logistic, tree, forest, boosting, adaboost, knn, \
                          gaussian_nb, multinomial_nb, transformer, lstm";

impl TryFrom<ModelEntry> for ModelSpec {
    type Error = String;
    fn try_from(e: ModelEntry) -> std::result::Result<Self, String> {
        let kinds: Vec<ModelKind> = [
            e.mlp.map(ModelKind::Mlp),
            e.cnn.map(ModelKind::Cnn),
            e.logistic.map(ModelKind::Logistic),
            e.tree.map(ModelKind::Tree),
            e.forest.map(ModelKind::Forest),
            e.boosting.map(ModelKind::Boosting),
            e.adaboost.map(ModelKind::AdaBoost),
            e.knn.map(ModelKind::Knn),
            e.gaussian_nb.map(ModelKind::GaussianNb),
            e.multinomial_nb.map(ModelKind::MultinomialNb),
            e.transformer.map(ModelKind::Transformer),
            e.lstm.map(ModelKind::Lstm),
        ]
        .into_iter()
        .flatten()
        .collect();
        let label = e.name.as_deref().unwrap_or("(unnamed)");
        let kind = match <[ModelKind; 1]>::try_from(kinds) {
            Ok([kind]) => kind,
            Err(kinds) if kinds.is_empty() => {
                return Err(format!(
                    "model {label:?} names no model: give one of {MODEL_KEYS} \
                     (e.g. `knn = {{ k = 5 }}`)"
                ));
            }
            Err(kinds) => {
                let keys: Vec<&str> = kinds.iter().map(ModelKind::key).collect();
                return Err(format!(
                    "model {label:?} names {} models ({}); give exactly one",
                    keys.len(),
                    keys.join(", ")
                ));
            }
        };
        kind.check()
            .map_err(|err| format!("model {label:?}: {}", bare(&err)))?;
        let standardize = e
            .standardize
            .unwrap_or_else(|| kind.standardizes_by_default());
        if standardize && kind.reads_tokens() {
            return Err(format!(
                "model {label:?}: a {} reads token ids, which must not be standardised",
                kind.key()
            ));
        }
        Ok(Self {
            name: e.name.unwrap_or_else(|| kind.key().to_string()),
            role: e.role,
            standardize,
            kind,
        })
    }
}

impl From<ModelSpec> for ModelEntry {
    fn from(m: ModelSpec) -> Self {
        let mut e = ModelEntry {
            name: Some(m.name),
            role: m.role,
            standardize: Some(m.standardize),
            ..Default::default()
        };
        match m.kind {
            ModelKind::Mlp(p) => e.mlp = Some(p),
            ModelKind::Cnn(p) => e.cnn = Some(p),
            ModelKind::Logistic(c) => e.logistic = Some(c),
            ModelKind::Tree(c) => e.tree = Some(c),
            ModelKind::Forest(c) => e.forest = Some(c),
            ModelKind::Boosting(c) => e.boosting = Some(c),
            ModelKind::AdaBoost(c) => e.adaboost = Some(c),
            ModelKind::Knn(c) => e.knn = Some(c),
            ModelKind::GaussianNb(c) => e.gaussian_nb = Some(c),
            ModelKind::MultinomialNb(c) => e.multinomial_nb = Some(c),
            ModelKind::Transformer(p) => e.transformer = Some(p),
            ModelKind::Lstm(p) => e.lstm = Some(p),
        }
        e
    }
}

/// How a combiner merges its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CombinerKind {
    /// Mean probability.
    SoftVote,
    /// Majority of predicted classes.
    HardVote,
    /// Plain average of probabilities (as soft vote, reported apart for sub-groups).
    Average,
    /// Average with weights fitted on out-of-fold log-loss.
    WeightedAverage,
    /// Logistic-regression meta-learner on out-of-fold probabilities.
    Stacking,
    /// The cheap member first; the best expensive member (out of fold) on the rest, with a
    /// threshold calibrated on out-of-fold probabilities.
    Cascade,
}

impl CombinerKind {
    /// Its name in reports and TOML.
    pub fn label(self) -> &'static str {
        match self {
            Self::SoftVote => "soft vote",
            Self::HardVote => "hard vote",
            Self::Average => "average",
            Self::WeightedAverage => "weighted average",
            Self::Stacking => "stacking",
            Self::Cascade => "cascade",
        }
    }

    /// Whether it learns from out-of-fold predictions.
    pub fn learns_out_of_fold(self) -> bool {
        matches!(self, Self::WeightedAverage | Self::Stacking | Self::Cascade)
    }
}

/// Which members a combiner takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "MembersEntry", into = "MembersEntry")]
pub enum MemberSet {
    /// Every member.
    All,
    /// The networks.
    Large,
    /// The classical models.
    Small,
    /// Members by name.
    Named(Vec<String>),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum MembersEntry {
    Group(String),
    Names(Vec<String>),
}

impl TryFrom<MembersEntry> for MemberSet {
    type Error = String;
    fn try_from(e: MembersEntry) -> std::result::Result<Self, String> {
        match e {
            MembersEntry::Group(g) => match g.as_str() {
                "all" => Ok(Self::All),
                "large" => Ok(Self::Large),
                "small" => Ok(Self::Small),
                other => Err(format!(
                    "members = {other:?}: expected \"all\", \"large\", \"small\" or a list of \
                     member names"
                )),
            },
            MembersEntry::Names(n) if n.is_empty() => Err("members = []: name at least one".into()),
            MembersEntry::Names(n) => Ok(Self::Named(n)),
        }
    }
}

impl From<MemberSet> for MembersEntry {
    fn from(m: MemberSet) -> Self {
        match m {
            MemberSet::All => Self::Group("all".into()),
            MemberSet::Large => Self::Group("large".into()),
            MemberSet::Small => Self::Group("small".into()),
            MemberSet::Named(n) => Self::Names(n),
        }
    }
}

impl MemberSet {
    fn label(&self) -> String {
        match self {
            Self::All => "all".into(),
            Self::Large => "networks".into(),
            Self::Small => "small models".into(),
            Self::Named(n) => n.join(", "),
        }
    }
}

/// One combiner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CombinerSpec {
    /// How it combines.
    pub kind: CombinerKind,
    /// Display name (default: from the kind and members).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Which members it takes.
    #[serde(default = "all_members")]
    pub members: MemberSet,
    /// Cascade only: accuracy the cascade may give up against its expensive member, out of
    /// fold (default 0.005).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
    /// Stacking only: the meta-learner also sees the features.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passthrough: Option<bool>,
}

fn all_members() -> MemberSet {
    MemberSet::All
}

impl CombinerSpec {
    /// A combiner of `kind` over `members`, named by default.
    pub fn new(kind: CombinerKind, members: MemberSet) -> Self {
        Self {
            kind,
            name: None,
            members,
            tolerance: None,
            passthrough: None,
        }
    }

    /// Its display name: given, or the kind and members ("soft vote (all)").
    pub fn display_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| match self.kind {
            CombinerKind::Stacking => format!("stacking ({}, logistic meta)", self.members.label()),
            k => format!("{} ({})", k.label(), self.members.label()),
        })
    }

    fn check(&self) -> Result<()> {
        if self.tolerance.is_some() && self.kind != CombinerKind::Cascade {
            return Err(ConsortError::config(format!(
                "combiner {:?}: `tolerance` applies to a cascade only",
                self.display_name()
            )));
        }
        if let Some(t) = self.tolerance
            && !(t.is_finite() && t >= 0.0)
        {
            return Err(ConsortError::config(format!(
                "combiner {:?}: tolerance must be >= 0, got {t}",
                self.display_name()
            )));
        }
        if self.passthrough.is_some() && self.kind != CombinerKind::Stacking {
            return Err(ConsortError::config(format!(
                "combiner {:?}: `passthrough` applies to stacking only",
                self.display_name()
            )));
        }
        Ok(())
    }
}

/// An error's message without the "invalid configuration: " prefix.
fn bare(err: &ConsortError) -> String {
    match err {
        ConsortError::InvalidConfig(m) => m.clone(),
        other => other.to_string(),
    }
}

impl ExperimentConfig {
    /// The shipped main job (`examples/configs/digits.toml`).
    pub fn main_job() -> Self {
        Self::from_toml(MAIN_JOB_TOML, "examples/configs/digits.toml")
            .expect("the shipped main job parses (a unit test checks it)")
    }

    /// Parses an experiment file's text; `origin` names it in errors. Relative data paths
    /// stay relative (see [`ExperimentConfig::load`] for files).
    pub fn from_toml(text: &str, origin: &str) -> Result<Self> {
        let config: Self = toml::from_str(text).map_err(|e| toml_error(text, origin, &e))?;
        config.check_all().map_err(|(place, e)| {
            ConsortError::config(match place.line(text) {
                Some(line) => format!("{origin}:{line}: {}", bare(&e)),
                None => format!("{origin}: {}", bare(&e)),
            })
        })?;
        Ok(config)
    }

    /// Reads an experiment file; its relative data paths are taken from its folder.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| ConsortError::io(path, e))?;
        let mut config = Self::from_toml(&text, &path.display().to_string())?;
        let base = path.parent().unwrap_or(Path::new(""));
        let anchor = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        if let Some(p) = config.data.csv.as_mut() {
            anchor(p);
        }
        if let Some(p) = config.data.test.as_mut() {
            anchor(p);
        }
        Ok(config)
    }

    /// The experiment as TOML (what [`ExperimentConfig::from_toml`] reads back).
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| ConsortError::Serialization(e.to_string()))
    }

    /// Checks what single values cannot: one data source, unique member names, combiners
    /// naming existing members, at least one member.
    pub fn validate(&self) -> Result<()> {
        self.check_all().map_err(|(_, e)| e)
    }

    /// [`Self::validate`], with where in a file the problem lies.
    fn check_all(&self) -> std::result::Result<(), (Place, ConsortError)> {
        self.data
            .check()
            .map_err(|e| (Place::Table("data", 0, None), e))?;
        if self.models.is_empty() {
            return Err((
                Place::Top,
                ConsortError::config("an experiment needs at least one [[model]]"),
            ));
        }
        for (i, m) in self.models.iter().enumerate() {
            m.kind
                .check()
                .map_err(|e| (Place::Table("model", i, None), e))?;
            if self.models[..i].iter().any(|o| o.name == m.name) {
                return Err((
                    Place::Table("model", i, Some(m.name.clone())),
                    ConsortError::config(format!(
                        "two models are named {:?}: names must be unique",
                        m.name
                    )),
                ));
            }
        }
        for (i, c) in self.combiners.iter().enumerate() {
            c.check()
                .map_err(|e| (Place::Table("combiner", i, None), e))?;
            if let MemberSet::Named(names) = &c.members
                && let Some(unknown) = names
                    .iter()
                    .find(|n| !self.models.iter().any(|m| &m.name == *n))
            {
                return Err((
                    Place::Table("combiner", i, Some(unknown.clone())),
                    ConsortError::config(format!(
                        "combiner {:?} names member {unknown:?}, which is not a [[model]]; \
                         models: {}",
                        c.display_name(),
                        self.models
                            .iter()
                            .map(|m| m.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                ));
            }
        }
        Ok(())
    }
}

/// Where a cross-key problem lies in an experiment file.
enum Place {
    /// The file as a whole.
    Top,
    /// The `i`-th `[name]` / `[[name]]` table, at the line holding `needle` (quoted) when
    /// given, else at its header.
    Table(&'static str, usize, Option<String>),
}

impl Place {
    /// The 1-based line of this place in `text`, when it can be found.
    fn line(&self, text: &str) -> Option<usize> {
        let Place::Table(table, index, needle) = self else {
            return None;
        };
        let headers = [format!("[{table}]"), format!("[[{table}]]")];
        let lines: Vec<&str> = text.lines().collect();
        let header = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                let t = l.split('#').next().unwrap_or("").trim();
                headers.iter().any(|h| t == h)
            })
            .nth(*index)
            .map(|(n, _)| n)?;
        let quoted = needle.as_ref().map(|n| format!("{n:?}"));
        let found = quoted.and_then(|q| {
            lines[header..]
                .iter()
                .position(|l| l.contains(&q))
                .map(|off| header + off)
        });
        Some(found.unwrap_or(header) + 1)
    }
}

/// A TOML error as one line: file, line, column, and what was wrong with which key.
fn toml_error(text: &str, origin: &str, err: &toml::de::Error) -> ConsortError {
    let message = err.message().trim().to_string();
    let place = err.span().map(|span| {
        let mut start = span.start;
        // An unknown key inside an inline table or a table is reported at the table: point
        // at the key's own line when it can be found there.
        if let Some(key) = message
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split('`').next())
            && let Some(offset) = text[span.clone()].find(key)
        {
            start = span.start + offset;
        }
        let before = &text[..start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        (line, column)
    });
    ConsortError::config(match place {
        Some((line, column)) => format!("{origin}:{line}:{column}: {message}"),
        None => format!("{origin}: {message}"),
    })
}
