//! `consort`: large and small models, ensembled, on embedded or user data.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use consort_cli::pipeline::{DataSource, RunOptions, run};
use consort_cli::progress::ProgressBars;
use consort_core::{BackendKind, ObserverHandle};
use consort_data::{LabelColumn, embedded};

/// Large neural and small classical models, trained side by side and ensembled.
///
/// With no arguments, runs the main job on the embedded digits dataset.
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
    /// Fit every model and ensemble on a dataset and write a report (the default).
    Run(Box<RunArgs>),
    /// List the embedded datasets.
    Datasets,
    /// List the compute backends compiled into this binary.
    Backends,
}

#[derive(Args, Debug, Clone)]
struct RunArgs {
    /// CSV file with a header row (default: the embedded dataset).
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Label column of --data: a header name or a 0-based index (default: the last column).
    #[arg(long, value_name = "COLUMN", requires = "data")]
    label: Option<String>,
    /// Field delimiter of --data.
    #[arg(long, default_value_t = ',', requires = "data")]
    delimiter: char,
    /// A test file for --data (same columns, matched by header name) instead of a split.
    #[arg(long, value_name = "FILE", requires = "data")]
    test: Option<PathBuf>,
    /// Missing cells (empty, ?, NA, NaN) in --data: error, drop, mean, median or
    /// most-frequent (imputation is fitted on the training rows only).
    #[arg(long, default_value = "error", requires = "data")]
    missing: String,
    /// Leave out a column of --data (an id, say); repeatable.
    #[arg(long, value_name = "COLUMN", requires = "data")]
    drop: Vec<String>,
    /// Embedded dataset to use when --data is not given.
    #[arg(long, default_value = "digits", conflicts_with = "data")]
    dataset: String,
    /// Seed of the split, initialisations and shuffles.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Share of each class held out for testing.
    #[arg(long, default_value_t = 0.25)]
    test_fraction: f64,
    /// Training epochs of the networks (default: 30 MLP, 25 CNN).
    #[arg(long)]
    epochs: Option<usize>,
    /// Folds of the out-of-fold predictions that weighted average, stacking and the cascade
    /// learn from (at least 2).
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Folder under which a fresh run folder is created.
    #[arg(long, default_value = "runs")]
    out: PathBuf,
    /// Backend for the networks: flex, ndarray or wgpu (default: CONSORT_BACKEND or flex).
    #[arg(long)]
    backend: Option<BackendKind>,
    /// No progress output; only the table and the report location.
    #[arg(long, short)]
    quiet: bool,
}

impl RunArgs {
    fn options(&self) -> Result<RunOptions, String> {
        let source = match &self.data {
            Some(path) => {
                if !self.delimiter.is_ascii() {
                    return Err(format!(
                        "delimiter {:?} is not a single ASCII character",
                        self.delimiter
                    ));
                }
                DataSource::Csv {
                    path: path.clone(),
                    label: self
                        .label
                        .as_deref()
                        .map_or(LabelColumn::Last, LabelColumn::parse),
                    delimiter: self.delimiter as u8,
                    missing: self
                        .missing
                        .parse()
                        .map_err(|e| format!("--missing: {e}"))?,
                    drop_columns: self.drop.clone(),
                    test: self.test.clone(),
                }
            }
            None => DataSource::Embedded(self.dataset.clone()),
        };
        Ok(RunOptions {
            source,
            seed: self.seed,
            test_fraction: self.test_fraction,
            epochs: self.epochs,
            out_dir: self.out.clone(),
            backend: self.backend,
            folds: self.folds,
            progress: !self.quiet,
            observer: if self.quiet {
                ObserverHandle::none()
            } else {
                ObserverHandle::new(Arc::new(ProgressBars::new()))
            },
        })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let args = match cli.command {
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
            return ExitCode::SUCCESS;
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
            return ExitCode::SUCCESS;
        }
        Some(Command::Run(args)) => *args,
        None => cli.run,
    };
    let result = args
        .options()
        .map_err(|e| e.to_string())
        .and_then(|opts| run(&opts).map_err(|e| e.to_string()));
    match result {
        Ok(out) => {
            println!("{}", out.report.table());
            if !out.report.notes.is_empty() {
                for n in &out.report.notes {
                    println!("note: {n}");
                }
            }
            println!("report: {}", out.dir.join("report.md").display());
            println!("        {}", out.dir.join("report.json").display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
