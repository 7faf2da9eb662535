//! `consort search`: a study described in a TOML file (the data, the model, the search space,
//! sampler, pruner, trials, storage), run against the project's models by cross-validation.
//!
//! ```toml
//! dataset = "digits"        # an embedded dataset, or a CSV file (label in the last column);
//!                           # or a [data] section, as in experiment files (CSV options, a
//!                           # test file or split: the search sees the training rows)
//! model = "boosting"        # any model of the catalogue (consort_catalog::ModelKind)
//! trials = 30
//! folds = 3
//! sampler = "tpe"           # tpe, tpe-multivariate, random
//! pruner = "halving"        # none, median, halving, hyperband (the mlp reports per epoch)
//! seed = 0
//! storage = "sqlite://study.db"  # optional, to resume and share: sqlite://FILE,
//!                           # postgresql://user@host/db, or a journal file (study.jsonl)
//! study_name = "digits-hgb" # the study's name inside a database (default: the file's stem)
//! workers = 2               # trials run in parallel by threads of this process
//! heartbeat_interval_s = 10 # running trials refresh a heartbeat (database storages) ...
//! grace_period_s = 60       # ... and count as orphaned when it is older than this
//! epochs = 20               # the mlp's most epochs
//!
//! [params.learning_rate]
//! low = 0.01
//! high = 0.5
//! log = true
//! [params.max_leaf_nodes]
//! low = 4
//! high = 64
//! int = true
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use consort_catalog::{EstimatorSettings, ModelKind};
use consort_core::params::ensure_at_least;
use consort_core::{BackendKind, ConsortError, Direction, ObserverHandle, Result};
use consort_data::{CsvOptions, Dataset, StandardScaler, embedded, read_csv};
use serde::Deserialize;

use crate::objective::{cv_accuracy, network_cv};
use crate::storage::{MemoryStorage, StorageOptions, StudyStorage, open_storage};
use crate::{Hyperband, MedianPruner, RandomSampler, Study, SuccessiveHalving, TpeSampler, Trial};
use consort_tune::NetworkEstimator;

/// One parameter's range.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamRange {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
    /// Search on a log scale.
    #[serde(default)]
    pub log: bool,
    /// An integer parameter.
    #[serde(default)]
    pub int: bool,
}

/// A study file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyConfig {
    /// Embedded dataset name or CSV path (label in the last column); or, for a CSV with
    /// options, `data`.
    #[serde(default)]
    pub dataset: Option<String>,
    /// The data as an experiment file's `[data]` section says it (a CSV with its label column,
    /// delimiter, missing cells, dropped and one-hot columns, a test file or split); the study
    /// cross-validates on the training rows only.
    #[serde(default)]
    pub data: Option<consort_experiment::DataConfig>,
    /// The model: a key of the catalogue ([`ModelKind::keys`]).
    pub model: String,
    /// Trials in all (complete or pruned; a resumed study runs the rest).
    pub trials: usize,
    /// Cross-validation folds.
    #[serde(default = "three")]
    pub folds: usize,
    /// tpe, tpe-multivariate or random.
    #[serde(default = "tpe")]
    pub sampler: String,
    /// none, median, halving or hyperband.
    #[serde(default = "none")]
    pub pruner: String,
    /// Seed of the folds, the sampler and the models.
    #[serde(default)]
    pub seed: u64,
    /// Where the study is stored: `sqlite://FILE`, `postgresql://...` or a journal file's
    /// path (files relative to the study file).
    #[serde(default)]
    pub storage: Option<String>,
    /// The study's name inside a database (default: the study file's stem).
    #[serde(default)]
    pub study_name: Option<String>,
    /// Trials run in parallel by threads of this process (default 1).
    #[serde(default = "one")]
    pub workers: usize,
    /// Seconds between a running trial's heartbeats (database storages; default 10).
    #[serde(default)]
    pub heartbeat_interval_s: Option<f64>,
    /// Seconds after which a silent running trial counts as orphaned (default 60).
    #[serde(default)]
    pub grace_period_s: Option<f64>,
    /// A network's most epochs.
    #[serde(default = "twenty")]
    pub epochs: usize,
    /// Backend of the networks: flex, ndarray or wgpu (default: `CONSORT_BACKEND`, else
    /// flex); `consort search --backend` overrides it.
    #[serde(default)]
    pub backend: Option<BackendKind>,
    /// The search space, by parameter name.
    pub params: BTreeMap<String, ParamRange>,
}

