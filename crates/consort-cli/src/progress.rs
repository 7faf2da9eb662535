//! What long jobs say on standard error: progress bars (drawn only on a terminal) and log
//! lines at the level `-q` / `-v` chose, printed above the bars so that neither garbles the
//! other.
//!
//! Levels: `error` and `warn` always (rollbacks, a lock waited for); `info` (the default) for
//! stages ("[3/6] fitting knn"), downloads and resumed runs; `debug` (`-v`) a line per epoch, checkpoint and
//! finished run; `trace` (`-vv`) every batch and step.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

use consort_core::{Event, Observer};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use log::{LevelFilter, Log, Metadata, Record};

/// The one set of bars of the process, shared by the logger so that lines go above them.
fn bars() -> &'static MultiProgress {
    static BARS: OnceLock<MultiProgress> = OnceLock::new();
    BARS.get_or_init(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
}

/// Log lines on standard error, above any progress bars.
struct StderrLog {
    level: LevelFilter,
}

impl Log for StderrLog {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= self.level
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let line = match record.level() {
            log::Level::Info => record.args().to_string(),
            level => format!("{}: {}", level.as_str().to_lowercase(), record.args()),
        };
        // Above the bars when there are some, plain otherwise; a closed standard error is no
        // reason to stop a run.
        let multi = bars();
        if multi.is_hidden() || multi.println(&line).is_err() {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    }

    fn flush(&self) {}
}

/// Installs the process's logger at `level` (the first call wins).
pub fn init_logging(level: LevelFilter) {
    if log::set_boxed_logger(Box::new(StderrLog { level })).is_ok() {
        log::set_max_level(level);
    }
}

/// One bar per training run, fold job or stream: epochs (or steps) done with an ETA, the last
/// loss and validation score; every event also logged at its level.
pub struct ProgressBars {
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
            bars: Mutex::new(HashMap::new()),
        }
    }

    fn bar(&self, label: &str, total: usize) -> ProgressBar {
        self.styled_bar(label, total as u64, "{pos}/{len}")
    }

    /// A bar of bytes: sizes and rate in binary units.
    fn byte_bar(&self, label: &str, total: u64) -> ProgressBar {
        self.styled_bar(
            label,
            total,
            "{binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec}",
        )
    }

    fn styled_bar(&self, label: &str, total: u64, counts: &str) -> ProgressBar {
        let mut bars = self.bars.lock().unwrap_or_else(|p| p.into_inner());
        bars.entry(label.to_string())
            .or_insert_with(|| {
                let bar = bars_add(ProgressBar::new(total));
                bar.set_style(
                    ProgressStyle::with_template(&format!(
                        "{{prefix:>22}} [{{bar:30}}] {counts} eta {{eta}} {{msg}}"
                    ))
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

fn bars_add(bar: ProgressBar) -> ProgressBar {
    bars().add(bar)
}

impl Observer for ProgressBars {
    fn notify(&self, event: &Event<'_>) {
        match *event {
            Event::RunStarted {
                label,
                first_epoch,
                epochs,
            } => {
                self.bar(label, epochs)
                    .set_position(first_epoch.saturating_sub(1) as u64);
                log::debug!("[{label}] training for {epochs} epochs from epoch {first_epoch}");
            }
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
                log::debug!(
                    "[{label}] epoch {}/{epochs}: {msg} ({:.2} s)",
                    record.epoch,
                    record.seconds
                );
                bar.set_message(msg);
            }
            Event::RolledBack {
                label,
                epoch,
                lr_scale,
                ..
            } => log::warn!(
                "[{label}] epoch {epoch} went non-finite: rolled back, learning rate x{lr_scale}"
            ),
            Event::Progress { label, done, total } => {
                let bar = self.bar(label, total);
                bar.set_position(done as u64);
                log::trace!("[{label}] {done}/{total}");
                if done == total {
                    self.finish(label);
                }
            }
            Event::Download {
                label,
                bytes,
                total,
            } => {
                let bar = self.byte_bar(label, total);
                bar.set_position(bytes);
                log::trace!("[{label}] {bytes}/{total} bytes");
                if bytes >= total {
                    self.finish(label);
                }
            }
            Event::RunFinished {
                label,
                best_epoch,
                last_epoch,
            } => {
                self.finish(label);
                log::debug!("[{label}] finished at epoch {last_epoch}; kept epoch {best_epoch}");
            }
            Event::Stage { message } => log::info!("{message}"),
            Event::BatchEnded {
                label,
                epoch,
                done,
                total,
            } => log::trace!("[{label}] epoch {epoch}: batch {done}/{total}"),
            Event::CheckpointSaved {
                label,
                epoch,
                path,
                best,
            } => log::debug!(
                "[{label}] checkpoint of epoch {epoch}{} in {}",
                if best { " (best so far)" } else { "" },
                path.display()
            ),
            Event::Resumed { label, epoch, path } => {
                log::info!(
                    "[{label}] resumed after epoch {epoch} from {}",
                    path.display()
                )
            }
        }
    }
}
