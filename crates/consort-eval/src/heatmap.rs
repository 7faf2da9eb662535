//! A matrix of values as coloured cells with their numbers (a confusion matrix, an accuracy
//! matrix, pairwise disagreement), shaded by row share or on one absolute scale.

#[cfg(feature = "plots")]
use consort_core::ConsortError;
use consort_core::Result;
#[cfg(feature = "plots")]
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "plots")]
use crate::plot::plot_error;

/// A matrix of values as coloured cells with their numbers: a confusion matrix, say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heatmap {
    /// Caption above the plot.
    pub title: String,
    /// What the rows are (left).
    pub y_label: String,
    /// What the columns are (bottom).
    pub x_label: String,
    /// One label per row.
    pub row_labels: Vec<String>,
    /// One label per column.
    pub col_labels: Vec<String>,
    /// `values[row][col]`.
    pub values: Vec<Vec<f64>>,
    /// How a cell's value maps to its colour.
    #[serde(default)]
    pub shading: Shading,
}

/// How a heatmap colours its cells.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shading {
    /// By the cell's share of its row (a confusion matrix: classes of different sizes read
    /// alike).
    #[default]
    RowShare,
    /// By where the value lies between `low` (white) and `high` (full colour): accuracies,
    /// disagreement rates, anything read on one scale.
    Absolute {
        /// The value drawn white.
        low: f64,
        /// The value drawn in full colour.
        high: f64,
    },
}

impl Shading {
    /// The cell's intensity in [0, 1].
    #[cfg(feature = "plots")]
    fn intensity(self, value: f64, row: &[f64]) -> f64 {
        match self {
            Self::RowShare => {
                let total: f64 = row.iter().sum::<f64>().max(1e-12);
                value / total
            }
            Self::Absolute { low, high } => (value - low) / (high - low).max(1e-12),
        }
        .clamp(0.0, 1.0)
    }
}

impl Heatmap {
    /// A confusion matrix (rows: true class, columns: predicted), cells shaded by each row's
    /// share so classes of different sizes read alike; cells show counts.
    pub fn confusion(title: impl Into<String>, classes: &[String], counts: &[Vec<usize>]) -> Self {
        Self {
            title: title.into(),
            y_label: "true class".into(),
            x_label: "predicted class".into(),
            row_labels: classes.to_vec(),
            col_labels: classes.to_vec(),
            values: counts
                .iter()
                .map(|r| r.iter().map(|&v| v as f64).collect())
                .collect(),
            shading: Shading::RowShare,
        }
    }

    /// A square matrix of values between `low` and `high` over the same labels on both axes
    /// (pairwise disagreement between models, say), shaded on that one scale.
    pub fn pairwise(
        title: impl Into<String>,
        labels: &[String],
        values: Vec<Vec<f64>>,
        (low, high): (f64, f64),
    ) -> Self {
        Self {
            title: title.into(),
            y_label: String::new(),
            x_label: String::new(),
            row_labels: labels.to_vec(),
            col_labels: labels.to_vec(),
            values,
            shading: Shading::Absolute { low, high },
        }
    }

    #[cfg(feature = "plots")]
    /// The heatmap as an SVG document (square cells, at most 640 pixels wide).
    pub fn to_svg(&self) -> Result<String> {
        let (rows, cols) = (self.row_labels.len(), self.col_labels.len());
        if rows == 0 || cols == 0 || self.values.len() != rows {
            return Err(ConsortError::EmptyDataset(
                "a heatmap needs rows and columns with labels".into(),
            ));
        }
        if self.values.iter().any(|r| r.len() != cols) {
            return Err(ConsortError::ShapeMismatch(
                "heatmap rows must have one value per column".into(),
            ));
        }
        if self.values.iter().flatten().any(|v| !v.is_finite()) {
            return Err(ConsortError::NonFinite("heatmap values".into()));
        }
        let cell = (480 / cols.max(rows)).clamp(12, 60) as i32;
        let (left, top) = (110, 50);
        let width = left + cell * cols as i32 + 20;
        let height = top + cell * rows as i32 + 60;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (width as u32, height as u32))
                .into_drawing_area();
            root.fill(&WHITE).map_err(plot_error)?;
            root.draw(&Text::new(
                self.title.clone(),
                (left, 16),
                ("sans-serif", 16).into_font(),
            ))
            .map_err(plot_error)?;
            for (i, row) in self.values.iter().enumerate() {
                for (j, &v) in row.iter().enumerate() {
                    let share = self.shading.intensity(v, row);
                    let shade = (255.0 * (1.0 - 0.85 * share)) as u8;
                    let (x, y) = (left + j as i32 * cell, top + i as i32 * cell);
                    root.draw(&Rectangle::new(
                        [(x, y), (x + cell, y + cell)],
                        RGBColor(shade, shade, 255).filled(),
                    ))
                    .map_err(plot_error)?;
                    let ink = if share > 0.5 { WHITE } else { BLACK };
                    let label = if v.fract() == 0.0 {
                        format!("{v:.0}")
                    } else {
                        format!("{v:.2}")
                    };
                    root.draw(&Text::new(
                        label,
                        (
                            x + cell / 2 - 4 * (v.abs().max(1.0).log10() as i32 + 1),
                            y + cell / 2 - 6,
                        ),
                        ("sans-serif", 12).into_font().color(&ink),
                    ))
                    .map_err(plot_error)?;
                }
                root.draw(&Text::new(
                    self.row_labels[i].clone(),
                    (8, top + i as i32 * cell + cell / 2 - 6),
                    ("sans-serif", 12).into_font(),
                ))
                .map_err(plot_error)?;
            }
            for (j, l) in self.col_labels.iter().enumerate() {
                root.draw(&Text::new(
                    l.clone(),
                    (left + j as i32 * cell + 2, top + rows as i32 * cell + 6),
                    ("sans-serif", 12).into_font(),
                ))
                .map_err(plot_error)?;
            }
            if !self.y_label.is_empty() || !self.x_label.is_empty() {
                root.draw(&Text::new(
                    format!("rows: {}, columns: {}", self.y_label, self.x_label),
                    (left, top + rows as i32 * cell + 30),
                    ("sans-serif", 13).into_font(),
                ))
                .map_err(plot_error)?;
            }
            root.present().map_err(plot_error)?;
        }
        Ok(svg)
    }

    /// Without the `plots` feature there is no renderer: an error says how to get one.
    #[cfg(not(feature = "plots"))]
    pub fn to_svg(&self) -> Result<String> {
        Err(crate::no_plots())
    }
}

#[cfg(all(test, feature = "plots"))]
mod tests {
    use super::*;

    #[test]
    fn confusion_heatmap_renders_counts_and_labels() {
        let classes = vec!["cat".to_string(), "dog".to_string()];
        let svg = Heatmap::confusion("Confusion of knn", &classes, &[vec![7, 1], vec![2, 40]])
            .to_svg()
            .unwrap();
        assert!(svg.starts_with("<svg"));
        for text in [
            "Confusion of knn",
            "cat",
            "dog",
            ">\n40\n<",
            ">\n7\n<",
            "true class",
        ] {
            assert!(svg.contains(text), "missing {text}");
        }
        assert_eq!(
            svg.matches("<rect").count(),
            1 + 4,
            "background and four cells"
        );
        let ragged = Heatmap::confusion("x", &classes, &[vec![1, 2], vec![3]]);
        assert!(ragged.to_svg().is_err());
    }
}
