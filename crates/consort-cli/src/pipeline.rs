//! The main job: load data, split, fit large and small models, ensemble them, report.

use std::path::PathBuf;
use std::time::Instant;

use consort_core::seed::derive_seed;
use consort_core::{
    BackendKind, Classifier, ClassifierEstimator, ConsortError, ObserverHandle, ParamGuard, Result,
};
use consort_data::{
    CsvOptions, Dataset, Imputer, LabelColumn, MissingValues, RawTable, embedded, read_table,
    train_test_split,
};
use consort_ensemble::{
    AverageEnsemble, ClassifierCandidate, Member, NamedEstimator, OutOfFold, StackingClassifier,
    StackingConfig, Voting, VotingEnsemble,
};
use consort_eval::{
    ClassificationMetrics, DataSummary, Disagreement, ModelFamily, ModelResult, Report, Section,
};
use consort_models::{
    CnnConfig, DecisionTreeConfig, GaussianNbConfig, KNeighborsConfig, LogisticRegressionConfig,
    MlpConfig, Standardized,
};
use consort_tune::{NetworkEstimator, TrainConfig};

use crate::run_dir::fresh_run_dir;
use crate::sections::{cascade, cascade_name, cross_validation_section};

/// Where the data comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum DataSource {
    /// A dataset compiled into the binary (`digits`, `iris`).
    Embedded(String),
    /// A CSV file with a header row.
    Csv {
        /// The file.
        path: PathBuf,
        /// The label column (name or 0-based index).
        label: LabelColumn,
        /// Field delimiter.
        delimiter: u8,
        /// What to do with missing cells.
        missing: MissingValues,
        /// Columns left out (ids, say).
        drop_columns: Vec<String>,
        /// A given test file (columns matched by header name) instead of a split.
        test: Option<PathBuf>,
    },
}

/// Options of one run of the main job.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The data.
    pub source: DataSource,
    /// Seed of the split, the initialisations and the shuffles.
    pub seed: u64,
    /// Share of each class held out for the test set.
    pub test_fraction: f64,
    /// Training epochs of the networks (`None`: 30 for the MLP, 25 for the CNN).
    pub epochs: Option<usize>,
    /// Parent folder of the run folder.
    pub out_dir: PathBuf,
    /// Backend for the networks (`None`: the default).
    pub backend: Option<BackendKind>,
    /// Folds of the out-of-fold predictions the learned combiners (weights, stacking,
    /// cascade thresholds) learn from.
    pub folds: usize,
    /// Print progress to stderr (lines, and bars for the training runs).
    pub progress: bool,
    /// Where training and out-of-fold events go (the CLI's progress bars).
    pub observer: ObserverHandle,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            source: DataSource::Embedded("digits".into()),
            seed: 0,
            test_fraction: 0.25,
            epochs: None,
            out_dir: PathBuf::from("runs"),
            backend: None,
            folds: 5,
            progress: true,
            observer: ObserverHandle::none(),
        }
    }
}

/// What a run produced.
#[derive(Debug)]
pub struct RunOutput {
    /// The results.
    pub report: Report,
    /// The fresh folder holding `report.md` and `report.json`.
    pub dir: PathBuf,
}

/// The training and test sets of a run, split (or given) before any imputation, so that
/// imputation is fitted on the training rows only.
pub struct Prepared {
    /// The dataset's name.
    pub name: String,
    /// Rows to fit on.
    pub train: Dataset,
    /// Rows to report on.
    pub test: Dataset,
    /// What loading did (dropped rows, imputed cells), for the report.
    pub notes: Vec<String>,
}

/// Loads, splits (stratified, `test_fraction`, `seed`) or reads the given test file, and
/// deals with missing cells.
pub fn prepare(source: &DataSource, test_fraction: f64, seed: u64) -> Result<Prepared> {
    let (path, options, test_file) = match source {
        DataSource::Embedded(name) => {
            let data = embedded::by_name(name).ok_or_else(|| {
                ConsortError::config(format!(
                    "unknown embedded dataset {name:?}; available: {:?}",
                    embedded::NAMES
                ))
            })?;
            let (train, test) = train_test_split(&data, test_fraction, seed)?;
            return Ok(Prepared {
                name: data.name().to_string(),
                train,
                test,
                notes: Vec::new(),
            });
        }
        DataSource::Csv {
            path,
            label,
            delimiter,
            missing,
            drop_columns,
            test,
        } => (
            path,
            CsvOptions {
                label: label.clone(),
                delimiter: *delimiter,
                missing: *missing,
                drop_columns: drop_columns.clone(),
            },
            test,
        ),
    };
    let mut notes = Vec::new();
    let mut table = read_table(path, &options)?;
    let name = table.name().to_string();
    let given_test = match test_file {
        Some(t) => Some(read_table(t, &options)?.aligned_to(&table)?),
        None => None,
    };
    let missing = table.n_missing() + given_test.as_ref().map_or(0, RawTable::n_missing);
    if options.missing == MissingValues::Drop && missing > 0 {
        let before = table.labels().len();
        table = table.complete_rows();
        notes.push(format!(
            "dropped {} rows with missing cells",
            before - table.labels().len()
        ));
    }
    let (train, test) = match given_test {
        Some(t) if options.missing == MissingValues::Drop => (table, t.complete_rows()),
        Some(t) => (table, t),
        None => table.split(test_fraction, seed)?,
    };
    let (train, test) = if options.missing.imputes() {
        let imputer = Imputer::fit(train.features(), options.missing)?;
        if missing > 0 {
            notes.push(format!(
                "imputed {missing} missing cells with the {:?} of their column over the \
                 training rows",
                options.missing
            ));
        }
        (train.impute(&imputer)?, test.impute(&imputer)?)
    } else {
        (train.into_dataset()?, test.into_dataset()?)
    };
    Ok(Prepared {
        name,
        train,
        test,
        notes,
    })
}

