//! Augmentation for datasets whose rows are flat images: translated copies, and mixup blends
//! of rows (for unlabelled transfer sets).
//!
//! Small networks pretrained on few images learn features tied to where strokes sit in the
//! frame; training on shifted copies makes the convolutional features translation-tolerant,
//! which is what lets them carry over to new classes (see the transfer-learning example).

use consort_core::seed::rng;
use consort_core::{ConsortError, Matrix, Result};
use rand::Rng;

use crate::Dataset;

/// Geometry of the images held as flat, channel-major feature rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageShape {
    /// Channels per image.
    pub channels: usize,
    /// Height in pixels.
    pub height: usize,
    /// Width in pixels.
    pub width: usize,
}

impl ImageShape {
    /// A single-channel `height x width` image.
    pub fn grey(height: usize, width: usize) -> Self {
        Self {
            channels: 1,
            height,
            width,
        }
    }

    /// Values per image.
    pub fn len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// True when the shape holds no pixels.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Every image of `data` shifted by each offset in `-max_shift..=max_shift` along both axes:
/// `(2 * max_shift + 1)^2` copies per image, the unshifted original among them, in row
/// order. Pixels shifted in from outside the frame take `fill` (the background value of the
/// raw data, so shift before standardising).
pub fn shifted_copies(
    data: &Dataset,
    shape: ImageShape,
    max_shift: usize,
    fill: f32,
) -> Result<Dataset> {
    if shape.is_empty() || shape.len() != data.n_features() {
        return Err(ConsortError::ShapeMismatch(format!(
            "images of {}x{}x{} = {} values do not match the {} features per row",
            shape.channels,
            shape.height,
            shape.width,
            shape.len(),
            data.n_features()
        )));
    }
    if max_shift >= shape.height.min(shape.width) {
        return Err(ConsortError::config(format!(
            "a shift of {max_shift} pixels would move a {}x{} image out of its frame",
            shape.height, shape.width
        )));
    }
    if data.is_empty() {
        return Err(ConsortError::EmptyDataset(format!(
            "{} has no images to shift",
            data.name()
        )));
    }
    let m = max_shift as isize;
    let (h, w) = (shape.height as isize, shape.width as isize);
    let copies = (2 * max_shift + 1).pow(2);
    let mut values = Vec::with_capacity(data.len() * copies * shape.len());
    let mut labels = Vec::with_capacity(data.len() * copies);
    for (row, &label) in data.features().iter_rows().zip(data.labels()) {
        for dy in -m..=m {
            for dx in -m..=m {
                for c in 0..shape.channels as isize {
                    for y in 0..h {
                        for x in 0..w {
                            let (sy, sx) = (y - dy, x - dx);
                            values.push(if (0..h).contains(&sy) && (0..w).contains(&sx) {
                                row[((c * h + sy) * w + sx) as usize]
                            } else {
                                fill
                            });
                        }
                    }
                }
                labels.push(label);
            }
        }
    }
    Dataset::with_names(
        data.name().to_string(),
        Matrix::new(labels.len(), shape.len(), values)?,
        labels,
        data.feature_names().to_vec(),
        data.class_names().to_vec(),
    )
}

/// `copies_per_row * rows` convex blends `lambda * a + (1 - lambda) * b` of two rows of
/// `features` drawn at random, `lambda` uniform in [0, 1] (mixup's Beta(1, 1)), seeded.
///
/// Unlabelled on purpose: the blends are inputs for a teacher to label, the transfer set of
/// distillation. A student matches its teacher better off the training points than on
/// them alone (Stanton et al., "Does knowledge distillation really work?", 2021, found mixup
/// the most helpful augmentation for that agreement).
pub fn mixup_rows(features: &Matrix, copies_per_row: usize, seed: u64) -> Result<Matrix> {
    if features.rows() == 0 {
        return Err(ConsortError::EmptyDataset(
            "mixup needs at least one row to blend".into(),
        ));
    }
    if copies_per_row == 0 {
        return Err(ConsortError::config(
            "mixup needs at least one copy per row",
        ));
    }
    let (n, d) = (features.rows(), features.cols());
    let mut r = rng(seed);
    let mut values = Vec::with_capacity(n * copies_per_row * d);
    for _ in 0..n * copies_per_row {
        let (a, b) = (r.random_range(0..n), r.random_range(0..n));
        let lambda: f32 = r.random();
        let (a, b) = (features.row(a), features.row(b));
        values.extend(
            a.iter()
                .zip(b)
                .map(|(a, b)| lambda * a + (1.0 - lambda) * b),
        );
    }
    Matrix::new(n * copies_per_row, d, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_image() -> Dataset {
        // 3x3 image with a single lit pixel in the centre.
        let mut px = vec![0.0; 9];
        px[4] = 1.0;
        Dataset::new(Matrix::new(1, 9, px).unwrap(), vec![0], 1).unwrap()
    }

    #[test]
    fn shifts_move_the_pixel_and_keep_labels() {
        let out = shifted_copies(&one_image(), ImageShape::grey(3, 3), 1, 0.0).unwrap();
        assert_eq!(out.len(), 9);
        assert!(out.labels().iter().all(|&l| l == 0));
        // Copy k = (dy + 1) * 3 + (dx + 1) has its pixel at (1 + dy, 1 + dx).
        for (k, row) in out.features().iter_rows().enumerate() {
            let lit: Vec<usize> = (0..9).filter(|&i| row[i] == 1.0).collect();
            assert_eq!(lit, vec![k], "copy {k}: {row:?}");
            assert_eq!(row.iter().sum::<f32>(), 1.0);
        }
    }

    #[test]
    fn fill_value_enters_from_the_border() {
        let d = Dataset::new(Matrix::new(1, 4, vec![1.0; 4]).unwrap(), vec![0], 1).unwrap();
        let out = shifted_copies(&d, ImageShape::grey(2, 2), 1, -5.0).unwrap();
        // The unshifted copy is the centre one and keeps every pixel.
        assert_eq!(out.features().row(4), &[1.0; 4]);
        // Shifted one pixel right: the left column is filled.
        assert_eq!(out.features().row(5), &[-5.0, 1.0, -5.0, 1.0]);
    }

    #[test]
    fn bad_shapes_and_shifts_are_errors() {
        let d = one_image();
        assert!(matches!(
            shifted_copies(&d, ImageShape::grey(2, 2), 1, 0.0),
            Err(ConsortError::ShapeMismatch(_))
        ));
        assert!(shifted_copies(&d, ImageShape::grey(3, 3), 3, 0.0).is_err());
        assert_eq!(
            shifted_copies(&d, ImageShape::grey(3, 3), 0, 0.0).unwrap(),
            d
        );
    }

    #[test]
    fn mixup_blends_lie_between_their_parents_and_follow_the_seed() {
        let m = Matrix::new(3, 2, vec![0.0, 10.0, 1.0, 20.0, 2.0, 30.0]).unwrap();
        let out = mixup_rows(&m, 4, 7).unwrap();
        assert_eq!((out.rows(), out.cols()), (12, 2));
        for row in out.iter_rows() {
            assert!((0.0..=2.0).contains(&row[0]) && (10.0..=30.0).contains(&row[1]));
            // Both columns blend the same two rows with the same lambda: the second column
            // is the first's affine image (rows are (t, 10 + 10 t)).
            assert!((row[1] - (10.0 + 10.0 * row[0])).abs() < 1e-4, "{row:?}");
        }
        assert_eq!(out, mixup_rows(&m, 4, 7).unwrap());
        assert_ne!(out, mixup_rows(&m, 4, 8).unwrap());
        assert!(mixup_rows(&m, 0, 7).is_err());
        assert!(mixup_rows(&Matrix::new(0, 2, vec![]).unwrap(), 1, 7).is_err());
    }
}
