//! `[[model]]`: a member's name, role and model with its hyperparameters.

use consort_core::{ConsortError, ParamGuard, Result};
use consort_models::{
    AdaBoostConfig, DecisionTreeConfig, GaussianNbConfig, HistGradientBoostingConfig,
    KNeighborsConfig, LogisticRegressionConfig, MultinomialNbConfig, RandomForestConfig,
};
use serde::{Deserialize, Serialize};

use super::bare;

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
    if epochs > consort_tune::MAX_EPOCHS {
        return Err(ConsortError::config(format!(
            "epochs must lie in 1..={}, got {epochs}",
            consort_tune::MAX_EPOCHS
        )));
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
    pub(super) fn standardizes_by_default(&self) -> bool {
        matches!(
            self,
            Self::Mlp(_) | Self::Cnn(_) | Self::Logistic(_) | Self::Knn(_)
        )
    }

    pub(super) fn check(&self) -> Result<()> {
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
