//! A study stored in an append-only journal file (one JSON line per event, Optuna's
//! `JournalFileStorage` idea): several processes share it through an advisory file lock,
//! a crashed study resumes from it, and a trial whose worker died is marked failed and its
//! parameters retried. Completed trials are written once and never rerun.
//!
//! Events: `start` (trial number, worker process id), `param` (each parameter as it is
//! drawn) and `finish` (the whole trial record).
//! A trial with a `start` and no `finish` is running if its worker is alive (Linux: its
//! `/proc` entry exists) and dead otherwise.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use consort_core::io::FileLock;

use consort_core::{ConsortError, Result};
use serde::{Deserialize, Serialize};

use super::{Claim, DrawnParam, StorageState, StudyStorage, WORKER_DIED, process_alive};
use crate::frozen::{FrozenTrial, TrialState};
use crate::space::{Distribution, ParamValue};

/// One line of the journal.
#[derive(Debug, Clone, Serialize, Deserialize)]
// Externally tagged (`{"finish": {...}}`): an internally tagged enum would buffer the
// record and lose serde_json's integer map keys (the intermediate values by step).
#[serde(rename_all = "lowercase")]
enum Entry {
    Start {
        number: usize,
        worker: u32,
    },
    Param {
        number: usize,
        name: String,
        distribution: Distribution,
        value: ParamValue,
    },
    Finish {
        trial: FrozenTrial,
    },
}

/// The journal of one study.
#[derive(Debug, Clone)]
pub struct Journal {
    path: PathBuf,
    lock: PathBuf,
}

