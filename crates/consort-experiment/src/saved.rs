//! The selected model on disk: written once, atomically, with its preprocessing; loaded back
//! by `consort predict` to score new CSV files exactly as the run scored its test rows.
//!
//! A model folder holds `consort-model.json` (name, kind, preprocessing, combiner
//! parameters), one folder per member under `members/` (`member.json`, and `network/` for a
//! network's weights), and `predictions.csv`, the model's predictions for the run's test rows.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use consort_core::io::{Validate, ensure, load_json, save_json, validated, write_atomic};
use consort_core::{BackendKind, Classifier, ConsortError, Matrix, Result};
use consort_data::Dataset;
use consort_ensemble::{
    AverageEnsemble, Cascade, Confidence, Member, StackingClassifier, Voting, VotingEnsemble,
};
use consort_models::LogisticRegression;
use serde::{Deserialize, Serialize};

use crate::combine::{BuiltCombiner, FittedCombiner};
use crate::member_loader::load_member;
use crate::members::SaveableClassifier;
use crate::prepare::Preprocessing;

/// The format version this build writes and reads.
const FORMAT: u32 = 1;

/// What was selected.
pub(crate) enum Chosen<'a> {
    /// A member, by index.
    Member(usize),
    /// A combiner over some members.
    Combiner(&'a FittedCombiner),
}

/// How the saved model combines its members.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum Combination {
    /// One member.
    Member,
    /// Soft or hard voting.
    Voting { voting: Voting },
    /// A weighted average.
    Average { weights: Vec<f64> },
    /// Stacking with a logistic meta-learner.
    Stacking {
        passthrough: bool,
        meta: LogisticRegression,
    },
    /// A cascade.
    Cascade {
        confidence: Confidence,
        thresholds: Vec<f32>,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    name: String,
    members: Vec<String>,
    combination: Combination,
    preprocessing: Preprocessing,
}

impl Validate for Manifest {
    fn validate(&self) -> Result<()> {
        let n = self.members.len();
        ensure(n >= 1, || "a saved model without members".into())?;
        match &self.combination {
            Combination::Member => ensure(n == 1, || format!("one member expected, {n} listed"))?,
            Combination::Voting { .. } => {}
            Combination::Average { weights } => ensure(
                weights.len() == n && weights.iter().all(|w| w.is_finite() && *w >= 0.0),
                || {
                    format!(
                        "{} weights for {n} members (each finite, >= 0)",
                        weights.len()
                    )
                },
            )?,
            Combination::Stacking { meta, .. } => meta.validate()?,
            Combination::Cascade { thresholds, .. } => ensure(
                thresholds.len() + 1 == n && thresholds.iter().all(|t| t.is_finite()),
                || format!("{} cascade thresholds for {n} stages", thresholds.len()),
            )?,
        }
        self.preprocessing.validate()
    }
}

