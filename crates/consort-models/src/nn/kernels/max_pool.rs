//! Max-pooling with a window equal to its stride (no padding, no overlap; trailing rows and
//! columns that do not fill a window are dropped, as burn and PyTorch do by default).
//!
//! The forward pass records, for every output, the offset of its maximum within the input
//! plane, so the backward pass is one scatter (burn-flex recomputes the windows through a
//! general pooling path and costs about 7x this on the 28x28 CNN's layer).

use rayon::prelude::*;

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
    out.par_chunks_mut(oh * ow)
        .zip(arg.par_chunks_mut(oh * ow))
        .zip(x.par_chunks(s.h * s.w))
        .for_each(|((out, arg), plane)| {
            for i in 0..oh {
                for j in 0..ow {
                    let mut best = f32::NEG_INFINITY;
                    let mut at = (i * s.k) * s.w + j * s.k;
                    for di in 0..s.k {
                        let row = (i * s.k + di) * s.w + j * s.k;
                        for (dj, &v) in plane[row..row + s.k].iter().enumerate() {
                            // NaN propagates: it wins against any number.
                            if v > best || v.is_nan() && !best.is_nan() {
                                best = v;
                                at = row + dj;
                            }
                        }
                    }
                    out[i * ow + j] = best;
                    arg[i * ow + j] = at as u32;
                }
            }
        });
    (out, arg)
}

/// The input gradient: each output's gradient lands on its maximum, zeros elsewhere.
pub fn max_pool_backward(grad: &[f32], arg: &[u32], s: &PoolShape) -> Vec<f32> {
    let (oh, ow) = s.out_hw();
    let mut dx = vec![0.0f32; s.planes * s.h * s.w];
    dx.par_chunks_mut(s.h * s.w)
        .zip(grad.par_chunks(oh * ow).zip(arg.par_chunks(oh * ow)))
        .for_each(|(dx, (g, arg))| {
            for (&g, &at) in g.iter().zip(arg) {
                dx[at as usize] += g;
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
}
