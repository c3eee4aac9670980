//! `braid run --parallel` prints exactly what `braid run` prints: every scenario under
//! `tests/run/`, `tests/run/bad/` and `tests/defi/`, with `--json` and as a table, on 1,
//! 2 and 4 worker threads, with and without the in-order fallback for tiny blocks
//! (`BRAID_ALWAYS_PARALLEL` schedules every block from its DAG).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Exit code, stdout and stderr of one run of the binary.
fn braid(args: &[&str], always_parallel: bool) -> (i32, String, String) {
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

fn scenarios() -> Vec<String> {
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

#[test]
fn every_scenario_prints_the_same_bytes_sequentially_and_in_parallel() {
    let all = scenarios();
    assert!(all.len() > 20, "the scenarios were found: {all:?}");
    for scenario in &all {
        for json in [true, false] {
            let mut base = vec!["run", scenario.as_str()];
            if json {
                base.push("--json");
            }
            let expected = braid(&base, false);
            for threads in ["1", "2", "4"] {
                for always in [false, true] {
                    let mut args = base.clone();
                    args.extend(["--parallel", "--threads", threads]);
                    let got = braid(&args, always);
                    assert_eq!(
                        got, expected,
                        "{scenario} (json {json}, {threads} threads, always parallel {always})"
                    );
                }
            }
        }
    }
}
