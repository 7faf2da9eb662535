//! Seeding: every stochastic path in Consort takes an explicit seed.
//!
//! Shuffling, splitting and sampling use [`rng`], a seeded `StdRng` owned by the caller, so they
//! are reproducible whatever else runs. burn's parameter initialisers draw from the backend's
//! *global* generator instead; [`seeded`] seeds it and holds a process-wide lock for the duration,
//! so that two models initialised on different threads (parallel tests, say) cannot interleave
//! their draws.
//!
//! burn initialises parameters lazily, on first use, from the generator's state at that
//! moment, which is after `seeded` has returned. Every Consort constructor therefore ends
//! with [`init_now`], so the draws happen inside the seeded, locked section.

use std::sync::Mutex;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor};
use rand::SeedableRng;
use rand::rngs::StdRng;

static BACKEND_RNG_LOCK: Mutex<()> = Mutex::new(());

/// A seeded random generator.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Runs `f` with the backend generator of `device` seeded with `seed`, under a global lock.
///
/// Use it around anything that draws from burn's generator (module `init`, `Tensor::random`).
pub fn seeded<T>(device: &Device, seed: u64, f: impl FnOnce() -> T) -> T {
    // A panic in another holder poisons the lock but leaves nothing to repair: keep going.
    let _guard = BACKEND_RNG_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    device.seed(seed);
    f()
}

/// Forces every lazily initialised parameter of `module` to take its value now (see the
/// module docs); returns the module.
pub fn init_now<M: Module>(module: M) -> M {
    struct Touch;
    impl ModuleVisitor for Touch {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            // Reading the value runs the deferred initialiser (once, shared by all clones).
            let _ = param.val();
        }
    }
    module.visit(&mut Touch);
    module
}

/// Derives an independent seed for a named sub-task, so that e.g. model 3 of a run does not
/// share a stream with the data split (SplitMix64 finaliser over seed and label).
pub fn derive_seed(seed: u64, label: &str) -> u64 {
    let mut z = label.bytes().fold(seed ^ 0x9E37_79B9_7F4A_7C15, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
    });
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn same_seed_same_stream() {
        let a: Vec<u32> = (0..5)
            .map(|_| 0)
            .scan(rng(7), |r, _| Some(r.random()))
            .collect();
        let b: Vec<u32> = (0..5)
            .map(|_| 0)
            .scan(rng(7), |r, _| Some(r.random()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(derive_seed(1, "mlp"), derive_seed(1, "cnn"));
        assert_eq!(derive_seed(1, "mlp"), derive_seed(1, "mlp"));
    }
}
