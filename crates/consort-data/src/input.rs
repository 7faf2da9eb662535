//! Typed network inputs and the data sources that batch them.
//!
//! A network reads one input type ([`Dense`] rows, [`Images`], [`TokenIds`] with an attention
//! mask, or a [`Pair`] of two for multimodal models); a data source ([`InputSource`]) turns
//! the rows of a batch into that type on a device. The training loop is generic over the
//! source, so a new modality needs a source and a network, never a new loop.
//!
//! Every source stores its rows as a [`Matrix`] (images flattened channel-major, token ids as
//! exact small integers), so splitting, scaling and validating stay the same for all.

use burn::tensor::{Bool, Device, Int, Tensor, TensorData};
use consort_core::{ConsortError, Matrix, Result};

use crate::augment::ImageShape;
use crate::batch::rows_to_tensor;

/// Dense feature rows, `[batch, n_features]`: what MLPs, classical-model bridges and the
/// flat-row CNN read.
pub type Dense = Tensor<2>;

/// A batch of images, `[batch, channels, height, width]`.
#[derive(Debug, Clone)]
pub struct Images(pub Tensor<4>);

/// A batch of token-id sequences with their attention mask, `[batch, len]` each; the mask is
/// `true` on real tokens and `false` on padding.
#[derive(Debug, Clone)]
pub struct TokenIds {
    /// Token ids.
    pub ids: Tensor<2, Int>,
    /// `true` where the position holds a real token.
    pub mask: Tensor<2, Bool>,
}

impl TokenIds {
    /// The padding mask (`true` on padding), as burn's attention layers take it.
    pub fn padding(&self) -> Tensor<2, Bool> {
        self.mask.clone().bool_not()
    }
}

/// Two inputs of one sample (an image and its caption, say), for multimodal networks.
#[derive(Debug, Clone)]
pub struct Pair<A, B> {
    /// The first modality.
    pub first: A,
    /// The second modality.
    pub second: B,
}

/// Rows of data that batch into one network input type.
pub trait InputSource {
    /// The network input a batch becomes.
    type Input: Clone;

    /// Number of rows.
    fn len(&self) -> usize;

    /// Whether there are no rows.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows at `indices` as one input on `device`.
    fn batch(&self, indices: &[usize], device: &Device) -> Self::Input;

    /// The rows as a matrix, for checks a network makes on its raw input (token ids inside
    /// the vocabulary, say); `None` for composite sources.
    fn rows(&self) -> Option<&Matrix>;

    /// Width of one row (features, image values, sequence length).
    fn width(&self) -> usize {
        self.rows().map_or(0, Matrix::cols)
    }

    /// A source holding only the rows at `indices`, in that order.
    fn select(&self, indices: &[usize]) -> Self
    where
        Self: Sized;
}

impl InputSource for Matrix {
    type Input = Dense;

    fn len(&self) -> usize {
        self.rows()
    }

    fn batch(&self, indices: &[usize], device: &Device) -> Dense {
        rows_to_tensor(self, indices, device)
    }

    fn rows(&self) -> Option<&Matrix> {
        Some(self)
    }

    fn select(&self, indices: &[usize]) -> Self {
        self.select_rows(indices)
    }
}

/// Image rows: each row holds one image, flattened channel-major.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRows {
    rows: Matrix,
    shape: ImageShape,
}

impl ImageRows {
    /// Images of `shape` stored one per row of `rows`.
    pub fn new(rows: Matrix, shape: ImageShape) -> Result<Self> {
        if shape.is_empty() || rows.cols() != shape.len() {
            return Err(ConsortError::ShapeMismatch(format!(
                "rows of {} values cannot hold {}x{}x{} images",
                rows.cols(),
                shape.channels,
                shape.height,
                shape.width
            )));
        }
        rows.ensure_finite("image rows")?;
        Ok(Self { rows, shape })
    }

    /// The image shape.
    pub fn shape(&self) -> ImageShape {
        self.shape
    }
}

impl InputSource for ImageRows {
    type Input = Images;

    fn len(&self) -> usize {
        self.rows.rows()
    }

    fn batch(&self, indices: &[usize], device: &Device) -> Images {
        let s = self.shape;
        Images(rows_to_tensor(&self.rows, indices, device).reshape([
            indices.len(),
            s.channels,
            s.height,
            s.width,
        ]))
    }

    fn rows(&self) -> Option<&Matrix> {
        Some(&self.rows)
    }

    fn select(&self, indices: &[usize]) -> Self {
        Self {
            rows: self.rows.select_rows(indices),
            shape: self.shape,
        }
    }
}

/// Token-id sequences of one padded length; id `pad_id` marks padding. The ids are kept as
/// exact `f32` rows (the form the text pipeline, network checks and classical models use) and
/// become integer tensors per batch.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRows {
    rows: Matrix,
    pad_id: u32,
}

impl TokenRows {
    /// Sequences given as rows of ids (all of length `seq_len`, padded with `pad_id`).
    pub fn new(ids: Vec<u32>, seq_len: usize, pad_id: u32) -> Result<Self> {
        if seq_len == 0 || !ids.len().is_multiple_of(seq_len) {
            return Err(ConsortError::ShapeMismatch(format!(
                "{} token ids do not form rows of length {seq_len}",
                ids.len()
            )));
        }
        if let Some(&big) = ids.iter().find(|&&id| id >= 1 << 24) {
            return Err(ConsortError::InvalidInput(format!(
                "token id {big} is beyond 2^24, the largest exact in f32 rows"
            )));
        }
        let rows = Matrix::new(
            ids.len() / seq_len,
            seq_len,
            ids.iter().map(|&i| i as f32).collect(),
        )?;
        Ok(Self { rows, pad_id })
    }