struct Candidate {
    family: ModelFamily,
    estimator: ClassifierCandidate,
}

fn candidate<E>(name: &str, family: ModelFamily, estimator: E) -> Candidate
where
    E: ClassifierEstimator<Dataset> + 'static,
{
    Candidate {
        family,
        estimator: NamedEstimator::new(name, Box::new(estimator)),
    }
}

/// The image side when the features look like a square grey image of at least 4x4.
fn image_side(n_features: usize) -> Option<usize> {
    let side = (n_features as f64).sqrt().round() as usize;
    (side >= 4 && side * side == n_features).then_some(side)
}

fn candidates(opts: &RunOptions, data: &Dataset, notes: &mut Vec<String>) -> Vec<Candidate> {
    let train = |name: &str, default_epochs: usize| {
        let mut cfg = TrainConfig::new()
            .with_epochs(opts.epochs.unwrap_or(default_epochs))
            .with_seed(derive_seed(opts.seed, name));
        cfg.batch_size = 64;
        cfg
    };
    let network = |spec, name| {
        let mut est =
            NetworkEstimator::new(spec, train(name, 30)).with_observer(opts.observer.clone());
        est.backend = opts.backend;
        est
    };
    let mut list = vec![candidate(
        "mlp 256-256",
        ModelFamily::Large,
        Standardized(network(MlpConfig::new(0, vec![256, 256], 0), "mlp")),
    )];
    match image_side(data.n_features()) {
        Some(side) => {
            let mut est = NetworkEstimator::new(
                CnnConfig::new().with_height(side).with_width(side),
                train("cnn", 25),
            )
            .with_observer(opts.observer.clone());
            est.backend = opts.backend;
            list.push(candidate("cnn", ModelFamily::Large, Standardized(est)));
        }
        None => notes.push(format!(
            "cnn skipped: {} features do not form a square image of at least 4x4",
            data.n_features()
        )),
    }
    list.extend([
        candidate(
            "logistic regression",
            ModelFamily::Small,
            Standardized(LogisticRegressionConfig::default()),
        ),
        candidate(
            "decision tree",
            ModelFamily::Small,
            DecisionTreeConfig::default(),
        ),
        candidate(
            "gaussian nb",
            ModelFamily::Small,
            GaussianNbConfig::default(),
        ),
        candidate(
            "knn (k=5)",
            ModelFamily::Small,
            Standardized(KNeighborsConfig::default()),
        ),
    ]);
    list
}

fn score(
    name: &str,
    family: ModelFamily,
    model: &dyn Classifier,
    test: &Dataset,
    fit_seconds: f64,
) -> Result<ModelResult> {
    let start = Instant::now();
    let (proba, predicted) = model.predict_with_proba(test.features())?;
    let predict_seconds = start.elapsed().as_secs_f64();
    Ok(ModelResult {
        name: name.to_string(),
        family,
        metrics: ClassificationMetrics::compute(test.labels(), &proba, Some(&predicted))?,
        fit_seconds,
        predict_seconds,
    })
}