/// Writes the chosen model into `dir` (which must not exist): into a temporary sibling first,
/// renamed into place when complete, so a failure leaves nothing half-written. It is checked
/// by loading it back onto the run's backend and predicting the `test` rows as the run did.
pub(crate) fn save_selected(
    dir: &Path,
    name: &str,
    members: &[Arc<dyn SaveableClassifier>],
    chosen: Chosen<'_>,
    preprocessing: &Preprocessing,
    (test, backend): (&Dataset, BackendKind),
) -> Result<()> {
    let (indices, combination, names): (Vec<usize>, Combination, Vec<String>) = match &chosen {
        Chosen::Member(m) => (vec![*m], Combination::Member, vec![name.to_string()]),
        Chosen::Combiner(c) => {
            let combination = match &c.built {
                BuiltCombiner::Voting(v) => Combination::Voting { voting: v.voting() },
                BuiltCombiner::Average(a) => Combination::Average {
                    weights: a.weights().to_vec(),
                },
                BuiltCombiner::Stacking(s, meta) => Combination::Stacking {
                    passthrough: s.passthrough(),
                    meta: meta.clone(),
                },
                BuiltCombiner::Cascade(c) => Combination::Cascade {
                    confidence: c.confidence(),
                    thresholds: c.thresholds().to_vec(),
                },
            };
            let names = c
                .built
                .get()
                .combined_members()
                .iter()
                .map(|m| m.name.clone())
                .collect();
            (c.members.clone(), combination, names)
        }
    };
    let in_memory = match chosen {
        Chosen::Member(m) => members[m].predict_with_proba(test.features())?,
        Chosen::Combiner(c) => c.built.get().predict_with_proba(test.features())?,
    };
    let parent = dir.parent().unwrap_or(Path::new("."));
    let staging = parent.join(format!(
        ".{}.partial-{}",
        dir.file_name().and_then(|n| n.to_str()).unwrap_or("model"),
        std::process::id()
    ));
    consort_core::io::remove_stale_partials(parent);
    let result = (|| {
        std::fs::create_dir_all(&staging).map_err(|e| ConsortError::io(&staging, e))?;
        for (slot, &m) in indices.iter().enumerate() {
            let member_dir = staging.join("members").join(slot.to_string());
            std::fs::create_dir_all(&member_dir).map_err(|e| ConsortError::io(&member_dir, e))?;
            members[m].save_to(&member_dir)?;
        }
        let manifest = Manifest {
            format: FORMAT,
            name: name.to_string(),
            members: names,
            combination,
            preprocessing: preprocessing.clone(),
        };
        save_json(&manifest, &staging.join("consort-model.json"))?;
        // The run's own predictions for its test rows: what the model loaded back (and
        // `consort predict`) must repeat exactly; a model that does not is not saved.
        let csv = predictions_csv(&in_memory.0, &in_memory.1, &preprocessing.class_names);
        let loaded = SavedModel::load_on(&staging, Some(backend))?;
        let (proba, predicted) = loaded.model.predict_with_proba(test.features())?;
        if predictions_csv(&proba, &predicted, &preprocessing.class_names) != csv {
            return Err(ConsortError::serialization_at(
                &staging,
                format!("{name}: the model loaded back does not reproduce the run's predictions"),
            ));
        }
        write_atomic(&staging.join("predictions.csv"), csv.as_bytes())?;
        std::fs::rename(&staging, dir).map_err(|e| ConsortError::io(dir, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

/// A model saved by a run with `select`: the classifier and how its input is read.
pub struct SavedModel {
    /// The selected member's or combiner's name.
    pub name: String,
    /// The classifier.
    pub model: Arc<dyn Classifier>,
    /// How CSV rows become its input.
    pub preprocessing: Preprocessing,
}

impl std::fmt::Debug for SavedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SavedModel")
            .field("name", &self.name)
            .field("n_features", &self.model.n_features())
            .finish()
    }
}

impl SavedModel {
    /// Loads a model folder written by a run with `select`, its networks on the default
    /// backend. Every error names the folder or the file in it that is wrong.
    pub fn load(dir: &Path) -> Result<Self> {
        Self::load_on(dir, None)
    }

    /// [`load`](Self::load), its networks on `backend` (`None`: the default backend).
    pub fn load_on(dir: &Path, backend: Option<BackendKind>) -> Result<Self> {
        Self::load_unnamed(dir, backend).map_err(|e| name_model_folder(e, dir))
    }

    fn load_unnamed(dir: &Path, backend: Option<BackendKind>) -> Result<Self> {
        let manifest_path = dir.join("consort-model.json");
        if !manifest_path.is_file() {
            return Err(ConsortError::InvalidInput(format!(
                "{} is not a saved model (no consort-model.json); run with --select to save one",
                dir.display()
            )));
        }
        let manifest: Manifest = validated(load_json(&manifest_path)?, &manifest_path)?;
        if manifest.format != FORMAT {
            return Err(ConsortError::serialization_at(
                dir,
                format!(
                    "model format {} (this build reads {FORMAT})",
                    manifest.format
                ),
            ));
        }
        let members = manifest
            .members
            .iter()
            .enumerate()
            .map(|(i, n)| {
                Ok(Member::new(
                    n,
                    load_member(&dir.join("members").join(i.to_string()), backend)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let model: Arc<dyn Classifier> = match manifest.combination {
            Combination::Member => {
                members
                    .into_iter()
                    .next()
                    .ok_or_else(|| {
                        ConsortError::Serialization("a saved model without a member".into())
                    })?
                    .model
            }
            Combination::Voting { voting } => Arc::new(VotingEnsemble::new(members, voting)?),
            Combination::Average { weights } => {
                Arc::new(AverageEnsemble::weighted(members, weights)?)
            }
            Combination::Stacking { passthrough, meta } => Arc::new(
                StackingClassifier::from_parts(members, Arc::new(meta), passthrough)?,
            ),
            Combination::Cascade {
                confidence,
                thresholds,
            } => Arc::new(Cascade::new(members, confidence, thresholds)?),
        };
        if model.n_classes() != manifest.preprocessing.class_names.len() {
            return Err(ConsortError::InvalidModel {
                path: manifest_path,
                message: format!(
                    "the model predicts {} classes, the manifest names {}",
                    model.n_classes(),
                    manifest.preprocessing.class_names.len()
                ),
            });
        }
        if model.n_features() != manifest.preprocessing.feature_names.len() {
            return Err(ConsortError::serialization_at(
                dir,
                format!(
                    "the model takes {} features, its preprocessing makes {}",
                    model.n_features(),
                    manifest.preprocessing.feature_names.len()
                ),
            ));
        }
        Ok(Self {
            name: manifest.name,
            model,
            preprocessing: manifest.preprocessing,
        })
    }
}

/// `e` with the model folder `dir` named, where it names no file itself (an ensemble that
/// refuses its members, say).
fn name_model_folder(e: ConsortError, dir: &Path) -> ConsortError {
    match e {
        ConsortError::Io { .. }
        | ConsortError::InvalidModel { .. }
        | ConsortError::Parse { .. }
        | ConsortError::InputTooLarge { .. }
        | ConsortError::Backend(_) => e,
        other => {
            let message = other.to_string();
            if message.contains(&dir.display().to_string()) {
                other
            } else {
                ConsortError::InvalidModel {
                    path: dir.to_path_buf(),
                    message,
                }
            }
        }
    }
}

/// Predictions as CSV: the predicted class name, then each class's probability (shortest
/// round-trip form, so equal files mean equal predictions).
pub(crate) fn predictions_csv(proba: &Matrix, predicted: &[usize], classes: &[String]) -> String {
    let mut out = String::from("predicted");
    for c in classes {
        let _ = write!(out, ",p_{c}");
    }
    out.push('\n');
    for (row, &p) in proba.iter_rows().zip(predicted) {
        out.push_str(&classes[p]);
        for v in row {
            let _ = write!(out, ",{v}");
        }
        out.push('\n');
    }
    out
}