impl Journal {
    /// The journal at `path` (created on first write).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let mut lock = path.clone().into_os_string();
        lock.push(".lock");
        Self {
            path,
            lock: lock.into(),
        }
    }

    /// The journal's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the journal's lock (an advisory lock on `<journal>.lock`, released by the
    /// operating system however its holder ends), waiting with a notice and giving up after
    /// [`LOCK_GIVE_UP_AFTER`](consort_core::io::lock::LOCK_GIVE_UP_AFTER).
    fn lock(&self) -> Result<FileLock> {
        FileLock::acquire(&self.lock, "study journal")
    }

    /// Drops a torn last record (a write cut off by a full disk or a kill) before appending,
    /// as append-only logs do: left in place, the next record would be glued to it and the
    /// journal unreadable from then on. A last record complete but for its line break is
    /// kept and its line ended. Call under the lock.
    fn repair_tail(&self) -> Result<()> {
        let io = |e| ConsortError::io(&self.path, e);
        let mut f = match OpenOptions::new().read(true).write(true).open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io(e)),
        };
        let len = f.metadata().map_err(io)?.len();
        if len == 0 {
            return Ok(());
        }
        // The last line is at most one record: read back far enough to find its start.
        let mut back = 4096u64.min(len);
        let tail = loop {
            f.seek(SeekFrom::Start(len - back)).map_err(io)?;
            let mut tail = Vec::with_capacity(back as usize);
            (&mut f).take(back).read_to_end(&mut tail).map_err(io)?;
            if tail.last() == Some(&b'\n') {
                return Ok(());
            }
            if back == len || tail.contains(&b'\n') {
                break tail;
            }
            back = (back * 4).min(len);
        };
        let start = tail.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let torn = &tail[start..];
        if serde_json::from_slice::<Entry>(torn).is_ok() {
            f.seek(SeekFrom::End(0)).map_err(io)?;
            return f.write_all(b"\n").and_then(|()| f.sync_data()).map_err(io);
        }
        let keep = len - torn.len() as u64;
        f.set_len(keep).and_then(|()| f.sync_data()).map_err(io)?;
        log::warn!(
            "{}: its last record was cut off ({} bytes, a write interrupted); dropped it",
            self.path.display(),
            torn.len()
        );
        Ok(())
    }

    fn read(&self) -> Result<StorageState> {
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(StorageState::default());
            }
            Err(e) => return Err(ConsortError::io(&self.path, e)),
        };
        let mut started: Vec<(usize, u32)> = Vec::new();
        let mut params: Vec<(usize, String, Distribution, ParamValue)> = Vec::new();
        let mut finished: Vec<FrozenTrial> = Vec::new();
        for (i, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|e| ConsortError::io(&self.path, e))?;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Entry>(&line) {
                Ok(Entry::Start { number, worker }) => started.push((number, worker)),
                Ok(Entry::Param {
                    number,
                    name,
                    distribution,
                    value,
                }) => params.push((number, name, distribution, value)),
                Ok(Entry::Finish { trial }) => {
                    if !finished.iter().any(|t| t.number == trial.number) {
                        finished.push(trial);
                    }
                }
                // A torn last line (the writer died mid-write) is ignored; anything else is
                // a damaged journal.
                Err(_) if i + 1 == self.count_lines()? => {}
                Err(e) => {
                    return Err(ConsortError::Parse {
                        source_name: self.path.display().to_string(),
                        line: i + 1,
                        message: e.to_string(),
                    });
                }
            }
        }
        finished.sort_by_key(|t| t.number);
        let next_number = started
            .iter()
            .map(|s| s.0 + 1)
            .chain(finished.iter().map(|t| t.number + 1))
            .max()
            .unwrap_or(0);
        let (mut running, mut orphaned) = (Vec::new(), Vec::new());
        for (number, worker) in started {
            if finished.iter().any(|t| t.number == number) {
                continue;
            }
            let mut t = FrozenTrial::new(number);
            for (n, name, dist, value) in &params {
                if *n == number {
                    t.params.insert(name.clone(), value.clone());
                    t.distributions.insert(name.clone(), dist.clone());
                }
            }
            if process_alive(worker) {
                running.push(t);
            } else {
                orphaned.push(t);
            }
        }
        Ok(StorageState {
            finished,
            running,
            orphaned,
            next_number,
        })
    }

    fn count_lines(&self) -> Result<usize> {
        let f = File::open(&self.path).map_err(|e| ConsortError::io(&self.path, e))?;
        Ok(BufReader::new(f).lines().count())
    }

    fn append(&self, entry: &Entry) -> Result<()> {
        self.repair_tail()?;
        let mut line = serde_json::to_string(entry)?;
        line.push('\n');
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| ConsortError::io(&self.path, e))?;
        f.write_all(line.as_bytes())
            .and_then(|()| f.sync_data())
            .map_err(|e| ConsortError::io(&self.path, e))
    }
}

impl StudyStorage for Journal {
    fn open_study(&self, _direction: consort_core::Direction) -> Result<()> {
        Ok(())
    }

    fn state(&self) -> Result<StorageState> {
        let _guard = self.lock()?;
        self.read()
    }

    fn claim(&self) -> Result<Claim> {
        let _guard = self.lock()?;
        let state = self.read()?;
        let mut orphans = Vec::new();
        for orphan in &state.orphaned {
            let mut t = orphan.clone();
            t.state = TrialState::Failed;
            t.user_attrs.insert("error".into(), WORKER_DIED.into());
            self.append(&Entry::Finish { trial: t.clone() })?;
            orphans.push(t);
        }
        let number = state.next_number;
        self.append(&Entry::Start {
            number,
            worker: std::process::id(),
        })?;
        Ok(Claim {
            number,
            state: self.read()?,
            orphans,
        })
    }

    fn record_param(&self, param: DrawnParam<'_>) -> Result<()> {
        let _guard = self.lock()?;
        self.append(&Entry::Param {
            number: param.number,
            name: param.name.to_string(),
            distribution: param.distribution.clone(),
            value: param.value.clone(),
        })
    }

    fn finish(&self, trial: &FrozenTrial) -> Result<()> {
        let _guard = self.lock()?;
        self.append(&Entry::Finish {
            trial: trial.clone(),
        })
    }
}
