//! Running a registry client (`pip`, `npm`, `apt-get`, `dpkg-deb`) with its network waits
//! bounded: each client's own connect timeout and retries, a total time limit after which it
//! is stopped, the bytes downloaded so far (a progress bar against the pinned file's size, or a
//! logged heartbeat) while it runs, and a reason when it fails.

use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use consort_core::{Event, ObserverHandle, Result};

use super::{Asset, fail};

/// How long one registry client may run before it is stopped (`CONSORT_FETCH_TIMEOUT_S`
/// overrides): a network that drops packets must end in an error, not a wait forever.
pub const CLIENT_TIME_LIMIT: Duration = Duration::from_secs(900);
/// How often a client still running is reported (the log's `info` level; `debug` where a
/// progress bar shows the download).
const CLIENT_HEARTBEAT: Duration = Duration::from_secs(5);
/// How often a watched download's bytes are counted for its progress bar.
const WATCH_EVERY: Duration = Duration::from_millis(250);

/// A download to show as it goes: the observer told, the bar's name and the size the pinned
/// file has (its checksum fixes it), so the bar has an end and an ETA.
pub(super) struct Watch<'a> {
    /// Told [`Event::Download`] as the bytes arrive.
    pub observer: &'a ObserverHandle,
    /// What is downloaded.
    pub label: String,
    /// The pinned file's size in bytes.
    pub total: u64,
}
/// Each client's own timeout on a stalled connection, and its retries, in seconds: what a
/// dropped packet costs before the client itself gives up.
const CONNECT_TIMEOUT_S: u32 = 30;
const RETRIES: u32 = 2;

pub(super) fn client_time_limit() -> Duration {
    std::env::var("CONSORT_FETCH_TIMEOUT_S")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|&s| s > 0)
        .map_or(CLIENT_TIME_LIMIT, Duration::from_secs)
}

/// The options that bound a client's network waits (connect and read timeout, retries).
fn network_options(program: &str) -> Vec<String> {
    match program {
        "pip" | "pip3" => vec![
            format!("--timeout={CONNECT_TIMEOUT_S}"),
            format!("--retries={RETRIES}"),
        ],
        "npm" => vec![
            format!("--fetch-timeout={}", CONNECT_TIMEOUT_S * 1000),
            format!("--fetch-retries={RETRIES}"),
        ],
        "apt-get" => vec![
            "-o".into(),
            format!("Acquire::http::Timeout={CONNECT_TIMEOUT_S}"),
            "-o".into(),
            format!("Acquire::https::Timeout={CONNECT_TIMEOUT_S}"),
            "-o".into(),
            format!("Acquire::Retries={RETRIES}"),
        ],
        _ => Vec::new(),
    }
}

/// Bytes in the files below `dir`: how far a client downloading into it has got.
fn bytes_below(dir: &Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| match e.file_type() {
                Ok(t) if t.is_dir() => bytes_below(&e.path()),
                Ok(_) => e.metadata().map_or(0, |m| m.len()),
                Err(_) => 0,
            })
            .sum()
    })
}

/// Runs a registry client; a missing client, a failed run or one past the time limit
/// ([`CLIENT_TIME_LIMIT`], stopped) is one clear error. A `watch`ed download's bytes in `cwd`
/// go to its observer as they arrive; every [`CLIENT_HEARTBEAT`] a log line says how many
/// megabytes it has downloaded and when it will be given up.
pub(super) fn run_client(
    asset: Asset,
    program: &str,
    args: &[&str],
    cwd: &Path,
    hint: &str,
    watch: Option<&Watch<'_>>,
) -> Result<()> {
    let mut command = Command::new(program);
    command.args(network_options(program)).args(args);
    let shown = format!("{program} {}", args.join(" "));
    let mut child = command
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => fail(asset, format!("`{program}` not found: {hint}")),
            _ => fail(asset, format!("could not start `{program}`: {e}")),
        })?;
    // Read standard error on a thread so that a chatty client never blocks on a full pipe.
    let mut stderr_pipe = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(pipe) = stderr_pipe.as_mut() {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    });
    let limit = client_time_limit();
    let start = Instant::now();
    let mut reporter = Reporter::new(program, cwd, watch, limit);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Err(fail(asset, format!("waiting for `{program}`: {e}"))),
        }
        let waited = start.elapsed();
        if waited >= limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(fail(
                asset,
                format!(
                    "`{shown}` gave no result within {} s and was stopped (each connection \
                     times out after {CONNECT_TIMEOUT_S} s and is retried {RETRIES} times): is \
                     the network or the registry down?",
                    limit.as_secs()
                ),
            ));
        }
        reporter.tick(waited);
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = reader.join().unwrap_or_default();
    if !status.success() {
        let last = stderr
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map_or_else(
                || "it printed no reason (offline, or the registry unreachable?)".to_string(),
                str::to_string,
            );
        return Err(fail(asset, format!("`{shown}` failed ({status}): {last}")));
    }
    reporter.done();
    Ok(())
}

/// What a running client's wait reports: its download's bytes to the watch's observer, and a
/// heartbeat log line (`info`, or `debug` where a bar shows the bytes).
struct Reporter<'a> {
    program: &'a str,
    cwd: &'a Path,
    watch: Option<&'a Watch<'a>>,
    limit: Duration,
    next_count: Duration,
    next_heartbeat: Duration,
}

impl<'a> Reporter<'a> {
    fn new(program: &'a str, cwd: &'a Path, watch: Option<&'a Watch<'a>>, limit: Duration) -> Self {
        Self {
            program,
            cwd,
            watch,
            limit,
            next_count: Duration::ZERO,
            next_heartbeat: CLIENT_HEARTBEAT,
        }
    }

    fn tick(&mut self, waited: Duration) {
        if let Some(w) = self.watch.filter(|_| waited >= self.next_count) {
            self.next_count += WATCH_EVERY;
            // Short of the end until the client is done (a file may be written twice).
            let bytes = bytes_below(self.cwd).min(w.total.saturating_sub(1));
            w.notify(bytes);
        }
        if waited >= self.next_heartbeat {
            self.next_heartbeat += CLIENT_HEARTBEAT;
            let level = if self.watch.is_some() {
                log::Level::Debug
            } else {
                log::Level::Info
            };
            log::log!(
                level,
                "  `{}`: {:.1} MB downloaded so far ({} s; stopped after {} s)",
                self.program,
                bytes_below(self.cwd) as f64 / 1e6,
                waited.as_secs(),
                self.limit.as_secs()
            );
        }
    }

    /// The client succeeded: the download is whole.
    fn done(&self) {
        if let Some(w) = self.watch {
            w.notify(w.total);
        }
    }
}

impl Watch<'_> {
    fn notify(&self, bytes: u64) {
        self.observer.notify(&Event::Download {
            label: &self.label,
            bytes,
            total: self.total,
        });
    }
}
