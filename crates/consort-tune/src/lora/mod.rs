//! LoRA adapters on burn's reparameterization API, with what burn's own `apply_lora` lacks:
//! adapters on convolution kernels, rank dropout, merge, unload, adapter-only save and load,
//! and several named adapters on one base.
//!
//! burn's `Lora` adapts 2-D weights only. [`LoraFactors`] adapts any weight of two or more
//! dimensions through its matrix view `[d0, d1 * d2 * ...]`: a linear `[d_in, d_out]` weight as
//! it is, a conv kernel `[c_out, c_in, kh, kw]` as `[c_out, c_in * kh * kw]` (the usual conv
//! LoRA, as in PEFT). The update composes into the weight (`W + alpha / r * A B`), so merging
//! is burn's `materialize` and no layer code changes.

use std::path::{Path, PathBuf};

use burn::module::{Flag, Module, Param, ParamGroup, Reparameterization, Reparameterizer};
use burn::store::ModuleRecord;
use burn::tensor::{Device, Distribution, Tensor};
use consort_core::io::{load_json, save_json};
use consort_core::seed::seeded;
use consort_core::{ConsortError, ParamGuard, Result};
use serde::{Deserialize, Serialize};

use crate::transfer::{ParamCount, count_parameters, paths};

mod bank;
pub use bank::AdapterBank;

/// File names of a saved adapter.
const ADAPTER_WEIGHTS: &str = "adapter.bpk";
const ADAPTER_CONFIG: &str = "adapter.json";

/// Which weights get low-rank adapters, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoraConfig {
    /// Rank `r` of the update `A B` (`A`: `d_in x r`, `B`: `r x d_out`).
    pub rank: usize,
    /// The update is scaled by `alpha / rank`.
    pub alpha: f64,
    /// Path predicates of the weights to adapt (`"dense.weight"`, `"mha.query"`,
    /// `"conv2.weight"`); matching parameters of fewer than two dimensions (biases) are not
    /// adapted.
    pub targets: Vec<String>,
    /// Probability of dropping each of the `r` rank components of an update while training
    /// (survivors scaled by `1 / (1 - p)`; nothing is dropped at inference). The update lives in
    /// weight space, so this rank dropout (as in LyCORIS) stands in for PEFT's dropout on the
    /// adapter's input.
    #[serde(default)]
    pub rank_dropout: f64,
    /// Path predicates of parameters trained in full alongside the adapters (a new `"head"`).
    pub trainable: Vec<String>,
    /// Seed of the `A` factors' initialisation (`B` starts at zero, so the adapted model
    /// starts equal to its base).
    pub seed: u64,
}

impl ParamGuard for LoraConfig {
    fn check(&self) -> Result<()> {
        if self.rank == 0
            || !(self.alpha.is_finite() && self.alpha > 0.0)
            || self.targets.is_empty()
        {
            return Err(ConsortError::config(
                "LoRA needs rank >= 1, a positive alpha and at least one target path",
            ));
        }
        if !(0.0..1.0).contains(&self.rank_dropout) {
            return Err(ConsortError::config(format!(
                "LoRA rank dropout must be in [0, 1), got {}",
                self.rank_dropout
            )));
        }
        Ok(())
    }
}

impl LoraConfig {
    /// Rank `rank`, `alpha = 2 * rank`, adapting `targets`, no dropout, nothing else
    /// trainable, seed 0.
    pub fn new(rank: usize, targets: &[&str]) -> Self {
        Self {
            rank,
            alpha: 2.0 * rank as f64,
            targets: targets.iter().map(|t| t.to_string()).collect(),
            rank_dropout: 0.0,
            trainable: Vec::new(),
            seed: 0,
        }
    }

    /// Drops each rank component with probability `p` while training.
    pub fn with_rank_dropout(mut self, p: f64) -> Self {
        self.rank_dropout = p;
        self
    }

