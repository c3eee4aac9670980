//! The JIT prints exactly what the interpreter prints: every scenario under
//! `tests/run/`, `tests/run/bad/` and `tests/defi/`, with `--json`, sequentially and
//! in parallel (every block scheduled from its DAG), on both engines, and the table
//! with `--trace` (failure locations, call stacks, traces). Exit codes and stderr too.

mod common;

use common::{braid, scenarios};

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
