//! Means with 95% confidence intervals over evaluation tasks.

/// A mean and the half-width of its 95% normal-approximation interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanInterval {
    /// The mean.
    pub mean: f64,
    /// 1.96 standard errors.
    pub half_width: f64,
    /// Samples averaged.
    pub n: usize,
}

impl MeanInterval {
    /// Mean and interval of `values` (zeros for none).
    pub fn of(values: &[f64]) -> Self {
        let n = values.len();
        if n == 0 {
            return Self {
                mean: 0.0,
                half_width: 0.0,
                n,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let var = if n > 1 {
            values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        Self {
            mean,
            half_width: 1.96 * (var / n as f64).sqrt(),
            n,
        }
    }
}

impl std::fmt::Display for MeanInterval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.4} ± {:.4}", self.mean, self.half_width)
    }
}

/// The process's resident memory in bytes (Linux: `/proc/self/statm`; `None` elsewhere).
pub fn resident_memory() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_of_known_values() {
        let m = MeanInterval::of(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m.mean, 2.5);
        // sample std 1.2910; se 0.6455; x1.96
        assert!((m.half_width - 1.2652).abs() < 1e-3, "{}", m.half_width);
        assert_eq!(MeanInterval::of(&[]).n, 0);
    }
}