fn one() -> usize {
    1
}
fn three() -> usize {
    3
}
fn twenty() -> usize {
    20
}
fn tpe() -> String {
    "tpe".into()
}
fn none() -> String {
    "none".into()
}

impl StudyConfig {
    /// Reads and checks a study file; `storage` becomes relative to the file's folder.
    pub fn load(path: &Path) -> Result<Self> {
        let text = consort_core::io::read_to_string_bounded(
            path,
            consort_core::io::MAX_CONFIG_BYTES,
            "study file",
        )?;
        let mut config: Self = toml::from_str(&text)
            .map_err(|e| ConsortError::config(format!("{}: {e}", path.display())))?;
        let dir = path.parent().unwrap_or(Path::new(""));
        config.storage = config.storage.map(|url| relative_to(&url, dir));
        config.data = config.data.map(|d| d.anchored(dir));
        if config.study_name.is_none() {
            config.study_name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        }
        config.check()?;
        Ok(config)
    }

    /// Checks model, sampler, pruner, counts and ranges.
    pub fn check(&self) -> Result<()> {
        match (&self.dataset, &self.data) {
            (Some(_), None) => {}
            (None, Some(data)) => data.check()?,
            _ => {
                return Err(ConsortError::config(
                    "a study needs exactly one of `dataset` and a [data] section",
                ));
            }
        }
        let kind = ModelKind::from_key(&self.model)?;
        let allowed = kind.tunable_params();
        if let Some(p) = self.params.keys().find(|p| !allowed.contains(p)) {
            return Err(ConsortError::config(format!(
                "{} has no parameter {p:?}; it takes {allowed:?}",
                self.model
            )));
        }
        if self.params.is_empty() {
            return Err(ConsortError::config(
                "the study needs at least one [params.*] range",
            ));
        }
        if !["tpe", "tpe-multivariate", "random"].contains(&self.sampler.as_str()) {
            return Err(ConsortError::config(format!(
                "sampler {:?}: expected tpe, tpe-multivariate or random",
                self.sampler
            )));
        }
        if !["none", "median", "halving", "hyperband"].contains(&self.pruner.as_str()) {
            return Err(ConsortError::config(format!(
                "pruner {:?}: expected none, median, halving or hyperband",
                self.pruner
            )));
        }
        ensure_at_least("trials", self.trials, 1)?;
        ensure_at_least("folds", self.folds, 2)?;
        consort_tune::ensure_epochs("epochs", self.epochs)?;
        ensure_at_least("workers", self.workers, 1)?;
        self.storage_options()?.check()?;
        for (name, r) in &self.params {
            crate::space::Distribution::Float {
                low: r.low,
                high: r.high,
                log: r.log,
            }
            .check(name)?;
        }
        Ok(())
    }

    fn storage_options(&self) -> Result<StorageOptions> {
        let mut options = StorageOptions::default();
        let seconds = |name: &str, v: f64| {
            Duration::try_from_secs_f64(v)
                .map_err(|_| ConsortError::config(format!("{name} = {v}: not a duration")))
        };
        if let Some(v) = self.heartbeat_interval_s {
            options.heartbeat_interval = seconds("heartbeat_interval_s", v)?;
        }
        if let Some(v) = self.grace_period_s {
            options.grace_period = seconds("grace_period_s", v)?;
        }
        Ok(options)
    }

    /// Opens the study's storage: the file's `storage`, or memory shared by the workers.
    pub fn open_storage(&self) -> Result<Arc<dyn StudyStorage>> {
        match &self.storage {
            Some(url) => open_storage(
                url,
                self.study_name.as_deref().unwrap_or("consort-study"),
                &self.storage_options()?,
            ),
            None => Ok(Arc::new(MemoryStorage::new())),
        }
    }

    /// What the study searches on: the embedded set or CSV `dataset` names, or the training
    /// rows of the `[data]` section (prepared as an experiment prepares them).
    fn data(&self) -> Result<Dataset> {
        if let Some(data) = &self.data {
            return Ok(consort_experiment::prepare(data, self.seed)?.train);
        }
        let name = self.dataset.as_deref().unwrap_or_default();
        match embedded::by_name(name) {
            Some(d) => Ok(d),
            None => read_csv(name, &CsvOptions::default()),
        }
    }

    /// The data's name for reports: the embedded set, the CSV path, or the section's source.
    pub fn data_name(&self) -> String {
        match (&self.dataset, &self.data) {
            (Some(name), _) => name.clone(),
            (None, Some(d)) => d
                .embedded
                .clone()
                .or_else(|| d.csv.as_ref().map(|p| p.display().to_string()))
                .unwrap_or_default(),
            (None, None) => String::new(),
        }
    }
}

