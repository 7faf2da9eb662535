//! A stride-1, "same"-padded 2-D convolution (odd square kernel) on CPU, forward and both
//! gradients, as image-by-image im2col plus one matrix product each.
//!
//! Why it exists: on the flex backend, burn's convolution computes its input gradient as a
//! transposed convolution and its weight gradient as a convolution over swapped batch and
//! channel axes, and together they cost about four forward passes (measured: the digits CNN
//! trained 1.4-2x slower than PyTorch on the same 2 cores). Here every pass is one matrix
//! product per image over a patch matrix that stays in cache:
//!
//! - forward: `out[n] = W [co, c*k*k] x col(x[n]) [c*k*k, h*w] + b`;
//! - input gradient: `dx[n] = col2im(W^T x g[n])`;
//! - weight gradient: `dW = sum_n g[n] x col(x[n])^T`, `db = sum_n,pixels g[n]`.
//!
//! Images are split across rayon's threads; each product runs single-threaded on its image.
//! Layouts are NCHW, contiguous, f32.

use rayon::prelude::*;

use super::patches::{col2im, im2col};
pub use super::shape::ConvShape;

/// Images per parallel task. Each task reuses one patch buffer for its images, and the weight
/// gradient forms one partial sum per block, added in block order, so the result does not
/// depend on how rayon splits the work (float addition is not associative: a
/// thread-dependent order would make training runs differ from one another).
const BLOCK: usize = 8;

/// Images per task of the passes whose values do not depend on the split (forward, input
/// gradient): at most [`BLOCK`], fewer when a small batch would leave threads idle.
fn task_images(n: usize) -> usize {
    n.div_ceil(4 * rayon::current_num_threads()).clamp(1, BLOCK)
}

