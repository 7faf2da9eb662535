//! Charts as SVG (drawn with `plotters`), for reports: line charts here, heatmaps in
//! [`heatmap`](crate::heatmap), the [`Chart`] a report holds.

use std::path::Path;

use consort_core::io::write_atomic;
use consort_core::{ConsortError, Result};
#[cfg(feature = "plots")]
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

pub use crate::heatmap::{Heatmap, Shading};

/// One named line of a chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// `(x, y)` points, drawn in order.
    pub points: Vec<(f64, f64)>,
}

/// A vertical line across a chart at `x`, labelled: an event on the curves (a strategy
/// switch, a restart).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    /// Where on the horizontal axis.
    pub x: f64,
    /// Its label, drawn at the top of the line.
    pub label: String,
}

/// A line chart: title, axis labels, one or more series and optional event markers.
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
    /// Vertical event lines.
    #[serde(default)]
    pub markers: Vec<Marker>,
}

#[cfg(feature = "plots")]
const PALETTE: [RGBColor; 5] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
];

/// The legend of the named series, boxed on a pale background at `position`.
#[cfg(feature = "plots")]
pub(crate) fn draw_legend<'a, 'b>(
    chart: &mut ChartContext<
        'a,
        SVGBackend<'b>,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    position: SeriesLabelPosition,
) -> Result<()>
where
    'b: 'a,
{
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(position)
        .draw()
        .map_err(plot_error)
}

#[cfg(feature = "plots")]
pub(crate) fn plot_error(e: impl std::fmt::Display) -> ConsortError {
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
            markers: Vec::new(),
        }
    }

    /// Adds a vertical event line at `x`.
    pub fn with_marker(mut self, x: f64, label: impl Into<String>) -> Self {
        self.markers.push(Marker {
            x,
            label: label.into(),
        });
        self
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

    #[cfg(feature = "plots")]
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
            let grey = RGBColor(120, 120, 120);
            for (k, m) in self.markers.iter().enumerate() {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(m.x, y0), (m.x, y1)],
                        grey.stroke_width(1),
                    )))
                    .map_err(plot_error)?;
                // Labels step down so that neighbouring markers do not overwrite each other.
                let y = y1 - (y1 - y0) * (0.04 + 0.06 * (k % 4) as f64);
                chart
                    .draw_series(std::iter::once(Text::new(
                        m.label.clone(),
                        (m.x, y),
                        ("sans-serif", 12).into_font().color(&grey),
                    )))
                    .map_err(plot_error)?;
            }
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
            draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
            root.present().map_err(plot_error)?;
        }
        Ok(svg)
    }

    /// Without the `plots` feature there is no renderer: an error says how to get one.
    #[cfg(not(feature = "plots"))]
    pub fn to_svg(&self) -> Result<String> {
        self.ranges()?;
        Err(crate::no_plots())
    }

    /// Writes the SVG to `path` atomically.
    pub fn write_svg(&self, path: &Path) -> Result<()> {
        write_atomic(path, self.to_svg()?.as_bytes())
    }
}

/// A chart of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Chart {
    /// Lines over an x axis.
    Line(LineChart),
    /// A matrix of coloured cells.
    Heatmap(Heatmap),
    /// An axis per variable, a line per observation.
    Parallel(crate::parallel::ParallelCoordinates),
    /// Estimates with intervals, one row per candidate.
    Intervals(crate::intervals::IntervalChart),
}

impl Chart {
    /// The chart as an SVG document.
    pub fn to_svg(&self) -> Result<String> {
        match self {
            Self::Line(c) => c.to_svg(),
            Self::Heatmap(h) => h.to_svg(),
            Self::Parallel(p) => p.to_svg(),
            Self::Intervals(c) => c.to_svg(),
        }
    }

    /// Writes the SVG to `path` atomically.
    pub fn write_svg(&self, path: &Path) -> Result<()> {
        write_atomic(path, self.to_svg()?.as_bytes())
    }
}

impl From<LineChart> for Chart {
    fn from(c: LineChart) -> Self {
        Self::Line(c)
    }
}

impl From<crate::parallel::ParallelCoordinates> for Chart {
    fn from(p: crate::parallel::ParallelCoordinates) -> Self {
        Self::Parallel(p)
    }
}

impl From<crate::intervals::IntervalChart> for Chart {
    fn from(c: crate::intervals::IntervalChart) -> Self {
        Self::Intervals(c)
    }
}

impl From<Heatmap> for Chart {
    fn from(h: Heatmap) -> Self {
        Self::Heatmap(h)
    }
}

#[cfg(all(test, feature = "plots"))]
mod tests {
    use super::*;

    #[test]
    fn markers_draw_labelled_vertical_lines() {
        let chart = LineChart::new("curve", "epoch", "loss")
            .with_series("valid", vec![(1.0, 0.5), (2.0, 0.4), (3.0, 0.45)])
            .with_marker(2.0, "head only -> full");
        let svg = chart.to_svg().unwrap();
        assert!(svg.contains("head only -&gt; full") || svg.contains("head only -> full"));
        let plain = LineChart::new("curve", "epoch", "loss")
            .with_series("valid", vec![(1.0, 0.5), (2.0, 0.4), (3.0, 0.45)])
            .to_svg()
            .unwrap();
        assert!(
            svg.matches("<polyline").count() + svg.matches("<path").count()
                > plain.matches("<polyline").count() + plain.matches("<path").count()
        );
    }

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