/// Runs the main job and writes its report to a fresh folder under `opts.out_dir`.
pub fn run(opts: &RunOptions) -> Result<RunOutput> {
    let say = |msg: String| {
        if opts.progress {
            eprintln!("{msg}");
        }
    };
    // Checked before any fitting: a bad option should not cost a full run.
    StackingConfig {
        folds: opts.folds,
        ..Default::default()
    }
    .check()?;
    let Prepared {
        name: data_name,
        train,
        test,
        mut notes,
    } = prepare(&opts.source, opts.test_fraction, opts.seed)?;
    let backend = BackendKind::chosen(opts.backend)?;
    backend.device()?;
    say(format!(
        "consort: {data_name} ({} samples, {} features, {} classes), seed {}, networks on {backend}",
        train.len() + test.len(),
        train.n_features(),
        train.n_classes(),
        opts.seed
    ));

    let candidates = candidates(opts, &train, &mut notes);
    let total = candidates.len();
    let mut results = Vec::new();
    let mut members = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        let name = &c.estimator.name;
        say(format!("[{}/{total}] fitting {name} ...", i + 1));
        let start = Instant::now();
        let model = c.estimator.estimator.fit_classifier(&train)?;
        let fit_seconds = start.elapsed().as_secs_f64();
        let result = score(name, c.family, model.as_ref(), &test, fit_seconds)?;
        say(format!(
            "[{}/{total}] {name}: accuracy {:.4} ({fit_seconds:.1}s)",
            i + 1,
            result.metrics.accuracy
        ));
        results.push(result);
        members.push((c.family, Member::new(name, model)));
    }

    let all: Vec<Member> = members.iter().map(|(_, m)| m.clone()).collect();
    let networks: Vec<Member> = members
        .iter()
        .filter(|(f, _)| *f == ModelFamily::Large)
        .map(|(_, m)| m.clone())
        .collect();
    let mut ensembles: Vec<(String, Box<dyn Classifier>)> = vec![
        (
            "soft vote (all)".into(),
            Box::new(VotingEnsemble::new(all.clone(), Voting::Soft)?),
        ),
        (
            "hard vote (all)".into(),
            Box::new(VotingEnsemble::new(all.clone(), Voting::Hard)?),
        ),
    ];
    if networks.len() > 1 {
        ensembles.push((
            "average (networks)".into(),
            Box::new(AverageEnsemble::new(networks)?),
        ));
    }

    // The learned combiners learn from out-of-fold probabilities: every member refitted on
    // each fold's rest predicts that fold, so weights, meta-learner and thresholds see how
    // members do on data they did not train on, without a separate validation split.
    let stacking = StackingConfig {
        folds: opts.folds,
        seed: derive_seed(opts.seed, "folds"),
        observer: opts.observer.clone(),
        ..Default::default()
    };
    say(format!(
        "out-of-fold predictions ({} folds x {total} members) for the learned combiners ...",
        opts.folds
    ));
    let start = Instant::now();
    let estimators: Vec<ClassifierCandidate> =
        candidates.into_iter().map(|c| c.estimator).collect();
    let oof = OutOfFold::compute(&estimators, &stacking, &train)?;
    let oof_seconds = start.elapsed().as_secs_f64();
    let weighted = AverageEnsemble::fit_weights_on(all.clone(), &oof.probas, train.labels())?;
    let weights: Vec<String> = all
        .iter()
        .zip(weighted.weights())
        .map(|(m, w)| format!("{} {w:.3}", m.name))
        .collect();
    notes.push(format!(
        "weighted average: weights fitted on out-of-fold log-loss: {}",
        weights.join(", ")
    ));
    ensembles.push(("weighted average (all)".into(), Box::new(weighted)));
    let stacked = StackingClassifier::from_out_of_fold(
        all.clone(),
        &oof,
        &LogisticRegressionConfig::default(),
        false,
        &train,
    )?;
    ensembles.push(("stacking (all, logistic meta)".into(), Box::new(stacked)));

    let mut sections = vec![cross_validation_section(&all, &oof, train.labels())];
    let mut figures = Vec::new();
    if let Some((cascade, section, figure)) = cascade(&members, &oof, &train, &test)? {
        ensembles.push((
            format!("cascade ({})", cascade_name(&cascade)),
            Box::new(cascade),
        ));
        sections.push(section);
        figures.push(figure);
    }
    for (name, model) in &ensembles {
        let fit_seconds = if name.starts_with("weighted") || name.starts_with("stacking") {
            oof_seconds
        } else {
            0.0
        };
        let result = score(
            name,
            ModelFamily::Ensemble,
            model.as_ref(),
            &test,
            fit_seconds,
        )?;
        say(format!("{name}: accuracy {:.4}", result.metrics.accuracy));
        results.push(result);
    }
    let predictions = all
        .iter()
        .map(|m| m.model.predict(test.features()))
        .collect::<Result<Vec<_>>>()?;
    let diversity =
        Disagreement::compute(all.iter().map(|m| m.name.clone()).collect(), &predictions)?;
    sections.push(Section {
        heading: "Member diversity (share of test samples on which two members disagree)".into(),
        body: format!(
            "{}\nMean pairwise disagreement: {:.3}.",
            diversity.to_markdown(),
            diversity.mean()
        ),
    });

    let report = Report {
        title: format!("Consort run on {data_name}"),
        data: DataSummary {
            name: data_name.clone(),
            samples: train.len() + test.len(),
            features: train.n_features(),
            classes: train.class_names().to_vec(),
            train_samples: train.len(),
            test_samples: test.len(),
        },
        seed: opts.seed,
        backend: backend.to_string(),
        results,
        sections,
        figures,
        notes,
    };
    let dir = fresh_run_dir(&opts.out_dir, &data_name, opts.seed)?;
    report.write_to(&dir)?;
    Ok(RunOutput { report, dir })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_side_needs_a_square_of_at_least_4() {
        assert_eq!(image_side(64), Some(8));
        assert_eq!(image_side(4), None);
        assert_eq!(image_side(63), None);
    }
}
