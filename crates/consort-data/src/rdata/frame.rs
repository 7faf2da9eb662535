//! R data frames as columns, and as CSV for the project's loaders.

use std::fmt::Write as _;
use std::path::Path;

use consort_core::{ConsortError, Result};

use super::object::{RObject, RValue};

/// One column of a data frame.
#[derive(Debug, Clone, PartialEq)]
pub enum RColumn {
    /// Numbers (doubles, integers, logicals as 0/1); `None` is NA.
    Numeric(Vec<Option<f64>>),
    /// A factor: 0-based codes into `levels`; `ordered` for ordered factors.
    Factor {
        /// Each row's level, `None` for NA.
        codes: Vec<Option<usize>>,
        /// The level names.
        levels: Vec<String>,
        /// An ordered factor.
        ordered: bool,
    },
    /// Strings.
    Text(Vec<Option<String>>),
}

impl RColumn {
    fn len(&self) -> usize {
        match self {
            Self::Numeric(v) => v.len(),
            Self::Factor { codes, .. } => codes.len(),
            Self::Text(v) => v.len(),
        }
    }

    /// Row `i` as text (the CSV cell, unquoted for plain values).
    pub fn cell_text(&self, i: usize) -> String {
        self.cell(i)
    }

    /// The rows at `indices`.
    pub fn select(&self, indices: &[usize]) -> Self {
        match self {
            Self::Numeric(v) => Self::Numeric(indices.iter().map(|&i| v[i]).collect()),
            Self::Factor {
                codes,
                levels,
                ordered,
            } => Self::Factor {
                codes: indices.iter().map(|&i| codes[i]).collect(),
                levels: levels.clone(),
                ordered: *ordered,
            },
            Self::Text(v) => Self::Text(indices.iter().map(|&i| v[i].clone()).collect()),
        }
    }

    /// Row `i` as a CSV cell: numbers as numbers, factor levels by name (an ordered factor
    /// whose levels are not numbers by its 1-based rank, so that the order survives), NA as
    /// an empty cell.
    fn cell(&self, i: usize) -> String {
        match self {
            Self::Numeric(v) => v[i].map_or(String::new(), |x| {
                if x.fract() == 0.0 && x.abs() < 1e15 {
                    format!("{x:.0}")
                } else {
                    format!("{x}")
                }
            }),
            Self::Factor {
                codes,
                levels,
                ordered,
            } => codes[i].map_or(String::new(), |c| {
                if *ordered && levels.iter().any(|l| l.trim().parse::<f64>().is_err()) {
                    (c + 1).to_string()
                } else {
                    quote(&levels[c])
                }
            }),
            Self::Text(v) => v[i].as_deref().map_or(String::new(), quote),
        }
    }
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.trim() != s {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A data frame: named columns of equal length.
#[derive(Debug, Clone, PartialEq)]
pub struct RFrame {
    /// Column names.
    pub names: Vec<String>,
    /// The columns.
    pub columns: Vec<RColumn>,
}

impl RFrame {
    /// The data frame an object holds (a list with class `data.frame`, or `tbl_df`).
    pub fn from_object(object: &RObject) -> Result<Self> {
        let not = |m: &str| ConsortError::InvalidInput(format!("not a data frame: {m}"));
        if !object.inherits("data.frame") {
            return Err(not(&format!("its class is {:?}", object.classes())));
        }
        let RValue::List(items) = &object.value else {
            return Err(not("not a list"));
        };
        let names = object.names().ok_or_else(|| not("no column names"))?;
        let mut columns = Vec::with_capacity(items.len());
        for (name, item) in names.iter().zip(items) {
            columns.push(column(item).map_err(|m| not(&format!("column {name:?}: {m}")))?);
        }
        if let Some(first) = columns.first()
            && let Some((i, c)) = columns
                .iter()
                .enumerate()
                .find(|(_, c)| c.len() != first.len())
        {
            return Err(ConsortError::ShapeMismatch(format!(
                "column {:?} has {} rows, the first {}",
                names[i],
                c.len(),
                first.len()
            )));
        }
        Ok(Self { names, columns })
    }

    /// Rows.
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, RColumn::len)
    }

    /// The column `name`.
    pub fn column(&self, name: &str) -> Option<&RColumn> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.columns[i])
    }

    /// The frame as CSV with a header, `label` (if given) moved to the last column.
    pub fn to_csv(&self, label: Option<&str>) -> Result<String> {
        let mut order: Vec<usize> = (0..self.names.len()).collect();
        if let Some(label) = label {
            let at = self.names.iter().position(|n| n == label).ok_or_else(|| {
                ConsortError::UnknownColumn {
                    requested: label.into(),
                    available: self.names.clone(),
                }
            })?;
            order.retain(|&i| i != at);
            order.push(at);
        }
        let mut out = String::new();
        let header: Vec<String> = order.iter().map(|&i| quote(&self.names[i])).collect();
        out.push_str(&header.join(","));
        out.push('\n');
        for r in 0..self.rows() {
            let cells: Vec<String> = order.iter().map(|&i| self.columns[i].cell(r)).collect();
            let _ = writeln!(out, "{}", cells.join(","));
        }
        Ok(out)
    }

    /// Writes [`RFrame::to_csv`] to `path` atomically.
    pub fn write_csv(&self, path: &Path, label: Option<&str>) -> Result<()> {
        consort_core::io::write_atomic(path, self.to_csv(label)?.as_bytes())
    }
}

fn column(item: &RObject) -> std::result::Result<RColumn, String> {
    if let Some(levels) = item.attribute("levels").and_then(RObject::strings) {
        let RValue::Integer(codes) = &item.value else {
            return Err("a factor that is not an integer vector".into());
        };
        let levels: Vec<String> = levels
            .iter()
            .map(|l| l.clone().unwrap_or_default())
            .collect();
        let codes = codes
            .iter()
            .map(|c| match c {
                None => Ok(None),
                Some(c) if *c >= 1 && (*c as usize) <= levels.len() => Ok(Some(*c as usize - 1)),
                Some(c) => Err(format!(
                    "factor code {c} outside its {} levels",
                    levels.len()
                )),
            })
            .collect::<std::result::Result<_, _>>()?;
        return Ok(RColumn::Factor {
            codes,
            levels,
            ordered: item.inherits("ordered"),
        });
    }
    Ok(match &item.value {
        RValue::Real(v) => {
            RColumn::Numeric(v.iter().map(|x| (!x.is_nan()).then_some(*x)).collect())
        }
        RValue::Integer(v) => RColumn::Numeric(v.iter().map(|x| x.map(f64::from)).collect()),
        RValue::Logical(v) => RColumn::Numeric(
            v.iter()
                .map(|x| x.map(|b| f64::from(u8::from(b))))
                .collect(),
        ),
        RValue::Str(v) => RColumn::Text(v.clone()),
        other => return Err(format!("a column of kind {other:?} is not tabular data")),
    })
}
