//! ALTREP objects (serialisation version 3): compact sequences, deferred strings and
//! wrappers, expanded into the ordinary vectors they stand for.

use consort_core::Result;

use super::super::object::{RObject, RValue};
use super::Reader;
use super::bad;

impl Reader<'_> {
    /// An ALTREP object: its class, its state and its attributes; the classes R writes for
    /// data are expanded into ordinary vectors.
    pub(super) fn altrep(&mut self) -> Result<RObject> {
        let info = self.item()?;
        let state = self.item()?;
        let attributes = {
            let a = self.item()?;
            Self::attributes_of(a)
        };
        let class = match &info.value {
            RValue::Pairlist(cells) => match cells.first().map(|c| &c.1.value) {
                Some(RValue::Symbol(s)) => s.clone(),
                _ => String::new(),
            },
            _ => String::new(),
        };
        let value = match class.as_str() {
            "compact_intseq" | "compact_realseq" => {
                let RValue::Real(v) = &state.value else {
                    return Err(bad("a compact sequence's state is not (n, start, step)"));
                };
                let [n, start, step] = v[..] else {
                    return Err(bad("a compact sequence's state is not (n, start, step)"));
                };
                let n = n as usize;
                if class == "compact_intseq" {
                    RValue::Integer(
                        (0..n)
                            .map(|i| Some((start + step * i as f64) as i32))
                            .collect(),
                    )
                } else {
                    RValue::Real((0..n).map(|i| start + step * i as f64).collect())
                }
            }
            "deferred_string" => {
                // State: a pairlist whose first cell is the numbers to be shown as strings.
                let source = match state.value {
                    RValue::Pairlist(mut cells) if !cells.is_empty() => cells.remove(0).1,
                    _ => return Err(bad("a deferred string's state is not a pairlist")),
                };
                match source.value {
                    RValue::Integer(v) => {
                        RValue::Str(v.into_iter().map(|x| x.map(|x| x.to_string())).collect())
                    }
                    RValue::Real(v) => RValue::Str(
                        v.into_iter()
                            .map(|x| (!x.is_nan()).then(|| format_r_double(x)))
                            .collect(),
                    ),
                    other => other,
                }
            }
            c if c.starts_with("wrap_") => match state.value {
                RValue::List(mut v) if !v.is_empty() => v.remove(0).value,
                _ => return Err(bad("a wrapper's state is not list(x, meta)")),
            },
            other => {
                return Err(bad(format!(
                    "ALTREP class {other:?} is not data this reader takes"
                )));
            }
        };
        Ok(RObject { value, attributes })
    }
}

/// A double as `as.character` shows it (15 significant digits, no trailing zeros).
fn format_r_double(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.15}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}
