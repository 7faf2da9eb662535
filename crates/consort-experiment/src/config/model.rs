//! `[[model]]`: a member's name, role and model with its hyperparameters.

pub use consort_catalog::{CnnParams, MlpParams, ModelKind, SequenceParams};
use consort_models::{
    AdaBoostConfig, DecisionTreeConfig, GaussianNbConfig, HistGradientBoostingConfig,
    KNeighborsConfig, LogisticRegressionConfig, MultinomialNbConfig, RandomForestConfig,
};
use serde::{Deserialize, Serialize};

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
                    "model {label:?} names no model: give one of {} \
                     (e.g. `knn = {{ k = 5 }}`)",
                    ModelKind::keys().join(", ")
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
            .map_err(|err| format!("model {label:?}: {}", err.bare_message()))?;
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
