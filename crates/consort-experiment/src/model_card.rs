//! The model card of a run (after Mitchell et al., "Model Cards for Model Reporting"): what was
//! trained on what, by which command and version, how well it did with intervals, and what it
//! is for and not for. Written as `model_card.md` and `model_card.json` in every run folder and
//! beside every saved model, with the resolved experiment as `config.toml` so that
//! `consort run --config <run>/config.toml` repeats the run.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use consort_core::{ConsortError, Matrix, Result};
use consort_data::Dataset;
use consort_eval::{ModelResult, Report, wilson_interval};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::ExperimentConfig;
use crate::selection::Selection;

/// The normal quantile of the card's 95% intervals.
const Z_95: f64 = 1.959_964;

/// What a model card says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    /// The Consort version that trained the models.
    pub consort_version: String,
    /// The commit of the Consort source it was built from, when the build knew it.
    pub git_commit: Option<String>,
    /// When the run finished (UTC, RFC 3339).
    pub created_utc: String,
    /// The command line of the run, when it came from the `consort` command.
    pub command_line: Option<Vec<String>>,
    /// Commands that repeat the run (the table, to the last digit, on the same machine kind).
    pub reproduce: Vec<String>,
    /// The experiment's seed.
    pub seed: u64,
    /// The backend the networks ran on.
    pub backend: String,
    /// The data.
    pub data: DataCard,
    /// The candidate cross-validation recommends.
    pub recommended: String,
    /// Every candidate's scores.
    pub metrics: Vec<CardMetric>,
    /// What the models are for.
    pub intended_use: String,
    /// What they are not known to do.
    pub limits: Vec<String>,
}

/// The data a run saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataCard {
    /// The data's name.
    pub name: String,
    /// Where it came from (an embedded set or a file).
    pub source: String,
    /// SHA-256 of the prepared rows (training then test features as little-endian `f32`, then
    /// the labels as little-endian `u64`): the same hash means the same numbers were learnt
    /// from and tested on.
    pub sha256: String,
    /// Training rows.
    pub train_rows: usize,
    /// Test rows.
    pub test_rows: usize,
    /// Feature columns after preprocessing.
    pub features: usize,
    /// Each class with its training and test rows.
    pub classes: Vec<ClassCount>,
}

/// A class and how many rows of it each split holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassCount {
    /// The class name.
    pub name: String,
    /// Training rows.
    pub train: usize,
    /// Test rows.
    pub test: usize,
}

/// One candidate's scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardMetric {
    /// The member or combiner.
    pub candidate: String,
    /// Accuracy on the test rows.
    pub test_accuracy: f64,
    /// Its 95% Wilson interval.
    pub test_accuracy_95: (f64, f64),
    /// Out-of-fold accuracy on the training rows (what the recommendation reads).
    pub cv_accuracy: Option<f64>,
    /// Macro-averaged F1 on the test rows.
    pub test_macro_f1: f64,
    /// Expected calibration error on the test rows.
    pub test_ece: f64,
}

/// Every candidate's test accuracy with its 95% Wilson interval over `test_rows`, its
/// cross-validated accuracy, macro-F1 and calibration error: what the card lists and the
/// report's comparison figure draws.
pub(crate) fn scores(
    results: &[ModelResult],
    selection: &Selection,
    test_rows: usize,
) -> Vec<CardMetric> {
    results
        .iter()
        .map(|r| {
            let hits = (r.metrics.accuracy * test_rows as f64).round() as usize;
            CardMetric {
                candidate: r.name.clone(),
                test_accuracy: r.metrics.accuracy,
                test_accuracy_95: wilson_interval(hits, test_rows, Z_95),
                cv_accuracy: selection
                    .candidates
                    .iter()
                    .find(|c| c.name == r.name)
                    .map(|c| c.accuracy),
                test_macro_f1: r.metrics.macro_f1,
                test_ece: r.metrics.ece,
            }
        })
        .collect()
}

/// What a card is built from, besides the report.
pub(crate) struct CardInputs<'a> {
    pub config: &'a ExperimentConfig,
    pub command_line: Option<&'a [String]>,
    pub train: &'a Dataset,
    pub test: &'a Dataset,
    pub selection: &'a Selection,
}

