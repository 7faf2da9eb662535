//! The shape of one convolution, shared by the convolution and its patch matrix.

/// The shapes of one convolution: `n` images of `c` channels of `h x w` pixels into `co`
/// channels through a `k x k` kernel (odd `k`, zero padding `k / 2`, stride 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvShape {
    /// Images.
    pub n: usize,
    /// Input channels.
    pub c: usize,
    /// Image height.
    pub h: usize,
    /// Image width.
    pub w: usize,
    /// Output channels.
    pub co: usize,
    /// Kernel side (odd).
    pub k: usize,
}

impl ConvShape {
    pub(super) fn pixels(&self) -> usize {
        self.h * self.w
    }

    pub(super) fn patch(&self) -> usize {
        self.c * self.k * self.k
    }
}
