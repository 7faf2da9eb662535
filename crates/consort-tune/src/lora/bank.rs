//! Several named adapters over one base model.

use std::collections::BTreeMap;

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::Device;
use consort_core::{ConsortError, Result};

use super::{LoraConfig, LoraModel};

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
