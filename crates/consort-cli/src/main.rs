//! `consort`: large and small models, ensembled, on embedded or user data.
//!
//! This binary only parses arguments: the experiment itself lives in `consort-experiment`.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use clap::CommandFactory;
use clap::Parser;
use consort_cli::args::{Cli, Command, PredictArgs, RunArgs, Verbosity};
use consort_cli::progress::{self, ProgressBars};
use consort_core::{BackendKind, ConsortError, ObserverHandle};
use consort_data::embedded;
use consort_experiment::{Experiment, PredictOptions, default_predictions_path, predict_csv_with};

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

/// What a long job reports to: progress bars and log lines, or nothing with `-q`.
fn observer(verbosity: Verbosity) -> ObserverHandle {
    if verbosity.quiet {
        ObserverHandle::none()
    } else {
        ObserverHandle::new(Arc::new(ProgressBars::new()))
    }
}

fn run(args: &RunArgs, verbosity: Verbosity) -> Result<(), Failure> {
    if args.auto {
        return auto(args);
    }
    let config = args.experiment()?;
    let observer = observer(verbosity);
    let out = Experiment::new(config)?
        .with_observer(observer)
        .with_command_line(std::env::args())
        .run()?;
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
    if let Some(dir) = &out.dir {
        writeln!(w, "report: {}", dir.join("report.md").display())?;
        writeln!(w, "        {}", dir.join("report.html").display())?;
        writeln!(w, "        {}", dir.join("report.json").display())?;
        writeln!(w, "card:   {}", dir.join("model_card.md").display())?;
    }
    if let Some(model) = &out.saved_model {
        writeln!(w, "model:  {}", model.display())?;
    }
    w.flush()?;
    Ok(())
}

fn predict(args: &PredictArgs) -> Result<(), Failure> {
    let out = match (&args.output, &args.out) {
        (Some(file), _) => file.clone(),
        (None, Some(dir)) => {
            consort_core::io::check_output_dir(dir)?;
            let beside = default_predictions_path(&args.data);
            dir.join(beside.file_name().unwrap_or("predictions.csv".as_ref()))
        }
        (None, None) => default_predictions_path(&args.data),
    };
    if out.as_os_str() != "-" {
        consort_core::io::check_output_file(&out, &[&args.data])?;
    }
    let options = PredictOptions {
        id: args.id.clone(),
        backend: args.backend,
    };
    let predictions = predict_csv_with(&args.model, &args.data, &options)?;
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

fn fetch(names: &[String], verbosity: Verbosity) -> Result<(), Failure> {
    use consort_data::fetch::{Asset, cached, data_dir, fetch_with};
    let observer = observer(verbosity);
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
            log::info!("fetching {} ({}) ...", asset.name(), asset.describe());
        }
        let dir = fetch_with(asset, &observer)?;
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
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "consort", &mut w);
        }
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

/// The exit code of a command line that does not parse.
const USAGE_ERROR: u8 = 2;

fn main() -> ExitCode {
    consort_core::allocator::keep_freed_memory();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version print to standard output and succeed; a usage error exits
            // 2 (clap's convention), apart from the 1 of every error found after parsing.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(USAGE_ERROR)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let verbosity = cli.verbosity;
    progress::init_logging(verbosity.level());
    let result = match cli.command {
        Some(Command::Predict(args)) => predict(&args),
        Some(Command::Fetch { names }) => fetch(&names, verbosity),
        Some(Command::Run(args)) => run(&args, verbosity),
        Some(Command::Continual(args)) => continual(&args, verbosity),
        Some(Command::Rl(args)) => rl(&args, verbosity),
        Some(Command::Search(args)) => search(&args, verbosity),
        Some(Command::Recommend(args)) => recommend(&args, verbosity),
        Some(listing) => list(&listing),
        None => run(&cli.run, verbosity),
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
