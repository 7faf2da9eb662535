//! The shape the weight-space hooks share: checked settings, and a record of the run
//! (a running average, snapshots) that every clone of the hook shares, so the copy the caller
//! kept reads what the fit's copy recorded. A fit starts a new record; checkpoints save it.

use std::sync::{Arc, Mutex, MutexGuard};

use burn::module::Module;
use consort_core::{Checked, ParamGuard, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::hooks::{EpochEvents, RateSchedule, TrainingHook};

/// Settings of a hook that records its run: they name the hook.
pub trait RecordingHook: ParamGuard {
    /// The hook's name in events and checkpoints.
    const NAME: &'static str;
}

/// A hook with checked settings `C` and a shared record `R` of the run.
#[derive(Debug, Clone)]
pub struct Recorded<C, R> {
    pub(super) config: Checked<C>,
    record: Arc<Mutex<R>>,
}

impl<C: RecordingHook, R: Default> Recorded<C, R> {
    /// A hook with checked settings and an empty record.
    pub fn new(config: C) -> Result<Self> {
        Ok(Self {
            config: config.checked()?,
            record: Arc::default(),
        })
    }
}

impl<C, R> Recorded<C, R> {
    /// The record (a poisoned lock still holds a usable record: every write is whole).
    pub(super) fn lock(&self) -> MutexGuard<'_, R> {
        self.record.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<M, I, C, R> TrainingHook<M, I> for Recorded<C, R>
where
    M: Module,
    C: RecordingHook,
    R: Default + Serialize + DeserializeOwned,
    Self: RateSchedule + EpochEvents<M>,
{
    fn name(&self) -> &str {
        C::NAME
    }

    fn check(&self, _n_rows: usize, _n_outputs: usize) -> Result<()> {
        // Called once at the start of every fit: a new fit starts a new record.
        *self.lock() = R::default();
        Ok(())
    }

    fn state(&self) -> Option<serde_json::Value> {
        serde_json::to_value(&*self.lock()).ok()
    }

    fn load_state(&mut self, state: serde_json::Value) -> Result<()> {
        *self.lock() = serde_json::from_value(state)?;
        Ok(())
    }

    fn rate_schedule(&mut self) -> Option<&mut dyn RateSchedule> {
        Some(self)
    }

    fn epoch_events(&mut self) -> Option<&mut dyn EpochEvents<M>> {
        Some(self)
    }
}
