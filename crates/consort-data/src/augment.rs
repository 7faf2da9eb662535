//! Image augmentation for datasets whose rows are flat images: translated copies.
//!
//! Small networks pretrained on few images learn features tied to where strokes sit in the
//! frame; training on shifted copies makes the convolutional features translation-tolerant,
//! which is what lets them carry over to new classes (see the transfer-learning example).

use consort_core::{ConsortError, Matrix, Result};

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
}
