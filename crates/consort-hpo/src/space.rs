//! Search spaces: the distribution a parameter is drawn from, and the value drawn.

use consort_core::{ConsortError, Result};
use serde::{Deserialize, Serialize};

/// Where a parameter's values come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Distribution {
    /// A real number in `[low, high]`, searched on a log scale when `log`.
    Float {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
        /// Search `ln(value)` uniformly.
        log: bool,
    },
    /// An integer in `[low, high]` on a grid of `step`, on a log scale when `log`.
    Int {
        /// Lower bound.
        low: i64,
        /// Upper bound.
        high: i64,
        /// Grid step (1 for every integer).
        step: i64,
        /// Search `ln(value)` (then `step` must be 1).
        log: bool,
    },
    /// One of some named choices.
    Categorical {
        /// The choices.
        choices: Vec<String>,
    },
}

impl Distribution {
    /// Checks the bounds.
    pub fn check(&self, name: &str) -> Result<()> {
        let bad = |m: String| Err(ConsortError::config(format!("parameter {name:?}: {m}")));
        match self {
            Self::Float { low, high, log } => {
                if !(low.is_finite() && high.is_finite() && low <= high) {
                    return bad(format!("needs finite low <= high, got [{low}, {high}]"));
                }
                if *log && *low <= 0.0 {
                    return bad(format!("a log scale needs low > 0, got {low}"));
                }
            }
            Self::Int {
                low,
                high,
                step,
                log,
            } => {
                if low > high || *step < 1 {
                    return bad(format!(
                        "needs low <= high and step >= 1, got [{low}, {high}] step {step}"
                    ));
                }
                if *log && (*low < 1 || *step != 1) {
                    return bad("a log scale needs low >= 1 and step 1".into());
                }
            }
            Self::Categorical { choices } => {
                if choices.is_empty() {
                    return bad("needs at least one choice".into());
                }
            }
        }
        Ok(())
    }

    /// The value mapped into the internal search coordinate (log for log scales, the
    /// choice's index for categories).
    pub fn to_internal(&self, value: &ParamValue) -> Option<f64> {
        match (self, value) {
            (Self::Float { log, .. }, ParamValue::Float(v)) => Some(if *log { v.ln() } else { *v }),
            (Self::Int { log, .. }, ParamValue::Int(v)) => {
                Some(if *log { (*v as f64).ln() } else { *v as f64 })
            }
            (Self::Categorical { choices }, ParamValue::Categorical(c)) => {
                choices.iter().position(|x| x == c).map(|i| i as f64)
            }
            _ => None,
        }
    }

    /// The internal coordinate's bounds (for numbers).
    pub fn internal_bounds(&self) -> (f64, f64) {
        match self {
            Self::Float { low, high, log } => {
                if *log {
                    (low.ln(), high.ln())
                } else {
                    (*low, *high)
                }
            }
            Self::Int { low, high, log, .. } => {
                if *log {
                    ((*low as f64).ln(), (*high as f64).ln())
                } else {
                    (*low as f64, *high as f64)
                }
            }
            Self::Categorical { choices } => (0.0, (choices.len() - 1) as f64),
        }
    }

    /// The value at internal coordinate `x` (clamped into range, snapped to the grid).
    pub fn from_internal(&self, x: f64) -> ParamValue {
        let (lo, hi) = self.internal_bounds();
        let x = x.clamp(lo, hi);
        match self {
            Self::Float { log, .. } => ParamValue::Float(if *log { x.exp() } else { x }),
            Self::Int {
                low,
                high,
                step,
                log,
            } => {
                let v = if *log { x.exp() } else { x };
                let k = ((v - *low as f64) / *step as f64).round() as i64;
                ParamValue::Int((low + k * step).clamp(*low, *high - (high - low) % step))
            }
            Self::Categorical { choices } => {
                ParamValue::Categorical(choices[x.round() as usize].clone())
            }
        }
    }
}

/// A drawn value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ParamValue {
    /// A real number.
    Float(f64),
    /// An integer.
    Int(i64),
    /// A choice.
    Categorical(String),
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Float(v) => write!(f, "{v:.6}"),
            Self::Int(v) => write!(f, "{v}"),
            Self::Categorical(c) => f.write_str(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_coordinates_round_trip_and_snap() {
        let lr = Distribution::Float {
            low: 1e-4,
            high: 1e-1,
            log: true,
        };
        let v = lr.from_internal(lr.to_internal(&ParamValue::Float(3e-3)).unwrap());
        assert!(matches!(v, ParamValue::Float(x) if (x - 3e-3).abs() < 1e-12));
        let width = Distribution::Int {
            low: 16,
            high: 256,
            step: 16,
            log: false,
        };
        assert_eq!(width.from_internal(70.0), ParamValue::Int(64));
        assert_eq!(width.from_internal(1e9), ParamValue::Int(256));
        let odd = Distribution::Int {
            low: 0,
            high: 10,
            step: 3,
            log: false,
        };
        assert_eq!(odd.from_internal(10.0), ParamValue::Int(9));
        let c = Distribution::Categorical {
            choices: vec!["a".into(), "b".into()],
        };
        assert_eq!(c.from_internal(0.9), ParamValue::Categorical("b".into()));
        assert!(
            Distribution::Float {
                low: 0.0,
                high: 1.0,
                log: true
            }
            .check("x")
            .is_err()
        );
        assert!(
            Distribution::Int {
                low: 5,
                high: 1,
                step: 1,
                log: false
            }
            .check("x")
            .is_err()
        );
        assert!(
            Distribution::Categorical { choices: vec![] }
                .check("x")
                .is_err()
        );
    }
}