    /// Also trains the parameters matching `predicates` in full.
    pub fn with_trainable(mut self, predicates: &[&str]) -> Self {
        self.trainable = predicates.iter().map(|t| t.to_string()).collect();
        self
    }

    fn group(predicates: &[String]) -> ParamGroup {
        paths(&predicates.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// What an adapter file holds: the factors and the fully trained parameters.
    fn saved_group(&self) -> ParamGroup {
        let mut predicates = vec!["lora".to_string()];
        predicates.extend(self.trainable.iter().cloned());
        Self::group(&predicates)
    }

    /// `base` with adapters attached (base weights frozen, `trainable` unfrozen).
    fn attach<M: Module>(&self, base: M, device: &Device) -> Result<M> {
        self.check()?;
        let attach = AttachFactors {
            config: self,
            targets: Self::group(&self.targets),
        };
        let adapted = seeded(device, self.seed, || base.apply_reparameterization(attach));
        Ok(if self.trainable.is_empty() {
            adapted
        } else {
            adapted.unfreeze_group(Self::group(&self.trainable))
        })
    }
}

/// The low-rank update of one weight: `scale * A B` with `A: [d0, r]`, `B: [r, d1 * ...]`,
/// reshaped to the weight's shape and added to it.
#[derive(Module, Debug)]
pub struct LoraFactors {
    /// First factor, `[d0, r]`, drawn from `N(0, 1 / r)`.
    pub a: Param<Tensor<2>>,
    /// Second factor, `[r, d1 * ...]`, zero at first so the adapted model starts as its base.
    pub b: Param<Tensor<2>>,
    /// `alpha / r`.
    pub scale: f64,
    /// Probability of dropping a rank component while training.
    pub rank_dropout: f64,
    /// Off in inference mode (`valid`) and when frozen: no dropout then.
    training: Param<Flag>,
}

impl LoraFactors {
    /// The update `scale * A B` as a `[d0, d1 * ...]` matrix; rank components are dropped when
    /// `train` and this adapter is in training mode.
    pub fn delta(&self, train: bool) -> Tensor<2> {
        let a = self.a.val();
        let a = if train && self.rank_dropout > 0.0 && self.training.is_enabled() {
            let keep = 1.0 - self.rank_dropout;
            let [_, rank] = a.dims();
            let mask = Tensor::<2>::random([1, rank], Distribution::Bernoulli(keep), &a.device());
            a * mask.div_scalar(keep)
        } else {
            a
        };
        a.matmul(self.b.val()).mul_scalar(self.scale)
    }
}

impl Reparameterization for LoraFactors {
    // Saved and loaded under `<weight path>.lora.a` / `.b`.
    const NAME: &'static str = "lora";

    fn apply<const D: usize>(&self, base: Tensor<D>) -> Tensor<D> {
        // Dropout only where a backward pass can follow, as burn's own Dropout decides.
        let delta = self
            .delta(base.device().is_autodiff())
            .reshape(base.shape());
        base + delta
    }
}

/// Freezes every parameter and attaches [`LoraFactors`] to the targeted weights of two or more
/// dimensions.
struct AttachFactors<'a> {
    config: &'a LoraConfig,
    targets: ParamGroup,
}

impl Reparameterizer for AttachFactors<'_> {
    type Reparam = LoraFactors;

    fn reparameterize<const D: usize>(
        &mut self,
        path: &str,
        param: Param<Tensor<D>>,
    ) -> (Param<Tensor<D>>, Option<LoraFactors>) {
        if D < 2 || !self.targets.matches(&param.id, Some(path)) {
            return (param.set_require_grad(false), None);
        }
        let weight = param.base();
        let dims = weight.dims();
        let (rows, cols) = (dims[0], dims[1..].iter().product::<usize>());
        let device = weight.device();
        let rank = self.config.rank;
        // Parameters live as long as the module, so they are allocated as burn allocates its
        // own LoRA factors: outside the dynamic memory pools.
        let (a, b) = device.memory_persistent_allocations((), |_| {
            (
                Tensor::<2>::random(
                    [rows, rank],
                    Distribution::Normal(0.0, 1.0 / rank as f64),
                    &device,
                ),
                Tensor::<2>::zeros([rank, cols], &device),
            )
        });
        let factors = LoraFactors {
            a: Param::from_tensor(a),
            b: Param::from_tensor(b),
            scale: self.config.alpha / rank as f64,
            rank_dropout: self.config.rank_dropout,
            training: Param::from_bool(true),
        };
        (param.set_require_grad(false), Some(factors))
    }
}

