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

    /// Decides what to do about `trend` seen at `epoch`; `false` ends training.
    pub(super) fn act(&self, state: &mut ControllerState, epoch: usize, trend: Trend) -> bool {
        let stages = &self.config.stages;
        let log = |state: &mut ControllerState, reason: String| {
            let stage = stages[state.stage].name.clone();
            state.switches.push(Switch {
                epoch,
                trend,
                reason,
                stage,
            });
        };
        let decay = |state: &mut ControllerState| -> bool {
            if state.lr_decays < self.config.max_lr_decays {
                state.lr_decays += 1;
                state.lr_scale *= self.config.lr_decay;
                true
            } else {
                false
            }
        };
        match trend {
            Trend::Improving | Trend::Steady => true,
            Trend::Plateau => {
                state.detector.restart_patience();
                if state.stage + 1 < stages.len() {
                    let why = format!(
                        "plateau: no better {} for {} epochs",
                        self.config.signal.name(),
                        self.config.trend.patience
                    );
                    let reason = self.escalate(state, &why);
                    log(state, reason);
                    true
                } else if decay(state) {
                    state.roll_back = true;
                    log(
                        state,
                        format!(
                            "plateau at the last stage: learning rate x{}",
                            self.config.lr_decay
                        ),
                    );
                    true
                } else {
                    // Nothing left to change: train on; the loop keeps the best epoch.
                    true
                }
            }
            Trend::Overfitting => {
                state.detector.restart_patience();
                state.roll_back = true;
                if let Some(augmentation) = self
                    .config
                    .augmentation
                    .as_ref()
                    .filter(|_| !state.augmenting)
                {
                    state.augmenting = true;
                    log(
                        state,
                        format!(
                            "overfitting: validation loss up {} epochs while training loss falls; \
                             back to the best weights, augmentation on ({})",
                            self.config.trend.overfit_epochs,
                            augmentation.describe()
                        ),
                    );
                } else if state.l2sp_level + 1 < self.config.l2sp.len() {
                    let from = self.l2sp(state);
                    state.l2sp_level += 1;
                    let to = self.l2sp(state);
                    log(
                        state,
                        format!(
                            "overfitting: validation loss up {} epochs while training loss falls; \
                             back to the best weights, L2-SP {from} → {to}",
                            self.config.trend.overfit_epochs
                        ),
                    );
                } else if decay(state) {
                    log(
                        state,
                        format!(
                            "overfitting at the strongest L2-SP: back to the best weights, \
                             learning rate x{}",
                            self.config.lr_decay
                        ),
                    );
                } else {
                    // Every rate decay spent: the log says so instead of claiming a lower rate.
                    log(
                        state,
                        "overfitting at the strongest L2-SP and the lowest rate: back to the \
                         best weights"
                            .into(),
                    );
                }
                true
            }
            Trend::Degrading => {
                state.detector.restart_patience();
                state.roll_back = true;
                let why = format!(
                    "degradation: {} worse than its best by more than {} for {} epochs",
                    self.config.signal.name(),
                    self.config.trend.degrade,
                    self.config.trend.degrade_epochs
                );
                if decay(state) {
                    log(
                        state,
                        format!(
                            "{why}; back to the best weights, learning rate x{}",
                            self.config.lr_decay
                        ),
                    );
                } else if state.stage + 1 < stages.len() {
                    // Lower rates did not steady this strategy: try the next one.
                    let reason = self.escalate(state, &format!("{why} after every rate decay"));
                    log(state, reason);
                } else {
                    log(state, format!("{why}; back to the best weights"));
                }
                true
            }
        }
    }
}
