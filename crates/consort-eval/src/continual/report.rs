//! A continual-learning run as a report a person reads: the strategy table, each strategy's
//! accuracy matrix (table and heatmap) and the average accuracy after each experience, in
//! Markdown and as one self-contained HTML page.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use consort_core::io::write_atomic;
use consort_core::{ConsortError, Result};

use super::{AccuracyMatrix, average_accuracy_chart};
use crate::plot::Chart;
use crate::table::MarkdownTable;

/// What one strategy's run over a stream measured.
#[derive(Debug, Clone, PartialEq)]
pub struct ContinualRun {
    /// The strategy's name.
    pub strategy: String,
    /// Accuracy after each experience on each experience.
    pub matrix: AccuracyMatrix,
    /// Accuracy of the untrained network on each experience (the forward-transfer baseline).
    pub random_baseline: Vec<f64>,
}

impl ContinualRun {
    /// Forward transfer against the untrained network.
    pub fn forward_transfer(&self) -> f64 {
        self.matrix
            .forward_transfer(&self.random_baseline)
            .expect("one baseline per experience")
    }
}

/// The strategy table: one row per run with final average accuracy, forgetting, backward and
/// forward transfer (signs as in [`crate::continual`]).
pub fn strategy_table(runs: &[ContinualRun]) -> String {
    let mut table = MarkdownTable::new(&[
        "strategy",
        ">average accuracy",
        ">forgetting",
        ">BWT",
        ">FWT",
    ]);
    for r in runs {
        table.row([
            r.strategy.clone(),
            format!("{:.4}", r.matrix.average_accuracy()),
            format!("{:.4}", r.matrix.forgetting()),
            format!("{:+.4}", r.matrix.backward_transfer()),
            format!("{:+.4}", r.forward_transfer()),
        ]);
    }
    table.to_markdown()
}

/// Several strategies run over one stream, as a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ContinualReport {
    /// Heading.
    pub title: String,
    /// A paragraph on the stream, the network and the settings.
    pub description: String,
    /// A name per experience (its id and classes, say), in stream order.
    pub experiences: Vec<String>,
    /// One run per strategy.
    pub runs: Vec<ContinualRun>,
}

impl ContinualReport {
    /// The figures: each strategy's accuracy-matrix heatmap, then the average-accuracy curve.
    /// File names are plain (`accuracy-matrix-0.svg`, `average-accuracy.svg`).
    pub fn figures(&self) -> Vec<(String, String, Chart)> {
        let mut figures: Vec<(String, String, Chart)> = self
            .runs
            .iter()
            .enumerate()
            .map(|(i, run)| {
                let caption = format!("{}: accuracy matrix", run.strategy);
                let chart = Chart::Heatmap(run.matrix.heatmap(&caption, &self.experiences));
                (format!("accuracy-matrix-{i}.svg"), caption, chart)
            })
            .collect();
        let curves: Vec<(String, &AccuracyMatrix)> = self
            .runs
            .iter()
            .map(|r| (r.strategy.clone(), &r.matrix))
            .collect();
        figures.push((
            "average-accuracy.svg".into(),
            "Average accuracy over the experiences seen, after each experience".into(),
            Chart::Line(average_accuracy_chart(&curves)),
        ));
        figures
    }

    /// The report in Markdown: the strategy table with the metrics' signs, each strategy's
    /// accuracy matrix, the figures.
    pub fn to_markdown(&self) -> String {
        let mut out = format!("# {}\n\n{}\n\n", self.title, self.description.trim_end());
        out.push_str(&strategy_table(&self.runs));
        out.push_str(
            "\nAverage accuracy: mean accuracy over every experience after the last one \
             (higher is better). Forgetting: best earlier accuracy minus final accuracy, \
             averaged over all experiences but the last (>= 0, lower is better). BWT: final \
             minus just-learnt accuracy (negative means forgetting). FWT: accuracy on an \
             experience before training on it, minus an untrained network's (positive means \
             earlier experiences helped).\n",
        );
        for run in &self.runs {
            let _ = write!(
                out,
                "\n## {}: accuracy matrix (rows: after training on; columns: tested on)\n\n{}",
                run.strategy,
                run.matrix.to_markdown(&self.experiences)
            );
        }
        for (file, caption, _) in self.figures() {
            let _ = write!(out, "\n![{caption}]({file})\n\n*{caption}*\n");
        }
        out
    }

    /// The report as one self-contained HTML page, figures inlined as SVG.
    pub fn to_html(&self) -> Result<String> {
        let figures = self
            .figures()
            .into_iter()
            .map(|(file, caption, chart)| Ok((file, chart.to_svg()?, caption)))
            .collect::<Result<Vec<_>>>()?;
        Ok(crate::html::to_html(
            &self.title,
            &self.to_markdown(),
            &figures,
        ))
    }

    /// Writes `report.md`, `report.html` and the figures into `dir` (created if missing),
    /// each atomically. Returns the path of the HTML report.
    pub fn write_to(&self, dir: &Path) -> Result<PathBuf> {
        if self.runs.is_empty() {
            return Err(ConsortError::InvalidInput(
                "a continual report needs at least one run".into(),
            ));
        }
        fs::create_dir_all(dir).map_err(|e| ConsortError::io(dir, e))?;
        for (file, _, chart) in self.figures() {
            chart.write_svg(&dir.join(file))?;
        }
        write_atomic(&dir.join("report.md"), self.to_markdown().as_bytes())?;
        let html = dir.join("report.html");
        write_atomic(&html, self.to_html()?.as_bytes())?;
        Ok(html)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> ContinualReport {
        let run = |name: &str, rows: Vec<Vec<f64>>| ContinualRun {
            strategy: name.into(),
            matrix: AccuracyMatrix::new(rows).unwrap(),
            random_baseline: vec![0.1, 0.1],
        };
        ContinualReport {
            title: "Split digits".into(),
            description: "Two experiences.".into(),
            experiences: vec!["0: [0, 1]".into(), "1: [2, 3]".into()],
            runs: vec![
                run("naive", vec![vec![0.9, 0.1], vec![0.0, 0.95]]),
                run("replay", vec![vec![0.9, 0.1], vec![0.85, 0.9]]),
            ],
        }
    }

    #[test]
    fn the_report_shows_every_strategy_its_matrix_and_the_figures() {
        let r = report();
        let md = r.to_markdown();
        assert!(md.contains("| naive ") && md.contains("| replay "));
        // naive: forgetting 0.9, BWT -0.9, FWT 0.1 - 0.1 = 0.
        assert!(md.contains("0.9000") && md.contains("-0.9000") && md.contains("+0.0000"));
        assert!(md.contains("## replay: accuracy matrix"));
        assert_eq!(r.figures().len(), 3);
        let dir = std::env::temp_dir().join(format!("consort-continual-{}", std::process::id()));
        let html = r.write_to(&dir).unwrap();
        let page = fs::read_to_string(&html).unwrap();
        assert_eq!(page.matches("<svg").count(), 3, "every figure inlined");
        assert!(dir.join("accuracy-matrix-1.svg").exists() && dir.join("report.md").exists());
        fs::remove_dir_all(&dir).unwrap();
        let empty = ContinualReport {
            runs: Vec::new(),
            ..report()
        };
        assert!(empty.write_to(&dir).is_err());
    }
}