/// A storage URL with its file made relative to `dir` (journal paths and `sqlite://`).
fn relative_to(url: &str, dir: &Path) -> String {
    if let Some(file) = url.strip_prefix("sqlite://") {
        if Path::new(file).is_relative() {
            return format!("sqlite://{}", dir.join(file).display());
        }
        return url.to_string();
    }
    if !url.contains("://") && Path::new(url).is_relative() {
        return dir.join(url).display().to_string();
    }
    url.to_string()
}

fn float(
    t: &mut Trial<'_>,
    ranges: &BTreeMap<String, ParamRange>,
    name: &str,
) -> Result<Option<f64>> {
    let Some(r) = ranges.get(name) else {
        return Ok(None);
    };
    Ok(Some(if r.int {
        (if r.log {
            t.suggest_int_log(name, r.low as i64, r.high as i64)?
        } else {
            t.suggest_int(name, r.low as i64, r.high as i64, 1)?
        }) as f64
    } else if r.log {
        t.suggest_float_log(name, r.low, r.high)?
    } else {
        t.suggest_float(name, r.low, r.high)?
    }))
}

/// Runs (or resumes, from its storage) the study a file describes, with its workers; returns
/// it. The mlp and logistic regression see features standardised over the whole dataset
/// before the folds are cut (as scaling before scikit-learn's `cross_val_score` does).
pub fn run_study(config: &StudyConfig, observer: &ObserverHandle) -> Result<Study> {
    config.check()?;
    let data = config.data()?;
    let data = if ModelKind::from_key(&config.model)?.standardizes_by_default() {
        let scaler = StandardScaler::fit(data.features())?;
        data.with_features(scaler.transform(data.features())?)?
    } else {
        data
    };
    let storage = config.open_storage()?;
    let study = |storage: Arc<dyn StudyStorage>| -> Result<Study> {
        let mut study = Study::new(Direction::Higher)
            .with_seed(config.seed)
            .with_observer(observer.clone());
        study = match config.sampler.as_str() {
            "random" => study.with_sampler(RandomSampler),
            "tpe-multivariate" => study.with_sampler(TpeSampler::multivariate()),
            _ => study.with_sampler(TpeSampler::default()),
        };
        study = match config.pruner.as_str() {
            "median" => study.with_pruner(MedianPruner::default()),
            "halving" => study.with_pruner(SuccessiveHalving::default()),
            "hyperband" => study.with_pruner(Hyperband {
                min_resource: 1,
                max_resource: config.epochs,
                reduction_factor: 3,
            }),
            _ => study,
        };
        study.with_storage(storage)
    };
    let work = |storage: Arc<dyn StudyStorage>| -> Result<Study> {
        let mut s = study(storage)?;
        s.optimize_to(config.trials, |t| objective(config, &data, t))?;
        Ok(s)
    };
    if config.workers == 1 {
        return work(storage);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..config.workers)
            .map(|_| {
                let storage = storage.clone();
                scope.spawn(|| work(storage))
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| ConsortError::Storage("a worker thread panicked".into()))??;
        }
        Ok::<_, ConsortError>(())
    })?;
    // Every worker's trials, as the storage holds them.
    study(storage)
}

/// One trial of the study: the model the file names (any entry of the catalogue), with the
/// trial's parameters, scored by cross-validated accuracy; an MLP trains fold by fold one
/// epoch at a time, reporting to the trial so that a pruner can stop it.
fn objective(config: &StudyConfig, data: &Dataset, t: &mut Trial<'_>) -> Result<f64> {
    let mut kind = ModelKind::from_key(&config.model)?;
    for name in config.params.keys() {
        if let Some(value) = float(t, &config.params, name)? {
            kind.set_param(name, value)?;
        }
    }
    let (folds, seed) = (config.folds, config.seed);
    if let ModelKind::Mlp(p) = &kind {
        let mut network = NetworkEstimator::new(p.network(), p.train_config(config.epochs, seed));
        network.backend = config.backend;
        return network_cv(t, &network, data, folds, seed).map(|r| r.0);
    }
    // Scaling, where the kind wants it, was done once on the whole dataset.
    let settings = EstimatorSettings {
        seed,
        epochs: Some(config.epochs),
        backend: config.backend,
        ..EstimatorSettings::default()
    };
    cv_accuracy(kind.estimator(&settings).as_ref(), data, folds, seed)
}
