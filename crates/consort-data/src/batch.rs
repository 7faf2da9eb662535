//! Turning rows of a [`Matrix`] into burn tensors, batch by batch.

use burn::tensor::{Device, Int, Tensor, TensorData};
use consort_core::Matrix;
use consort_core::seed::rng;
use rand::seq::SliceRandom;

/// The rows `indices` of `x` as a `[indices.len(), cols]` float tensor on `device`.
pub fn rows_to_tensor(x: &Matrix, indices: &[usize], device: &Device) -> Tensor<2> {
    let mut values = Vec::with_capacity(indices.len() * x.cols());
    for &i in indices {
        values.extend_from_slice(x.row(i));
    }
    Tensor::from_data(TensorData::new(values, [indices.len(), x.cols()]), device)
}

/// The labels at `indices` as an integer tensor on `device`.
pub fn labels_to_tensor(labels: &[usize], indices: &[usize], device: &Device) -> Tensor<1, Int> {
    let values: Vec<i64> = indices.iter().map(|&i| labels[i] as i64).collect();
    Tensor::from_data(TensorData::new(values, [indices.len()]), device)
}

/// A float tensor back into a [`Matrix`] (reads it to the host).
pub fn tensor_to_matrix(t: Tensor<2>) -> consort_core::Result<Matrix> {
    let [rows, cols] = t.dims();
    let data = t.into_data().convert::<f32>();
    let values = data
        .try_into_vec::<f32>()
        .map_err(|e| consort_core::ConsortError::Backend(format!("{e:?}")))?;
    Matrix::new(rows, cols, values)
}

/// Splits `0..n` into batches of at most `batch_size`, shuffled with `seed` when given.
///
/// `batch_size == 0` is treated as one batch of everything.
pub fn batch_indices(n: usize, batch_size: usize, shuffle_seed: Option<u64>) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    if let Some(seed) = shuffle_seed {
        order.shuffle(&mut rng(seed));
    }
    let size = if batch_size == 0 {
        n.max(1)
    } else {
        batch_size
    };
    order.chunks(size).map(<[usize]>::to_vec).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_every_row_once() {
        let b = batch_indices(10, 4, Some(3));
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4, 2]);
        let mut all: Vec<usize> = b.concat();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(b, batch_indices(10, 4, Some(3)));
        assert_eq!(batch_indices(3, 0, None), vec![vec![0, 1, 2]]);
    }
}
