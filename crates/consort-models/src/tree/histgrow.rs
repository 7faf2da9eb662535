//! Growing one regression tree on per-sample gradients and hessians over binned features
//! (the tree of one boosting step): histograms of gradient sums per bin, the best split of a
//! leaf from one scan of its histogram, the smaller child's histogram built and the larger's
//! obtained by subtraction, leaves split best-first up to `max_leaf_nodes`, and Newton leaf
//! values `-G / (H + l2)`.

use serde::{Deserialize, Serialize};

use super::binning::BinMapper;

/// Limits of one tree.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GrowParams {
    pub max_leaf_nodes: usize,
    pub max_depth: Option<usize>,
    pub min_samples_leaf: usize,
    pub l2: f64,
    /// Leaf values are multiplied by this (the learning rate).
    pub shrinkage: f64,
}

/// A node of a fitted tree; thresholds are raw feature values (bin edges), so prediction
/// needs no binning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum HistNode {
    Leaf(f32),
    Split {
        feature: u32,
        threshold: f32,
        left: u32,
        right: u32,
    },
}

/// A fitted tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct HistTree {
    nodes: Vec<HistNode>,
}

impl HistTree {
    /// The leaf value of `row` (raw features).
    pub fn predict(&self, row: &[f32]) -> f32 {
        let mut i = 0;
        loop {
            match self.nodes[i] {
                HistNode::Leaf(v) => return v,
                HistNode::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    i = if row[feature as usize] <= threshold {
                        left as usize
                    } else {
                        right as usize
                    }
                }
            }
        }
    }

    /// Depth of the deepest leaf.
    pub fn depth(&self) -> usize {
        fn walk(nodes: &[HistNode], i: usize) -> usize {
            match nodes[i] {
                HistNode::Leaf(_) => 0,
                HistNode::Split { left, right, .. } => {
                    1 + walk(nodes, left as usize).max(walk(nodes, right as usize))
                }
            }
        }
        walk(&self.nodes, 0)
    }
}

/// Binned training data: `binned[j * n + i]`, with per-feature offsets into a histogram.
pub(crate) struct Binned<'a> {
    pub codes: &'a [u8],
    pub n: usize,
    pub mapper: &'a BinMapper,
    offsets: Vec<usize>,
    total_bins: usize,
}

impl<'a> Binned<'a> {
    pub fn new(codes: &'a [u8], n: usize, mapper: &'a BinMapper) -> Self {
        let mut offsets = Vec::with_capacity(mapper.edges.len());
        let mut total_bins = 0;
        for j in 0..mapper.edges.len() {
            offsets.push(total_bins);
            total_bins += mapper.n_bins(j);
        }
        Self {
            codes,
            n,
            mapper,
            offsets,
            total_bins,
        }
    }

    fn code(&self, j: usize, i: usize) -> u8 {
        self.codes[j * self.n + i]
    }

    /// Gradient sum, hessian sum and count per bin of every feature over `rows`.
    fn histogram(&self, rows: &[usize], g: &[f32], h: &[f32]) -> Vec<[f64; 3]> {
        let mut hist = vec![[0.0; 3]; self.total_bins];
        for (j, &base) in self.offsets.iter().enumerate() {
            let column = &self.codes[j * self.n..(j + 1) * self.n];
            for &i in rows {
                let cell = &mut hist[base + column[i] as usize];
                cell[0] += f64::from(g[i]);
                cell[1] += f64::from(h[i]);
                cell[2] += 1.0;
            }
        }
        hist
    }
}

/// The training rows of each leaf of a grown tree, with the leaf's value.
pub(crate) type LeafRows = Vec<(Vec<usize>, f32)>;

struct Split {
    gain: f64,
    feature: usize,
    bin: usize,
}

/// A current leaf of the growing tree.
struct Leaf {
    node: usize,
    rows: Vec<usize>,
    hist: Vec<[f64; 3]>,
    sums: [f64; 2],
    depth: usize,
    split: Option<Split>,
}

fn score(g: f64, h: f64, l2: f64) -> f64 {
    g * g / (h + l2)
}