impl ModelCard {
    /// The card of a finished run.
    pub(crate) fn of(report: &Report, inputs: &CardInputs<'_>) -> Self {
        let (train, test) = (inputs.train, inputs.test);
        let metrics = scores(&report.results, inputs.selection, test.len());
        let (train_counts, test_counts) = (train.class_counts(), test.class_counts());
        let classes = train
            .class_names()
            .iter()
            .enumerate()
            .map(|(c, name)| ClassCount {
                name: name.clone(),
                train: train_counts.get(c).copied().unwrap_or(0),
                test: test_counts.get(c).copied().unwrap_or(0),
            })
            .collect();
        let data = DataCard {
            name: report.data.name.clone(),
            source: source_of(inputs.config),
            sha256: rows_sha256(train, test),
            train_rows: train.len(),
            test_rows: test.len(),
            features: train.n_features(),
            classes,
        };
        let recommended = inputs.selection.recommended().name.clone();
        let mut reproduce = Vec::new();
        if let Some(args) = inputs.command_line {
            reproduce.push(shell_words(args));
        }
        reproduce.push("consort run --config <this run folder>/config.toml".into());
        ModelCard {
            consort_version: env!("CARGO_PKG_VERSION").into(),
            git_commit: option_env!("CONSORT_GIT_COMMIT")
                .filter(|c| !c.is_empty())
                .map(String::from),
            created_utc: rfc3339_utc(SystemTime::now()),
            command_line: inputs.command_line.map(<[String]>::to_vec),
            reproduce,
            seed: report.seed,
            backend: report.backend.clone(),
            intended_use: format!(
                "Classifying rows like the training data of {} ({} numeric features after \
                 preprocessing) into its {} classes; comparing large and small models and their \
                 ensembles on it.",
                data.name,
                data.features,
                data.classes.len()
            ),
            limits: limits(&data, &metrics, &recommended),
            data,
            recommended,
            metrics,
        }
    }

