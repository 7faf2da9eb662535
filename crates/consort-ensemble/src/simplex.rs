//! Minimising a convex loss over the probability simplex (ensemble weights).

/// Iterations of exponentiated gradient at most.
const MAX_ITER: usize = 500;
/// Stop when a step improves the loss by less than this (relative).
const TOL: f64 = 1e-10;

/// Minimises `loss` over weights `w >= 0, sum w = 1` by exponentiated gradient descent
/// (mirror descent with the entropy, the natural geometry of the simplex) with backtracking:
/// a step is taken only if it lowers the loss, so the result is never worse than the uniform
/// start. `loss` returns the value and the gradient.
pub(crate) fn minimise_on_simplex(n: usize, loss: impl Fn(&[f64]) -> (f64, Vec<f64>)) -> Vec<f64> {
    let mut w = vec![1.0 / n as f64; n];
    if n == 1 {
        return w;
    }
    let (mut value, mut grad) = loss(&w);
    let mut step = 1.0;
    for _ in 0..MAX_ITER {
        // Scale-free step: the gradient's spread sets the unit.
        let spread = grad.iter().cloned().fold(f64::MIN, f64::max)
            - grad.iter().cloned().fold(f64::MAX, f64::min);
        if spread <= 0.0 || !spread.is_finite() {
            break;
        }
        let mut accepted = false;
        while step > 1e-8 {
            let mut candidate: Vec<f64> = w
                .iter()
                .zip(&grad)
                .map(|(wi, g)| wi * (-step * g / spread).exp())
                .collect();
            let total: f64 = candidate.iter().sum();
            candidate.iter_mut().for_each(|c| *c /= total);
            let (v, g) = loss(&candidate);
            if v.is_finite() && v < value {
                let gain = (value - v) / value.abs().max(1e-12);
                w = candidate;
                value = v;
                grad = g;
                accepted = true;
                step *= 2.0;
                if gain < TOL {
                    return w;
                }
                break;
            }
            step /= 2.0;
        }
        if !accepted {
            break;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_constrained_minimum_of_a_quadratic() {
        // min (w0 - 0.9)^2 + (w1 - 0.3)^2 + w2^2 on the simplex: w = (0.8, 0.2, 0).
        let target = [0.9, 0.3, 0.0];
        let w = minimise_on_simplex(3, |w| {
            let v = w.iter().zip(&target).map(|(a, b)| (a - b).powi(2)).sum();
            let g = w.iter().zip(&target).map(|(a, b)| 2.0 * (a - b)).collect();
            (v, g)
        });
        assert!((w[0] - 0.8).abs() < 1e-3, "{w:?}");
        assert!((w[1] - 0.2).abs() < 1e-3, "{w:?}");
        assert!(w[2] < 1e-3, "{w:?}");
    }
}
