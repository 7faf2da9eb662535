//! A study as a report a person reads: the best trial, the optimisation history (each
//! trial's value and the best so far, as a table and a figure) and parameter importances.
//!
//! Importances: a random forest regresses the objective on the parameters of the complete
//! trials (each parameter in its internal coordinate: log for log scales, the index for
//! categories); a parameter's importance is how much the forest's R² on those trials drops
//! when that parameter's column is shuffled (permutation importance), normalised to sum to
//! one. Conditional parameters absent from a trial take their range's midpoint.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use consort_core::io::write_atomic;
use consort_core::seed::rng;
use consort_core::{ConsortError, Direction, Fit, Matrix, Regressor, Result};
use consort_data::RegressionDataset;
use consort_eval::{Chart, LineChart, MarkdownTable, ParallelAxis, ParallelCoordinates, r2};
use consort_models::{MaxFeatures, RandomForestConfig};
use rand::seq::SliceRandom;

use crate::frozen::TrialState;
use crate::space::Distribution;
use crate::study::Study;

/// A tick label: floats to 3 significant places.
fn short(v: &crate::space::ParamValue) -> String {
    match v {
        crate::space::ParamValue::Float(x) if *x != 0.0 && !(0.01..1e4).contains(&x.abs()) => {
            format!("{x:.2e}")
        }
        crate::space::ParamValue::Float(x) => format!("{x:.3}"),
        other => other.to_string(),
    }
}

impl Study {
    /// Each trial's value against its number, and the best value so far.
    pub fn history_chart(&self) -> LineChart {
        let mut values = Vec::new();
        let mut best = Vec::new();
        let mut so_far: Option<f64> = None;
        for t in self.trials() {
            if let (TrialState::Complete, Some(v)) = (t.state, t.value) {
                values.push((t.number as f64, v));
                so_far = Some(match (so_far, self.direction()) {
                    (None, _) => v,
                    (Some(b), Direction::Lower) => b.min(v),
                    (Some(b), Direction::Higher) => b.max(v),
                });
            }
            if let Some(b) = so_far {
                best.push((t.number as f64, b));
            }
        }
        LineChart::new("Optimisation history", "trial", "objective value")
            .with_series("trial value", values)
            .with_series("best so far", best)
    }

