//! How much a command says on standard error: `-q`, `-v`, `-vv`, taken by every command and
//! turned into a log level.

use clap::Args;

/// How much a command says on standard error; every command takes these. Results go to
/// standard output (and files) whatever the level; errors are always printed.
#[derive(Args, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Verbosity {
    /// No progress bars and no notes: only results, warnings and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// More detail: -v adds a line per epoch, checkpoint and finished run; -vv every batch
    /// and step too.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl Verbosity {
    /// The log level: warnings and errors with `-q`, stages too by default, then debug
    /// (`-v`) and trace (`-vv`).
    pub fn level(self) -> log::LevelFilter {
        match (self.quiet, self.verbose) {
            (true, _) => log::LevelFilter::Warn,
            (false, 0) => log::LevelFilter::Info,
            (false, 1) => log::LevelFilter::Debug,
            (false, _) => log::LevelFilter::Trace,
        }
    }
}
