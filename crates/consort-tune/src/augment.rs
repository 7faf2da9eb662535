//! On-the-fly data augmentation of a batch's training inputs.
//!
//! A hook turns augmentation on by returning transformed inputs from
//! [`crate::BatchTransform::augment`]; the loop calls it inside its
//! per-batch seeded section, so every draw is a function of (seed, epoch, batch) and a resumed
//! run augments as the uninterrupted one. Only the forward pass of training sees the
//! transformed rows: validation, the rows' targets and the indices hooks look up stay as they
//! are. The adaptive controller turns augmentation on when it sees overfitting.

use burn::tensor::{Distribution, Tensor, TensorData};
use consort_core::{ConsortError, ParamGuard, Result};
use consort_data::StandardScaler;
use consort_data::input::{Dense, Images};
use serde::{Deserialize, Serialize};

use crate::hooks::BatchTransform;
use crate::hooks::TrainingHook;

/// An augmentation of training inputs, drawn per row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Augmentation {
    /// Gaussian noise of standard deviation `std` added to every input value (in the inputs'
    /// own units: standardised features take `std` in standard deviations).
    Noise {
        /// Standard deviation of the noise.
        std: f64,
    },
    /// Every image moved by a whole number of pixels drawn uniformly from `-max..=max` along
    /// each axis, its border pixels repeated into the space it leaves. Dense rows are read as
    /// channel-major images of `[channels, height, width]`.
    Shift {
        /// Channels, height and width of the images the rows hold.
        shape: [usize; 3],
        /// Largest move in pixels.
        max: usize,
        /// The scaler that standardised the rows, if any: pixels are moved in their own
        /// units and standardised again, since a standardised value means something else in
        /// another pixel's column.
        scaler: Option<StandardScaler>,
    },
}

impl ParamGuard for Augmentation {
    fn check(&self) -> Result<()> {
        match *self {
            Augmentation::Noise { std } if !(std.is_finite() && std > 0.0) => Err(
                ConsortError::config(format!("noise std must be positive, got {std}")),
            ),
            Augmentation::Shift {
                shape,
                max,
                ref scaler,
            } => {
                if shape.contains(&0) || max == 0 || max >= shape[1].min(shape[2]) {
                    return Err(ConsortError::config(format!(
                        "image shift of up to {max} pixels on images of {shape:?}: shapes must be \
                         positive and the shift at least 1 and smaller than the image"
                    )));
                }
                let features = shape.iter().product::<usize>();
                match scaler {
                    Some(s) if s.n_features() != features => {
                        Err(ConsortError::ShapeMismatch(format!(
                            "the shift's scaler has {} features, images of {shape:?} have \
                             {features}",
                            s.n_features()
                        )))
                    }
                    _ => Ok(()),
                }
            }
            Augmentation::Noise { .. } => Ok(()),
        }
    }
}

impl Augmentation {
    /// A shift of up to `max` pixels of single-channel `height x width` images.
    pub fn shift_grey(height: usize, width: usize, max: usize) -> Self {
        Self::Shift {
            shape: [1, height, width],
            max,
            scaler: None,
        }
    }

    /// This shift for rows standardised by `scaler` (no change to other augmentations).
    pub fn standardised_by(self, scaler: &StandardScaler) -> Self {
        match self {
            Self::Shift { shape, max, .. } => Self::Shift {
                shape,
                max,
                scaler: Some(scaler.clone()),
            },
            other => other,
        }
    }

    /// The description used in logs.
    pub fn describe(&self) -> String {
        match self {
            Augmentation::Noise { std } => format!("Gaussian noise, std {std}"),
            Augmentation::Shift { max, .. } => format!("image shifts of up to {max} px"),
        }
    }
}

/// Network inputs an [`Augmentation`] applies to.
pub trait Augment: Sized {
    /// The inputs with `augmentation` applied (draws from the backend generator).
    fn augmented(self, augmentation: &Augmentation) -> Self;
}

impl Augment for Dense {
    fn augmented(self, augmentation: &Augmentation) -> Self {
        match *augmentation {
            Augmentation::Noise { std } => noisy(self, std),
            Augmentation::Shift {
                shape: [c, h, w],
                max,
                ref scaler,
            } => {
                let [batch, features] = self.dims();
                if features != c * h * w {
                    // Rows that are not these images: nothing sensible to move.
                    return self;
                }
                let row = |v: &[f32]| {
                    Tensor::<2>::from_data(
                        TensorData::new(v.to_vec(), [1, features]),
                        &self.device(),
                    )
                };
                let Some((mean, std)) = scaler.as_ref().map(|s| (row(s.mean()), row(s.std())))
                else {
                    return shifted(self.reshape([batch, c, h, w]), max).reshape([batch, features]);
                };
                let raw = self * std.clone() + mean.clone();
                let moved = shifted(raw.reshape([batch, c, h, w]), max).reshape([batch, features]);
                (moved - mean) / std
            }
        }
    }
}

impl Augment for Images {
    fn augmented(self, augmentation: &Augmentation) -> Self {
        match *augmentation {
            Augmentation::Noise { std } => Images(noisy(self.0, std)),
            // Images arrive in their network's own units; a scaler is for flat rows.
            Augmentation::Shift { max, .. } => Images(shifted(self.0, max)),
        }
    }
}

