//! The catalogue: every model kind with its typed hyperparameters, in one enum.

use consort_core::{ConsortError, ParamGuard, Result};
use consort_models::{
    AdaBoostConfig, DecisionTreeConfig, GaussianNbConfig, HistGradientBoostingConfig,
    KNeighborsConfig, LogisticRegressionConfig, MultinomialNbConfig, RandomForestConfig,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::params::{CnnParams, MlpParams, SequenceParams, check_training};

/// Applies `$body` to the hyperparameters of whichever kind `$kind` is, bound to `$p`: the
/// one place besides [`ModelKind::all`] that names every variant.
macro_rules! with_params {
    ($kind:expr, $p:ident => $body:expr) => {
        match $kind {
            ModelKind::Mlp($p) => $body,
            ModelKind::Cnn($p) => $body,
            ModelKind::Logistic($p) => $body,
            ModelKind::Tree($p) => $body,
            ModelKind::Forest($p) => $body,
            ModelKind::Boosting($p) => $body,
            ModelKind::AdaBoost($p) => $body,
            ModelKind::Knn($p) => $body,
            ModelKind::GaussianNb($p) => $body,
            ModelKind::MultinomialNb($p) => $body,
            ModelKind::Transformer($p) => $body,
            ModelKind::Lstm($p) => $body,
        }
    };
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
    pub fn standardizes_by_default(&self) -> bool {
        matches!(
            self,
            Self::Mlp(_) | Self::Cnn(_) | Self::Logistic(_) | Self::Knn(_)
        )
    }

    pub fn check(&self) -> Result<()> {
        match self {
            Self::Mlp(p) => {
                if p.hidden.contains(&0) || !(0.0..1.0).contains(&p.dropout) {
                    return Err(ConsortError::config(
                        "mlp: hidden widths must be >= 1 and dropout in [0, 1)",
                    ));
                }
                if !(p.weight_decay.is_finite() && p.weight_decay >= 0.0) {
                    return Err(ConsortError::config("mlp: weight_decay must be >= 0"));
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

impl ModelKind {
    /// Every kind with its default hyperparameters, in the catalogue's order: the one list of
    /// the models. [`ModelKind::key`] names each.
    pub fn all() -> Vec<ModelKind> {
        vec![
            Self::Mlp(MlpParams::default()),
            Self::Cnn(CnnParams::default()),
            Self::Logistic(LogisticRegressionConfig::default()),
            Self::Tree(DecisionTreeConfig::default()),
            Self::Forest(RandomForestConfig::default()),
            Self::Boosting(HistGradientBoostingConfig::default()),
            Self::AdaBoost(AdaBoostConfig::default()),
            Self::Knn(KNeighborsConfig::default()),
            Self::GaussianNb(GaussianNbConfig::default()),
            Self::MultinomialNb(MultinomialNbConfig::default()),
            Self::Transformer(SequenceParams::default()),
            Self::Lstm(SequenceParams {
                hidden: 64,
                epochs: 4,
                ..SequenceParams::default()
            }),
        ]
    }

    /// Every kind's key, in the catalogue's order.
    pub fn keys() -> Vec<&'static str> {
        Self::all().iter().map(ModelKind::key).collect()
    }

    /// The kind named `key`, with its default hyperparameters.
    pub fn from_key(key: &str) -> Result<ModelKind> {
        Self::all()
            .into_iter()
            .find(|k| k.key() == key)
            .ok_or_else(|| {
                ConsortError::config(format!(
                    "unknown model {key:?}; the catalogue has {}",
                    Self::keys().join(", ")
                ))
            })
    }

    /// The hyperparameters a search may set with [`ModelKind::set_param`]: every numeric
    /// setting (optional ones included), not the seed, which the caller derives; an MLP's
    /// `width` stands for one hidden layer of that width.
    pub fn tunable_params(&self) -> Vec<String> {
        let fields = with_params!(self, p => fields_of(p));
        // An unset optional setting is numeric when a number fits it.
        let numeric = |name: &str, value: &serde_json::Value| {
            value.is_number()
                || (value.is_null() && {
                    let mut probe = self.clone();
                    with_params!(&mut probe, p => set_field(p, name, 1.0)).is_ok()
                })
        };
        let mut names: Vec<String> = fields
            .into_iter()
            .filter(|(name, value)| name != "seed" && numeric(name, value))
            .map(|(name, _)| name)
            .collect();
        if matches!(self, Self::Mlp(_)) {
            names.push("width".into());
        }
        names.sort();
        names
    }

    /// The current value of tunable hyperparameter `name` (`None`: unset or not numeric).
    pub fn param_value(&self, name: &str) -> Option<f64> {
        if let (Self::Mlp(p), "width") = (self, name) {
            return p.hidden.first().map(|&w| w as f64);
        }
        let fields = with_params!(self, p => fields_of(p));
        fields
            .into_iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_f64())
    }

    /// Sets hyperparameter `name` to `value` (a whole number for integer settings), checked.
    pub fn set_param(&mut self, name: &str, value: f64) -> Result<()> {
        if let (Self::Mlp(p), "width") = (&mut *self, name) {
            p.hidden = vec![whole(name, value)?];
            return self.check();
        }
        if !self.tunable_params().iter().any(|n| n == name) {
            return Err(ConsortError::config(format!(
                "{} has no parameter {name:?}; it takes {:?}",
                self.key(),
                self.tunable_params()
            )));
        }
        with_params!(self, p => set_field(p, name, value))?;
        self.check()
    }
}

/// The serialised fields of a hyperparameter struct.
fn fields_of<T: Serialize>(params: &T) -> Vec<(String, serde_json::Value)> {
    match serde_json::to_value(params) {
        Ok(serde_json::Value::Object(map)) => map.into_iter().collect(),
        _ => Vec::new(),
    }
}

/// `value` as a whole number, for an integer setting.
fn whole(name: &str, value: f64) -> Result<usize> {
    if value.fract() != 0.0 || !(0.0..=u32::MAX as f64).contains(&value) {
        return Err(ConsortError::config(format!(
            "{name} takes a whole number, got {value}"
        )));
    }
    Ok(value as usize)
}

/// Sets field `name` of `params` through its serialised form: a whole number where the field
/// takes one, else the float.
fn set_field<T: Serialize + DeserializeOwned>(
    params: &mut T,
    name: &str,
    value: f64,
) -> Result<()> {
    let mut json = serde_json::to_value(&*params)?;
    let candidates = [
        whole(name, value).ok().map(serde_json::Value::from),
        serde_json::Number::from_f64(value).map(serde_json::Value::Number),
    ];
    for candidate in candidates.into_iter().flatten() {
        json[name] = candidate;
        if let Ok(updated) = serde_json::from_value(json.clone()) {
            *params = updated;
            return Ok(());
        }
    }
    Err(ConsortError::config(format!(
        "{name} cannot take the value {value}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_names_its_entry_once() {
        let keys = ModelKind::keys();
        let mut unique = keys.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), keys.len());
        for kind in ModelKind::all() {
            assert_eq!(ModelKind::from_key(kind.key()).unwrap(), kind);
            kind.check().unwrap();
        }
        let err = ModelKind::from_key("svm").unwrap_err().to_string();
        assert!(err.contains("forest") && err.contains("svm"), "{err}");
    }

    #[test]
    fn parameters_are_set_by_name_as_whole_numbers_or_floats_and_checked() {
        let mut forest = ModelKind::from_key("forest").unwrap();
        forest.set_param("n_trees", 7.0).unwrap();
        forest.set_param("max_depth", 3.0).unwrap();
        let ModelKind::Forest(c) = &forest else {
            unreachable!()
        };
        assert_eq!((c.n_trees, c.max_depth), (7, Some(3)));
        // A fraction where a whole number belongs, a name it does not have, a value the
        // check refuses.
        assert!(forest.set_param("n_trees", 2.5).is_err());
        assert!(forest.set_param("width", 8.0).is_err());
        assert!(forest.set_param("n_trees", 0.0).is_err());
        assert!(!forest.tunable_params().contains(&"seed".to_string()));

        let mut mlp = ModelKind::from_key("mlp").unwrap();
        mlp.set_param("width", 32.0).unwrap();
        mlp.set_param("learning_rate", 0.01).unwrap();
        mlp.set_param("weight_decay", 1.0).unwrap();
        let ModelKind::Mlp(p) = &mlp else {
            unreachable!()
        };
        assert_eq!(p.hidden, vec![32]);
        assert_eq!((p.learning_rate, p.weight_decay), (0.01, 1.0));
        assert!(mlp.set_param("learning_rate", -1.0).is_err());
    }
}
