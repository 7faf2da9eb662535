//! What an experiment is made of, as data: built in code or read from a TOML experiment file.
//!
//! Every table rejects unknown keys, and every value is checked while it is read, so a typo or
//! a bad value is an [`ConsortError::InvalidConfig`] naming the key and its line. The default
//! main job is the shipped file `examples/configs/digits.toml` ([`ExperimentConfig::main_job`]).

use std::path::{Path, PathBuf};

use consort_core::{BackendKind, ConsortError, Result};
use serde::{Deserialize, Serialize};

mod combiner;
mod data;
mod model;

pub use combiner::{CombinerKind, CombinerSpec, MemberSet};
pub use data::{Categorical, ClassWeight, DataConfig, Delimiter};
pub use model::{CnnParams, MlpParams, ModelKind, ModelSpec, Role, SequenceParams};

/// The shipped main job: embedded digits, two networks, four small models, six combiners.
pub const MAIN_JOB_TOML: &str = include_str!("../../../../examples/configs/digits.toml");

/// A whole experiment: data, members, combiners, evaluation and output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    /// Seed of the split, the initialisations, the shuffles and the folds.
    #[serde(default)]
    pub seed: u64,
    /// Folds of the out-of-fold predictions the learned combiners learn from and the
    /// selection is made on (at least 2).
    #[serde(default = "default_folds")]
    pub folds: Folds,
    /// Parent folder of the fresh run folder (relative to the working directory); `None`
    /// writes no files (the outcome holds the report). The `consort` command's default is
    /// `runs`; the library writes only where it is told to.
    #[serde(default)]
    pub out: Option<PathBuf>,
    /// Backend for the networks (default: `CONSORT_BACKEND`, else flex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<BackendKind>,
    /// Training epochs of every network, overriding each model's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epochs: Option<usize>,
    /// Refit the member or combiner the out-of-fold scores recommend on all training rows
    /// and save it (`model/` in the run folder) for `consort predict`.
    #[serde(default)]
    pub select: bool,
    /// Where the rows come from and how they are cleaned.
    pub data: DataConfig,
    /// The members (`[[model]]` tables), in report order.
    #[serde(default, rename = "model")]
    pub models: Vec<ModelSpec>,
    /// The combiners (`[[combiner]]` tables), in report order.
    #[serde(default, rename = "combiner")]
    pub combiners: Vec<CombinerSpec>,
}

fn default_folds() -> Folds {
    Folds(5)
}

/// A number of folds, at least 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "usize", into = "usize")]
pub struct Folds(usize);

impl Folds {
    /// Checked: at least 2.
    pub fn new(folds: usize) -> Result<Self> {
        Self::try_from(folds).map_err(ConsortError::config)
    }

    /// The count.
    pub fn get(self) -> usize {
        self.0
    }
}

impl TryFrom<usize> for Folds {
    type Error = String;
    fn try_from(v: usize) -> std::result::Result<Self, String> {
        if v < 2 {
            return Err(format!("need at least 2 folds, got {v}"));
        }
        Ok(Self(v))
    }
}

impl From<Folds> for usize {
    fn from(f: Folds) -> usize {
        f.0
    }
}

/// A share strictly between 0 and 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Fraction(f64);

impl Fraction {
    /// Checked: strictly between 0 and 1.
    pub fn new(v: f64) -> Result<Self> {
        Self::try_from(v).map_err(ConsortError::config)
    }

    /// The share.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Fraction {
    type Error = String;
    fn try_from(v: f64) -> std::result::Result<Self, String> {
        if !(v > 0.0 && v < 1.0) {
            return Err(format!(
                "a fraction must lie strictly between 0 and 1, got {v}"
            ));
        }
        Ok(Self(v))
    }
}

impl From<Fraction> for f64 {
    fn from(f: Fraction) -> f64 {
        f.0
    }
}

impl ExperimentConfig {
    /// The shipped main job (`examples/configs/digits.toml`).
    pub fn main_job() -> Self {
        Self::from_toml(MAIN_JOB_TOML, "examples/configs/digits.toml")
            .expect("the shipped main job parses (a unit test checks it)")
    }

    /// Parses an experiment file's text; `origin` names it in errors. Relative data paths
    /// stay relative (see [`ExperimentConfig::load`] for files).
    pub fn from_toml(text: &str, origin: &str) -> Result<Self> {
        let config: Self = toml::from_str(text).map_err(|e| toml_error(text, origin, &e))?;
        config.check_all().map_err(|(place, e)| {
            ConsortError::config(match place.line(text) {
                Some(line) => format!("{origin}:{line}: {}", e.bare_message()),
                None => format!("{origin}: {}", e.bare_message()),
            })
        })?;
        Ok(config)
    }

