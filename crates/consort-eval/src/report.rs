//! A run's results as a table a person reads (Markdown) and a file a program reads (JSON).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use consort_core::io::write_atomic;
use consort_core::{ConsortError, Result};
use serde::{Deserialize, Serialize};

use crate::metrics::ClassificationMetrics;
use crate::plot::Chart;
use crate::table::MarkdownTable;

/// What kind of model a row describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelFamily {
    /// A neural network.
    Large,
    /// A classical model.
    Small,
    /// A combination of other models.
    Ensemble,
}

impl std::fmt::Display for ModelFamily {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Large => "large",
            Self::Small => "small",
            Self::Ensemble => "ensemble",
        })
    }
}

/// One model's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelResult {
    /// Display name.
    pub name: String,
    /// Large, small or ensemble.
    pub family: ModelFamily,
    /// Test-set scores.
    pub metrics: ClassificationMetrics,
    /// Wall time of fitting (0 for ensembles of already fitted members).
    pub fit_seconds: f64,
    /// Wall time of predicting the whole test set.
    pub predict_seconds: f64,
}

/// Facts about the data a report was computed on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSummary {
    /// Dataset name.
    pub name: String,
    /// Samples in total.
    pub samples: usize,
    /// Feature columns.
    pub features: usize,
    /// Class names, by label.
    pub classes: Vec<String>,
    /// Training samples.
    pub train_samples: usize,
    /// Test samples.
    pub test_samples: usize,
}

impl DataSummary {
    /// The summary of a dataset named `name`, split into `train` and `test`.
    pub fn of(name: &str, train: &consort_data::Dataset, test: &consort_data::Dataset) -> Self {
        Self {
            name: name.to_string(),
            samples: train.len() + test.len(),
            features: train.n_features(),
            classes: train.class_names().to_vec(),
            train_samples: train.len(),
            test_samples: test.len(),
        }
    }
}

/// The results of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Heading.
    pub title: String,
    /// The data.
    pub data: DataSummary,
    /// Seed of the run.
    pub seed: u64,
    /// Backend the networks ran on.
    pub backend: String,
    /// One entry per model and ensemble, in the order they ran.
    pub results: Vec<ModelResult>,
    /// Remarks (skipped models and why, say).
    pub notes: Vec<String>,
    /// Extra Markdown sections (cascade report, member diversity, cross-validation...).
    #[serde(default)]
    pub sections: Vec<Section>,
    /// Charts, written next to the report and shown in the Markdown.
    #[serde(default)]
    pub figures: Vec<Figure>,
}

/// A titled block of Markdown in a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// Heading (level 2).
    pub heading: String,
    /// Markdown body.
    pub body: String,
}

/// A chart in a report: written as `file` (SVG) beside `report.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// File name inside the report folder (`cascade.svg`).
    pub file: String,
    /// Caption under the image.
    pub caption: String,
    /// The chart.
    pub chart: Chart,
}

impl Report {
    /// The result with the highest accuracy (the first one on ties).
    pub fn best(&self) -> Option<&ModelResult> {
        self.results
            .iter()
            .fold(None, |best: Option<&ModelResult>, r| match best {
                Some(b) if b.metrics.accuracy >= r.metrics.accuracy => Some(b),
                _ => Some(r),
            })
    }

    /// The results table alone, in Markdown. Ensembles also show their accuracy against the
    /// best single model (Δ, in points).
    pub fn table(&self) -> String {
        let best = self.best().map(|b| b.metrics.accuracy);
        let best_single = self
            .results
            .iter()
            .filter(|r| r.family != ModelFamily::Ensemble)
            .map(|r| r.metrics.accuracy)
            .fold(None, |b: Option<f64>, a| Some(b.map_or(a, |b| b.max(a))));
        let mut table = MarkdownTable::new(&[
            "model",
            "family",
            ">accuracy",
            ">Δ best single",
            ">macro-F1",
            ">log-loss",
            ">fit (s)",
            ">predict (ms)",
        ]);
        for r in &self.results {
            let acc = format!("{:.4}", r.metrics.accuracy);
            let acc = if Some(r.metrics.accuracy) == best {
                format!("**{acc}**")
            } else {
                acc
            };
            let delta = match (r.family, best_single) {
                (ModelFamily::Ensemble, Some(b)) => {
                    format!("{:+.2}", (r.metrics.accuracy - b) * 100.0)
                }
                _ => String::new(),
            };
            table.row([
                r.name.clone(),
                r.family.to_string(),
                acc,
                delta,
                format!("{:.4}", r.metrics.macro_f1),
                format!("{:.4}", r.metrics.log_loss),
                format!("{:.2}", r.fit_seconds),
                format!("{:.1}", r.predict_seconds * 1e3),
            ]);
        }
        table.to_markdown()
    }

