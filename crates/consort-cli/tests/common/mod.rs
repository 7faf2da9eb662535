//! Running the built `consort` binary from the integration tests.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `consort args` in `cwd` on the CPU backend and waits for it.
pub fn consort(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_consort"))
        .args(args)
        .current_dir(cwd)
        .env("CONSORT_BACKEND", "flex")
        .output()
        .expect("the consort binary runs")
}

/// Output bytes as text.
#[allow(dead_code)] // not every test file reads output as text
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