    /// Reads an experiment file; its relative data paths are taken from its folder.
    pub fn load(path: &Path) -> Result<Self> {
        let text = consort_core::io::read_to_string_bounded(
            path,
            consort_core::io::MAX_CONFIG_BYTES,
            "experiment file",
        )?;
        let mut config = Self::from_toml(&text, &path.display().to_string())?;
        config.data = config.data.anchored(path.parent().unwrap_or(Path::new("")));
        Ok(config)
    }

    /// The experiment as TOML (what [`ExperimentConfig::from_toml`] reads back).
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| ConsortError::Serialization(e.to_string()))
    }

    /// Checks what single values cannot: one data source, unique member names, combiners
    /// naming existing members, at least one member.
    pub fn validate(&self) -> Result<()> {
        self.check_all().map_err(|(_, e)| e)
    }

    /// [`Self::validate`], with where in a file the problem lies.
    fn check_all(&self) -> std::result::Result<(), (Place, ConsortError)> {
        self.data
            .check()
            .map_err(|e| (Place::Table("data", 0, None), e))?;
        if let Some(e) = self.epochs {
            consort_tune::ensure_epochs("epochs", e).map_err(|e| (Place::Top, e))?;
        }
        if self.models.is_empty() {
            return Err((
                Place::Top,
                ConsortError::config("an experiment needs at least one [[model]]"),
            ));
        }
        for (i, m) in self.models.iter().enumerate() {
            m.kind
                .check()
                .map_err(|e| (Place::Table("model", i, None), e))?;
            if self.models[..i].iter().any(|o| o.name == m.name) {
                return Err((
                    Place::Table("model", i, Some(m.name.clone())),
                    ConsortError::config(format!(
                        "two models are named {:?}: names must be unique",
                        m.name
                    )),
                ));
            }
        }
        for (i, c) in self.combiners.iter().enumerate() {
            c.check()
                .map_err(|e| (Place::Table("combiner", i, None), e))?;
            if let MemberSet::Named(names) = &c.members
                && let Some(unknown) = names
                    .iter()
                    .find(|n| !self.models.iter().any(|m| &m.name == *n))
            {
                return Err((
                    Place::Table("combiner", i, Some(unknown.clone())),
                    ConsortError::config(format!(
                        "combiner {:?} names member {unknown:?}, which is not a [[model]]; \
                         models: {}",
                        c.display_name(),
                        self.models
                            .iter()
                            .map(|m| m.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                ));
            }
        }
        Ok(())
    }
}

/// Where a cross-key problem lies in an experiment file.
enum Place {
    /// The file as a whole.
    Top,
    /// The `i`-th `[name]` / `[[name]]` table, at the line holding `needle` (quoted) when
    /// given, else at its header.
    Table(&'static str, usize, Option<String>),
}

impl Place {
    /// The 1-based line of this place in `text`, when it can be found.
    fn line(&self, text: &str) -> Option<usize> {
        let Place::Table(table, index, needle) = self else {
            return None;
        };
        let headers = [format!("[{table}]"), format!("[[{table}]]")];
        let lines: Vec<&str> = text.lines().collect();
        let header = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                let t = l.split('#').next().unwrap_or("").trim();
                headers.iter().any(|h| t == h)
            })
            .nth(*index)
            .map(|(n, _)| n)?;
        let quoted = needle.as_ref().map(|n| format!("{n:?}"));
        let found = quoted.and_then(|q| {
            lines[header..]
                .iter()
                .position(|l| l.contains(&q))
                .map(|off| header + off)
        });
        Some(found.unwrap_or(header) + 1)
    }
}

/// A TOML error as one line: file, line, column, and what was wrong with which key.
fn toml_error(text: &str, origin: &str, err: &toml::de::Error) -> ConsortError {
    let message = err.message().trim().to_string();
    let place = err.span().map(|span| {
        let mut start = span.start;
        // An unknown key inside an inline table or a table is reported at the table: point
        // at the key's own line when it can be found there.
        if let Some(key) = message
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split('`').next())
            && let Some(offset) = text[span.clone()].find(key)
        {
            start = span.start + offset;
        }
        let before = &text[..start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        (line, column)
    });
    ConsortError::config(match place {
        Some((line, column)) => format!("{origin}:{line}:{column}: {message}"),
        None => format!("{origin}: {message}"),
    })
}
