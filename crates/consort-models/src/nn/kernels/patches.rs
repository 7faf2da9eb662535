//! The patch matrix of a stride-1 "same" convolution: `im2col` lays each kernel tap's view
//! of an image out as one row, `col2im` adds such rows back onto the image (its adjoint).

use super::shape::ConvShape;

/// Where kernel tap `(ki, kj)` reads from: output pixel `t = i*w + j` takes input pixel
/// `t + offset` when `i` lies in `rows` and `j` in `cols`, zero padding elsewhere. Within
/// `flat`, `t + offset` stays inside the plane, so one contiguous shifted pass over `flat`
/// covers every valid pixel; the other pixels in `flat` belong to `cols`' complement and are
/// masked separately. Treating a tap as one shifted slice instead of row by row is what
/// makes small images (8x8 digits: 8-float rows) cheap.
pub(super) struct Tap {
    offset: isize,
    cols: std::ops::Range<usize>,
    rows: std::ops::Range<usize>,
    flat: std::ops::Range<usize>,
}

impl Tap {
    fn new(s: &ConvShape, ki: usize, kj: usize) -> Self {
        let (h, w, p) = (s.h as isize, s.w as isize, (s.k / 2) as isize);
        let (di, dj) = (ki as isize - p, kj as isize - p);
        let clamp = |v: isize, hi: isize| v.clamp(0, hi) as usize;
        let rows = clamp(-di, h)..clamp(h - di, h);
        let cols = clamp(-dj, w)..clamp(w - dj, w);
        let offset = di * w + dj;
        let lo = (rows.start * s.w).max(clamp(-offset, h * w));
        let hi = (rows.end * s.w).min(clamp(h * w - offset, h * w)).max(lo);
        Self {
            offset,
            cols,
            rows,
            flat: lo..hi,
        }
    }

    /// Sets the entries of `rows` (whole lines of `w`) whose column lies outside `cols` to
    /// zero. Column by column: on 8-pixel lines, a fill per line is a `memset` call for one
    /// float, and those calls cost more than the patch copies.
    fn mask_columns(&self, rows: &mut [f32], w: usize) {
        for c in (0..self.cols.start).chain(self.cols.end..w) {
            for v in rows.iter_mut().skip(c).step_by(w) {
                *v = 0.0;
            }
        }
    }
}

/// `col[(ci*k + ki)*k + kj][i*w + j] = x[ci][i + ki - p][j + kj - p]` (0 outside the image).
pub(super) fn im2col(x: &[f32], s: &ConvShape, col: &mut [f32]) {
    let (hw, k) = (s.pixels(), s.k);
    for ki in 0..k {
        for kj in 0..k {
            let tap = Tap::new(s, ki, kj);
            for ci in 0..s.c {
                let plane = &x[ci * hw..(ci + 1) * hw];
                let row = &mut col[((ci * k + ki) * k + kj) * hw..][..hw];
                row[..tap.flat.start].fill(0.0);
                row[tap.flat.end..].fill(0.0);
                if !tap.flat.is_empty() {
                    let src = (tap.flat.start as isize + tap.offset) as usize;
                    row[tap.flat.clone()].copy_from_slice(&plane[src..src + tap.flat.len()]);
                }
                tap.mask_columns(&mut row[tap.rows.start * s.w..tap.rows.end * s.w], s.w);
            }
        }
    }
}

/// The adjoint of [`im2col`]: adds each patch entry onto its pixel of `x` (which the caller
/// zeroes). Zeroes the padding entries of `col` on the way (it is scratch), so that each tap
/// is one shifted addition.
pub(super) fn col2im(col: &mut [f32], s: &ConvShape, x: &mut [f32]) {
    let (hw, k) = (s.pixels(), s.k);
    for ci in 0..s.c {
        let plane = &mut x[ci * hw..(ci + 1) * hw];
        for ki in 0..k {
            for kj in 0..k {
                let tap = Tap::new(s, ki, kj);
                let row = &mut col[((ci * k + ki) * k + kj) * hw..][..hw];
                if tap.flat.is_empty() {
                    continue;
                }
                tap.mask_columns(&mut row[tap.rows.start * s.w..tap.rows.end * s.w], s.w);
                let dst = (tap.flat.start as isize + tap.offset) as usize;
                for (d, v) in plane[dst..dst + tap.flat.len()]
                    .iter_mut()
                    .zip(&row[tap.flat.clone()])
                {
                    *d += v;
                }
            }
        }
    }
}
