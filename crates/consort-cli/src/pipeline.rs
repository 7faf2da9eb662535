//! The main job: load data, split, fit large and small models, ensemble them, report.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use consort_core::seed::derive_seed;
use consort_core::{BackendKind, Classifier, ConsortError, Fit, Result};
use consort_data::{CsvOptions, Dataset, LabelColumn, embedded, read_csv, train_test_split};
use consort_ensemble::{AverageEnsemble, Member, Voting, VotingEnsemble};
use consort_eval::{ClassificationMetrics, DataSummary, ModelFamily, ModelResult, Report};
use consort_models::{
    CnnConfig, DecisionTreeConfig, GaussianNbConfig, KNeighborsConfig, LogisticRegressionConfig,
    MlpConfig, Standardized,
};
use consort_tune::{NetworkEstimator, TrainConfig};

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
    /// Print progress to stderr.
    pub progress: bool,
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
            progress: true,
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

/// Loads the dataset a [`DataSource`] names.
pub fn load(source: &DataSource) -> Result<Dataset> {
    match source {
        DataSource::Embedded(name) => embedded::by_name(name).ok_or_else(|| {
            ConsortError::config(format!(
                "unknown embedded dataset {name:?}; available: {:?}",
                embedded::NAMES
            ))
        }),
        DataSource::Csv {
            path,
            label,
            delimiter,
        } => read_csv(
            path,
            &CsvOptions {
                label: label.clone(),
                delimiter: *delimiter,
            },
        ),
    }
}

type FitFn = Box<dyn Fn(&Dataset) -> Result<Arc<dyn Classifier>>>;

struct Candidate {
    name: &'static str,
    family: ModelFamily,
    fit: FitFn,
}

