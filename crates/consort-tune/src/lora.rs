//! LoRA adapters on burn's `apply_lora`, with what it lacks: merge, unload, adapter-only save
//! and load, and several named adapters on one base.
//!
//! burn adapts 2-D weights (linear layers, embeddings); convolution kernels are 4-D and stay
//! frozen without an adapter. Fine-tune them with [`crate::transfer`] instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::module::{Lora, Module, ParamGroup};
use burn::store::ModuleRecord;
use burn::tensor::Device;
use consort_core::io::{load_json, save_json};
use consort_core::seed::seeded;
use consort_core::{ConsortError, ParamGuard, Result};
use serde::{Deserialize, Serialize};

use crate::transfer::{ParamCount, count_parameters, paths};

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
    /// Path predicates of the 2-D weights to adapt (`"dense.weight"`, `"mha.query"`).
    pub targets: Vec<String>,
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
        Ok(())
    }
}

impl LoraConfig {
    /// Rank `rank`, `alpha = 2 * rank`, adapting `targets`, nothing else trainable, seed 0.
    pub fn new(rank: usize, targets: &[&str]) -> Self {
        Self {
            rank,
            alpha: 2.0 * rank as f64,
            targets: targets.iter().map(|t| t.to_string()).collect(),
            trainable: Vec::new(),
            seed: 0,
        }
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
        let lora = Lora::new(self.rank, self.alpha).set_param_group(Self::group(&self.targets));
        let adapted = seeded(device, self.seed, || base.apply_lora(lora));
        Ok(if self.trainable.is_empty() {
            adapted
        } else {
            adapted.unfreeze_group(Self::group(&self.trainable))
        })
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
        // Adapters add parameters; none added means no target path matched a 2-D weight.
        if count_parameters(&adapted).total == count_parameters(&base).total {
            return Err(ConsortError::config(format!(
                "LoRA attached no adapter: no 2-D weight matches {:?}",
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
        std::fs::create_dir_all(dir).map_err(|e| ConsortError::io(dir, e))?;
        let file = dir.join(ADAPTER_WEIGHTS);
        let tmp = dir.join(format!("{ADAPTER_WEIGHTS}.tmp{}", std::process::id()));
        self.adapted
            .clone()
            .into_record_group(self.config.saved_group())
            .save(&tmp)
            .map_err(|e| ConsortError::Serialization(format!("{}: {e:?}", tmp.display())))?;
        std::fs::rename(&tmp, &file).map_err(|e| ConsortError::io(&file, e))?;
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
        .map_err(|e| ConsortError::Serialization(format!("{}: {e:?}", file.display())))?;
    model
        .try_load_record(record.allow_partial(true))
        .map_err(|e| ConsortError::Serialization(format!("{}: {e:?}", file.display())))
}

/// Several named adapters over one base model, one active at a time.
#[derive(Debug)]
pub struct AdapterBank<M: Module> {
    base: M,
    device: Device,
    adapters: BTreeMap<String, (LoraConfig, ModuleRecord)>,
}

impl<M: Module> AdapterBank<M> {
    /// A bank over `base`.
    pub fn new(base: M, device: &Device) -> Self {
        Self {
            base,
            device: device.clone(),
            adapters: BTreeMap::new(),
        }
    }

    /// Stores the adapter of `trained` (which must share this bank's base) as `name`.
    pub fn insert(&mut self, name: impl Into<String>, trained: &LoraModel<M>) {
        let record = trained
            .adapted
            .clone()
            .into_record_group(trained.config.saved_group());
        self.adapters
            .insert(name.into(), (trained.config.clone(), record));
    }

    /// The adapter names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.adapters.keys().map(String::as_str).collect()
    }

    /// The base with adapter `name` attached and loaded.
    pub fn activate(&self, name: &str) -> Result<LoraModel<M>> {
        let (config, record) = self.adapters.get(name).ok_or_else(|| {
            ConsortError::InvalidInput(format!(
                "no adapter named {name:?}; the bank has {:?}",
                self.names()
            ))
        })?;
        let mut model = LoraModel::new(self.base.clone(), config.clone(), &self.device)?;
        model.adapted = model
            .adapted
            .try_load_record(record.clone().allow_partial(true))
            .map_err(|e| ConsortError::Serialization(format!("adapter {name:?}: {e:?}")))?;
        Ok(model)
    }

    /// The base model, no adapter.
    pub fn base(&self) -> &M {
        &self.base
    }
}
