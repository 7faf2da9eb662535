//! Parallel coordinates: one vertical axis per variable, one polyline per observation across
//! them, shaded by a score: how a hyperparameter study's good trials differ from its bad
//! ones, several parameters at a glance.

use std::path::Path;

use consort_core::io::write_atomic;
use consort_core::{ConsortError, Result};
#[cfg(feature = "plots")]
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

/// One vertical axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParallelAxis {
    /// Written under the axis.
    pub name: String,
    /// Labels at positions in `[0, 1]` (0 at the bottom).
    pub ticks: Vec<(f64, String)>,
}

/// A parallel-coordinates chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParallelCoordinates {
    /// Caption above the plot.
    pub title: String,
    /// The axes, left to right (at least two).
    pub axes: Vec<ParallelAxis>,
    /// Each observation's position on every axis, in `[0, 1]`; `None` where it has no value
    /// (a conditional parameter): the line breaks there.
    pub lines: Vec<Vec<Option<f64>>>,
    /// Each line's shade in `[0, 1]`: 1 is drawn darkest, on top.
    pub shades: Vec<f64>,
}

impl ParallelCoordinates {
    fn check(&self) -> Result<()> {
        if self.axes.len() < 2 {
            return Err(ConsortError::InvalidInput(
                "parallel coordinates need at least two axes".into(),
            ));
        }
        if self.lines.is_empty() {
            return Err(ConsortError::EmptyDataset(
                "parallel coordinates need at least one line".into(),
            ));
        }
        if self.shades.len() != self.lines.len()
            || self.lines.iter().any(|l| l.len() != self.axes.len())
        {
            return Err(ConsortError::ShapeMismatch(format!(
                "{} axes, {} shades and lines of lengths {:?}",
                self.axes.len(),
                self.shades.len(),
                self.lines.iter().map(Vec::len).collect::<Vec<_>>()
            )));
        }
        let positions = self.lines.iter().flatten().flatten();
        if self
            .shades
            .iter()
            .chain(positions)
            .any(|v| !v.is_finite() || !(0.0..=1.0).contains(v))
        {
            return Err(ConsortError::InvalidInput(
                "positions and shades must lie in [0, 1]".into(),
            ));
        }
        Ok(())
    }

    #[cfg(feature = "plots")]
    /// The chart as an SVG document.
    pub fn to_svg(&self) -> Result<String> {
        self.check()?;
        let n = self.axes.len() as i32;
        let (left, right_pad, top, bottom_pad) = (40, 110, 50, 60);
        let spacing = 150;
        let (width, height) = (left + spacing * (n - 1) + right_pad, 420);
        let bottom = height - bottom_pad;
        let x = |i: usize| left + spacing * i as i32;
        let y = |v: f64| bottom - (v * f64::from(bottom - top)).round() as i32;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (width as u32, height as u32))
                .into_drawing_area();
            let fail =
                |e: DrawingAreaErrorKind<_>| ConsortError::InvalidInput(format!("plotting: {e}"));
            root.fill(&WHITE).map_err(fail)?;
            root.draw(&Text::new(
                self.title.clone(),
                (left, 16),
                ("sans-serif", 16).into_font(),
            ))
            .map_err(fail)?;
            // Palest first, so that the best lines end on top.
            let mut order: Vec<usize> = (0..self.lines.len()).collect();
            order.sort_by(|&a, &b| self.shades[a].total_cmp(&self.shades[b]));
            for i in order {
                let s = self.shades[i];
                let lerp = |a: u8, b: u8| (f64::from(a) + s * (f64::from(b) - f64::from(a))) as u8;
                let color = RGBColor(lerp(198, 203), lerp(219, 24), lerp(239, 29));
                let line = &self.lines[i];
                for j in 1..line.len() {
                    if let (Some(a), Some(b)) = (line[j - 1], line[j]) {
                        root.draw(&PathElement::new(
                            vec![(x(j - 1), y(a)), (x(j), y(b))],
                            color.stroke_width(if s > 0.9 { 2 } else { 1 }),
                        ))
                        .map_err(fail)?;
                    }
                }
            }
            for (i, axis) in self.axes.iter().enumerate() {
                root.draw(&PathElement::new(
                    vec![(x(i), top), (x(i), bottom)],
                    BLACK.stroke_width(1),
                ))
                .map_err(fail)?;
                for (pos, label) in &axis.ticks {
                    let ty = y(pos.clamp(0.0, 1.0));
                    root.draw(&PathElement::new(
                        vec![(x(i) - 3, ty), (x(i) + 3, ty)],
                        BLACK,
                    ))
                    .map_err(fail)?;
                    root.draw(&Text::new(
                        label.clone(),
                        (x(i) + 5, ty - 6),
                        ("sans-serif", 11).into_font(),
                    ))
                    .map_err(fail)?;
                }
                root.draw(&Text::new(
                    axis.name.clone(),
                    (x(i) - 4 * axis.name.len().min(30) as i32, bottom + 14),
                    ("sans-serif", 13).into_font(),
                ))
                .map_err(fail)?;
            }
            root.draw(&Text::new(
                "darker: better",
                (left, height - 22),
                ("sans-serif", 12).into_font(),
            ))
            .map_err(fail)?;
            root.present().map_err(fail)?;
        }
        Ok(svg)
    }

    /// Without the `plots` feature there is no renderer: an error says how to get one.
    #[cfg(not(feature = "plots"))]
    pub fn to_svg(&self) -> Result<String> {
        self.check()?;
        Err(crate::no_plots())
    }

    /// Writes the SVG to `path` atomically.
    pub fn write_svg(&self, path: &Path) -> Result<()> {
        write_atomic(path, self.to_svg()?.as_bytes())
    }
}

#[cfg(all(test, feature = "plots"))]
mod tests {
    use super::*;

    fn chart() -> ParallelCoordinates {
        let axis = |n: &str| ParallelAxis {
            name: n.into(),
            ticks: vec![(0.0, "lo".into()), (1.0, "hi".into())],
        };
        ParallelCoordinates {
            title: "t".into(),
            axes: vec![axis("a"), axis("b"), axis("score")],
            lines: vec![
                vec![Some(0.1), Some(0.9), Some(0.2)],
                vec![Some(0.7), None, Some(1.0)],
            ],
            shades: vec![0.2, 1.0],
        }
    }

    #[test]
    fn draws_an_axis_per_variable_and_breaks_lines_at_missing_values() {
        let svg = chart().to_svg().unwrap();
        assert!(svg.starts_with("<svg"));
        for label in ["score", "darker: better"] {
            assert!(svg.contains(label), "{label}");
        }
        // 3 axes + 2 ticks each + 2 segments of the full line, none of the broken one.
        assert_eq!(svg.matches("<polyline").count(), 3 + 6 + 2, "{svg}");
    }

    #[test]
    fn bad_charts_are_refused() {
        let mut c = chart();
        c.shades.pop();
        assert!(matches!(c.to_svg(), Err(ConsortError::ShapeMismatch(_))));
        let mut c = chart();
        c.lines[0][0] = Some(1.5);
        assert!(c.to_svg().is_err());
        let mut c = chart();
        c.axes.truncate(1);
        c.lines = vec![vec![Some(0.0)]];
        c.shades = vec![0.0];
        assert!(c.to_svg().is_err());
    }
}