fn fitter<E>(estimator: E) -> FitFn
where
    E: Fit<Dataset> + 'static,
    E::Object: Classifier + 'static,
{
    Box::new(move |d| Ok(Arc::new(estimator.fit(d)?) as Arc<dyn Classifier>))
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
            .with_seed(derive_seed(opts.seed, name))
            .with_progress(opts.progress);
        cfg.batch_size = 64;
        cfg
    };
    let network = |spec, name| {
        let mut est = NetworkEstimator::new(spec, train(name, 30));
        est.backend = opts.backend;
        est
    };
    let mut list = vec![Candidate {
        name: "mlp 256-256",
        family: ModelFamily::Large,
        fit: fitter(Standardized(network(
            MlpConfig::new(0, vec![256, 256], 0),
            "mlp",
        ))),
    }];
    match image_side(data.n_features()) {
        Some(side) => {
            let mut est = NetworkEstimator::new(
                CnnConfig::new().with_height(side).with_width(side),
                train("cnn", 25),
            );
            est.backend = opts.backend;
            list.push(Candidate {
                name: "cnn",
                family: ModelFamily::Large,
                fit: fitter(Standardized(est)),
            });
        }
        None => notes.push(format!(
            "cnn skipped: {} features do not form a square image of at least 4x4",
            data.n_features()
        )),
    }
    list.extend([
        Candidate {
            name: "logistic regression",
            family: ModelFamily::Small,
            fit: fitter(Standardized(LogisticRegressionConfig::default())),
        },
        Candidate {
            name: "decision tree",
            family: ModelFamily::Small,
            fit: fitter(DecisionTreeConfig::default()),
        },
        Candidate {
            name: "gaussian nb",
            family: ModelFamily::Small,
            fit: fitter(GaussianNbConfig::default()),
        },
        Candidate {
            name: "knn (k=5)",
            family: ModelFamily::Small,
            fit: fitter(Standardized(KNeighborsConfig::default())),
        },
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
    let data = load(&opts.source)?;
    let backend = match opts.backend {
        Some(b) => b,
        None => BackendKind::default_kind()?,
    };
    backend.device()?;
    say(format!(
        "consort: {} ({} samples, {} features, {} classes), seed {}, networks on {backend}",
        data.name(),
        data.len(),
        data.n_features(),
        data.n_classes(),
        opts.seed
    ));
    let (train, test) = train_test_split(&data, opts.test_fraction, opts.seed)?;

    let mut notes = Vec::new();
    let candidates = candidates(opts, &data, &mut notes);
    let total = candidates.len();
    let mut results = Vec::new();
    let mut members = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        say(format!("[{}/{total}] fitting {} ...", i + 1, c.name));
        let start = Instant::now();
        let model = (c.fit)(&train)?;
        let fit_seconds = start.elapsed().as_secs_f64();
        let result = score(c.name, c.family, model.as_ref(), &test, fit_seconds)?;
        say(format!(
            "[{}/{total}] {}: accuracy {:.4} ({fit_seconds:.1}s)",
            i + 1,
            c.name,
            result.metrics.accuracy
        ));
        results.push(result);
        members.push((c.family, Member::new(c.name, model)));
    }

    let all: Vec<Member> = members.iter().map(|(_, m)| m.clone()).collect();
    let networks: Vec<Member> = members
        .iter()
        .filter(|(f, _)| *f == ModelFamily::Large)
        .map(|(_, m)| m.clone())
        .collect();
    let mut ensembles: Vec<(&str, Box<dyn Classifier>)> = vec![
        (
            "soft vote (all)",
            Box::new(VotingEnsemble::new(all.clone(), Voting::Soft)?),
        ),
        (
            "hard vote (all)",
            Box::new(VotingEnsemble::new(all, Voting::Hard)?),
        ),
    ];
    if networks.len() > 1 {
        ensembles.push((
            "average (networks)",
            Box::new(AverageEnsemble::new(networks)?),
        ));
    }
    for (name, model) in &ensembles {
        let result = score(name, ModelFamily::Ensemble, model.as_ref(), &test, 0.0)?;
        results.push(result);
    }

    let report = Report {
        title: format!("Consort run on {}", data.name()),
        data: DataSummary {
            name: data.name().to_string(),
            samples: data.len(),
            features: data.n_features(),
            classes: data.class_names().to_vec(),
            train_samples: train.len(),
            test_samples: test.len(),
        },
        seed: opts.seed,
        backend: backend.to_string(),
        results,
        notes,
    };
    let dir = fresh_run_dir(&opts.out_dir, data.name(), opts.seed)?;
    report.write_to(&dir)?;
    Ok(RunOutput { report, dir })
}

/// `out/<dataset>-<UTC date>-<time>-seed<seed>`, with a numeric suffix if that exists.
fn fresh_run_dir(out: &Path, dataset: &str, seed: u64) -> Result<PathBuf> {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let stem = format!("{dataset}-{}-seed{seed}", utc_stamp(secs));
    std::fs::create_dir_all(out).map_err(|e| ConsortError::io(out, e))?;
    for n in 1.. {
        let name = if n == 1 {
            stem.clone()
        } else {
            format!("{stem}-{n}")
        };
        let dir = out.join(name);
        // create_dir (not _all) fails if the folder exists: the folder is ours alone.
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(ConsortError::io(&dir, e)),
        }
    }
    unreachable!("the loop returns")
}

/// `YYYYMMDD-HHMMSS` in UTC for Unix seconds (Howard Hinnant's civil-from-days).
fn utc_stamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_stamp_matches_known_dates() {
        assert_eq!(utc_stamp(0), "19700101-000000");
        assert_eq!(utc_stamp(951_782_400), "20000229-000000");
        assert_eq!(utc_stamp(1_795_434_245), "20261123-114405");
    }

    #[test]
    fn image_side_needs_a_square_of_at_least_4() {
        assert_eq!(image_side(64), Some(8));
        assert_eq!(image_side(4), None);
        assert_eq!(image_side(63), None);
    }
}
