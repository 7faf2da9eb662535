//! Pieces shared by the integration tests of the training loop.

use consort_tune::EpochEvents;
use consort_tune::{Control, EpochRecord, TrainingHook};

/// Ends a run after `epoch` (what a killed process does, but cleanly).
pub struct StopAt(pub usize);

impl<M> TrainingHook<M> for StopAt {
    fn name(&self) -> &str {
        "stop-at"
    }

    fn epoch_events(&mut self) -> Option<&mut dyn EpochEvents<M>> {
        Some(self)
    }
}

impl<M> EpochEvents<M> for StopAt {
    fn on_epoch_end(&mut self, record: &EpochRecord) -> Control {
        if record.epoch >= self.0 {
            Control::Stop
        } else {
            Control::Continue
        }
    }
}