impl Binned<'_> {
    fn best_split(&self, leaf: &Leaf, p: &GrowParams) -> Option<Split> {
        if p.max_depth.is_some_and(|d| leaf.depth >= d) || leaf.rows.len() < 2 * p.min_samples_leaf
        {
            return None;
        }
        let [g, h] = leaf.sums;
        let n = leaf.rows.len() as f64;
        let parent = score(g, h, p.l2);
        let min_leaf = p.min_samples_leaf as f64;
        let mut best: Option<Split> = None;
        for (j, &base) in self.offsets.iter().enumerate() {
            let bins = self.mapper.n_bins(j);
            let (mut gl, mut hl, mut nl) = (0.0, 0.0, 0.0);
            for b in 0..bins - 1 {
                let [cg, ch, cn] = leaf.hist[base + b];
                gl += cg;
                hl += ch;
                nl += cn;
                if nl < min_leaf {
                    continue;
                }
                if n - nl < min_leaf {
                    break;
                }
                let gain = score(gl, hl, p.l2) + score(g - gl, h - hl, p.l2) - parent;
                if gain > 1e-12 && best.as_ref().is_none_or(|s| gain > s.gain) {
                    best = Some(Split {
                        gain,
                        feature: j,
                        bin: b,
                    });
                }
            }
        }
        best
    }

    /// Grows one tree on `rows` with gradients `g` and hessians `h`; returns it and, per
    /// leaf, the training rows it holds and its value (to update the training scores without
    /// traversing the tree again).
    pub fn grow(
        &self,
        rows: Vec<usize>,
        g: &[f32],
        h: &[f32],
        p: &GrowParams,
    ) -> (HistTree, LeafRows) {
        let hist = self.histogram(&rows, g, h);
        let sums = sums_of(&hist, self.offsets.get(1).copied().unwrap_or(hist.len()));
        let mut nodes = vec![HistNode::Leaf(0.0)];
        let mut root = Leaf {
            node: 0,
            rows,
            hist,
            sums,
            depth: 0,
            split: None,
        };
        root.split = self.best_split(&root, p);
        let mut leaves = vec![root];
        while leaves.len() < p.max_leaf_nodes.max(2) {
            let Some(best) = leaves
                .iter()
                .enumerate()
                .filter_map(|(k, l)| l.split.as_ref().map(|s| (k, s.gain)))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(k, _)| k)
            else {
                break;
            };
            let parent = leaves.swap_remove(best);
            let split = parent.split.as_ref().expect("chosen for its split");
            let (feature, bin) = (split.feature, split.bin);
            let (left_rows, right_rows): (Vec<usize>, Vec<usize>) = parent
                .rows
                .iter()
                .partition(|&&i| self.code(feature, i) as usize <= bin);
            // Build the smaller child's histogram; the larger one is the difference.
            let left_is_small = left_rows.len() <= right_rows.len();
            let small = if left_is_small {
                &left_rows
            } else {
                &right_rows
            };
            let small_hist = self.histogram(small, g, h);
            let large_hist: Vec<[f64; 3]> = parent
                .hist
                .iter()
                .zip(&small_hist)
                .map(|(a, b)| [a[0] - b[0], a[1] - b[1], a[2] - b[2]])
                .collect();
            let (left_hist, right_hist) = if left_is_small {
                (small_hist, large_hist)
            } else {
                (large_hist, small_hist)
            };
            let first = self.offsets.get(1).copied().unwrap_or(left_hist.len());
            let left_index = nodes.len();
            nodes.push(HistNode::Leaf(0.0));
            nodes.push(HistNode::Leaf(0.0));
            nodes[parent.node] = HistNode::Split {
                feature: feature as u32,
                threshold: self.mapper.edges[feature][bin],
                left: left_index as u32,
                right: left_index as u32 + 1,
            };
            for (k, (rows, hist)) in [(left_rows, left_hist), (right_rows, right_hist)]
                .into_iter()
                .enumerate()
            {
                let mut child = Leaf {
                    node: left_index + k,
                    sums: sums_of(&hist, first),
                    rows,
                    hist,
                    depth: parent.depth + 1,
                    split: None,
                };
                child.split = self.best_split(&child, p);
                leaves.push(child);
            }
        }
        let mut assignments = Vec::with_capacity(leaves.len());
        for leaf in leaves {
            let [g, h] = leaf.sums;
            let value = (-g / (h + p.l2) * p.shrinkage) as f32;
            nodes[leaf.node] = HistNode::Leaf(value);
            assignments.push((leaf.rows, value));
        }
        (HistTree { nodes }, assignments)
    }
}

/// Gradient and hessian totals of a node, read off the first feature's bins.
fn sums_of(hist: &[[f64; 3]], first_feature_bins: usize) -> [f64; 2] {
    hist[..first_feature_bins]
        .iter()
        .fold([0.0, 0.0], |[g, h], c| [g + c[0], h + c[1]])
}

impl HistTree {
    /// At least one node; split features in `0..n_features`; children after their parent and
    /// inside the tree (no cycle); finite leaves.
    pub(crate) fn check(&self, n_features: usize) -> consort_core::Result<()> {
        use consort_core::io::ensure;
        ensure(!self.nodes.is_empty(), || "a tree without nodes".into())?;
        for (i, node) in self.nodes.iter().enumerate() {
            match *node {
                HistNode::Leaf(v) => ensure(v.is_finite(), || {
                    format!("tree node {i}: a leaf value that is not finite")
                })?,
                HistNode::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    let children = i + 1..self.nodes.len();
                    ensure(
                        (feature as usize) < n_features
                            && !threshold.is_nan()
                            && children.contains(&(left as usize))
                            && children.contains(&(right as usize)),
                        || {
                            format!(
                                "tree node {i}: split on feature {feature} of {n_features} to \
                                 children {left} and {right} of {} nodes (children must follow \
                                 their parent)",
                                self.nodes.len()
                            )
                        },
                    )?
                }
            }
        }
        Ok(())
    }
}
