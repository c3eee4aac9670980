//! Helpers shared by the integration tests that run the `braid` binary over every
//! scenario (`tests/parallel.rs`, `tests/engines.rs`) or one (`tests/trace.rs`).
// Each test crate uses a part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Exit code, stdout and stderr of one run of the binary, from the package root;
/// `always_parallel` schedules every block from its DAG (`BRAID_ALWAYS_PARALLEL`).
pub fn braid(args: &[&str], always_parallel: bool) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_braid"));
    cmd.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    if always_parallel {
        cmd.env("BRAID_ALWAYS_PARALLEL", "1");
    }
    let out = cmd.output().expect("run the braid binary");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    )
}

/// Every scenario under `tests/run/`, `tests/run/bad/` and `tests/defi/`, relative
/// to the package root, sorted within each directory.
pub fn scenarios() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["tests/run", "tests/run/bad", "tests/defi"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .expect("the scenario directory exists")
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        for f in files {
            let rel = f.strip_prefix(root).expect("under the package");
            out.push(rel.display().to_string());
        }
    }
    out
}