/// A base model with one LoRA adapter attached.
#[derive(Debug, Clone)]
pub struct LoraModel<M: Module> {
    base: M,
    adapted: M,
    config: LoraConfig,
}

impl<M: Module> LoraModel<M> {
    /// Attaches fresh adapters to a copy of `base` (on `device`, an autodiff device to train).
    pub fn new(base: M, config: LoraConfig, device: &Device) -> Result<Self> {
        let adapted = config.attach(base.clone(), device)?;
        // Adapters add parameters; none added means no target path matched a weight.
        if count_parameters(&adapted).total == count_parameters(&base).total {
            return Err(ConsortError::config(format!(
                "LoRA attached no adapter: no weight of two or more dimensions matches {:?}",
                config.targets
            )));
        }
        Ok(Self {
            base,
            adapted,
            config,
        })
    }

    /// The adapted model, to train or to run.
    pub fn model(&self) -> &M {
        &self.adapted
    }

    /// Replaces the adapted model by its trained version.
    pub fn set_model(&mut self, trained: M) {
        self.adapted = trained;
    }

    /// The configuration.
    pub fn config(&self) -> &LoraConfig {
        &self.config
    }

    /// Trainable and total parameters of the adapted model.
    pub fn parameters(&self) -> ParamCount {
        count_parameters(&self.adapted)
    }

    /// The adapters folded into the base weights (`W + alpha / r * A B`): a plain model with
    /// no adapter overhead at inference, in inference mode.
    pub fn merged(&self) -> M {
        self.adapted.valid().materialize()
    }

    /// The base model exactly as it was before the adapters were attached.
    pub fn unload(&self) -> M {
        self.base.clone()
    }

    /// Saves the adapter alone into `dir`: the factors and fully trained parameters
    /// (`adapter.bpk`, burn's format) and the configuration (`adapter.json`), each written to a
    /// temporary name and renamed into place. Returns the weights file.
    pub fn save_adapter(&self, dir: &Path) -> Result<PathBuf> {
        let file = dir.join(ADAPTER_WEIGHTS);
        consort_core::io::write_atomic_with(&file, |tmp| {
            self.adapted
                .clone()
                .into_record_group(self.config.saved_group())
                .save(tmp)
                .map_err(|e| ConsortError::serialization_at(tmp, format!("{e:?}")))
        })?;
        save_json(&self.config, &dir.join(ADAPTER_CONFIG))?;
        Ok(file)
    }

    /// Loads an adapter saved by [`LoraModel::save_adapter`] onto `base` (the same base it
    /// was trained from).
    pub fn load_adapter(base: M, dir: &Path, device: &Device) -> Result<Self> {
        let config: LoraConfig = load_json(&dir.join(ADAPTER_CONFIG))?;
        let mut model = Self::new(base, config, device)?;
        model.adapted = load_group(model.adapted, &dir.join(ADAPTER_WEIGHTS))?;
        Ok(model)
    }
}

