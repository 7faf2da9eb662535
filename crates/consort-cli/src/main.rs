//! `consort`: large and small models, ensembled, on embedded or user data.
//!
//! This binary only parses arguments: the experiment itself lives in `consort-experiment`.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use consort_cli::args::{Cli, Command, PredictArgs, RunArgs};
use consort_cli::progress::ProgressBars;
use consort_core::{BackendKind, ConsortError, ObserverHandle};
use consort_data::embedded;
use consort_experiment::{Experiment, default_predictions_path, predict_csv};

mod paradigms;
use paradigms::{auto, continual, recommend, rl, search};

/// What can end a command: a Consort error, or standard output refusing to be written.
enum Failure {
    Consort(ConsortError),
    Output(std::io::Error),
}

impl From<ConsortError> for Failure {
    fn from(e: ConsortError) -> Self {
        Self::Consort(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Self::Output(e)
    }
}

/// Standard output, whose errors are returned rather than panicking as `println!` does.
fn stdout() -> std::io::StdoutLock<'static> {
    std::io::stdout().lock()
}

/// A line on standard error; a closed standard error is no reason to fail.
fn note(message: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

fn run(args: &RunArgs) -> Result<(), Failure> {
    if args.auto {
        return auto(args);
    }
    let config = args.experiment()?;
    let observer = if args.quiet {
        ObserverHandle::none()
    } else {
        ObserverHandle::new(Arc::new(ProgressBars::new()))
    };
    let out = Experiment::new(config)?.with_observer(observer).run()?;
    let mut w = stdout();
    writeln!(w, "{}", out.report.table())?;
    for n in &out.report.notes {
        writeln!(w, "note: {n}")?;
    }
    writeln!(
        w,
        "recommended by cross-validation: {}",
        out.selection.recommended().name
    )?;
    writeln!(w, "report: {}", out.dir.join("report.md").display())?;
    writeln!(w, "        {}", out.dir.join("report.html").display())?;
    writeln!(w, "        {}", out.dir.join("report.json").display())?;
    if let Some(model) = &out.saved_model {
        writeln!(w, "model:  {}", model.display())?;
    }
    w.flush()?;
    Ok(())
}

fn predict(args: &PredictArgs) -> Result<(), Failure> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_predictions_path(&args.data));
    if out.as_os_str() != "-" {
        consort_core::io::check_output_file(&out, &[&args.data])?;
    }
    let predictions = predict_csv(&args.model, &args.data)?;
    let mut w = stdout();
    if out.as_os_str() == "-" {
        w.write_all(predictions.csv.as_bytes())?;
    } else {
        consort_core::io::write_atomic(&out, predictions.csv.as_bytes())?;
        writeln!(w, "{} predictions: {}", predictions.rows, out.display())?;
    }
    w.flush()?;
    if let Some(acc) = predictions.accuracy {
        note(format_args!("accuracy against the file's labels: {acc:.4}"));
    }
    Ok(())
}

fn fetch(names: &[String]) -> Result<(), Failure> {
    use consort_data::fetch::{Asset, cached, data_dir, fetch};
    let mut w = stdout();
    if names.is_empty() {
        writeln!(w, "cache: {}", data_dir().display())?;
        let width = Asset::ALL
            .map(|a| a.name().len())
            .into_iter()
            .max()
            .unwrap_or(0);
        for asset in Asset::ALL {
            let state = if cached(asset).is_some() {
                "cached"
            } else {
                "not fetched"
            };
            writeln!(
                w,
                "{:>width$}: {} [{state}]",
                asset.name(),
                asset.describe()
            )?;
        }
        w.flush()?;
        return Ok(());
    }
    let assets = names
        .iter()
        .map(|n| Asset::from_name(n))
        .collect::<Result<Vec<_>, _>>()?;
    for asset in assets {
        let was_cached = cached(asset).is_some();
        if !was_cached {
            note(format_args!(
                "fetching {} ({}) ...",
                asset.name(),
                asset.describe()
            ));
        }
        let dir = fetch(asset)?;
        writeln!(
            w,
            "{}: {}{}",
            asset.name(),
            dir.display(),
            if was_cached { " (already cached)" } else { "" }
        )?;
    }
    w.flush()?;
    Ok(())
}

/// The listing commands: datasets, backends, the main job's file.
fn list(command: &Command) -> Result<(), Failure> {
    let mut w = stdout();
    match command {
        Command::Datasets => {
            for d in embedded::NAMES.iter().filter_map(|n| embedded::by_name(n)) {
                let name = d.name();
                writeln!(
                    w,
                    "{name}: {} samples, {} features, {} classes",
                    d.len(),
                    d.n_features(),
                    d.n_classes()
                )?;
            }
        }
        Command::Backends => {
            for kind in BackendKind::ALL {
                let state = if kind.is_compiled() {
                    "compiled in"
                } else {
                    "not compiled"
                };
                writeln!(w, "{kind}: {state}")?;
            }
        }
        Command::Config => write!(w, "{}", consort_experiment::MAIN_JOB_TOML)?,
        // The commands with work of their own are dispatched in `main`.
        Command::Run(_)
        | Command::Predict(_)
        | Command::Fetch { .. }
        | Command::Continual(_)
        | Command::Rl(_)
        | Command::Search(_)
        | Command::Recommend(_) => {}
    }
    w.flush()?;
    Ok(())
}

fn main() -> ExitCode {
    consort_core::allocator::keep_freed_memory();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version print to standard output and succeed; an argument error
            // exits 1 like every other error (clap's own code would be 2).
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Some(Command::Predict(args)) => predict(&args),
        Some(Command::Fetch { names }) => fetch(&names),
        Some(Command::Run(args)) => run(&args),
        Some(Command::Continual(args)) => continual(&args),
        Some(Command::Rl(args)) => rl(&args),
        Some(Command::Search(args)) => search(&args),
        Some(Command::Recommend(args)) => recommend(&args),
        Some(listing) => list(&listing),
        None => run(&cli.run),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that went away (`consort datasets | head -1`) wants no more: end quietly.
        Err(Failure::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Output(e)) => {
            note(format_args!("error: cannot write to standard output: {e}"));
            ExitCode::FAILURE
        }
        Err(Failure::Consort(e)) => {
            note(format_args!("error: {e}"));
            ExitCode::FAILURE
        }
    }
}