    /// The whole report in Markdown: data, figures, table, the best model's confusion matrix,
    /// sections, notes.
    pub fn to_markdown(&self) -> String {
        let d = &self.data;
        let mut out = format!("# {}\n\n", self.title);
        let _ = writeln!(
            out,
            "Dataset **{}**: {} samples, {} features, {} classes; stratified split {} train / {} test; \
             seed {}; networks on `{}`.\n",
            d.name,
            d.samples,
            d.features,
            d.classes.len(),
            d.train_samples,
            d.test_samples,
            self.seed,
            self.backend
        );
        // Figures first: a reader sees the comparison before the tables that detail it.
        for figure in &self.figures {
            let _ = write!(out, "![{0}]({1})\n\n*{0}*\n\n", figure.caption, figure.file);
        }
        out.push_str(&self.table());
        if let Some(best) = self.best() {
            let _ = writeln!(
                out,
                "\n## Confusion matrix of {} (rows: true class, columns: predicted)\n",
                best.name
            );
            let mut headers = vec!["true \\ pred".to_string()];
            headers.extend(d.classes.iter().map(|c| format!(">{c}")));
            let mut table = MarkdownTable::new(&headers);
            for (c, row) in d.classes.iter().zip(&best.metrics.confusion) {
                table.row(
                    std::iter::once(format!("**{c}**")).chain(row.iter().map(usize::to_string)),
                );
            }
            out.push_str(&table.to_markdown());
        }
        if !self.results.is_empty() {
            out.push_str(
                "\n## Ranking and calibration\n\nROC-AUC: one-vs-rest, macro-averaged over the \
                 classes; ECE: expected calibration error of the top-class probability over 15 \
                 bins (0 is perfectly calibrated).\n\n",
            );
            let mut table = MarkdownTable::new(&["model", ">ROC-AUC", ">ECE"]);
            for r in &self.results {
                table.row([
                    r.name.clone(),
                    format!("{:.4}", r.metrics.roc_auc),
                    format!("{:.4}", r.metrics.ece),
                ]);
            }
            out.push_str(&table.to_markdown());
        }
        for section in &self.sections {
            let _ = write!(
                out,
                "\n## {}\n\n{}\n",
                section.heading,
                section.body.trim_end()
            );
        }
        if !self.notes.is_empty() {
            out.push_str("\n## Notes\n\n");
            for n in &self.notes {
                let _ = writeln!(out, "- {n}");
            }
        }
        out
    }

    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    /// The whole report as one self-contained HTML page (tables, figures inlined as SVG).
    pub fn to_html(&self) -> Result<String> {
        let figures = self
            .figures
            .iter()
            .map(|f| Ok((f.file.clone(), f.chart.to_svg()?, f.caption.clone())))
            .collect::<Result<Vec<_>>>()?;
        Ok(crate::html::to_html(
            &self.title,
            &self.to_markdown(),
            &figures,
        ))
    }

    /// Writes `report.md`, `report.html`, `report.json` and the figures into `dir` (created
    /// if missing), each atomically. Returns the paths of the Markdown and JSON reports.
    pub fn write_to(&self, dir: &Path) -> Result<(PathBuf, PathBuf)> {
        fs::create_dir_all(dir).map_err(|e| ConsortError::io(dir, e))?;
        for figure in &self.figures {
            if figure.file.contains(['/', '\\']) || figure.file.starts_with('.') {
                return Err(ConsortError::InvalidInput(format!(
                    "figure file {:?} must be a plain file name",
                    figure.file
                )));
            }
            figure.chart.write_svg(&dir.join(&figure.file))?;
        }
        let md = dir.join("report.md");
        let json = dir.join("report.json");
        write_atomic(&md, self.to_markdown().as_bytes())?;
        write_atomic(&dir.join("report.html"), self.to_html()?.as_bytes())?;
        write_atomic(&json, self.to_json()?.as_bytes())?;
        Ok((md, json))
    }
}
