//! Shared pieces of the sequence classifiers: token ids arrive as `f32` feature rows
//! (exact for ids below 2^24), id 0 is padding.

use burn::tensor::{Bool, Int, Tensor};
use consort_core::{ConsortError, Matrix, Result};

/// Token ids of a batch of rows, and the padding mask (`true` where the id is padding).
pub(crate) fn ids_and_pad_mask(x: Tensor<2>) -> (Tensor<2, Int>, Tensor<2, Bool>) {
    let ids = x.int();
    let pad = ids.clone().equal_elem(0);
    (ids, pad)
}

/// Mean of `h` (`[batch, len, d]`) over the non-padding positions.
pub(crate) fn masked_mean(h: Tensor<3>, pad: Tensor<2, Bool>) -> Tensor<2> {
    let keep = pad.bool_not().float().unsqueeze_dim::<3>(2); // [batch, len, 1]
    let sum = (h * keep.clone()).sum_dim(1).squeeze_dim::<2>(1);
    let count = keep.sum_dim(1).squeeze_dim::<2>(1).clamp_min(1.0);
    sum / count
}

/// Checks that every feature is an integer token id below `vocab_size`; an out-of-range id
/// would otherwise index past the embedding table.
pub(crate) fn check_token_ids(x: &Matrix, vocab_size: usize) -> Result<()> {
    match x
        .as_slice()
        .iter()
        .position(|&v| v < 0.0 || v.fract() != 0.0 || v as usize >= vocab_size)
    {
        None => Ok(()),
        Some(p) => Err(ConsortError::InvalidInput(format!(
            "token id {} at row {}, position {} is not an integer in 0..{vocab_size}",
            x.as_slice()[p],
            p / x.cols().max(1),
            p % x.cols().max(1)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    #[test]
    fn masked_mean_ignores_padding_positions() {
        let device = consort_core::BackendKind::Flex.device().unwrap();
        let h = Tensor::<3>::from_data(
            TensorData::new(vec![1.0f32, 2.0, 3.0, 4.0, 100.0, 100.0], [1, 3, 2]),
            &device,
        );
        let x = Tensor::<2>::from_data(TensorData::new(vec![5.0f32, 6.0, 0.0], [1, 3]), &device);
        let (_, pad) = ids_and_pad_mask(x);
        let mean = masked_mean(h, pad).into_data().convert::<f32>();
        assert_eq!(mean.as_slice::<f32>().unwrap(), &[2.0, 3.0]);
    }

    #[test]
    fn token_ids_must_be_in_the_vocabulary() {
        let ok = Matrix::from_rows(&[[0.0f32, 3.0]]).unwrap();
        assert!(check_token_ids(&ok, 4).is_ok());
        for bad in [4.0f32, -1.0, 1.5] {
            let m = Matrix::from_rows(&[[0.0f32, bad]]).unwrap();
            assert!(matches!(
                check_token_ids(&m, 4),
                Err(ConsortError::InvalidInput(_))
            ));
        }
    }
}