    /// The complete trials in parallel coordinates: an axis per parameter (its search
    /// scale: log axes for log parameters, a tick per category) and one for the objective,
    /// a line per trial, darker the better its value. Needs a complete trial.
    pub fn parallel_coordinates(&self) -> Result<ParallelCoordinates> {
        let complete: Vec<_> = self
            .trials()
            .iter()
            .filter(|t| t.state == TrialState::Complete && t.value.is_some_and(f64::is_finite))
            .collect();
        if complete.is_empty() {
            return Err(ConsortError::InvalidInput(
                "parallel coordinates need a complete trial".into(),
            ));
        }
        let mut names: Vec<(&String, &Distribution)> = Vec::new();
        for t in &complete {
            for (n, d) in &t.distributions {
                if !names.iter().any(|(m, _)| *m == n) {
                    names.push((n, d));
                }
            }
        }
        names.sort_by(|a, b| a.0.cmp(b.0));
        let unit = |x: f64, (lo, hi): (f64, f64)| {
            if hi > lo {
                ((x - lo) / (hi - lo)).clamp(0.0, 1.0)
            } else {
                0.5
            }
        };
        let mut axes: Vec<ParallelAxis> = names
            .iter()
            .map(|(name, dist)| ParallelAxis {
                name: (*name).clone(),
                ticks: match dist {
                    Distribution::Categorical { choices } => choices
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (unit(i as f64, dist.internal_bounds()), c.clone()))
                        .collect(),
                    _ => {
                        let (lo, hi) = dist.internal_bounds();
                        [0.0, 0.5, 1.0]
                            .into_iter()
                            .map(|f| (f, short(&dist.from_internal(lo + f * (hi - lo)))))
                            .collect()
                    }
                },
            })
            .collect();
        let values: Vec<f64> = complete.iter().filter_map(|t| t.value).collect();
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        axes.push(ParallelAxis {
            name: "objective".into(),
            ticks: vec![(0.0, format!("{lo:.4}")), (1.0, format!("{hi:.4}"))],
        });
        let lines = complete
            .iter()
            .map(|t| {
                let mut line: Vec<Option<f64>> = names
                    .iter()
                    .map(|(n, d)| {
                        t.params
                            .get(*n)
                            .and_then(|v| d.to_internal(v))
                            .map(|x| unit(x, d.internal_bounds()))
                    })
                    .collect();
                line.push(t.value.map(|v| unit(v, (lo, hi))));
                line
            })
            .collect();
        let shades = values
            .iter()
            .map(|&v| match self.direction() {
                Direction::Higher => unit(v, (lo, hi)),
                Direction::Lower => 1.0 - unit(v, (lo, hi)),
            })
            .collect();
        Ok(ParallelCoordinates {
            title: "Complete trials in parallel coordinates".into(),
            axes,
            lines,
            shades,
        })
    }

    /// Permutation importances of the parameters (sum 1), most important first; needs at
    /// least 5 complete trials.
    pub fn importances(&self) -> Result<Vec<(String, f64)>> {
        let complete: Vec<_> = self
            .trials()
            .iter()
            .filter(|t| t.state == TrialState::Complete && t.value.is_some())
            .collect();
        if complete.len() < 5 {
            return Err(ConsortError::InvalidInput(format!(
                "importances need >= 5 complete trials, the study has {}",
                complete.len()
            )));
        }
        let mut names: Vec<(String, crate::space::Distribution)> = Vec::new();
        for t in &complete {
            for (n, d) in &t.distributions {
                if !names.iter().any(|(m, _)| m == n) {
                    names.push((n.clone(), d.clone()));
                }
            }
        }
        let d = names.len();
        let mut x = Vec::with_capacity(complete.len() * d);
        for t in &complete {
            for (n, dist) in &names {
                let (lo, hi) = dist.internal_bounds();
                x.push(
                    t.params
                        .get(n)
                        .and_then(|v| dist.to_internal(v))
                        .unwrap_or(0.5 * (lo + hi)) as f32,
                );
            }
        }
        let y: Vec<f32> = complete
            .iter()
            .map(|t| t.value.unwrap_or(0.0) as f32)
            .collect();
        let x = Matrix::new(complete.len(), d, x)?;
        let forest = RandomForestConfig {
            n_trees: 64,
            max_features: MaxFeatures::All,
            ..RandomForestConfig::default()
        }
        .fit(&RegressionDataset::new(x.clone(), y.clone())?)?;
        let base = r2(&y, &forest.predict(&x)?)?;
        let mut r = rng(0);
        let mut drops = Vec::with_capacity(d);
        for j in 0..d {
            let mut shuffled = x.clone();
            let mut column: Vec<f32> = (0..x.rows()).map(|i| x.row(i)[j]).collect();
            column.shuffle(&mut r);
            for (i, v) in column.into_iter().enumerate() {
                shuffled.row_mut(i)[j] = v;
            }
            drops.push((base - r2(&y, &forest.predict(&shuffled)?)?).max(0.0));
        }
        let total: f64 = drops.iter().sum();
        let mut out: Vec<(String, f64)> = names
            .into_iter()
            .map(|(n, _)| n)
            .zip(
                drops
                    .into_iter()
                    .map(|v| if total > 0.0 { v / total } else { 0.0 }),
            )
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(out)
    }

    /// The report in Markdown: best trial, importances, every trial.
    pub fn to_markdown(&self) -> Result<String> {
        let mut out = String::from("# Hyperparameter study\n\n");
        let best = self.best_trial()?;
        let _ = writeln!(
            out,
            "{} trials ({} complete, {} pruned, {} failed); {} is better.\n\n**Best: trial {}**, value {:.6}: {}\n",
            self.trials().len(),
            self.count(TrialState::Complete),
            self.count(TrialState::Pruned),
            self.count(TrialState::Failed),
            match self.direction() {
                Direction::Lower => "lower",
                Direction::Higher => "higher",
            },
            best.number,
            best.value.unwrap_or(f64::NAN),
            best.params
                .iter()
                .map(|(k, v)| format!("`{k}` = {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Ok(imp) = self.importances() {
            out.push_str("## Parameter importances (permutation, random forest on the trials)\n\n");
            let mut t = MarkdownTable::new(&["parameter", ">importance"]);
            for (n, v) in imp {
                t.row([format!("`{n}`"), format!("{v:.3}")]);
            }
            out.push_str(&t.to_markdown());
        }
        out.push_str("\n## Trials\n\n");
        let mut t = MarkdownTable::new(&["trial", "state", ">value", ">steps", "parameters"]);
        for trial in self.trials() {
            t.row([
                trial.number.to_string(),
                format!("{:?}", trial.state),
                trial.value.map_or("-".into(), |v| format!("{v:.6}")),
                trial.intermediate.len().to_string(),
                trial
                    .params
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ]);
        }
        out.push_str(&t.to_markdown());
        out.push_str("\n![Optimisation history](history.svg)\n");
        out.push_str("\n![Parallel coordinates](parallel.svg)\n");
        Ok(out)
    }

    fn count(&self, state: TrialState) -> usize {
        self.trials().iter().filter(|t| t.state == state).count()
    }

    /// Writes `report.md`, `report.html`, `history.svg` and `parallel.svg` into `dir`;
    /// returns the HTML path.
    pub fn write_report(&self, dir: &Path) -> Result<PathBuf> {
        std::fs::create_dir_all(dir).map_err(|e| ConsortError::io(dir, e))?;
        let history = Chart::Line(self.history_chart());
        history.write_svg(&dir.join("history.svg"))?;
        let parallel = Chart::Parallel(self.parallel_coordinates()?);
        parallel.write_svg(&dir.join("parallel.svg"))?;
        let md = self.to_markdown()?;
        write_atomic(&dir.join("report.md"), md.as_bytes())?;
        let html = consort_eval::html_page(
            "Hyperparameter study",
            &md,
            &[
                (
                    "history.svg".into(),
                    history.to_svg()?,
                    "Optimisation history".into(),
                ),
                (
                    "parallel.svg".into(),
                    parallel.to_svg()?,
                    "Parallel coordinates".into(),
                ),
            ],
        );
        let path = dir.join("report.html");
        write_atomic(&path, html.as_bytes())?;
        Ok(path)
    }
}
