//! Training events rendered as progress bars on stderr (hidden when stderr is not a terminal).

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;

use consort_core::{Event, Observer};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// One bar per training run or out-of-fold job: epochs done, the last loss and validation
/// score, checkpoints and rollbacks as messages.
pub struct ProgressBars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Default for ProgressBars {
    fn default() -> Self {
        Self::new()
    }
}

impl ProgressBars {
    /// Bars drawn on stderr; indicatif hides them when stderr is not a terminal.
    pub fn new() -> Self {
        Self {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::new(HashMap::new()),
        }
    }

    fn bar(&self, label: &str, total: usize) -> ProgressBar {
        let mut bars = self.bars.lock().unwrap_or_else(|p| p.into_inner());
        bars.entry(label.to_string())
            .or_insert_with(|| {
                let bar = self.multi.add(ProgressBar::new(total as u64));
                bar.set_style(
                    ProgressStyle::with_template(
                        "{prefix:>22} [{bar:30}] {pos}/{len} eta {eta} {msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                bar.set_prefix(label.to_string());
                bar
            })
            .clone()
    }

    fn finish(&self, label: &str) {
        if let Some(bar) = self
            .bars
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(label)
        {
            bar.finish_and_clear();
        }
    }
}

impl Observer for ProgressBars {
    fn notify(&self, event: &Event<'_>) {
        match *event {
            Event::RunStarted {
                label,
                first_epoch,
                epochs,
            } => self
                .bar(label, epochs)
                .set_position(first_epoch.saturating_sub(1) as u64),
            Event::EpochEnded {
                label,
                epochs,
                record,
                score_name,
            } => {
                let bar = self.bar(label, epochs);
                bar.set_position(record.epoch as u64);
                let mut msg = format!("loss {:.4}", record.train_loss);
                if let (Some(l), Some(s)) = (record.valid_loss, record.valid_score) {
                    msg.push_str(&format!(" val_loss {l:.4} val_{score_name} {s:.4}"));
                }
                bar.set_message(msg);
            }
            Event::RolledBack {
                label,
                epoch,
                lr_scale,
                ..
            } => self.bar(label, 0).println(format!(
                "[{label}] epoch {epoch} went non-finite: rolled back, learning rate x{lr_scale}"
            )),
            Event::Progress { label, done, total } => {
                let bar = self.bar(label, total);
                bar.set_position(done as u64);
                if done == total {
                    self.finish(label);
                }
            }
            Event::RunFinished { label, .. } => self.finish(label),
            Event::Stage { message } => {
                // Above the bars when there are some, plain otherwise.
                if self.multi.println(message).is_err() || self.multi.is_hidden() {
                    // A closed standard error is no reason to stop a run.
                    let _ = writeln!(std::io::stderr(), "{message}");
                }
            }
            Event::BatchEnded { .. } | Event::CheckpointSaved { .. } | Event::Resumed { .. } => {}
        }
    }
}
