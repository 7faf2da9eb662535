//! Exact k-nearest-neighbour search: a k-d tree in low dimension, blocked matrix products
//! otherwise. Both return exactly what brute force over `sum((a - b)^2)` in feature order
//! returns, ties broken by training-row index, so the choice of index never changes a
//! prediction.

use consort_core::Matrix;
use rayon::prelude::*;

/// A neighbour: squared distance and training-row index.
pub(crate) type Neighbour = (f32, usize);

/// Nearer first; equal distances by lower training row.
pub(crate) fn closer(a: &Neighbour, b: &Neighbour) -> std::cmp::Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

/// Squared Euclidean distance, summed in feature order (the reference every path matches).
#[inline]
pub(crate) fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Up to this many features a k-d tree prunes well; above it, distances by matrix product.
pub(crate) const KD_TREE_MAX_FEATURES: usize = 12;
/// Training rows per leaf of the k-d tree.
const LEAF_SIZE: usize = 16;

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Leaf {
        start: usize,
        end: usize,
    },
    Split {
        dim: usize,
        value: f32,
        left: usize,
        right: usize,
    },
}

/// A k-d tree over the rows of a training matrix (median splits on the widest dimension).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KdTree {
    nodes: Vec<Node>,
    order: Vec<usize>,
}

impl KdTree {
    pub(crate) fn build(x: &Matrix) -> Self {
        let mut tree = Self {
            nodes: Vec::new(),
            order: (0..x.rows()).collect(),
        };
        if x.rows() > 0 {
            tree.grow(x, 0, x.rows());
        }
        tree
    }

    fn grow(&mut self, x: &Matrix, start: usize, end: usize) -> usize {
        let id = self.nodes.len();
        self.nodes.push(Node::Leaf { start, end });
        if end - start <= LEAF_SIZE {
            return id;
        }
        let rows = &mut self.order[start..end];
        let (mut dim, mut spread) = (0, -1.0f32);
        for d in 0..x.cols() {
            let (lo, hi) = rows
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &r| {
                    let v = x.row(r)[d];
                    (lo.min(v), hi.max(v))
                });
            if hi - lo > spread {
                (dim, spread) = (d, hi - lo);
            }
        }
        if spread <= 0.0 {
            return id; // all rows equal: one leaf
        }
        let mid = rows.len() / 2;
        rows.select_nth_unstable_by(mid, |&a, &b| x.row(a)[dim].total_cmp(&x.row(b)[dim]));
        let value = x.row(rows[mid])[dim];
        let left = self.grow(x, start, start + mid);
        let right = self.grow(x, start + mid, end);
        self.nodes[id] = Node::Split {
            dim,
            value,
            left,
            right,
        };
        id
    }

    /// The `k` nearest training rows of `q`, nearest first.
    pub(crate) fn nearest(&self, x: &Matrix, q: &[f32], k: usize) -> Vec<Neighbour> {
        let mut best: Vec<Neighbour> = Vec::with_capacity(k + 1);
        if !self.nodes.is_empty() {
            self.search(0, x, q, k, &mut best);
        }
        best
    }

    fn search(&self, node: usize, x: &Matrix, q: &[f32], k: usize, best: &mut Vec<Neighbour>) {
        match self.nodes[node] {
            Node::Leaf { start, end } => {
                for &j in &self.order[start..end] {
                    let cand = (squared_distance(x.row(j), q), j);
                    if best.len() < k || closer(&cand, &best[k - 1]).is_lt() {
                        let at = best.partition_point(|b| closer(b, &cand).is_lt());
                        best.insert(at, cand);
                        best.truncate(k);
                    }
                }
            }
            Node::Split {
                dim,
                value,
                left,
                right,
            } => {
                let diff = q[dim] - value;
                let (near, far) = if diff < 0.0 {
                    (left, right)
                } else {
                    (right, left)
                };
                self.search(near, x, q, k, best);
                // Every row across the split is at least `diff^2` away (and float sums of
                // non-negative terms never shrink), so the far side is skipped only when it
                // cannot hold a closer row or an equally close one with a lower index.
                if best.len() < k || diff * diff <= best[k - 1].0 {
                    self.search(far, x, q, k, best);
                }
            }
        }
    }
}

/// The `k` nearest training rows of every query row by blocked matrix products: squared
/// distances `|q|^2 + |r|^2 - 2 q.r` pick candidates (with a margin for their rounding),
/// exact distances of those candidates decide.
pub(crate) fn nearest_by_products(
    train: &Matrix,
    queries: &Matrix,
    k: usize,
) -> Vec<Vec<Neighbour>> {
    let (n, d) = train.shape();
    let norms: Vec<f32> = train
        .iter_rows()
        .map(|r| r.iter().map(|v| v * v).sum())
        .collect();
    let max_norm = norms.iter().copied().fold(0.0f32, f32::max);
    // About 4 MB of products per block.
    let block = (1 << 20) / n.max(1);
    let block = block.clamp(1, 256);
    let rows: Vec<usize> = (0..queries.rows()).collect();
    rows.par_chunks(block)
        .flat_map_iter(|chunk| {
            let m = chunk.len();
            let q = &queries.as_slice()[chunk[0] * d..(chunk[0] + m) * d];
            let mut dots = vec![0.0f32; m * n];
            // SAFETY: the pointers cover `q` (m x d), `train` (n x d, read as its transpose
            // d x n through the strides) and `dots` (m x n), all row-major and in bounds.
            unsafe {
                matrixmultiply::sgemm(
                    m,
                    d,
                    n,
                    1.0,
                    q.as_ptr(),
                    d as isize,
                    1,
                    train.as_slice().as_ptr(),
                    1,
                    d as isize,
                    0.0,
                    dots.as_mut_ptr(),
                    n as isize,
                    1,
                );
            }
            let mut approx: Vec<f32> = Vec::with_capacity(n);
            chunk
                .iter()
                .enumerate()
                .map(|(i, &row)| {
                    let qr = queries.row(row);
                    let qn: f32 = qr.iter().map(|v| v * v).sum();
                    approx.clear();
                    approx.extend(
                        dots[i * n..(i + 1) * n]
                            .iter()
                            .zip(&norms)
                            .map(|(&dot, &rn)| qn + rn - 2.0 * dot),
                    );
                    let mut sorted = approx.clone();
                    let (_, kth, _) = sorted.select_nth_unstable_by(k - 1, f32::total_cmp);
                    // The expanded form is off by at most about (d + 2) ulps of
                    // |q|^2 + |r|^2, for the k-th value and for each candidate: twice that
                    // margin keeps every true neighbour (and every tie) among the candidates.
                    let margin =
                        4.0 * (d as f32 + 2.0) * f32::EPSILON * (qn + max_norm) + f32::MIN_POSITIVE;
                    let limit = *kth + margin;
                    let mut cands: Vec<Neighbour> = approx
                        .iter()
                        .enumerate()
                        .filter(|&(_, &a)| a <= limit)
                        .map(|(j, _)| (squared_distance(train.row(j), qr), j))
                        .collect();
                    cands.sort_unstable_by(closer);
                    cands.truncate(k);
                    cands
                })
                .collect::<Vec<_>>()
        })
        .collect()
}
