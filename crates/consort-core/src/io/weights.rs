//! Checks on network weights loaded from a file: every value finite and within a magnitude
//! no trained network reaches, so a corrupted or hand-edited record (NaN, infinities, values
//! whose products overflow `f32`) is an error naming the file, never all-NaN predictions.

use std::path::Path;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;

use crate::error::{ConsortError, Result};

/// The largest weight magnitude a loaded network may hold. Trained weights stay within a few
/// hundred (inputs are standardised); batch-norm statistics of raw pixel values within 1e5.
/// Beyond 1e8 two layers' products already approach `f32`'s overflow.
pub const MAX_WEIGHT_MAGNITUDE: f32 = 1e8;

/// Checks every float parameter of `module`, naming `path` (the weights file) in the error.
pub fn check_weights<M: Module>(module: &M, path: &Path) -> Result<()> {
    struct Check {
        tensors: usize,
        bad: Option<(usize, f32)>,
    }
    impl ModuleVisitor for Check {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let index = self.tensors;
            self.tensors += 1;
            if self.bad.is_some() {
                return;
            }
            let values = param.val().into_data();
            if let Ok(values) = values.try_to_vec::<f32>()
                && let Some(&v) = values
                    .iter()
                    .find(|v| !v.is_finite() || v.abs() > MAX_WEIGHT_MAGNITUDE)
            {
                self.bad = Some((index, v));
            }
        }
    }
    let mut check = Check {
        tensors: 0,
        bad: None,
    };
    module.visit(&mut check);
    match check.bad {
        None => Ok(()),
        Some((index, value)) => Err(ConsortError::InvalidModel {
            path: path.to_path_buf(),
            message: format!(
                "weight tensor {index} (of {}) holds {value}: every weight must be finite and \
                 at most {MAX_WEIGHT_MAGNITUDE:e} in magnitude (a corrupted or hand-edited file)",
                check.tensors
            ),
        }),
    }
}
