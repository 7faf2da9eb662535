//! Generated datasets whose right answer is known, for tests and examples.

use consort_core::seed::rng;
use consort_core::{Matrix, Result};
use rand::Rng;

use crate::dataset::Dataset;

/// Token ids of the order task: `A` and `B` are the marker tokens, fillers come after them.
pub mod order_task {
    /// First marker token id.
    pub const A: u32 = 2;
    /// Second marker token id.
    pub const B: u32 = 3;
    /// First filler token id.
    pub const FIRST_FILLER: u32 = 4;
}

/// An order-dependent sequence task: every sequence holds the markers `A` and `B` once each,
/// adjacent, somewhere in its first five positions; class 1 if `A` comes first, class 0 if
/// `B` does. The rest are random filler tokens, sequences are 10..=`max_len` long and padded
/// with 0. Both classes have the same bag of words, so a bag-of-words model is at chance
/// while a model that sees order can be perfect.
pub fn order_sequences(n: usize, max_len: usize, n_fillers: u32, seed: u64) -> Result<Dataset> {
    use order_task::*;
    let max_len = max_len.max(10);
    let mut r = rng(seed);
    let mut rows = Vec::with_capacity(n);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let label = i % 2;
        let len = r.random_range(10..=max_len);
        let mut seq: Vec<f32> = (0..len)
            .map(|_| (FIRST_FILLER + r.random_range(0..n_fillers.max(1))) as f32)
            .collect();
        let at = r.random_range(0..5);
        let (first, second) = if label == 1 { (A, B) } else { (B, A) };
        seq[at] = first as f32;
        seq[at + 1] = second as f32;
        seq.resize(max_len, 0.0);
        rows.push(seq);
        labels.push(label);
    }
    Dataset::new(Matrix::from_rows(&rows)?, labels, 2).map(|d| d.with_name("order-sequences"))
}

/// Vocabulary size (ids) of [`order_sequences`] with `n_fillers` fillers.
pub fn order_vocab_size(n_fillers: u32) -> usize {
    (order_task::FIRST_FILLER + n_fillers.max(1)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_share_a_bag_of_words_but_differ_in_order() {
        let d = order_sequences(200, 16, 8, 0).unwrap();
        assert_eq!(d.class_counts(), vec![100, 100]);
        for (row, &label) in d.features().iter_rows().zip(d.labels()) {
            let a = row.iter().position(|&t| t == order_task::A as f32).unwrap();
            let b = row.iter().position(|&t| t == order_task::B as f32).unwrap();
            assert_eq!(a < b, label == 1);
            assert_eq!(a.abs_diff(b), 1);
            assert!(a.max(b) <= 5);
            assert_eq!(
                row.iter().filter(|&&t| t == order_task::A as f32).count(),
                1
            );
        }
        assert_eq!(d, order_sequences(200, 16, 8, 0).unwrap());
    }
}
