//! Max-pooling with a window equal to its stride (no padding, no overlap; trailing rows and
//! columns that do not fill a window are dropped, as burn and PyTorch do by default).
//!
//! The forward pass records, for every output, the offset of its maximum within the input
//! plane, so the backward pass is one scatter (burn-flex recomputes the windows through a
//! general pooling path and costs about 7x this on the 28x28 CNN's layer).

use rayon::prelude::*;

/// Planes per parallel task, at least.
const PLANES_PER_TASK: usize = 64;

/// `n * c` planes of `h x w` pooled by `k x k` windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolShape {
    /// Planes (images times channels).
    pub planes: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Window side and stride.
    pub k: usize,
}

impl PoolShape {
    /// Output height and width.
    pub fn out_hw(&self) -> (usize, usize) {
        (self.h / self.k, self.w / self.k)
    }
}

/// The pooled planes and, per output, the offset of the maximum within its input plane
/// (the first one on ties, like PyTorch).
pub fn max_pool_forward(x: &[f32], s: &PoolShape) -> (Vec<f32>, Vec<u32>) {
    let (oh, ow) = s.out_hw();
    let mut out = vec![0.0f32; s.planes * oh * ow];
    let mut arg = vec![0u32; s.planes * oh * ow];
    let (out_len, in_len) = (oh * ow, s.h * s.w);
    // Small planes (4x4 outputs on the digits) are too little work for a task each.
    let planes = PLANES_PER_TASK;
    out.par_chunks_mut(planes * out_len)
        .zip(arg.par_chunks_mut(planes * out_len))
        .zip(x.par_chunks(planes * in_len))
        .for_each(|((outs, args), xs)| {
            let planes = outs
                .chunks_mut(out_len)
                .zip(args.chunks_mut(out_len))
                .zip(xs.chunks(in_len));
            for ((out, arg), plane) in planes {
                match s.k {
                    // A window size known at compile time unrolls the window loops.
                    2 => pool_plane_2(plane, out, arg, s.w, ow),
                    _ => pool_plane_k(plane, out, arg, s.w, ow, s.k),
                }
            }
        });
    (out, arg)
}

/// The first of two candidates that is largest, NaN propagating (the first NaN wins), with
/// its offset. Selected through bit masks, without branches: a branch on these
/// data-dependent comparisons mispredicts about half the time (ReLU outputs), and LLVM
/// keeps `if`-selects as branches here.
#[inline(always)]
fn first_max((a, ia): (f32, u32), (b, ib): (f32, u32)) -> (f32, u32) {
    // `!(b <= a)`: b larger, or b NaN (unordered); `!a.is_nan()`: a NaN already won.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    let take_b = (!a.is_nan() & !(b <= a)) as u32;
    let mask = take_b.wrapping_neg();
    let best = f32::from_bits((b.to_bits() & mask) | (a.to_bits() & !mask));
    (best, (ib & mask) | (ia & !mask))
}

/// One plane of [`max_pool_forward`] for 2x2 windows, as a tournament (two pairs, then
/// their winners) that keeps the first-largest rule of the row-major scan: the dependency
/// chain per window is two selects deep instead of four, and windows vectorise.
fn pool_plane_2(plane: &[f32], out: &mut [f32], arg: &mut [u32], w: usize, ow: usize) {
    for (i, (out, arg)) in out.chunks_mut(ow).zip(arg.chunks_mut(ow)).enumerate() {
        let top = &plane[2 * i * w..][..2 * ow];
        let bottom = &plane[(2 * i + 1) * w..][..2 * ow];
        let origin = (2 * i * w) as u32;
        let w = w as u32;
        for (j, ((out, arg), (t, b))) in out
            .iter_mut()
            .zip(arg.iter_mut())
            .zip(top.chunks_exact(2).zip(bottom.chunks_exact(2)))
            .enumerate()
        {
            let at = origin + 2 * j as u32;
            let upper = first_max((t[0], at), (t[1], at + 1));
            let lower = first_max((b[0], at + w), (b[1], at + w + 1));
            (*out, *arg) = first_max(upper, lower);
        }
    }
}

