//! [`FusedAdam`](super::FusedAdam)'s arithmetic on f32 slices: burn's Adam step, operation
//! for operation in burn's order, in one pass over a parameter, its gradient and its two
//! moments (only built with the flex backend, whose tensors expose their buffers).

use super::{BETA_1, BETA_2};

/// One parameter's values and moments, updated in place by [`adam_step`].
pub(super) struct Moments<'a> {
    pub(super) param: &'a mut [f32],
    pub(super) m: &'a mut [f32],
    pub(super) v: &'a mut [f32],
}

/// The scalars of one step.
#[derive(Clone, Copy)]
pub(super) struct StepScalars {
    pub(super) penalty: Option<f32>,
    /// Whether the moments exist (false on a parameter's first step: they start from the
    /// gradient alone, as burn's Adam does, not from `0 * beta + ...`).
    pub(super) has_moments: bool,
    pub(super) combined_factor: f32,
    pub(super) epsilon: f32,
    pub(super) lr: f32,
}

/// The fused update. Every line of [`update`] mirrors a tensor operation of burn's
/// `Adam::step` and `AdaptiveMomentum::transform`, in their order, so the f32 results are
/// identical.
pub(super) fn adam_step(state: Moments<'_>, grad: &[f32], s: StepScalars) {
    use rayon::prelude::*;
    const CHUNK: usize = 1 << 14;
    if state.param.len() <= CHUNK {
        // Biases and small layers: waking a second thread costs more than the pass.
        return update_fastest(state, grad, s);
    }
    state
        .param
        .par_chunks_mut(CHUNK)
        .zip(state.m.par_chunks_mut(CHUNK))
        .zip(state.v.par_chunks_mut(CHUNK))
        .zip(grad.par_chunks(CHUNK))
        .for_each(|(((param, m), v), grad)| update_fastest(Moments { param, m, v }, grad, s));
}

/// [`update_any`] with the widest vectors this CPU has.
fn update_fastest(state: Moments<'_>, grad: &[f32], s: StepScalars) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F (checked on the line above).
        unsafe { update_avx512(state, grad, s) };
        return;
    }
    update_any(state, grad, s);
}

/// [`update_any`] compiled for AVX-512 (16 lanes for the square roots and divisions, which
/// bound the loop); the same IEEE operations, so the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn update_avx512(state: Moments<'_>, grad: &[f32], s: StepScalars) {
    update_any(state, grad, s);
}

/// One loop per case, with the case known at compile time, so that each loop vectorises (a
/// test inside the loop keeps it scalar: 4x slower).
#[inline(always)]
fn update_any(state: Moments<'_>, grad: &[f32], s: StepScalars) {
    match (s.penalty, s.has_moments) {
        (None, true) => update::<false, true>(state, grad, s),
        (None, false) => update::<false, false>(state, grad, s),
        (Some(_), true) => update::<true, true>(state, grad, s),
        (Some(_), false) => update::<true, false>(state, grad, s),
    }
}

#[inline(always)]
fn update<const DECAY: bool, const MOMENTS: bool>(
    state: Moments<'_>,
    grad: &[f32],
    s: StepScalars,
) {
    let (factor_1, factor_2) = (1.0 - BETA_1, 1.0 - BETA_2);
    let penalty = s.penalty.unwrap_or(0.0);
    let n = state.param.len();
    let (param, m, v, grad) = (
        &mut state.param[..n],
        &mut state.m[..n],
        &mut state.v[..n],
        &grad[..n],
    );
    for i in 0..n {
        let p = param[i];
        // WeightDecay::transform: tensor * penalty + grad.
        let g = if DECAY {
            p * penalty + grad[i]
        } else {
            grad[i]
        };
        let (m_i, v_i) = if MOMENTS {
            (
                m[i] * BETA_1 + g * factor_1,
                v[i] * BETA_2 + g * g * factor_2,
            )
        } else {
            (g * factor_1, g * g * factor_2)
        };
        m[i] = m_i;
        v[i] = v_i;
        let update = m_i * s.combined_factor / (v_i.sqrt() + s.epsilon);
        param[i] = p - update * s.lr;
    }
}
