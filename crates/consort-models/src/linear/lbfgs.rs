//! Limited-memory BFGS for smooth unconstrained minimisation (Nocedal & Wright, alg. 7.4/7.5),
//! with a backtracking Armijo line search.

/// Stopping rules and memory of [`minimize`].
#[derive(Debug, Clone, Copy)]
pub struct LbfgsOptions {
    /// Iterations at most.
    pub max_iter: usize,
    /// Stop when the largest gradient component falls below this.
    pub grad_tol: f64,
    /// Correction pairs kept.
    pub memory: usize,
}

impl Default for LbfgsOptions {
    fn default() -> Self {
        Self {
            max_iter: 500,
            grad_tol: 1e-5,
            memory: 10,
        }
    }
}

/// What [`minimize`] reached.
#[derive(Debug, Clone)]
pub struct LbfgsResult {
    /// The minimiser found.
    pub x: Vec<f64>,
    /// Objective at `x`.
    pub value: f64,
    /// Iterations taken.
    pub iterations: usize,
    /// Whether the gradient tolerance was met (rather than the iteration cap or a stalled search).
    pub converged: bool,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Minimises `f`, which writes the gradient into its second argument and returns the value.
pub fn minimize(
    mut f: impl FnMut(&[f64], &mut [f64]) -> f64,
    x0: Vec<f64>,
    options: LbfgsOptions,
) -> LbfgsResult {
    let n = x0.len();
    let mut x = x0;
    let mut g = vec![0.0; n];
    let mut value = f(&x, &mut g);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];

    for iter in 0..options.max_iter {
        let g_max = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if g_max < options.grad_tol {
            return LbfgsResult {
                x,
                value,
                iterations: iter,
                converged: true,
            };
        }
        // Two-loop recursion: d = -H g.
        let mut q = g.clone();
        let mut alphas = vec![0.0; s_hist.len()];
        for k in (0..s_hist.len()).rev() {
            let rho = 1.0 / dot(&y_hist[k], &s_hist[k]);
            alphas[k] = rho * dot(&s_hist[k], &q);
            q.iter_mut()
                .zip(&y_hist[k])
                .for_each(|(qi, yi)| *qi -= alphas[k] * yi);
        }
        let gamma = match (s_hist.last(), y_hist.last()) {
            (Some(s), Some(y)) => dot(s, y) / dot(y, y),
            // First step: scale so that the step has unit length.
            _ => 1.0 / g.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-12),
        };
        q.iter_mut().for_each(|v| *v *= gamma);
        for k in 0..s_hist.len() {
            let rho = 1.0 / dot(&y_hist[k], &s_hist[k]);
            let beta = rho * dot(&y_hist[k], &q);
            q.iter_mut()
                .zip(&s_hist[k])
                .for_each(|(qi, si)| *qi += (alphas[k] - beta) * si);
        }
        let mut d: Vec<f64> = q.iter().map(|v| -v).collect();
        let mut slope = dot(&g, &d);
        if slope >= 0.0 {
            // Not a descent direction (numerical trouble): restart from steepest descent.
            s_hist.clear();
            y_hist.clear();
            d = g.iter().map(|v| -v).collect();
            slope = dot(&g, &d);
        }

        // Backtracking line search with the Armijo condition.
        let mut step = 1.0;
        let mut accepted = false;
        for _ in 0..40 {
            for i in 0..n {
                x_new[i] = x[i] + step * d[i];
            }
            let v = f(&x_new, &mut g_new);
            if v.is_finite() && v <= value + 1e-4 * step * slope {
                value = v;
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if !accepted {
            return LbfgsResult {
                x,
                value,
                iterations: iter,
                converged: false,
            };
        }
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut g, &mut g_new);
        if dot(&s, &y) > 1e-10 {
            if s_hist.len() == options.memory {
                s_hist.remove(0);
                y_hist.remove(0);
            }
            s_hist.push(s);
            y_hist.push(y);
        }
    }
    LbfgsResult {
        x,
        value,
        iterations: options.max_iter,
        converged: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimises_the_rosenbrock_function() {
        let r = minimize(
            |x, g| {
                let (a, b) = (x[0], x[1]);
                g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
                g[1] = 200.0 * (b - a * a);
                (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
            },
            vec![-1.2, 1.0],
            LbfgsOptions {
                max_iter: 1000,
                grad_tol: 1e-8,
                memory: 10,
            },
        );
        assert!(r.converged, "{r:?}");
        assert!(
            (r.x[0] - 1.0).abs() < 1e-5 && (r.x[1] - 1.0).abs() < 1e-5,
            "{r:?}"
        );
    }
}