    /// The card as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut md = format!("# Model card: {}\n\n", self.data.name);
        md.push_str(&format!(
            "Recommended by cross-validation: **{}**.\n\n",
            self.recommended
        ));
        md.push_str("## Intended use\n\n");
        md.push_str(&format!("{}\n\n", self.intended_use));
        md.push_str("## Limits\n\n");
        for l in &self.limits {
            md.push_str(&format!("- {l}\n"));
        }
        md.push_str("\n## Metrics (test rows; 95% Wilson intervals)\n\n");
        md.push_str(
            "| candidate | test accuracy | 95% interval | CV accuracy | macro F1 | ECE |\n",
        );
        md.push_str("|---|---:|---|---:|---:|---:|\n");
        for m in &self.metrics {
            md.push_str(&format!(
                "| {} | {:.4} | [{:.4}, {:.4}] | {} | {:.4} | {:.4} |\n",
                m.candidate,
                m.test_accuracy,
                m.test_accuracy_95.0,
                m.test_accuracy_95.1,
                m.cv_accuracy.map_or("-".into(), |a| format!("{a:.4}")),
                m.test_macro_f1,
                m.test_ece
            ));
        }
        let d = &self.data;
        md.push_str("\n## Data\n\n");
        md.push_str(&format!(
            "- {} ({}): {} training and {} test rows, {} features\n- SHA-256 of the prepared \
             rows: `{}`\n- classes (training / test rows): {}\n",
            d.name,
            d.source,
            d.train_rows,
            d.test_rows,
            d.features,
            d.sha256,
            d.classes
                .iter()
                .map(|c| format!("{} {}/{}", c.name, c.train, c.test))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        md.push_str("\n## Provenance\n\n");
        md.push_str(&format!(
            "- Consort {}{}\n- created {} (UTC)\n- seed {}, networks on {}\n",
            self.consort_version,
            self.git_commit
                .as_ref()
                .map_or(String::new(), |c| format!(", commit {c}")),
            self.created_utc,
            self.seed,
            self.backend
        ));
        md.push_str("- to repeat the run:\n");
        for r in &self.reproduce {
            md.push_str(&format!("  - `{r}`\n"));
        }
        md
    }

    /// Writes `model_card.md`, `model_card.json` and the resolved `config.toml` into `dir`.
    pub(crate) fn write_to(&self, dir: &Path, config: &ExperimentConfig) -> Result<()> {
        consort_core::io::write_atomic(&dir.join("model_card.md"), self.to_markdown().as_bytes())?;
        let json = serde_json::to_string_pretty(self)?;
        consort_core::io::write_atomic(&dir.join("model_card.json"), json.as_bytes())?;
        let toml = reproducible_toml(config)?;
        consort_core::io::write_atomic(&dir.join("config.toml"), toml.as_bytes())
    }
}

/// The experiment as a file that repeats it from any folder: data paths made absolute, no
/// `out` (the command's default, or `--out`, decides where the new run goes).
pub(crate) fn reproducible_toml(config: &ExperimentConfig) -> Result<String> {
    let mut config = config.clone();
    let absolute = |p: &mut Option<std::path::PathBuf>| {
        if let Some(path) = p.as_mut()
            && let Ok(full) = std::fs::canonicalize(&*path)
        {
            *path = full;
        }
    };
    absolute(&mut config.data.csv);
    absolute(&mut config.data.test);
    config.out = None;
    let body = toml::to_string(&config)
        .map_err(|e| ConsortError::Serialization(format!("experiment as TOML: {e}")))?;
    Ok(format!(
        "# The experiment of this run, resolved (file and command-line options together):\n\
         # `consort run --config config.toml` repeats it.\n\n{body}"
    ))
}

fn source_of(config: &ExperimentConfig) -> String {
    match (&config.data.embedded, &config.data.csv) {
        (Some(name), _) => format!("embedded `{name}`"),
        (None, Some(csv)) => match &config.data.test {
            Some(test) => format!("{} with test file {}", csv.display(), test.display()),
            None => csv.display().to_string(),
        },
        (None, None) => "in memory".into(),
    }
}

fn limits(data: &DataCard, metrics: &[CardMetric], recommended: &str) -> Vec<String> {
    let mut limits = vec![format!(
        "Evaluated on {} held-out rows drawn like the training rows; data from elsewhere (other \
         sources, later times, other populations) may score lower.",
        data.test_rows
    )];
    if let Some(m) = metrics.iter().find(|m| m.candidate == recommended) {
        let (lo, hi) = m.test_accuracy_95;
        limits.push(format!(
            "{recommended}'s test accuracy {:.4} is known only to within [{lo:.4}, {hi:.4}] (95%) \
             at this test size; differences between candidates inside that width are not \
             evidence.",
            m.test_accuracy
        ));
    }
    let smallest = data.classes.iter().min_by_key(|c| c.train);
    if let Some(c) = smallest
        && data.classes.len() > 1
    {
        limits.push(format!(
            "The rarest class, {}, has {} training rows: its predictions are the least \
             reliable.",
            c.name, c.train
        ));
    }
    limits.push(
        "Only the classes above can be predicted; rows outside them get one of these labels."
            .into(),
    );
    limits
}

/// SHA-256 of the prepared rows, in hex.
fn rows_sha256(train: &Dataset, test: &Dataset) -> String {
    let mut hash = Sha256::new();
    let mut features = |m: &Matrix| {
        for v in m.as_slice() {
            hash.update(v.to_le_bytes());
        }
    };
    features(train.features());
    features(test.features());
    for &l in train.labels().iter().chain(test.labels()) {
        hash.update((l as u64).to_le_bytes());
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A command line as a shell would read it back: arguments quoted where they need to be.
fn shell_words(args: &[String]) -> String {
    args.iter()
        .enumerate()
        .map(|(i, a)| {
            let a = if i == 0 {
                // The program as the user would type it.
                Path::new(a)
                    .file_name()
                    .map_or(a.clone(), |f| f.to_string_lossy().into_owned())
            } else {
                a.clone()
            };
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
            {
                a
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `time` in UTC as RFC 3339 (`2026-12-07T15:41:28Z`).
fn rfc3339_utc(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let [year, month, day, hour, minute, second] = crate::run_dir::utc_parts(secs);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        // 2026-12-07T15:41:28Z, and a leap day.
        let at = |s: u64| rfc3339_utc(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(1_796_658_088), "2026-12-07T15:41:28Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn command_lines_are_quoted_for_the_shell() {
        let args: Vec<String> = [
            "/usr/bin/consort",
            "run",
            "--data",
            "my file.csv",
            "--seed",
            "3",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            shell_words(&args),
            "consort run --data 'my file.csv' --seed 3"
        );
        let quote = ["consort".to_string(), "it's".to_string()];
        assert_eq!(shell_words(&quote), r"consort 'it'\''s'");
    }

    #[test]
    fn the_resolved_experiment_reads_back_as_itself() {
        let config = ExperimentConfig::main_job();
        let text = reproducible_toml(&config).unwrap();
        let back = ExperimentConfig::from_toml(&text, "config.toml").unwrap();
        assert_eq!(back, config);
    }
}