/// As a hook of its own, an augmentation is on for the whole run (a fixed strategy; the
/// adaptive controller turns its own on when it sees overfitting).
impl<M, I: Augment> TrainingHook<M, I> for Augmentation {
    fn name(&self) -> &str {
        "augmentation"
    }

    fn check(&self, _n_rows: usize, _n_outputs: usize) -> Result<()> {
        ParamGuard::check(self)
    }

    fn batch_transform(&mut self) -> Option<&mut dyn BatchTransform<I>> {
        Some(self)
    }
}

impl<I: Augment> BatchTransform<I> for Augmentation {
    fn augment(&mut self, inputs: I) -> I {
        inputs.augmented(self)
    }
}

fn noisy<const D: usize>(x: Tensor<D>, std: f64) -> Tensor<D> {
    let noise = x.random_like(Distribution::Normal(0.0, std));
    x + noise
}

/// `x` moved by `d` pixels along `axis` (2: rows, 3: columns), the border repeated.
fn move_along(x: Tensor<4>, axis: usize, d: isize) -> Tensor<4> {
    if d == 0 {
        return x;
    }
    let n = x.dims()[axis];
    let k = d.unsigned_abs();
    let (kept, edge) = if d > 0 {
        (x.clone().narrow(axis, 0, n - k), x.narrow(axis, 0, 1))
    } else {
        (x.clone().narrow(axis, k, n - k), x.narrow(axis, n - 1, 1))
    };
    let fill = Tensor::cat(vec![edge; k], axis);
    if d > 0 {
        Tensor::cat(vec![fill, kept], axis)
    } else {
        Tensor::cat(vec![kept, fill], axis)
    }
}

/// Each image of `x` `[batch, c, h, w]` moved by its own draw from `-max..=max` per axis.
fn shifted(x: Tensor<4>, max: usize) -> Tensor<4> {
    let [batch, ..] = x.dims();
    let device = x.device();
    let span = 2 * max + 1;
    // One uniform draw per row picks one of the span^2 moves.
    let pick = Tensor::<1>::random(
        [batch],
        Distribution::Uniform(0.0, (span * span) as f64),
        &device,
    )
    .floor();
    let m = max as isize;
    let mut out: Option<Tensor<4>> = None;
    for (k, (dy, dx)) in (-m..=m)
        .flat_map(|dy| (-m..=m).map(move |dx| (dy, dx)))
        .enumerate()
    {
        let chosen = pick
            .clone()
            .equal_elem(k as f32)
            .float()
            .reshape([batch, 1, 1, 1]);
        let moved = move_along(move_along(x.clone(), 2, dy), 3, dx) * chosen;
        out = Some(match out {
            Some(acc) => acc + moved,
            None => moved,
        });
    }
    out.unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use burn::tensor::Device;
    use consort_core::seed::seeded;

    use super::*;

    fn device() -> Device {
        consort_core::BackendKind::default_kind()
            .unwrap()
            .device()
            .unwrap()
    }

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn a_move_repeats_the_border() {
        let x = Tensor::<4>::from_data(
            TensorData::new(vec![1.0f32, 2.0, 3.0], [1, 1, 1, 3]),
            &device(),
        );
        assert_eq!(values(move_along(x.clone(), 3, 1)), vec![1.0, 1.0, 2.0]);
        assert_eq!(values(move_along(x.clone(), 3, -1)), vec![2.0, 3.0, 3.0]);
        assert_eq!(values(move_along(x, 3, 0)), vec![1.0, 2.0, 3.0]);
    }

    #[test]
    fn shifts_move_whole_images_and_are_seeded() {
        let device = device();
        // 200 copies of one 3x3 image with a single bright centre pixel.
        let mut one = vec![0.0f32; 9];
        one[4] = 1.0;
        let rows: Vec<f32> = (0..200).flat_map(|_| one.clone()).collect();
        let x = Tensor::<2>::from_data(TensorData::new(rows, [200, 9]), &device);
        let shift = Augmentation::shift_grey(3, 3, 1);
        let a = values(seeded(&device, 5, || x.clone().augmented(&shift)));
        let b = values(seeded(&device, 5, || x.clone().augmented(&shift)));
        assert_eq!(a, b, "same seed, same moves");
        let mut positions = [0usize; 9];
        for row in a.chunks(9) {
            // Still one bright pixel (the centre never reaches a border of a 3x3 image).
            assert_eq!(row.iter().filter(|v| **v == 1.0).count(), 1, "{row:?}");
            assert_eq!(row.iter().sum::<f32>(), 1.0);
            positions[row.iter().position(|v| *v == 1.0).unwrap()] += 1;
        }
        // All nine moves are drawn.
        assert!(positions.iter().all(|&p| p > 5), "{positions:?}");
    }

    #[test]
    fn noise_has_its_std_and_bad_settings_are_rejected() {
        let device = device();
        let x = Tensor::<2>::zeros([100, 50], &device);
        let noisy = values(seeded(&device, 1, || {
            x.augmented(&Augmentation::Noise { std: 0.5 })
        }));
        let var = noisy.iter().map(|v| v * v).sum::<f32>() / noisy.len() as f32;
        assert!((var.sqrt() - 0.5).abs() < 0.02, "std {}", var.sqrt());
        assert!(ParamGuard::check(&Augmentation::Noise { std: 0.0 }).is_err());
        assert!(ParamGuard::check(&Augmentation::shift_grey(3, 3, 3)).is_err());
        assert!(ParamGuard::check(&Augmentation::shift_grey(8, 8, 1)).is_ok());
    }
}
