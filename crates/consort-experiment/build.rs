//! Records the commit of the source being built (for the model card), when it is a git
//! checkout and git is installed; otherwise the card says nothing about it.

use std::path::Path;
use std::process::Command;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(&manifest)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!("cargo:rustc-env=CONSORT_GIT_COMMIT={commit}");
    // A new commit moves HEAD or the branch it points at.
    let git = Path::new(&manifest).join("../../.git");
    for file in ["HEAD", "refs/heads"] {
        let path = git.join(file);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