fn load_group<M: Module>(model: M, file: &Path) -> Result<M> {
    let record = ModuleRecord::load(file)
        .map_err(|e| ConsortError::serialization_at(file, format!("{e:?}")))?;
    let model = model
        .try_load_record(record.allow_partial(true))
        .map_err(|e| ConsortError::serialization_at(file, format!("{e:?}")))?;
    consort_core::io::check_weights(&model, file)?;
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::conv::{Conv2d, Conv2dConfig};
    use burn::tensor::TensorData;
    use consort_core::BackendKind;

    fn device() -> Device {
        BackendKind::Flex.device().unwrap().autodiff()
    }

    #[test]
    fn conv_kernels_get_factors_of_their_matrix_view() {
        let device = device();
        let conv: Conv2d = Conv2dConfig::new([2, 3], [3, 3]).init(&device);
        let lora = LoraModel::new(conv, LoraConfig::new(2, &["weight"]), &device).unwrap();
        let factors = lora
            .model()
            .weight
            .reparameterization::<LoraFactors>()
            .expect("the kernel is adapted");
        // Kernel [c_out = 3, c_in = 2, 3, 3] seen as [3, 2 * 3 * 3].
        assert_eq!(factors.a.val().dims(), [3, 2]);
        assert_eq!(factors.b.val().dims(), [2, 18]);
        // Only the factors train: 3 * 2 + 2 * 18 of 54 + 3 + 42 parameters.
        assert_eq!(lora.parameters().trainable, 42);
        assert_eq!(lora.parameters().total, 54 + 3 + 42);
        // B starts at zero: the adapted kernel is the base kernel.
        let x = Tensor::<4>::random([1, 2, 5, 5], Distribution::Default, &device);
        lora.model()
            .forward(x.clone())
            .into_data()
            .assert_eq(&lora.unload().forward(x).into_data(), true);
    }

    fn factors(rank_dropout: f64, device: &Device) -> LoraFactors {
        LoraFactors {
            a: Param::from_tensor(Tensor::ones([3, 4], device)),
            b: Param::from_tensor(Tensor::ones([4, 2], device)),
            scale: 0.5,
            rank_dropout,
            training: Param::from_bool(true),
        }
    }

    #[test]
    fn rank_dropout_is_unbiased_in_training_and_off_at_inference() {
        let device = device();
        let f = factors(0.5, &device);
        // Without dropout every entry is 0.5 * 4 = 2.
        let full = TensorData::from([[2.0f32; 2]; 3]);
        f.delta(false).into_data().assert_eq(&full, true);
        let draws: Vec<f32> = seeded(&device, 3, || {
            (0..2000)
                .map(|_| f.delta(true).into_data().try_to_vec::<f32>().unwrap()[0])
                .collect()
        });
        // Each draw keeps k of 4 components, scaled by 2: entries 0.5 * 2 * k.
        assert!(draws.iter().all(|d| [0.0, 1.0, 2.0, 3.0, 4.0].contains(d)));
        assert!(draws.iter().any(|&d| d != 2.0), "dropout never dropped");
        let mean = draws.iter().sum::<f32>() / draws.len() as f32;
        // Binomial(4, 0.5) mean 2; the standard error over 2000 draws is 0.022.
        assert!((mean - 2.0).abs() < 0.1, "{mean}");
        // Inference mode (and frozen adapters) never drop.
        let inference = f.clone().valid();
        for _ in 0..20 {
            inference.delta(true).into_data().assert_eq(&full, true);
        }
        let frozen = f.no_grad().freeze();
        frozen.delta(true).into_data().assert_eq(&full, true);
    }

    #[test]
    fn invalid_configs_are_refused() {
        let device = device();
        let conv: Conv2d = Conv2dConfig::new([2, 3], [3, 3]).init(&device);
        for config in [
            LoraConfig::new(0, &["weight"]),
            LoraConfig::new(2, &[]),
            LoraConfig::new(2, &["weight"]).with_rank_dropout(1.0),
            LoraConfig::new(2, &["no.such.path"]),
            LoraConfig::new(2, &["bias"]),
        ] {
            assert!(
                matches!(
                    LoraModel::new(conv.clone(), config.clone(), &device),
                    Err(ConsortError::InvalidConfig { .. })
                ),
                "{config:?}"
            );
        }
    }
}