/// One plane of [`max_pool_forward`]: `out` and `arg` hold `out.len() / ow` rows of `ow`.
fn pool_plane_k(plane: &[f32], out: &mut [f32], arg: &mut [u32], w: usize, ow: usize, k: usize) {
    for (i, (out, arg)) in out.chunks_mut(ow).zip(arg.chunks_mut(ow)).enumerate() {
        for (j, (out, arg)) in out.iter_mut().zip(arg.iter_mut()).enumerate() {
            let mut best = f32::NEG_INFINITY;
            let mut at = ((i * k) * w + j * k) as u32;
            for di in 0..k {
                let row = (i * k + di) * w + j * k;
                for (dj, &v) in plane[row..row + k].iter().enumerate() {
                    (best, at) = first_max((best, at), (v, (row + dj) as u32));
                }
            }
            *out = best;
            *arg = at;
        }
    }
}

/// The input gradient: each output's gradient lands on its maximum, zeros elsewhere.
pub fn max_pool_backward(grad: &[f32], arg: &[u32], s: &PoolShape) -> Vec<f32> {
    let (oh, ow) = s.out_hw();
    let mut dx = vec![0.0f32; s.planes * s.h * s.w];
    let (out_len, in_len) = (oh * ow, s.h * s.w);
    let planes = PLANES_PER_TASK;
    dx.par_chunks_mut(planes * in_len)
        .zip(grad.par_chunks(planes * out_len))
        .zip(arg.par_chunks(planes * out_len))
        .for_each(|((dxs, gs), args)| {
            let planes = dxs
                .chunks_mut(in_len)
                .zip(gs.chunks(out_len))
                .zip(args.chunks(out_len));
            for ((dx, g), arg) in planes {
                for (&g, &at) in g.iter().zip(arg) {
                    dx[at as usize] += g;
                }
            }
        });
    dx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_windows_and_routes_gradients_to_their_maxima() {
        // One 3x5 plane pooled by 2: the last row and column are dropped.
        let x = [
            1.0, 5.0, 2.0, 0.0, 9.0, //
            3.0, 4.0, 7.0, 7.0, 9.0, //
            9.0, 9.0, 9.0, 9.0, 9.0,
        ];
        let s = PoolShape {
            planes: 1,
            h: 3,
            w: 5,
            k: 2,
        };
        let (out, arg) = max_pool_forward(&x, &s);
        assert_eq!(out, vec![5.0, 7.0]);
        assert_eq!(arg, vec![1, 7]);
        let dx = max_pool_backward(&[10.0, 20.0], &arg, &s);
        let mut expected = vec![0.0; 15];
        expected[1] = 10.0;
        expected[7] = 20.0;
        assert_eq!(dx, expected);
    }

    /// The row-major scan that defines the result: the first maximum, the first NaN if any.
    fn reference(x: &[f32], s: &PoolShape) -> (Vec<f32>, Vec<u32>) {
        let (oh, ow) = s.out_hw();
        let mut out = Vec::new();
        let mut arg = Vec::new();
        for plane in x.chunks(s.h * s.w) {
            for i in 0..oh {
                for j in 0..ow {
                    let (mut best, mut at) = (f32::NEG_INFINITY, (i * s.k * s.w + j * s.k) as u32);
                    for di in 0..s.k {
                        for dj in 0..s.k {
                            let o = (i * s.k + di) * s.w + j * s.k + dj;
                            let v = plane[o];
                            if best.is_nan() {
                                continue;
                            }
                            if v.is_nan() || v > best {
                                (best, at) = (v, o as u32);
                            }
                        }
                    }
                    out.push(best);
                    arg.push(at);
                }
            }
        }
        (out, arg)
    }

    #[test]
    fn ties_nans_and_infinities_follow_the_row_major_scan() {
        let palette = [f32::NEG_INFINITY, -1.0, 0.0, 0.0, 0.0, 1.0, 2.0, f32::NAN];
        for (k, h, w) in [(2, 6, 8), (2, 5, 7), (3, 7, 6), (4, 8, 9)] {
            let s = PoolShape {
                planes: 70,
                h,
                w,
                k,
            };
            let x: Vec<f32> = (0..s.planes * h * w)
                .map(|i| palette[((i as u32).wrapping_mul(2654435761) >> 13) as usize % 8])
                .collect();
            let (out, arg) = max_pool_forward(&x, &s);
            let (want, want_arg) = reference(&x, &s);
            assert_eq!(arg, want_arg, "k = {k}");
            for (a, b) in out.iter().zip(&want) {
                assert!(a == b || a.is_nan() && b.is_nan(), "k = {k}: {a} vs {b}");
            }
        }
    }
}
