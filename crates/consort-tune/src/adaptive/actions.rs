//! What the controller does about a trend: the table in the [module docs](super), as code.

use super::{AdaptiveController, ControllerState, Switch, Trend};

impl AdaptiveController {
    /// Moves to the next stage from the best weights, at a fresh rate; returns the reason to
    /// log (`why` and the stages left and entered).
    fn escalate(&self, state: &mut ControllerState, why: &str) -> String {
        let stages = &self.config.stages;
        let from = stages[state.stage].name.clone();
        state.stage += 1;
        state.apply_stage = true;
        state.roll_back = true;
        state.lr_scale = 1.0;
        state.lr_decays = 0;
        format!("{why}; {from} → {}", stages[state.stage].name)
    }

    /// Decides what to do about `trend` seen at `epoch`, logging each switch; `false` would
    /// end training (every trend so far leaves something to try or trains on).
    pub(super) fn act(&self, state: &mut ControllerState, epoch: usize, trend: Trend) -> bool {
        let reason = match trend {
            Trend::Improving | Trend::Steady => return true,
            Trend::Plateau => self.on_plateau(state),
            Trend::Overfitting => Some(self.on_overfitting(state)),
            Trend::Degrading => Some(self.on_degrading(state)),
        };
        if let Some(reason) = reason {
            let stage = self.config.stages[state.stage].name.clone();
            state.switches.push(Switch {
                epoch,
                trend,
                reason,
                stage,
            });
        }
        true
    }

    /// One more learning-rate decay, if any is left.
    fn decay(&self, state: &mut ControllerState) -> bool {
        if state.lr_decays < self.config.max_lr_decays {
            state.lr_decays += 1;
            state.lr_scale *= self.config.lr_decay;
            true
        } else {
            false
        }
    }

    /// A plateau: the next stage, else a lower rate at the last one, else train on.
    fn on_plateau(&self, state: &mut ControllerState) -> Option<String> {
        state.detector.restart_patience();
        if state.stage + 1 < self.config.stages.len() {
            let why = format!(
                "plateau: no better {} for {} epochs",
                self.config.signal.name(),
                self.config.trend.patience
            );
            Some(self.escalate(state, &why))
        } else if self.decay(state) {
            state.roll_back = true;
            Some(format!(
                "plateau at the last stage: learning rate x{}",
                self.config.lr_decay
            ))
        } else {
            // Nothing left to change: train on; the loop keeps the best epoch.
            None
        }
    }

    /// Overfitting: back to the best weights, then augmentation on, else a stronger L2-SP,
    /// else a lower rate.
    fn on_overfitting(&self, state: &mut ControllerState) -> String {
        state.detector.restart_patience();
        state.roll_back = true;
        let epochs = self.config.trend.overfit_epochs;
        if let Some(augmentation) = self
            .config
            .augmentation
            .as_ref()
            .filter(|_| !state.augmenting)
        {
            state.augmenting = true;
            format!(
                "overfitting: validation loss up {epochs} epochs while training loss falls; \
                 back to the best weights, augmentation on ({})",
                augmentation.describe()
            )
        } else if state.l2sp_level + 1 < self.config.l2sp.len() {
            let from = self.l2sp(state);
            state.l2sp_level += 1;
            let to = self.l2sp(state);
            format!(
                "overfitting: validation loss up {epochs} epochs while training loss falls; \
                 back to the best weights, L2-SP {from} → {to}"
            )
        } else if self.decay(state) {
            format!(
                "overfitting at the strongest L2-SP: back to the best weights, learning rate \
                 x{}",
                self.config.lr_decay
            )
        } else {
            // Every rate decay spent: the log says so instead of claiming a lower rate.
            "overfitting at the strongest L2-SP and the lowest rate: back to the best weights"
                .into()
        }
    }

    /// Degradation: back to the best weights at a lower rate, else the next stage.
    fn on_degrading(&self, state: &mut ControllerState) -> String {
        state.detector.restart_patience();
        state.roll_back = true;
        let why = format!(
            "degradation: {} worse than its best by more than {} for {} epochs",
            self.config.signal.name(),
            self.config.trend.degrade,
            self.config.trend.degrade_epochs
        );
        if self.decay(state) {
            format!(
                "{why}; back to the best weights, learning rate x{}",
                self.config.lr_decay
            )
        } else if state.stage + 1 < self.config.stages.len() {
            // Lower rates did not steady this strategy: try the next one.
            self.escalate(state, &format!("{why} after every rate decay"))
        } else {
            format!("{why}; back to the best weights")
        }
    }
}
