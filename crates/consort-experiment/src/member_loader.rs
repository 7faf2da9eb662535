//! Reading a member folder back: the inverse of [`SaveableClassifier::save_to`]
//! (`member.json` with the kind, and `network/` for a network's weights), every file parsed
//! and validated so that a corrupted one is an error naming it.

use consort_catalog::ModelKind;
use std::path::Path;
use std::sync::Arc;

use consort_core::io::{Validate, validated};
use consort_core::{BackendKind, Classifier, ConsortError, Result};
use consort_data::StandardScaler;
use consort_models::{
    CnnConfig, LstmClassifierConfig, MlpSpec, NetworkClassifier, NetworkSpec, StandardizedModel,
    TransformerClassifierConfig,
};
use serde::de::DeserializeOwned;

use crate::members::MemberFile;
#[cfg(doc)]
use crate::members::SaveableClassifier;

/// Reads a member saved by [`SaveableClassifier::save_to`]; a network member loads onto
/// `backend` (`None`: the default backend).
pub(crate) fn load_member(dir: &Path, backend: Option<BackendKind>) -> Result<Arc<dyn Classifier>> {
    let path = dir.join("member.json");
    let file: MemberFile<serde_json::Value> = consort_core::io::load_json(&path)?;
    // Parsed, then checked (shapes, indices, acyclic trees): a corrupted file is an error
    // naming it, never a panic or an endless loop at prediction.
    fn parse<T: DeserializeOwned + Validate>(v: serde_json::Value, path: &Path) -> Result<T> {
        let value =
            serde_json::from_value(v).map_err(|e| ConsortError::serialization_at(path, e))?;
        validated(value, path)
    }
    fn classical<M>(file: MemberFile<serde_json::Value>, path: &Path) -> Result<Arc<dyn Classifier>>
    where
        M: Classifier + DeserializeOwned + Validate + 'static,
    {
        Ok(if file.standardized {
            Arc::new(parse::<StandardizedModel<M>>(file.model, path)?)
        } else {
            Arc::new(parse::<M>(file.model, path)?)
        })
    }
    fn network<S>(
        file: MemberFile<serde_json::Value>,
        dir: &Path,
        path: &Path,
        backend: Option<BackendKind>,
    ) -> Result<Arc<dyn Classifier>>
    where
        S: NetworkSpec + DeserializeOwned + 'static,
    {
        let device = BackendKind::chosen(backend)?.device()?;
        let net = NetworkClassifier::<S::Net>::load::<S>(&dir.join("network"), &device)?;
        if !file.standardized {
            return Ok(Arc::new(net));
        }
        let scaler: StandardScaler = parse(file.model, path)?;
        Ok(Arc::new(StandardizedModel::from_parts(scaler, net)?))
    }
    use consort_models as m;
    let kind = ModelKind::from_key(&file.kind).map_err(|_| {
        ConsortError::serialization_at(dir, format!("unknown member kind {:?}", file.kind))
    })?;
    match kind {
        ModelKind::Mlp(_) => network::<MlpSpec>(file, dir, &path, backend),
        ModelKind::Cnn(_) => network::<CnnConfig>(file, dir, &path, backend),
        ModelKind::Transformer(_) => {
            network::<TransformerClassifierConfig>(file, dir, &path, backend)
        }
        ModelKind::Lstm(_) => network::<LstmClassifierConfig>(file, dir, &path, backend),
        ModelKind::Logistic(_) => classical::<m::LogisticRegression>(file, &path),
        ModelKind::Tree(_) => classical::<m::DecisionTree>(file, &path),
        ModelKind::Forest(_) => classical::<m::RandomForest>(file, &path),
        ModelKind::Boosting(_) => classical::<m::HistGradientBoosting>(file, &path),
        ModelKind::AdaBoost(_) => classical::<m::AdaBoost>(file, &path),
        ModelKind::Knn(_) => classical::<m::KNeighbors>(file, &path),
        ModelKind::GaussianNb(_) => classical::<m::GaussianNb>(file, &path),
        ModelKind::MultinomialNb(_) => classical::<m::MultinomialNb>(file, &path),
    }
}
