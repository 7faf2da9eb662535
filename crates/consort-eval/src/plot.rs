//! Line charts as SVG (drawn with `plotters`), for reports.

use std::path::Path;

use consort_core::io::write_atomic;
use consort_core::{ConsortError, Result};
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

/// One named line of a chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// `(x, y)` points, drawn in order.
    pub points: Vec<(f64, f64)>,
}

/// A line chart: title, axis labels and one or more series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineChart {
    /// Caption above the plot.
    pub title: String,
    /// Horizontal axis label.
    pub x_label: String,
    /// Vertical axis label.
    pub y_label: String,
    /// The lines.
    pub series: Vec<Series>,
}

const PALETTE: [RGBColor; 5] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
];

fn plot_error(e: impl std::fmt::Display) -> ConsortError {
    ConsortError::InvalidInput(format!("plotting: {e}"))
}

impl LineChart {
    /// A chart with no series yet.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            series: Vec::new(),
        }
    }

    /// Adds a line.
    pub fn with_series(mut self, name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        self.series.push(Series {
            name: name.into(),
            points,
        });
        self
    }

    /// The axis ranges covering every point, padded by 5%.
    fn ranges(&self) -> Result<((f64, f64), (f64, f64))> {
        let points: Vec<&(f64, f64)> = self.series.iter().flat_map(|s| &s.points).collect();
        if points.is_empty() {
            return Err(ConsortError::EmptyDataset(
                "a chart needs at least one point".into(),
            ));
        }
        if points.iter().any(|(x, y)| !x.is_finite() || !y.is_finite()) {
            return Err(ConsortError::NonFinite("chart points".into()));
        }
        let span = |v: Vec<f64>| {
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let pad = ((hi - lo) * 0.05).max(1e-3);
            (lo - pad, hi + pad)
        };
        Ok((
            span(points.iter().map(|p| p.0).collect()),
            span(points.iter().map(|p| p.1).collect()),
        ))
    }

    /// The chart as an SVG document (640 x 400).
    pub fn to_svg(&self) -> Result<String> {
        let ((x0, x1), (y0, y1)) = self.ranges()?;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (640, 400)).into_drawing_area();
            root.fill(&WHITE).map_err(plot_error)?;
            let mut chart = ChartBuilder::on(&root)
                .caption(&self.title, ("sans-serif", 20))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(56)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(plot_error)?;
            chart
                .configure_mesh()
                .x_desc(self.x_label.as_str())
                .y_desc(self.y_label.as_str())
                .draw()
                .map_err(plot_error)?;
            for (i, s) in self.series.iter().enumerate() {
                let color = PALETTE[i % PALETTE.len()];
                chart
                    .draw_series(LineSeries::new(
                        s.points.iter().copied(),
                        color.stroke_width(2),
                    ))
                    .map_err(plot_error)?
                    .label(s.name.as_str())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
                chart
                    .draw_series(s.points.iter().map(|&p| Circle::new(p, 3, color.filled())))
                    .map_err(plot_error)?;
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .position(SeriesLabelPosition::LowerRight)
                .draw()
                .map_err(plot_error)?;
            root.present().map_err(plot_error)?;
        }
        Ok(svg)
    }

    /// Writes the SVG to `path` atomically.
    pub fn write_svg(&self, path: &Path) -> Result<()> {
        write_atomic(path, self.to_svg()?.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_renders_labels_and_lines() {
        let svg = LineChart::new("Cascade", "escalated", "accuracy")
            .with_series("lr -> cnn", vec![(0.0, 0.9), (0.5, 0.97), (1.0, 0.98)])
            .to_svg()
            .unwrap();
        assert!(svg.starts_with("<svg"));
        for text in ["Cascade", "escalated", "accuracy", "lr -&gt; cnn"] {
            assert!(svg.contains(text), "missing {text}");
        }
        assert!(svg.contains("<polyline"));
        assert!(LineChart::new("t", "x", "y").to_svg().is_err());
        assert!(
            LineChart::new("t", "x", "y")
                .with_series("nan", vec![(f64::NAN, 1.0)])
                .to_svg()
                .is_err()
        );
    }
}