/// `dst (m x n, row-major) = [dst +] a (m x k) x b (k x n)`, with `a` and `b` given by
/// their row and column strides.
#[allow(clippy::too_many_arguments)]
fn matmul(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    accumulate: bool,
    a: &[f32],
    (a_rs, a_cs): (usize, usize),
    b: &[f32],
    (b_rs, b_cs): (usize, usize),
) {
    assert!(dst.len() >= m * n);
    assert!(m == 0 || k == 0 || a.len() > (m - 1) * a_rs + (k - 1) * a_cs);
    assert!(n == 0 || k == 0 || b.len() > (k - 1) * b_rs + (n - 1) * b_cs);
    // SAFETY: the asserts above keep every index gemm reads or writes inside the slices;
    // dst does not alias a or b (distinct borrows).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.as_ptr(),
            a_cs as isize,
            a_rs as isize,
            b.as_ptr(),
            b_cs as isize,
            b_rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// Runs `f(scratch, out, input)` on every image's output and input, images split into tasks
/// that each own one patch-matrix-sized `scratch` buffer.
fn per_image(
    s: &ConvShape,
    (out, out_len): (&mut [f32], usize),
    (input, in_len): (&[f32], usize),
    f: impl Fn(&mut [f32], &mut [f32], &[f32]) + Sync,
) {
    let block = task_images(s.n);
    out.par_chunks_mut(block * out_len)
        .zip(input.par_chunks(block * in_len))
        .for_each(|(outs, inputs)| {
            let mut scratch = vec![0.0f32; s.patch() * s.pixels()];
            for (out, input) in outs.chunks_mut(out_len).zip(inputs.chunks(in_len)) {
                f(&mut scratch, out, input);
            }
        });
}

/// Adds each plane's sum (`g` holds `db.len()` planes of `hw` values) onto `db`. Each plane
/// is summed left to right, exactly as `iter().sum()` would, but 8 planes advance in lockstep:
/// one running sum is a chain of dependent additions (4 cycles each) that cost as much as the
/// weight gradient's product on 8x8 images, and 8 independent chains overlap. (Splitting one
/// plane's sum into lanes would be as fast but round differently, and the learning results
/// the tests pin down would move.)
fn add_plane_sums(db: &mut [f32], g: &[f32], hw: usize) {
    const LANES: usize = 8;
    for (db, planes) in db.chunks_mut(LANES).zip(g.chunks(LANES * hw)) {
        // -0.0: the start `iter().sum()` folds from.
        let mut sums = [-0.0f32; LANES];
        if db.len() == LANES {
            for p in 0..hw {
                for (lane, sum) in sums.iter_mut().enumerate() {
                    *sum += planes[lane * hw + p];
                }
            }
        } else {
            for (sum, plane) in sums.iter_mut().zip(planes.chunks(hw)) {
                *sum = plane.iter().sum();
            }
        }
        for (b, sum) in db.iter_mut().zip(sums) {
            *b += sum;
        }
    }
}

/// Forward pass: `x` `[n, c, h, w]`, `weight` `[co, c, k, k]`, `bias` `[co]` -> `[n, co, h, w]`.
pub fn conv_forward(x: &[f32], weight: &[f32], bias: Option<&[f32]>, s: &ConvShape) -> Vec<f32> {
    let (hw, patch) = (s.pixels(), s.patch());
    let mut out = vec![0.0f32; s.n * s.co * hw];
    per_image(s, (&mut out, s.co * hw), (x, s.c * hw), |col, out, x| {
        im2col(x, s, col);
        if let Some(bias) = bias {
            for (plane, b) in out.chunks_mut(hw).zip(bias) {
                plane.fill(*b);
            }
        }
        // out [co, hw] = (b +) W [co, patch] x col [patch, hw]
        matmul(
            s.co,
            hw,
            patch,
            out,
            bias.is_some(),
            weight,
            (patch, 1),
            col,
            (hw, 1),
        );
    });
    out
}

/// Gradient with respect to the input, from the output gradient `grad` `[n, co, h, w]`.
pub fn conv_input_grad(grad: &[f32], weight: &[f32], s: &ConvShape) -> Vec<f32> {
    let (hw, patch) = (s.pixels(), s.patch());
    // Zeroed here once: col2im adds onto it.
    let mut dx = vec![0.0f32; s.n * s.c * hw];
    per_image(s, (&mut dx, s.c * hw), (grad, s.co * hw), |dcol, dx, g| {
        // dcol [patch, hw] = W^T [patch, co] x g [co, hw]
        matmul(patch, hw, s.co, dcol, false, weight, (1, patch), g, (hw, 1));
        col2im(dcol, s, dx);
    });
    dx
}

/// Gradients with respect to the weight `[co, c, k, k]` and the bias `[co]`.
pub fn conv_weight_grad(x: &[f32], grad: &[f32], s: &ConvShape) -> (Vec<f32>, Vec<f32>) {
    let (hw, patch) = (s.pixels(), s.patch());
    let partials: Vec<(Vec<f32>, Vec<f32>)> = x
        .par_chunks(BLOCK * s.c * hw)
        .zip(grad.par_chunks(BLOCK * s.co * hw))
        .map(|(xs, gs)| {
            let mut col = vec![0.0f32; patch * hw];
            let mut dw = vec![0.0f32; s.co * patch];
            let mut db = vec![0.0f32; s.co];
            for (x, g) in xs.chunks(s.c * hw).zip(gs.chunks(s.co * hw)) {
                im2col(x, s, &mut col);
                // dW [co, patch] += g [co, hw] x col^T [hw, patch]
                matmul(s.co, patch, hw, &mut dw, true, g, (hw, 1), &col, (1, hw));
                add_plane_sums(&mut db, g, hw);
            }
            (dw, db)
        })
        .collect();
    let mut dw = vec![0.0f32; s.co * patch];
    let mut db = vec![0.0f32; s.co];
    for (pw, pb) in partials {
        dw.iter_mut().zip(&pw).for_each(|(a, b)| *a += b);
        db.iter_mut().zip(&pb).for_each(|(a, b)| *a += b);
    }
    (dw, db)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(n: usize, c: usize, h: usize, w: usize, co: usize, k: usize) -> ConvShape {
        ConvShape { n, c, h, w, co, k }
    }

    /// Direct definition of the convolution, for reference.
    fn naive(x: &[f32], weight: &[f32], bias: &[f32], s: &ConvShape) -> Vec<f32> {
        let (h, w, k) = (s.h as isize, s.w as isize, s.k as isize);
        let p = k / 2;
        let mut out = vec![0.0; s.n * s.co * s.h * s.w];
        for n in 0..s.n {
            for o in 0..s.co {
                for i in 0..h {
                    for j in 0..w {
                        let mut acc = bias[o];
                        for c in 0..s.c {
                            for ki in 0..k {
                                for kj in 0..k {
                                    let (y, z) = (i + ki - p, j + kj - p);
                                    if y < 0 || y >= h || z < 0 || z >= w {
                                        continue;
                                    }
                                    let xi = ((n * s.c + c) * s.h + y as usize) * s.w + z as usize;
                                    let wi =
                                        ((o * s.c + c) * s.k + ki as usize) * s.k + kj as usize;
                                    acc += x[xi] * weight[wi];
                                }
                            }
                        }
                        out[((n * s.co + o) * s.h + i as usize) * s.w + j as usize] = acc;
                    }
                }
            }
        }
        out
    }

    fn values(len: usize, seed: u32) -> Vec<f32> {
        (0..len)
            .map(|i| {
                (((i as u32).wrapping_mul(2654435761).wrapping_add(seed) >> 8) % 1000) as f32
                    / 500.0
                    - 1.0
            })
            .collect()
    }

    fn dot(a: &[f32], b: &[f32]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(a, b)| (*a as f64) * (*b as f64))
            .sum()
    }

    #[test]
    fn plane_sums_are_the_bits_of_a_left_to_right_sum() {
        for (planes, hw) in [(13, 64), (8, 5), (3, 7)] {
            let g: Vec<f32> = values(planes * hw, 9).iter().map(|v| v * 1e3).collect();
            let mut db = vec![0.5f32; planes];
            add_plane_sums(&mut db, &g, hw);
            for (b, plane) in db.iter().zip(g.chunks(hw)) {
                assert_eq!(b.to_bits(), (0.5 + plane.iter().sum::<f32>()).to_bits());
            }
        }
    }

    #[test]
    fn the_weight_gradient_is_the_same_on_any_thread_count() {
        let s = shape(37, 3, 6, 5, 4, 3);
        let x = values(s.n * s.c * s.h * s.w, 5);
        let g = values(s.n * s.co * s.h * s.w, 6);
        let on = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| conv_weight_grad(&x, &g, &s))
        };
        let one = on(1);
        for threads in [2, 3, 7] {
            assert_eq!(on(threads), one, "{threads} threads");
        }
    }

    #[test]
    fn forward_matches_the_definition_and_gradients_are_its_adjoints() {
        for s in [
            shape(3, 2, 5, 7, 4, 3),
            shape(2, 3, 6, 4, 2, 5),
            shape(1, 1, 1, 2, 3, 3),
        ] {
            let x = values(s.n * s.c * s.h * s.w, 1);
            let weight = values(s.co * s.c * s.k * s.k, 2);
            let bias = values(s.co, 3);
            let out = conv_forward(&x, &weight, Some(&bias), &s);
            for (a, b) in out.iter().zip(naive(&x, &weight, &bias, &s)) {
                assert!((a - b).abs() < 1e-4, "{a} vs {b}");
            }
            // <g, conv(x)> is linear in x and in W: its gradients are the adjoints.
            let g = values(out.len(), 4);
            let zero = vec![0.0; s.co];
            let plain = conv_forward(&x, &weight, Some(&zero), &s);
            let dx = conv_input_grad(&g, &weight, &s);
            let (dw, db) = conv_weight_grad(&x, &g, &s);
            let lhs = dot(&g, &plain);
            assert!((lhs - dot(&dx, &x)).abs() < 1e-3 * lhs.abs().max(1.0));
            assert!((lhs - dot(&dw, &weight)).abs() < 1e-3 * lhs.abs().max(1.0));
            let expected_db: Vec<f32> = (0..s.co)
                .map(|o| {
                    (0..s.n)
                        .map(|n| {
                            g[(n * s.co + o) * s.h * s.w..][..s.h * s.w]
                                .iter()
                                .sum::<f32>()
                        })
                        .sum()
                })
                .collect();
            for (a, b) in db.iter().zip(expected_db) {
                assert!((a - b).abs() < 1e-3, "{a} vs {b}");
            }
        }
    }
}