    /// From a matrix of ids (the `f32` rows the text pipeline makes), padding id 0.
    pub fn from_matrix(rows: &Matrix) -> Result<Self> {
        if rows.cols() == 0 {
            return Err(ConsortError::ShapeMismatch("token rows of length 0".into()));
        }
        if let Some(p) = rows
            .as_slice()
            .iter()
            .position(|&v| !(v >= 0.0 && v.fract() == 0.0 && v < (1u32 << 24) as f32))
        {
            return Err(ConsortError::InvalidInput(format!(
                "token id {} at row {}, position {} is not a non-negative integer below 2^24",
                rows.as_slice()[p],
                p / rows.cols(),
                p % rows.cols()
            )));
        }
        Ok(Self {
            rows: rows.clone(),
            pad_id: 0,
        })
    }

    /// Padded sequence length.
    pub fn seq_len(&self) -> usize {
        self.rows.cols()
    }
}

impl InputSource for TokenRows {
    type Input = TokenIds;

    fn len(&self) -> usize {
        self.rows.rows()
    }

    fn batch(&self, indices: &[usize], device: &Device) -> TokenIds {
        let len = self.seq_len();
        let mut ids = Vec::with_capacity(indices.len() * len);
        for &i in indices {
            ids.extend(self.rows.row(i).iter().map(|&id| id as i64));
        }
        let ids = Tensor::<2, Int>::from_data(TensorData::new(ids, [indices.len(), len]), device);
        let mask = ids.clone().not_equal_elem(i64::from(self.pad_id));
        TokenIds { ids, mask }
    }

    fn rows(&self) -> Option<&Matrix> {
        Some(&self.rows)
    }

    fn select(&self, indices: &[usize]) -> Self {
        Self {
            rows: self.rows.select_rows(indices),
            pad_id: self.pad_id,
        }
    }
}

/// Two sources over the same samples, batched together into a [`Pair`].
#[derive(Debug, Clone, PartialEq)]
pub struct Paired<A, B> {
    first: A,
    second: B,
}

impl<A: InputSource, B: InputSource> Paired<A, B> {
    /// Pairs two sources of the same length.
    pub fn new(first: A, second: B) -> Result<Self> {
        if first.len() != second.len() {
            return Err(ConsortError::ShapeMismatch(format!(
                "paired inputs have {} and {} rows",
                first.len(),
                second.len()
            )));
        }
        Ok(Self { first, second })
    }

    /// The first source.
    pub fn first(&self) -> &A {
        &self.first
    }

    /// The second source.
    pub fn second(&self) -> &B {
        &self.second
    }
}

impl<A: InputSource, B: InputSource> InputSource for Paired<A, B> {
    type Input = Pair<A::Input, B::Input>;

    fn len(&self) -> usize {
        self.first.len()
    }

    fn batch(&self, indices: &[usize], device: &Device) -> Self::Input {
        Pair {
            first: self.first.batch(indices, device),
            second: self.second.batch(indices, device),
        }
    }

    fn rows(&self) -> Option<&Matrix> {
        None
    }

    fn width(&self) -> usize {
        self.first.width() + self.second.width()
    }

    fn select(&self, indices: &[usize]) -> Self {
        Self {
            first: self.first.select(indices),
            second: self.second.select(indices),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> Device {
        consort_core::BackendKind::Flex.device().unwrap()
    }

    #[test]
    fn each_source_batches_its_own_type() {
        let d = device();
        let m = Matrix::new(3, 4, (0..12).map(|v| v as f32).collect()).unwrap();
        assert_eq!(InputSource::batch(&m, &[2, 0], &d).dims(), [2, 4]);

        let images = ImageRows::new(m.clone(), ImageShape::grey(2, 2)).unwrap();
        let Images(t) = images.batch(&[1], &d);
        assert_eq!(t.dims(), [1, 1, 2, 2]);
        assert_eq!(
            t.into_data().convert::<f32>().as_slice::<f32>().unwrap(),
            &[4.0, 5.0, 6.0, 7.0]
        );
        assert!(ImageRows::new(m.clone(), ImageShape::grey(3, 3)).is_err());

        let tokens = TokenRows::new(vec![5, 6, 0, 7, 0, 0], 3, 0).unwrap();
        let batch = tokens.batch(&[1, 0], &d);
        assert_eq!(batch.ids.dims(), [2, 3]);
        let mask = batch.mask.into_data();
        assert_eq!(
            mask.as_slice::<bool>().unwrap(),
            &[true, false, false, true, true, false]
        );
        assert!(TokenRows::new(vec![1, 2, 3], 2, 0).is_err());
        assert!(TokenRows::from_matrix(&Matrix::from_rows(&[[1.5f32]]).unwrap()).is_err());

        let pair = Paired::new(m.clone(), tokens.select(&[0, 1, 0])).unwrap();
        let p = pair.batch(&[0, 2], &d);
        assert_eq!(p.first.dims(), [2, 4]);
        assert_eq!(p.second.ids.dims(), [2, 3]);
        assert_eq!(pair.width(), 7);
        assert!(Paired::new(m, tokens).is_err());
    }
}
