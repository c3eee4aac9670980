//! The JIT prints exactly what the interpreter prints: every scenario under
//! `tests/run/`, `tests/run/bad/` and `tests/defi/`, with `--json`, sequentially and
//! in parallel (every block scheduled from its DAG), on both engines, and the table
//! with `--trace` (failure locations, call stacks, traces). Exit codes and stderr too.

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
fn every_scenario_prints_the_same_bytes_on_the_jit_and_the_interpreter() {
    let all = scenarios();
    assert!(all.len() > 20, "the scenarios were found: {all:?}");
    let mut successes = 0;
    for scenario in &all {
        let expected = braid(&["run", scenario, "--json", "--engine", "interp"], false);
        successes += usize::from(expected.0 == 0);
        for parallel in [false, true] {
            let mut args = vec!["run", scenario.as_str(), "--json", "--engine", "jit"];
            if parallel {
                args.extend(["--parallel", "--threads", "2"]);
            }
            let got = braid(&args, parallel);
            assert_eq!(got, expected, "{scenario} (parallel {parallel})");
            if parallel {
                let mut interp = args.clone();
                interp[4] = "interp";
                assert_eq!(
                    braid(&interp, true),
                    expected,
                    "{scenario} (interp, parallel)"
                );
            }
        }
    }
    assert!(
        successes > 15,
        "most scenarios run to the end ({successes})"
    );
}
