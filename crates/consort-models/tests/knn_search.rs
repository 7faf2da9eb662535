//! kNN's k-d tree and matrix-product search return exactly what brute force returns.

use consort_core::{Classifier, Fit, Matrix};
use consort_data::Dataset;
use consort_models::{KNeighborsConfig, NeighborWeights};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The reference: every distance, summed in feature order, ties by training row.
fn brute_force(train: &Dataset, k: usize, weights: NeighborWeights, x: &Matrix) -> Matrix {
    let n_classes = train.n_classes();
    let mut out = Matrix::zeros(x.rows(), n_classes);
    for (i, q) in x.iter_rows().enumerate() {
        let mut d: Vec<(f32, usize)> = train
            .features()
            .iter_rows()
            .enumerate()
            .map(|(j, r)| (r.iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum(), j))
            .collect();
        d.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let nearest = &d[..k];
        let row = out.row_mut(i);
        let exact = nearest[0].0 == 0.0;
        for &(d2, j) in nearest {
            let w = match weights {
                NeighborWeights::Uniform => 1.0,
                NeighborWeights::Distance if exact => f32::from(d2 == 0.0),
                NeighborWeights::Distance => 1.0 / d2.sqrt(),
            };
            row[train.labels()[j]] += w;
        }
        let total: f32 = row.iter().sum();
        row.iter_mut().for_each(|v| *v /= total);
    }
    out
}

/// Integer-valued features (as in digits) make many exact distance ties.
fn data(rows: usize, cols: usize, levels: u32, seed: u64) -> Dataset {
    let mut rng = StdRng::seed_from_u64(seed);
    let x: Vec<f32> = (0..rows * cols)
        .map(|_| rng.random_range(0..levels) as f32)
        .collect();
    let y: Vec<usize> = (0..rows).map(|i| i % 3).collect();
    Dataset::new(Matrix::new(rows, cols, x).unwrap(), y, 3).unwrap()
}

#[test]
fn tree_and_products_match_brute_force_with_ties() {
    // 3 features: the k-d tree; 40 features: blocked products.
    for (cols, levels) in [(3, 4), (3, 50), (40, 3), (40, 17)] {
        let train = data(700, cols, levels, 1);
        let test = data(130, cols, levels, 2);
        for k in [1, 5, 12] {
            for weights in [NeighborWeights::Uniform, NeighborWeights::Distance] {
                let model = KNeighborsConfig { k, weights }.fit(&train).unwrap();
                let got = model.predict_proba(test.features()).unwrap();
                let want = brute_force(&train, k, weights, test.features());
                assert_eq!(
                    got, want,
                    "cols {cols}, levels {levels}, k {k}, {weights:?}"
                );
            }
        }
    }
}
