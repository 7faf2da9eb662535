//! A comparison chart: one row per candidate, a point estimate with its interval as an error
//! bar, and optionally a second estimate beside it (test accuracy with its 95% interval and
//! the cross-validated accuracy, say). The first figure of a run's report.

#[cfg(feature = "plots")]
use crate::plot::{draw_legend, plot_error};
#[cfg(feature = "plots")]
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use consort_core::{ConsortError, Result};

/// One candidate of an [`IntervalChart`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalRow {
    /// The candidate's name.
    pub label: String,
    /// The point estimate.
    pub estimate: f64,
    /// The interval around it.
    pub interval: (f64, f64),
    /// A second estimate drawn beside it.
    pub second: Option<f64>,
    /// Drawn in the accent colour (the recommended candidate).
    #[serde(default)]
    pub highlight: bool,
}

/// Candidates side by side: an estimate with its interval per row, best at the top.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalChart {
    /// Caption above the plot.
    pub title: String,
    /// What the horizontal axis measures.
    pub x_label: String,
    /// The legend entry of the estimates and their intervals.
    pub estimate_name: String,
    /// The legend entry of the second estimates.
    pub second_name: String,
    /// The rows, drawn top to bottom in this order.
    pub rows: Vec<IntervalRow>,
}

impl IntervalChart {
    /// The rows must be finite with the estimate inside its interval.
    fn check(&self) -> Result<(f64, f64)> {
        if self.rows.is_empty() {
            return Err(ConsortError::EmptyDataset(
                "an interval chart needs at least one row".into(),
            ));
        }
        let mut values = Vec::new();
        for r in &self.rows {
            let (lo, hi) = r.interval;
            values.extend([r.estimate, lo, hi]);
            values.extend(r.second);
            if !(lo <= r.estimate && r.estimate <= hi) {
                return Err(ConsortError::InvalidInput(format!(
                    "{}: estimate {} outside its interval [{lo}, {hi}]",
                    r.label, r.estimate
                )));
            }
        }
        if values.iter().any(|v| !v.is_finite()) {
            return Err(ConsortError::NonFinite("interval chart values".into()));
        }
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let pad = ((hi - lo) * 0.08).max(0.005);
        Ok((lo - pad, hi + pad))
    }

    #[cfg(feature = "plots")]
    /// The chart as an SVG document, 720 pixels wide, 28 pixels per row, with two empty rows
    /// on top for the legend (so it never covers a row's interval).
    pub fn to_svg(&self) -> Result<String> {
        const LEGEND_ROWS: usize = 2;
        let (x0, x1) = self.check()?;
        let n = self.rows.len();
        let bands = n + LEGEND_ROWS;
        let label_width = self
            .rows
            .iter()
            .map(|r| r.label.chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 40) as u32
            * 7
            + 16;
        let height = 110 + 28 * bands as u32;
        let (blue, orange, accent) = (
            RGBColor(31, 119, 180),
            RGBColor(255, 127, 14),
            RGBColor(214, 39, 40),
        );
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (720, height)).into_drawing_area();
            root.fill(&WHITE).map_err(plot_error)?;
            // Row i is drawn at y = n - i - 0.5, so the first row is at the top.
            let mut chart = ChartBuilder::on(&root)
                .caption(&self.title, ("sans-serif", 18))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(label_width)
                .build_cartesian_2d(x0..x1, 0.0..bands as f64)
                .map_err(plot_error)?;
            let labels: Vec<String> = self.rows.iter().map(|r| r.label.clone()).collect();
            chart
                .configure_mesh()
                .x_desc(self.x_label.as_str())
                .y_labels(bands * 2 + 1)
                .y_label_formatter(&|y| {
                    let i = n as f64 - y - 0.5;
                    let k = i.round();
                    if (i - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < n {
                        labels[k as usize].clone()
                    } else {
                        String::new()
                    }
                })
                .disable_y_mesh()
                .draw()
                .map_err(plot_error)?;
            let y = |i: usize| n as f64 - i as f64 - 0.5;
            chart
                .draw_series(self.rows.iter().enumerate().map(|(i, r)| {
                    let color = if r.highlight { accent } else { blue };
                    PathElement::new(
                        vec![(r.interval.0, y(i)), (r.interval.1, y(i))],
                        color.stroke_width(2),
                    )
                }))
                .map_err(plot_error)?
                .label(self.estimate_name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue));
            chart
                .draw_series(self.rows.iter().enumerate().map(|(i, r)| {
                    let color = if r.highlight { accent } else { blue };
                    Circle::new((r.estimate, y(i)), 5, color.filled())
                }))
                .map_err(plot_error)?;
            if self.rows.iter().any(|r| r.second.is_some()) {
                chart
                    .draw_series(self.rows.iter().enumerate().filter_map(|(i, r)| {
                        r.second
                            .map(|s| TriangleMarker::new((s, y(i) + 0.18), 6, orange.filled()))
                    }))
                    .map_err(plot_error)?
                    .label(self.second_name.as_str())
                    .legend(move |(x, y)| TriangleMarker::new((x + 10, y), 6, orange.filled()));
            }
            draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
            root.present().map_err(plot_error)?;
        }
        Ok(svg)
    }

    /// Without the `plots` feature there is no renderer: an error says how to get one.
    #[cfg(not(feature = "plots"))]
    pub fn to_svg(&self) -> Result<String> {
        self.check()?;
        Err(crate::no_plots())
    }
}

#[cfg(all(test, feature = "plots"))]
mod tests {
    use super::*;

    fn row(label: &str, estimate: f64, second: Option<f64>) -> IntervalRow {
        IntervalRow {
            label: label.into(),
            estimate,
            interval: (estimate - 0.02, estimate + 0.02),
            second,
            highlight: label == "stacking",
        }
    }

    #[test]
    fn every_candidate_gets_its_row_and_bar() {
        let chart = IntervalChart {
            title: "Model comparison".into(),
            x_label: "accuracy".into(),
            estimate_name: "test (95% interval)".into(),
            second_name: "cross-validated".into(),
            rows: vec![
                row("stacking", 0.97, Some(0.96)),
                row("forest", 0.95, Some(0.95)),
                row("naive Bayes", 0.81, None),
            ],
        };
        let svg = chart.to_svg().unwrap();
        for text in [
            "Model comparison",
            "stacking",
            "forest",
            "naive Bayes",
            "cross-validated",
        ] {
            assert!(svg.contains(text), "missing {text}");
        }
        assert_eq!(svg.matches("<circle").count(), 3, "one estimate per row");
        let mut bad = chart.clone();
        bad.rows[0].estimate = 0.5;
        assert!(bad.to_svg().is_err(), "an estimate outside its interval");
    }
}
